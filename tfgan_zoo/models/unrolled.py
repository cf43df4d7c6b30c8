"""Unrolled GAN (Metz, Poole, Pfau, Sohl-Dickstein, "Unrolled Generative Adversarial Networks", ICLR 2017).

The generator is trained against the critic it would face after ``K`` more critic updates. The game is the
zero-sum ``min_G max_D f(θ_G, θ_D)`` with ``f = -L_D`` (for the default minimax loss
``f = E[log D(x)] + E[log(1 - D(G(z)))]``, as in Metz et al. Sec. 2). With ``θ_D^0 = θ_D`` and the critic's own update
rule ``θ_D^{k+1} = θ_D^k - η · U_k(∂L_D(θ_G, θ_D^k) / ∂θ_D^k)`` (``U_k`` is the identity for SGD,
Adam's moment normalisation for Adam), the generator minimises the *surrogate* loss

    L_G^K(θ_G, θ_D) = f(θ_G, θ_D^K(θ_G, θ_D)),

whose gradient

    dL_G^K/dθ_G = ∂f(θ_G, θ_D^K)/∂θ_G + ∂f(θ_G, θ_D^K)/∂θ_D^K · dθ_D^K(θ_G, θ_D)/dθ_G

has a second term that accounts for how the critic would react to the generator's move: this is what
discourages the generator from collapsing onto the mode the current critic likes. The unrolled critic updates
exist only inside the generator's objective; the real critic is still trained one step at a time by the
base loop, and the generator's update does not change the critic's variables.

``stop_gradient_unroll=False`` (the default) is the real algorithm: the unrolled updates are differentiated
through (nested gradient tapes, second-order terms included). ``stop_gradient_unroll=True`` is the shortcut
that keeps only the first term (``θ_D^K`` treated as a constant): the generator's usual gradient against a
critic that has been advanced ``K`` steps, much cheaper and, as Metz et al. discuss, without the term
that fights mode collapse.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from ..checks import check_non_negative_int
from .gan import GAN, _with_labels

__all__ = ["UnrolledGAN", "UNROLL_OPTIMIZERS"]

UNROLL_OPTIMIZERS = ("adam", "sgd")


def _safe_sqrt(x):
    # sqrt whose derivative at 0 is 0 rather than inf: a critic weight whose gradient has always been zero (a
    # dead ReLU) has Adam second moment v = 0, and inf * 0 would turn the whole generator gradient into NaN.
    positive = x > 0
    return tf.where(positive, tf.sqrt(tf.where(positive, x, tf.ones_like(x))), tf.zeros_like(x))


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class UnrolledGAN(GAN):
    """Unrolled GAN (Metz et al. 2017): the generator's loss is taken against the critic advanced ``K`` steps.

    Critic update, as in the base :class:`GAN`: one step of the critic's optimizer on
    ``discriminator_objective``. Generator update: on the generator's batch ``x_G = G(z)`` and the last critic
    batch ``x``, the critic weights are advanced ``K`` times,

    * ``unroll_optimizer="adam"`` (the default): Adam's update rule continued from the critic optimizer's
      current state, ``m <- β1 m + (1-β1) g``, ``v <- β2 v + (1-β2) g²``,
      ``θ <- θ - η sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε)`` with ``t`` the critic's step count plus the
      unroll step — what the authors' reference code does (it unrolls the critic's own Adam updates on the same
      batch, ``poolio/unrolled_gan``);
    * ``unroll_optimizer="sgd"``: the plain gradient step of the paper's equations, ``θ <- θ - η g``;

    where ``g = ∂L_D(x, x_G; θ)/∂θ`` is the gradient of the variant's full critic objective (loss and penalty,
    through :meth:`discriminator_objective`, so instance noise, packing and discriminator heads apply) on the
    same real batch and the same fakes at every unroll step. The generator then minimises, against the critic
    with weights ``θ^K`` and on the same batches, ``f = -loss.discriminator(D(x), D(G(z)))`` (``zero_sum=True``,
    the paper's objective: the real term ``E[log D_K(x)]`` depends on ``θ_G`` through ``θ^K``), or the variant's
    generator loss ``loss.generator`` (``zero_sum=False``, e.g. the non-saturating ``-log D_K(G(z))``). Only
    the trainable critic weights are unrolled; non-trainable state (batch-norm statistics, spectral-norm
    power-iteration vectors) is read but never written by the unrolled steps. The unrolled steps reproduce the
    optimizer's update rule, not its gradient clipping, weight decay or weight EMA.

    ``unroll_steps=0`` gives exactly the base :class:`GAN` generator step (of ``loss="minimax"`` when
    ``zero_sum=True``: the real term is then constant in ``θ_G``; of the given loss when ``zero_sum=False``).

    Defaults (Metz et al. 2017, 2-D mixture experiments and the authors' reference code ``poolio/unrolled_gan``):
    ``K = 5`` (the paper shows 0, 1, 5 and 10 unrolling steps), the minimax loss in zero-sum form, the unrolled
    updates are the critic's own Adam updates, Adam(1e-4, beta_1=0.5) for both networks (the reference code's
    critic rate; one version of it trains the generator at 1e-3), one critic update per generator update.
    The reference runs were 20,000-25,000 steps of batch 512 with a 256-d latent: on short budgets raise the
    learning rates.

    Cost: the full algorithm runs ``K`` critic forward-backward passes and back-propagates through them; with
    ``K = 5`` a training step of the toy MLPs costs about 4 times a plain GAN step (CPU, XLA). The shortcut
    skips the back-propagation through the unrolled passes. Under ``tf.distribute`` every replica unrolls with
    the global batch's critic gradient (an all-reduce per unrolled step), as the real critic step does.

    Args:
      generator, discriminator, latent_dim: as :class:`GAN`.
      unroll_steps: ``K >= 0``, critic updates unrolled inside the generator's objective. Default 5.
      stop_gradient_unroll: ``False`` (default) differentiates through the unrolled updates (the paper's
        algorithm); ``True`` treats ``θ_D^K`` as a constant (the cheap shortcut).
      zero_sum: ``True`` (default): the generator minimises ``-loss.discriminator`` at ``θ_D^K`` (Metz et al.'s
        ``f``); ``False``: the variant's ``loss.generator`` at ``θ_D^K``.
      unroll_optimizer: ``"adam"`` (default; the critic's optimizer must then be ``keras.optimizers.Adam``,
        possibly wrapped in a ``LossScaleOptimizer``, without AMSGrad) or ``"sgd"``.
      unroll_learning_rate: ``η`` of the unrolled steps; None (default) uses the critic optimizer's current
        learning rate.
      **kwargs: other :class:`GAN` arguments (``loss``, ``penalty``, ``pack_degree``, ...).
    """

    default_loss = "minimax"
    default_discriminator_optimizer = {"class_name": "Adam", "config": {"learning_rate": 1e-4, "beta_1": 0.5}}
    default_generator_optimizer = {"class_name": "Adam", "config": {"learning_rate": 1e-4, "beta_1": 0.5}}

    def __init__(self, generator, discriminator, latent_dim=None, *, unroll_steps=5, stop_gradient_unroll=False,
                 zero_sum=True, unroll_optimizer="adam", unroll_learning_rate=None, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        unroll_steps = check_non_negative_int("unroll_steps", unroll_steps, "Metz et al. use 5; 0 is the plain GAN.")
        if not isinstance(stop_gradient_unroll, bool):
            raise ValueError(f"stop_gradient_unroll={stop_gradient_unroll!r} must be True (shortcut: no gradient "
                             "through the unrolled updates) or False (the paper's algorithm).")
        if not isinstance(zero_sum, bool):
            raise ValueError(f"zero_sum={zero_sum!r} must be True (the generator minimises -L_D, the paper's f) or "
                             "False (the loss's own generator objective).")
        if unroll_optimizer not in UNROLL_OPTIMIZERS:
            raise ValueError(f"unroll_optimizer={unroll_optimizer!r} must be one of {UNROLL_OPTIMIZERS}.")
        if unroll_learning_rate is not None and not (isinstance(unroll_learning_rate, (int, float))
                                                     and unroll_learning_rate > 0):
            raise ValueError(f"unroll_learning_rate={unroll_learning_rate!r} must be a number > 0, or None to use "
                             "the critic optimizer's learning rate.")
        if self.conditioning is not None and self.conditioning.head != "projection":
            raise ValueError(f"UnrolledGAN takes a conditioning with head='projection' (the critic reads the labels); "
                             f"got head={self.conditioning.head!r}, whose class losses the unrolled objective does "
                             "not carry.")
        self.unroll_steps = unroll_steps
        self.stop_gradient_unroll = stop_gradient_unroll
        self.zero_sum = zero_sum
        self.unroll_optimizer = unroll_optimizer
        self.unroll_learning_rate = None if unroll_learning_rate is None else float(unroll_learning_rate)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)
        if self.unroll_optimizer == "adam" and self.unroll_steps > 0:
            adam = self._critic_optimizer()
            if not isinstance(adam, keras.optimizers.Adam) or adam.amsgrad:
                raise ValueError(f"unroll_optimizer='adam' continues the critic optimizer's Adam state, but the "
                                 f"critic optimizer is {type(adam).__name__}"
                                 f"{' with amsgrad=True' if getattr(adam, 'amsgrad', False) else ''}. Compile with "
                                 "d_optimizer=keras.optimizers.Adam(...), or use unroll_optimizer='sgd'.")

    # -- the unrolled critic ----------------------------------------------------------------------------

    def _critic_optimizer(self):
        optimizer = self.d_optimizer
        return optimizer.inner_optimizer if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else optimizer

    def _with_critic_weights(self, weights, function):
        """Runs ``function()`` with the critic's trainable variables reading the tensors ``weights``.

        Nothing is written to the critic's variables. Random draws made inside advance the model's seed state
        as if they had been made outside, so the unroll never replays the same noise.
        """
        mapping = list(zip(self.discriminator.trainable_variables, weights))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            result = function()
        seed_state = scope.get_current_value(self.seed_generator.state)
        if seed_state is not None:
            self.seed_generator.state.assign(seed_state)
        return result

    def _adam_state(self, variables):
        adam = self._critic_optimizer()
        indices = [adam._get_variable_index(v) for v in variables]  # Keras 3 Adam slot layout
        moments = [tf.stop_gradient(tf.convert_to_tensor(adam._momentums[i])) for i in indices]
        velocities = [tf.stop_gradient(tf.convert_to_tensor(adam._velocities[i])) for i in indices]
        hyper = (float(adam.beta_1), float(adam.beta_2), float(adam.epsilon), tf.cast(adam.iterations, tf.float32))
        return moments, velocities, hyper

    def unrolled_critic_weights(self, real_images, fake_images, real_labels=None, fake_labels=None):
        """The critic's trainable weights after ``unroll_steps`` unrolled updates, ``[θ_D^K]`` (tensors).

        Differentiable with respect to ``fake_images`` (and so the generator) unless ``stop_gradient_unroll``.

        Args:
          real_images: the real batch ``[batch, ...]`` used by every unrolled step.
          fake_images: the generator's batch ``[batch', ...]`` used by every unrolled step.
          real_labels, fake_labels: their class ids, for a conditional model (else None).
        Returns:
          A list of tensors, one per ``discriminator.trainable_variables``, same shapes and dtypes.
        """
        variables = self.discriminator.trainable_variables
        weights = [tf.stop_gradient(tf.convert_to_tensor(v)) for v in variables]
        if self.unroll_steps == 0:
            return weights
        if self.stop_gradient_unroll:
            fake_images = tf.stop_gradient(fake_images)
        learning_rate = (self.unroll_learning_rate if self.unroll_learning_rate is not None
                         else tf.cast(self._critic_optimizer().learning_rate, tf.float32))
        if self.unroll_optimizer == "adam":
            moments, velocities, (beta_1, beta_2, epsilon, iterations) = self._adam_state(variables)
        for step in range(self.unroll_steps):
            with tf.GradientTape() as tape:
                tape.watch(weights)
                loss, _ = self._with_critic_weights(
                    weights, lambda: self.discriminator_objective(
                        real_images, fake_images, **_with_labels(real_labels=real_labels, fake_labels=fake_labels)))
            gradients = tape.gradient(tf.cast(loss, tf.float32), weights,
                                      unconnected_gradients=tf.UnconnectedGradients.ZERO)
            if tf.distribute.get_strategy().num_replicas_in_sync > 1:
                # The real critic step uses the global batch's gradient; so must every unrolled replica.
                gradients = tf.distribute.get_replica_context().all_reduce("MEAN", gradients)
            if self.unroll_optimizer == "sgd":
                weights = [w - tf.cast(learning_rate, w.dtype) * g for w, g in zip(weights, gradients)]
                continue
            t = iterations + float(step + 1)
            alpha = learning_rate * tf.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)
            moments = [m + (g - m) * (1.0 - beta_1) for m, g in zip(moments, gradients)]
            velocities = [v + (tf.square(g) - v) * (1.0 - beta_2) for v, g in zip(velocities, gradients)]
            weights = [w - tf.cast(alpha, w.dtype) * m / (_safe_sqrt(v) + epsilon)
                       for w, m, v in zip(weights, moments, velocities)]
        if self.stop_gradient_unroll:
            weights = [tf.stop_gradient(w) for w in weights]
        return weights

    # -- the hook -----------------------------------------------------------------------------------------

    def generator_objective(self, real_images, latent, real_labels=None, fake_labels=None):
        """The generator's loss against the unrolled critic ``θ_D^K``; figures ``{"g_loss"}``.

        ``-loss.discriminator(D_K(x), D_K(G(z)))`` when ``zero_sum``, else ``loss.generator(D_K(G(z)), D_K(x))``;
        for a conditional model (projection head) the critic reads each image's class id.
        """
        fake_images = self.generator(self.generator_inputs(latent, fake_labels), training=True)
        weights = self.unrolled_critic_weights(real_images, fake_images, real_labels, fake_labels)

        def real_output():
            return self.critic(real_images, **_with_labels(labels=real_labels))

        def fake_output():
            return self.critic(fake_images, **_with_labels(labels=fake_labels))

        def loss_against_unrolled_critic():
            if self.zero_sum:
                return -self.loss_pair.discriminator(real_output(), fake_output())
            fake = fake_output()
            return self.loss_pair.generator(fake, real_output() if self.loss_pair.generator_needs_real else None)

        loss = self._with_critic_weights(weights, loss_against_unrolled_critic)
        return loss, {"g_loss": loss}

    def get_config(self):
        return {**super().get_config(), "unroll_steps": self.unroll_steps,
                "stop_gradient_unroll": self.stop_gradient_unroll, "zero_sum": self.zero_sum,
                "unroll_optimizer": self.unroll_optimizer,
                "unroll_learning_rate": self.unroll_learning_rate}
