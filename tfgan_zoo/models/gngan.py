"""GN-GAN (Wu, Shuai, Tam, Chiu, ICCV 2021): a gradient-normalised critic."""
from __future__ import annotations

import keras

from ..layers.gradient_normalization import GradientNormalization
from .gan import GAN
from .paper_settings import PaperSettings, adam

__all__ = ["GNGAN"]


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class GNGAN(PaperSettings, GAN):
    """GN-GAN (Wu et al., ICCV 2021): every critic value is gradient-normalised.

    The losses read ``f_hat(x) = f(x) / (||grad_x f(x)|| + |f(x)|)`` in place of the raw critic ``f``, in the
    critic's update and in the generator's (which back-propagates through the gradient norm as well). The
    model wraps its discriminator in :class:`tfgan_zoo.layers.gradient_normalization.GradientNormalization`,
    so ``model.discriminator`` returns ``f_hat`` and ``model.discriminator.layer`` is the raw network; instance
    noise, PacGAN packing and penalties compose with it (the gradient is taken at the packed, noisy input).
    The critic should have one output per sample and no batch normalisation (the gradient is per sample).

    Defaults, from the official code (basiclab/GNGAN-PyTorch, configs ``GN-GAN_CIFAR10_*``):

    * ``setting="cnn"`` (default; the DCGAN-style nets): the non-saturating loss on ``f_hat`` as logits
      (``BCEWithLogits``), ``n_critic = 1``, Adam(2e-4, beta_1=0, beta_2=0.9) for both networks, generator
      batch twice the critic's (128 vs 64), no learning-rate decay.
    * ``setting="resnet"``: hinge loss, ``n_critic = 5``, critic Adam(4e-4, 0, 0.9), generator Adam(2e-4, 0,
      0.9), generator batch 2x, learning rates decayed linearly to 0 over training (200,000 generator steps):
      ``fit(..., callbacks=[tfgan_zoo.callbacks.LinearLearningRateDecay(total_steps)])``.

    The official runs also keep a generator EMA (``ema_decay=0.9999, ema_start=0``), off by default here.

    Args:
      generator, latent_dim: as :class:`GAN`.
      discriminator: the raw critic ``f``, ``[batch, ...] -> [batch, 1]`` (wrapped here unless it already is a
        ``GradientNormalization``).
      setting: ``"cnn"`` or ``"resnet"``: defaults for ``loss``, ``n_critic``, ``generator_batch_multiplier``
        and the optimizers of ``compile()``. Explicit arguments win.
      **kwargs: other :class:`GAN` arguments.
    """

    settings = {
        "cnn": {"n_critic": 1, "loss": "non_saturating", "generator_batch_multiplier": 2,
                "d_optimizer": adam(2e-4, 0.0, 0.9), "g_optimizer": adam(2e-4, 0.0, 0.9)},
        "resnet": {"n_critic": 5, "loss": "hinge", "generator_batch_multiplier": 2,
                   "d_optimizer": adam(4e-4, 0.0, 0.9), "g_optimizer": adam(2e-4, 0.0, 0.9)},
    }
    default_setting = "cnn"

    def __init__(self, generator, discriminator, latent_dim=None, *, setting=None, **kwargs):
        if isinstance(discriminator, keras.Model) and not isinstance(discriminator, GradientNormalization):
            discriminator = GradientNormalization(discriminator, name=f"gradient_normalized_{discriminator.name}")
        super().__init__(generator, discriminator, latent_dim, setting=setting, **kwargs)
