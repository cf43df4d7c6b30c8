"""The one GAN training loop of the zoo: :class:`GAN`, a ``keras.Model`` that variants subclass.

The loop (``train_step``) runs ``n_critic`` critic updates, each on its own real batch, then one generator
update, then the optional generator EMA. Variants change it through small hooks:

* ``loss`` (a :class:`tfgan_zoo.losses.LossPair` or its name) — the adversarial objective;
* ``penalty`` / ``penalty_weight`` — a critic regulariser from :mod:`tfgan_zoo.penalties`;
* :meth:`GAN.critic` — how images become critic outputs (instance noise, packing, a discriminator head);
* :meth:`GAN.discriminator_objective` / :meth:`GAN.generator_objective` — the two losses and their figures;
* :meth:`GAN.after_critic_update` — e.g. WGAN's weight clipping;
* ``fuse_critic_passes`` — whether real and fake images go through the critic as one concatenated batch
  (see :func:`critic_is_batch_independent`);
* ``figure_names`` — extra scalars the variant reports; each gets a ``keras.metrics.Mean`` tracker, so it
  appears in the progress bar and in ``History``;
* ``conditioning`` — class labels through the loop (:mod:`tfgan_zoo.conditioning`): the hooks above then take
  the images' class ids as ``labels`` / ``real_labels`` / ``fake_labels`` keywords (None, and not passed, for an
  unconditional model).

Feeding the critic: ``fit`` regroups the user's dataset of ``batch``-sized batches into elements of shape
``[batch, n_critic, ...]`` (see :func:`group_critic_batches`), so each of the ``n_critic`` critic updates of
one step sees a different real batch, as in Algorithm 1 of WGAN and WGAN-GP. One ``fit`` step is one
generator iteration and consumes ``n_critic`` batches of the dataset. The grouping stays inside the library:
:meth:`GAN.train_iteration` receives the step's ``n_critic`` plain ``[batch, ...]`` batches, and a subclass
that overrides ``train_step`` itself gets the keras-io contract, one plain batch per step (see
:meth:`GAN.train_step`).

Keras's view of the model: ``model.optimizer`` is a :class:`GANOptimizers` holding both optimizers (Keras's
learning-rate callbacks and TensorBoard drive and log each of them), and the logs carry ``loss = d_loss +
g_loss`` next to the two losses, for callbacks that read ``loss`` such as ``TerminateOnNaN``. ``model.save``
stores the compile arguments, so ``keras.saving.load_model`` returns a compiled model whose optimizers hold
the saved slots and iteration counts: ``fit`` on it continues the saved run.
"""
from __future__ import annotations

import warnings

import numpy as np
import keras
import tensorflow as tf

from .. import augment as augment_lib
from .. import conditioning as conditioning_lib
from .. import losses as losses_lib
from .. import penalties as penalties_lib
from ..callbacks import DataStream
from ..checks import check_non_negative_number, check_positive_int
from ..inspection import critic_is_batch_independent
from .ema import GeneratorEMA

__all__ = ["GAN", "GANOptimizers", "critic_is_batch_independent", "group_critic_batches", "pack_samples"]


# --- Data plumbing shared by fit and the tests -------------------------------------------------------


def _nan_unless_finite(figures, gradients):
    """``figures`` as they are when every gradient is finite, else all NaN.

    A step can have a finite loss and non-finite gradients: with oneDNN (TensorFlow's default on x86 CPUs) the
    graph optimiser fuses ``Dense``/``Conv`` with ReLU into one kernel whose ReLU maps NaN to 0, so a NaN input or
    weight vanishes from the loss but not from the gradients, and the weights turn NaN while the loss looks fine.
    Reporting that step's figures as NaN lets :class:`tfgan_zoo.callbacks.NonFiniteLossGuard` stop at it.
    """
    checks = [tf.reduce_all(tf.math.is_finite(g)) for g in gradients if g is not None]
    if not checks:
        return figures
    finite = tf.reduce_all(tf.stack(checks))
    return {name: tf.where(finite, value, tf.constant(float("nan"), tf.as_dtype(value.dtype)))
            if tf.as_dtype(getattr(value, "dtype", tf.int32)).is_floating else value
            for name, value in figures.items()}


def _drop_labels(element):
    # (images, labels) or (images,) -> images; dicts are not supported.
    if isinstance(element, (tuple, list)):
        return element[0]
    return element


def group_critic_batches(dataset: tf.data.Dataset, n_critic: int, batch_size=None,
                         num_classes=None) -> tf.data.Dataset:
    """Regroups a dataset of image batches into elements of ``n_critic`` batches, ``[batch, n_critic, ...]``.

    Labels are dropped, unless ``num_classes`` is given (a class-conditional model): elements are then
    ``(images [batch, n_critic, ...], labels [batch, n_critic])``, each label an int32 class id that stays with
    its image (:func:`tfgan_zoo.conditioning.images_and_class_ids`; one-hot accepted). Batches of another size
    than ``batch_size`` (the first batch's size when None), such as a short last batch, are dropped so that
    every critic update sees a full batch. The batch axis stays first so that ``tf.distribute`` splits it
    across replicas.
    """
    if num_classes is not None:
        return _group_labelled_batches(conditioning_lib.images_and_class_ids(dataset, num_classes), n_critic,
                                       batch_size)
    dataset = dataset.map(lambda *element: _drop_labels(element) if len(element) > 1 else element[0])
    static = dataset.element_spec.shape
    if static.rank is None or static.rank < 2:
        raise ValueError(f"The dataset must yield batches of images of shape [batch, ...]; got element shape "
                         f"{static}. Batch it first, e.g. dataset.batch(64, drop_remainder=True).")
    if batch_size is None:
        batch_size = static[0]
    if batch_size is None:
        batch_size = int(next(iter(dataset)).shape[0])
    if static[0] is None:  # a short last batch is possible; with a static size Keras keeps the epoch length
        infinite = int(dataset.cardinality()) == tf.data.INFINITE_CARDINALITY
        dataset = dataset.filter(lambda x: tf.shape(x)[0] == batch_size)
        if infinite:  # still infinite after the filter, which tf.data cannot know
            dataset = dataset.apply(tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))
    dataset = dataset.map(lambda x: tf.ensure_shape(x, [batch_size] + static[1:].as_list()))
    dataset = dataset.batch(n_critic, drop_remainder=True)
    perm = [1, 0] + list(range(2, static.rank + 1))
    return dataset.map(lambda x: tf.transpose(x, perm), num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE)


def _group_labelled_batches(dataset, n_critic, batch_size):
    # group_critic_batches for (images, class ids) elements: the same filter, shapes and regrouping on both.
    static = dataset.element_spec[0].shape
    if batch_size is None:
        batch_size = static[0] if static[0] is not None else int(next(iter(dataset))[0].shape[0])
    if static[0] is None:
        infinite = int(dataset.cardinality()) == tf.data.INFINITE_CARDINALITY
        dataset = dataset.filter(lambda x, y: tf.shape(x)[0] == batch_size)
        if infinite:
            dataset = dataset.apply(tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))
    dataset = dataset.map(lambda x, y: (tf.ensure_shape(x, [batch_size] + static[1:].as_list()),
                                        tf.ensure_shape(y, [batch_size])))
    dataset = dataset.batch(n_critic, drop_remainder=True)
    perm = [1, 0] + list(range(2, static.rank + 1))
    return dataset.map(lambda x, y: (tf.transpose(x, perm), tf.transpose(y)),
                       num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _with_labels(**labels):
    # keyword arguments of the labels that are given: an unconditional model's hooks are called as before
    return {name: value for name, value in labels.items() if value is not None}


def pack_samples(samples, pack_degree: int):
    """PacGAN packing (Lin et al. 2018): ``m`` consecutive samples concatenated on the last axis.

    ``[batch, ..., c] -> [batch // m, ..., m * c]``; the batch must be divisible by ``m``.
    """
    if pack_degree == 1:
        return samples
    shape = tf.shape(samples)
    rank = len(samples.shape)
    grouped = tf.reshape(samples, tf.concat([[shape[0] // pack_degree, pack_degree], shape[1:]], 0))
    # move the pack axis next to the channels: [b, m, ..., c] -> [b, ..., m, c]
    perm = [0] + list(range(2, rank)) + [1, rank]
    grouped = tf.transpose(grouped, perm)
    return tf.reshape(grouped, tf.concat([[shape[0] // pack_degree], shape[1:-1], [pack_degree * shape[-1]]], 0))


# --- The model ---------------------------------------------------------------------------------------


_SEED_STATE_KEY = "seed_generator_state"

_LATENT_SAMPLERS = {
    "normal": lambda shape, seed: keras.random.normal(shape, seed=seed),
    "uniform": lambda shape, seed: keras.random.uniform(shape, minval=-1.0, maxval=1.0, seed=seed),
}


def _output_shape(network, example):
    """``network``'s output shape without the batch axis: the static one, or that of ``network(example())``."""
    try:
        shape = network.output_shape
    except (AttributeError, ValueError, RuntimeError):  # a subclassed network has no static output shape
        shape = None
    if isinstance(shape, tuple) and len(shape) >= 2:
        return tuple(shape[1:])
    return tuple(network(example(), training=False).shape[1:])


def _warn_out_of_range(seen, looks_like_bytes, stacklevel):
    fix = "x / 127.5 - 1" if looks_like_bytes else "(x - x.min()) / (x.max() - x.min()) * 2 - 1"
    warnings.warn(f"fit(x=...): the images {seen}, outside [-1, 1], the range of the generator's tanh output; "
                  f"the critic can then tell real from fake by range alone. Scale them, e.g. {fix}, or load them "
                  "with tfgan_zoo.data.", UserWarning, stacklevel=stacklevel)


class _RealRangeCheck(keras.callbacks.Callback):
    """Warns once, after the first step of a ``fit`` on a dataset, when its real images leave [-1, 1].

    The step records ``max |x|`` of its real images; reading it there costs nothing, where peeking at the
    dataset before ``fit`` would build an extra iterator (a shuffle buffer filled twice, a reshuffle drawn).
    """

    def __init__(self):
        super().__init__()
        self._checked = False

    def on_train_batch_end(self, batch, logs=None):
        if self._checked:
            return
        self._checked = True
        peak = float(keras.ops.convert_to_numpy(self.model._real_peak))
        if peak > 1.01:
            _warn_out_of_range(f"of the first step reach |x| = {peak:g}", peak > 10.0, stacklevel=2)


class GANOptimizers:
    """``model.optimizer`` of a :class:`GAN`: its two optimizers, as Keras's callbacks see a group of them.

    Keras 3 treats an optimizer with an ``optimizers`` list as a group: ``LearningRateScheduler`` calls its
    ``schedule(epoch, lr)`` once per optimizer with that optimizer's current rate and sets the result (so
    ``lambda epoch, lr: lr * 0.9`` decays both rates and keeps a two-time-scale ratio; a schedule that ignores
    ``lr`` sets both to the same value), ``ReduceLROnPlateau`` multiplies each rate by its ``factor``, and
    both callbacks and ``TensorBoard`` log ``learning_rate_d_optimizer`` and ``learning_rate_g_optimizer``
    (:meth:`GAN.compile` gives the optimizers these names). There is no single ``learning_rate``: reading it
    raises, naming the two rates.

    Attributes:
      optimizers: ``[d_optimizer, g_optimizer]``.
      iterations: the model's ``generator_steps`` (one per ``fit`` step; TensorBoard's step counter).
      variables: both optimizers' variables (saved under ``d_optimizer`` and ``g_optimizer``, not here).
    """

    built = True

    def __init__(self, d_optimizer, g_optimizer, iterations):
        self.optimizers = [d_optimizer, g_optimizer]
        self.iterations = iterations

    def build(self, variables):
        """Nothing to do: :meth:`GAN.compile` builds each optimizer on its network's variables."""

    @property
    def variables(self):
        return [v for optimizer in self.optimizers for v in optimizer.variables]

    @property
    def learning_rate(self):
        raise AttributeError("A GAN has two learning rates, model.d_optimizer.learning_rate and "
                             "model.g_optimizer.learning_rate; model.optimizer.optimizers lists both optimizers.")


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class GAN(keras.Model):
    """Standard GAN (Goodfellow et al. 2014) and the base class of every variant in the zoo.

    The critic minimises ``loss.discriminator(D(x), D(G(z))) + penalty_weight * penalty``; the generator
    minimises ``loss.generator(D(G(z)), D(x))``. The default loss is the non-saturating one (``-log D(G(z))``);
    ``loss="minimax"`` gives the original saturating ``log(1 - D(G(z)))``. Each objective also holds its
    network's regularisation losses (``discriminator.losses``, ``generator.losses``: ``kernel_regularizer`` and
    the like), and the figures ``d_loss`` / ``g_loss`` report the full objectives.

    Defaults (class attributes, overridden by each variant with its paper's values): ``n_critic = 1``,
    Adam(2e-4, beta_1=0.5) for both networks (DCGAN, Radford et al. 2016).

    Args:
      generator: ``keras.Model`` mapping ``[batch, latent_dim]`` to images ``[batch, ...]``.
      discriminator: ``keras.Model`` mapping images to critic outputs (logits), ``[batch, k]``.
      latent_dim: size of ``z``; read from ``generator.input_shape`` when None.
      latent_distribution: ``"normal"`` (N(0, 1)), ``"uniform"`` (U(-1, 1)), or a callable
        ``(shape, seed) -> tensor`` using ``keras.random`` with the given ``seed``.
      n_critic: critic updates per generator update (class default when None).
      loss: a name from :func:`tfgan_zoo.losses.available_losses`, a ``LossPair`` or a
        ``(discriminator_fn, generator_fn)`` tuple (class default when None).
      penalty: ``None``, ``"gp"``, ``"dragan"``, ``"r1"`` or a :class:`tfgan_zoo.penalties.Penalty`.
      penalty_weight: weight of the penalty (the penalty's default when None).
      generator_batch_multiplier: the generator step uses this many times the critic batch (SNGAN: 2).
      pack_degree: PacGAN packing degree ``m``; the critic then sees ``m`` samples concatenated on the last
        axis and must accept ``m`` times the channels.
      instance_noise: initial standard deviation of Gaussian instance noise added to every critic input
        (None disables it; anneal with :class:`tfgan_zoo.callbacks.InstanceNoiseSchedule`).
      ema_decay: if set, keep an exponential moving average of the generator weights with this decay
        (:class:`tfgan_zoo.models.ema.GeneratorEMA`, ``model.ema``); ``generate`` and ``export_generator`` then
        use its shadow generator (``model.ema_generator``).
      ema_start: generator steps before averaging starts (the EMA copies the weights until then).
      seed: integer seed of the model's ``keras.random.SeedGenerator``.
      fuse_critic_passes: ``"auto"`` (default), True or False. When fused, the critic sees the real and the
        fake images of an update as one concatenated batch: one forward and one backward pass instead of
        two, the same losses and gradients (to float round-off), the same arithmetic in half as many, twice
        as large kernels. That saves per-kernel overhead on accelerators; on CPUs the unfused critic measured
        as fast or faster (:func:`tfgan_zoo.precision.critic_fusion_pays`). ``"auto"`` fuses on a GPU or TPU
        when :func:`critic_is_batch_independent` holds for the discriminator and the variant keeps the base
        :meth:`critic` and :meth:`discriminator_head` (or sets ``batch_independent_head = True``); True
        raises if the critic has batch-coupled layers (batch normalisation would then mix real and fake
        statistics).
      augment: data-efficient training (:mod:`tfgan_zoo.augment`): None (default) or ``"none"``, a DiffAugment
        policy such as ``"translation,cutout"``, or a :class:`tfgan_zoo.augment.DiffAugment` /
        :class:`tfgan_zoo.augment.ADA`. Real and generated images are augmented before every critic call
        (:meth:`critic`), generator updates and penalties included; see ``DiffAugment`` for which inputs the
        penalties see. Images only.
      conditioning: class conditioning (:mod:`tfgan_zoo.conditioning`): None (default, unconditional), the number of
        classes, a dict of :class:`tfgan_zoo.conditioning.Conditioning` arguments or a ``Conditioning``. The
        generator then takes ``[z, labels]``, the critic ``[images, labels]`` (``head="projection"``) or images with
        ``1 + num_classes`` outputs (``head="auxiliary"``, ACGAN); ``fit`` reads ``(images, labels)`` batches and
        ``generate`` takes ``labels=``.

    The networks may be functional or subclassed ``keras.Model``s; a subclassed generator needs ``latent_dim``,
    and both are built here (called once on zeros) when they have no static shapes.

    Attributes:
      sample_shape: the shape of one generated sample (no batch axis), e.g. ``(28, 28, 1)``.
      optimizer: a :class:`GANOptimizers` after :meth:`compile` (``d_optimizer`` and ``g_optimizer``).
    """

    default_n_critic = 1
    default_loss = "non_saturating"
    default_penalty = None
    default_discriminator_optimizer = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}
    default_generator_optimizer = {"class_name": "Adam", "config": {"learning_rate": 2e-4, "beta_1": 0.5}}
    # a variant whose discriminator_head treats each sample on its own sets this, so that auto-fusion applies
    batch_independent_head = False
    # The adversarial losses read one critic value per sample; a variant whose head or loss reads several
    # (SphereGAN's features, RealnessGAN's outcomes) sets None.
    critic_outputs_per_sample = 1

    def __init__(self, generator, discriminator, latent_dim=None, *, latent_distribution="normal", n_critic=None,
                 loss=None, penalty=None, penalty_weight=None, generator_batch_multiplier=1, pack_degree=1,
                 instance_noise=None, ema_decay=None, ema_start=0, seed=None,
                 fuse_critic_passes="auto", augment=None, conditioning=None, **kwargs):
        super().__init__(**kwargs)
        for arg, net in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(net, keras.Model):
                raise TypeError(f"{arg} must be a keras.Model (e.g. from tfgan_zoo.nets); got {type(net).__name__}.")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = self._resolve_latent_dim(generator, latent_dim)
        if isinstance(latent_distribution, str) and latent_distribution not in _LATENT_SAMPLERS:
            raise ValueError(f"latent_distribution={latent_distribution!r} must be one of "
                             f"{sorted(_LATENT_SAMPLERS)} or a callable (shape, seed) -> tensor.")
        if not isinstance(latent_distribution, str) and not callable(latent_distribution):
            raise ValueError("latent_distribution must be 'normal', 'uniform' or a callable (shape, seed) -> tensor.")
        self.latent_distribution = latent_distribution
        self.n_critic = check_positive_int(
            "n_critic", self.default_n_critic if n_critic is None else n_critic,
            "It is the number of critic updates per generator update (1 for a standard GAN, 5 for WGAN).")
        self.loss_pair = losses_lib.get_loss(self.default_loss if loss is None else loss)
        self.penalty = penalties_lib.get_penalty(self.default_penalty if penalty is None else penalty)
        weight = check_non_negative_number("penalty_weight", penalty_weight, "Use 0 to disable the penalty, "
                                     "or e.g. 10 for WGAN-GP.")
        self.penalty_weight = (self.penalty.default_weight if self.penalty else 0.0) if weight is None else weight
        self.generator_batch_multiplier = check_positive_int(
            "generator_batch_multiplier", generator_batch_multiplier, "Use 1 for the same batch as the critic.")
        self.pack_degree = check_positive_int("pack_degree", pack_degree, "Use 1 for no packing, 2-4 for PacGAN.")
        self.conditioning = conditioning_lib.get_conditioning(conditioning, self.conditioning_head)
        if self.conditioning is not None:
            self.conditioning.check_model(self)
        self.sample_shape, critic_shape = self._build_networks()
        self.augment = self._resolve_augment(augment)
        self._check_critic_width(critic_shape)
        self.instance_noise_enabled = instance_noise is not None
        self.instance_noise_initial = check_non_negative_number(
            "instance_noise", instance_noise, "It is the initial noise standard deviation; None disables it.")
        self.instance_noise_stddev = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.instance_noise_initial or 0.0),
            trainable=False, name="instance_noise_stddev")
        self.ema = None if ema_decay is None else GeneratorEMA(generator, ema_decay, ema_start)
        # the shadow generator is tracked under this name, as saved models and checkpoints know it
        self.ema_generator = None if self.ema is None else self.ema.shadow
        self.ema_decay = None if self.ema is None else self.ema.decay
        self.ema_start = int(ema_start)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        if fuse_critic_passes not in ("auto", True, False):
            raise ValueError(f"fuse_critic_passes={fuse_critic_passes!r} must be 'auto', True or False.")
        self.fuse_critic_passes = fuse_critic_passes
        self._fuses_critic_passes = None
        if fuse_critic_passes is True:
            self.fuses_critic_passes  # raises now if the critic cannot be fused
        self.generator_steps = self.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False,
                                               name="generator_steps")
        self.d_optimizer = None
        self.g_optimizer = None
        self._trackers = {}
        self._compile_arguments = {}
        # max |x| of the real images of the last step, for fit's range check of a dataset (not saved)
        self._real_peak = tf.Variable(0.0, trainable=False, aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    # -- construction helpers ---------------------------------------------------------------------------

    def _build_networks(self):
        """``(sample_shape, critic_output_shape)`` without the batch axis; builds a subclassed network.

        A functional network states its shapes; a subclassed one is called once on zeros (``training=False``),
        which also creates its weights, so that ``compile`` can build the optimizers on them.
        """
        labels = None if self.conditioning is None else tf.zeros([self.pack_degree], tf.int32)
        sample_shape = _output_shape(self.generator, lambda: self.generator_inputs(
            tf.zeros([1, self.latent_dim]), None if labels is None else labels[:1]))
        critic_shape = _output_shape(self.discriminator, lambda: self._critic_network_inputs(pack_samples(
            tf.zeros([self.pack_degree, *sample_shape]), self.pack_degree), labels))
        return sample_shape, critic_shape

    def _check_critic_width(self, critic_shape):
        width = int(np.prod(critic_shape)) if all(isinstance(n, int) for n in critic_shape) else None
        expected = self.critic_outputs_per_sample
        if expected is not None and self.conditioning is not None:  # an auxiliary classifier's class logits
            expected += self.conditioning.auxiliary_outputs
        if expected is None or width is None or width == expected:
            return
        raise ValueError(
            f"discriminator: {type(self).__name__}'s loss reads {expected} critic value per "
            f"sample, but the discriminator outputs {width} (shape {(None, *critic_shape)}); end it with "
            f"Dense({expected}) (e.g. mlp_discriminator(output_units=1)). A variant whose "
            "loss reads several values per sample sets critic_outputs_per_sample = None.")

    def _resolve_augment(self, augment):
        augment = augment_lib.get_augment(augment)
        if augment is not None:
            if len(self.sample_shape) != 3:
                raise ValueError(f"augment={augment.policy!r} transforms images [height, width, channels], but the "
                                 f"generator makes samples of shape {self.sample_shape}; use augment=None for points.")
            augment.build((None, *self.sample_shape))  # ADA's p, under the strategy the model is built in
        return augment

    @staticmethod
    def _resolve_latent_dim(generator, latent_dim):
        inferred = None
        try:
            shape = generator.input_shape
            if isinstance(shape, list) and shape:  # a conditional generator: [z, labels]
                shape = shape[0]
            if isinstance(shape, tuple) and len(shape) == 2:
                inferred = shape[1]
        except (AttributeError, ValueError):
            pass
        if latent_dim is None:
            if inferred is None:
                raise ValueError("latent_dim is required: the generator's input shape does not say it "
                                 "(pass latent_dim=128, or build the generator with keras.Input((128,))).")
            return int(inferred)
        latent_dim = check_positive_int("latent_dim", latent_dim, "It is the size of the generator's input z.")
        if inferred is not None and inferred != latent_dim:
            raise ValueError(f"latent_dim={latent_dim} does not match the generator's input size {inferred}; "
                             f"pass latent_dim={inferred} or build the generator for {latent_dim}.")
        return latent_dim

    @property
    def figure_names(self):
        """Names of the scalars this model reports, each tracked as a running mean over the epoch.

        ``loss`` is ``d_loss + g_loss``, one number for Keras callbacks that read ``loss`` (``TerminateOnNaN``
        stops at the first step that makes it NaN); the two players pull it in opposite directions, so it says
        nothing about sample quality.
        """
        names = ["loss", "d_loss", "g_loss"]
        if self.penalty is not None and self.penalty_weight > 0:
            names.append(self.penalty.name)
        if self.instance_noise_enabled:
            names.append("instance_noise_stddev")
        if self.augment is not None:
            names.extend(self.augment.figure_names)
        if self.conditioning is not None:
            names.extend(self.conditioning.figure_names)
        return names

    def _default_optimizer(self, spec):
        return keras.optimizers.get({"class_name": spec["class_name"], "config": dict(spec["config"])})

    def compile(self, d_optimizer=None, g_optimizer=None, jit_compile="auto", **kwargs):
        """Configures the two optimizers (keras-io style); defaults are the variant's paper settings.

        Two-time-scale updates (TTUR, Heusel et al. 2017) are just two learning rates, e.g.
        ``compile(d_optimizer=Adam(4e-4, 0.0, 0.9), g_optimizer=Adam(1e-4, 0.0, 0.9))``.

        Under the ``mixed_float16`` policy both optimizers are wrapped in ``keras.optimizers.LossScaleOptimizer``.
        Both are built here, inside the current distribution strategy's scope, and named ``d_optimizer`` and
        ``g_optimizer``; ``model.optimizer`` is a :class:`GANOptimizers` holding them. The arguments are saved
        with the model (:meth:`get_compile_config`), so ``keras.saving.load_model`` returns it compiled.

        Args:
          d_optimizer, g_optimizer: two ``keras.optimizers.Optimizer`` instances (or ``keras.optimizers.get``
            names/configs); the variant's paper optimizers when None.
          jit_compile: XLA for the step, as ``keras.Model.compile`` (``"auto"`` by default).
          **kwargs: other ``keras.Model.compile`` arguments (``steps_per_execution``, ``run_eagerly``); not
            ``optimizer`` or ``loss``.
        """
        if "loss" in kwargs or "optimizer" in kwargs:
            raise ValueError("GAN.compile takes d_optimizer= and g_optimizer=, not optimizer=/loss=; choose the "
                             "adversarial loss with GAN(..., loss='hinge').")
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        d_optimizer = self._default_optimizer(self.default_discriminator_optimizer) if d_optimizer is None else d_optimizer
        g_optimizer = self._default_optimizer(self.default_generator_optimizer) if g_optimizer is None else g_optimizer
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer must be two optimizer instances (they keep separate slots).")
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            d_optimizer, g_optimizer = (o if isinstance(o, keras.optimizers.LossScaleOptimizer)
                                        else keras.optimizers.LossScaleOptimizer(o) for o in (d_optimizer, g_optimizer))
        self.d_optimizer = keras.optimizers.get(d_optimizer)
        self.g_optimizer = keras.optimizers.get(g_optimizer)
        self.d_optimizer.name, self.g_optimizer.name = "d_optimizer", "g_optimizer"
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.optimizer = GANOptimizers(self.d_optimizer, self.g_optimizer, self.generator_steps)
        self._compile_arguments = {"jit_compile": jit_compile, **kwargs}
        self._trackers = {name: keras.metrics.Mean(name=name) for name in self.figure_names}
        self.fuses_critic_passes  # resolved here, outside any traced function
        self.built = True

    @property
    def metrics(self):
        return list(self._trackers.values())

    # -- randomness -------------------------------------------------------------------------------------

    def _random(self, sample_fn, shape):
        """Draws ``sample_fn(shape, seed)`` so that replicas get disjoint slices of one global draw.

        Under a ``tf.distribute`` strategy with ``r`` replicas every replica draws the global ``[r * batch, ...]``
        tensor from the shared seed state and keeps its own slice: two replicas then see exactly the noise
        one replica would see on the same global batch.
        """
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas == 1:
            return sample_fn(shape, self.seed_generator)
        shape = tf.unstack(tf.convert_to_tensor(shape, tf.int32)) if not isinstance(shape, (list, tuple)) else shape
        full = sample_fn([shape[0] * replicas] + list(shape[1:]), self.seed_generator)
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        return full[replica * shape[0]:(replica + 1) * shape[0]]

    def sample_latent(self, batch_size):
        """``z`` of shape ``[batch_size, latent_dim]`` from the model's latent distribution and seed."""
        sampler = (_LATENT_SAMPLERS[self.latent_distribution] if isinstance(self.latent_distribution, str)
                   else self.latent_distribution)
        return self._random(sampler, [batch_size, self.latent_dim])

    def _uniform(self, shape):
        return self._random(lambda s, seed: keras.random.uniform(s, seed=seed), shape)

    # -- class conditioning (tfgan_zoo.conditioning) ------------------------------------------------------

    # the head a conditioning given as a number of classes gets (ACGAN: "auxiliary")
    conditioning_head = "projection"

    def sample_labels(self, batch_size):
        """Class ids ``[batch_size]`` (int32) for fake images, from the model's seed and the conditioning's class
        frequencies (uniform by default)."""
        return self._random(self.conditioning.sample_labels, [batch_size])

    def fake_labels(self, latent):
        """The classes of the fakes drawn from ``latent``: read off it for a self-conditioned model
        (``Conditioning(from_latent=True)``), else drawn (:meth:`sample_labels`)."""
        if self.conditioning.from_latent:
            return self.conditioning.latent_labels(latent)
        return self.sample_labels(tf.shape(latent)[0])

    @property
    def takes_labels(self):
        """Whether the generator is called on ``[z, labels]`` (a class-conditional model whose classes are not
        read off ``z``) and ``generate`` takes ``labels``."""
        return self.conditioning is not None and not self.conditioning.from_latent

    def generator_inputs(self, latent, labels=None):
        """What the generator network is called on: ``latent``, or ``[latent, labels]`` for a conditional model
        (``latent`` alone when its classes are read off ``z``)."""
        return [latent, labels] if labels is not None and self.takes_labels else latent

    def _critic_network_inputs(self, images, labels=None):
        return images if labels is None else self.conditioning.critic_inputs(images, labels)

    def _labelled_critic(self, labels):
        """The critic as a function of images (for penalties): ``labels`` bound, the adversarial score only."""
        if labels is None:
            return self.critic
        return lambda images: self.conditioning.adversarial_output(self.critic(images, labels=labels))

    # -- hooks ------------------------------------------------------------------------------------------

    def discriminator_head(self, outputs):
        """Maps the discriminator network's outputs to what the loss reads (identity here)."""
        return outputs

    def critic(self, images, training=True, labels=None):
        """Critic outputs for images: augmentation, instance noise, PacGAN packing, the network, then the head.

        ``labels``: the images' class ids ``[batch]`` for a conditional model.

        Every critic call of the library goes through here or :meth:`critic_outputs` (which applies the same
        transformations), so ``augment`` reaches every variant; a ``train_step`` override gets it by calling
        ``self.critic`` rather than ``self.discriminator``.
        """
        return self._critic_network(self._critic_input(images, training), training, **_with_labels(labels=labels))

    def _critic_input(self, images, training=True):
        """What the critic network sees of ``images`` when training: augmented (``augment``), then noisy."""
        if self.augment is not None and training:
            images = self.augment.augment(images, self._uniform)
        return self._add_instance_noise(images, training)

    def _add_instance_noise(self, images, training=True):
        if self.instance_noise_enabled and training:
            noise = self._random(lambda s, seed: keras.random.normal(s, seed=seed), tf.shape(images))
            images = images + tf.cast(self.instance_noise_stddev, images.dtype) * noise
        return images

    def _critic_network(self, images, training=True, labels=None):
        images = pack_samples(images, self.pack_degree)
        return self.discriminator_head(self.discriminator(self._critic_network_inputs(images, labels),
                                                          training=training))

    @property
    def fuses_critic_passes(self):
        """Whether :meth:`critic_outputs` runs one concatenated critic pass (resolves ``fuse_critic_passes``)."""
        if self._fuses_critic_passes is None:
            own_critic = type(self).critic is GAN.critic
            own_head = type(self).discriminator_head is GAN.discriminator_head or self.batch_independent_head
            independent = critic_is_batch_independent(self.discriminator)
            if self.fuse_critic_passes is True and not independent:
                raise ValueError(
                    "fuse_critic_passes=True, but the discriminator has batch-coupled layers (batch normalisation, "
                    "minibatch statistics, spectral normalisation or a layer of unknown kind): one pass over real "
                    "and fake images together would change what it computes. Use fuse_critic_passes='auto', or "
                    "declare a custom layer per-sample with `batch_independent = True`.")
            if self.fuse_critic_passes != "auto":
                self._fuses_critic_passes = bool(self.fuse_critic_passes)
            else:
                from ..precision import critic_fusion_pays  # a leaf module; only the device kind is asked

                self._fuses_critic_passes = own_critic and own_head and independent and critic_fusion_pays()
        return self._fuses_critic_passes

    def critic_outputs(self, *images, training=True, labels=None):
        """``self.critic`` of each image batch, as a tuple; one pass over their concatenation when fused.

        ``labels``: for a conditional model, the class ids of each batch, a tuple aligned with ``images``.

        Augmentation and instance noise are drawn for each batch in order, as the separate calls draw them, so
        the fused and the unfused paths compute the same values. Batches are cast to the widest of their dtypes
        (16-bit fakes to float32 real images, exactly) before the concatenation; the network's first layer casts
        to its compute dtype as it would each batch alone.
        """
        labels = (None,) * len(images) if labels is None else tuple(labels)
        if len(images) == 1 or not self.fuses_critic_passes:
            return tuple(self.critic(x, training=training, **_with_labels(labels=y)) for x, y in zip(images, labels))
        noisy = [self._critic_input(x, training) for x in images]
        dtype = max((x.dtype for x in noisy), key=lambda d: tf.as_dtype(d).size)
        outputs = self._critic_network(tf.concat([tf.cast(x, dtype) for x in noisy], 0), training,
                                       **_with_labels(labels=None if labels[0] is None else tf.concat(labels, 0)))
        split, start = [], 0
        for x in images:  # PacGAN: a batch of n images gives n / pack_degree outputs
            end = start + tf.shape(x)[0] // self.pack_degree
            split.append(outputs[start:end])
            start = end
        return tuple(split)

    def discriminator_objective(self, real_images, fake_images, real_labels=None, fake_labels=None):
        """The critic's loss and the figures it reports: ``(loss, {name: scalar})``.

        ``real_labels``/``fake_labels``: the images' class ids for a conditional model (else None).
        """
        class_loss, figures = 0.0, {}
        if real_labels is None:
            real_output, fake_output = self.critic_outputs(real_images, fake_images)
        else:
            real_output, fake_output = self.critic_outputs(real_images, fake_images, labels=(real_labels, fake_labels))
            real_output, fake_output, class_loss, figures = self.conditioning.discriminator_terms(
                real_output, fake_output, real_labels, fake_labels)
        loss = self.loss_pair.discriminator(real_output, fake_output) + class_loss
        figures.update(self.critic_figures(real_output, fake_output))
        figures.update(self.adapt_augmentation(real_images, real_output, fake_output))
        if self.penalty is not None and self.penalty_weight > 0:
            penalty = self.penalty.compute(self._labelled_critic(real_labels), real_images, fake_images, self._uniform)
            figures[self.penalty.name] = penalty
            loss = loss + self.penalty_weight * penalty
        figures["d_loss"] = loss
        return loss, figures

    def critic_figures(self, real_output, fake_output):
        """Extra scalars computed from the critic outputs of one critic update (none here)."""
        return {}

    def adapt_augmentation(self, real_images, real_output, fake_output):
        """Feeds one critic update's outputs to an adaptive augmentation (:class:`tfgan_zoo.augment.ADA`), which
        adjusts its probability ``p``; returns its figures (``ada_p``, ``ada_rt``), or nothing without one."""
        if self.augment is None or not self.augment.adaptive:
            return {}
        return self.augment.observe(self.real_margins(real_output, fake_output), tf.shape(real_images)[0])

    def real_margins(self, real_output, fake_output):
        """Per-sample margins, positive where the critic judges a real sample real: ADA's ``sign(D(x))`` for
        this variant's critic (:func:`tfgan_zoo.augment.real_margins` of the loss's name)."""
        return augment_lib.real_margins(self.loss_pair.name, real_output, fake_output)

    def generator_objective(self, real_images, latent, real_labels=None, fake_labels=None):
        """The generator's loss and its figures: ``(loss, {name: scalar})``; labels as in
        :meth:`discriminator_objective` (``fake_labels`` are the generated images' requested classes)."""
        fake_images = self.generator(self.generator_inputs(latent, fake_labels), training=True)
        labels = None if fake_labels is None else (fake_labels, real_labels)
        if self.loss_pair.generator_needs_real:
            fake_output, real_output = self.critic_outputs(fake_images, real_images, **_with_labels(labels=labels))
        else:
            fake_output, real_output = self.critic(fake_images, **_with_labels(labels=fake_labels)), None
        class_loss, figures = 0.0, {}
        if fake_labels is not None:
            fake_output, real_output, class_loss, figures = self.conditioning.generator_terms(
                fake_output, real_output, fake_labels)
        loss = self.loss_pair.generator(fake_output, real_output) + class_loss
        return loss, {**figures, "g_loss": loss}

    def after_critic_update(self):
        """Runs after each critic update (WGAN clips the critic's weights here)."""

    # -- the step -----------------------------------------------------------------------------------------

    def _minimize(self, optimizer, variables, objective):
        """One optimizer step on ``objective() -> (loss, figures)``, scaled for replicas and loss scaling."""
        with tf.GradientTape() as tape:
            loss, figures = objective()
            # Each replica averages over its own slice; dividing by the replica count makes the summed
            # cross-replica gradient the gradient of the global-batch mean.
            scaled = tf.cast(loss, tf.float32) / tf.distribute.get_strategy().num_replicas_in_sync
            if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
                scaled = optimizer.scale_loss(scaled)
        gradients = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):  # that one skips non-finite steps itself
            figures = _nan_unless_finite(figures, gradients)
        return figures

    @staticmethod
    def _with_regularization(network, objective, loss_name):
        """``objective`` plus the regularisation losses of ``network`` (``network.losses``: its weight
        regularisers and the activity regularisers of its last call), also in the figure ``loss_name``."""
        def regularized():
            loss, figures = objective()
            if network.losses:
                loss = loss + tf.add_n([tf.cast(r, loss.dtype) for r in network.losses])
                figures = {**figures, loss_name: loss}
            return loss, figures
        return regularized

    def critic_update(self, real_images, real_labels=None):
        """One critic update on one real batch (and its class ids, for a conditional model); returns its figures."""
        batch = tf.shape(real_images)[0]
        latent = self.sample_latent(batch)
        fake_labels = None if real_labels is None else self.fake_labels(latent)
        fake_images = tf.stop_gradient(self.generator(self.generator_inputs(latent, fake_labels), training=True))
        labels = _with_labels(real_labels=real_labels, fake_labels=fake_labels)
        objective = self._with_regularization(
            self.discriminator, lambda: self.discriminator_objective(real_images, fake_images, **labels), "d_loss")
        figures = self._minimize(self.d_optimizer, self.discriminator.trainable_variables, objective)
        self.after_critic_update()
        return figures

    def generator_update(self, real_images, real_labels=None):
        """One generator update; ``real_images`` is the last critic batch (read by relativistic losses)."""
        batch = tf.shape(real_images)[0] * self.generator_batch_multiplier
        latent = self.sample_latent(batch)
        labels = {} if real_labels is None else {"real_labels": real_labels, "fake_labels": self.fake_labels(latent)}
        objective = self._with_regularization(
            self.generator, lambda: self.generator_objective(real_images, latent, **labels), "g_loss")
        figures = self._minimize(self.g_optimizer, self.generator.trainable_variables, objective)
        self.generator_steps.assign_add(1)
        self.update_ema()
        return figures

    def update_ema(self):
        """Averages the generator into the EMA's shadow after a generator step (:meth:`GeneratorEMA.update`; a
        ``train_step`` override calls it after its generator update)."""
        if self.ema is not None:
            self.ema.update(self.generator_steps)

    @property
    def groups_critic_batches(self):
        """Whether ``fit`` hands ``train_step`` the step's ``n_critic`` batches grouped, ``[batch, n_critic, ...]``.

        True unless a subclass overrides ``train_step``: an override gets the keras-io contract, one element of
        the dataset per step (``[batch, ...]`` images, or ``(images, labels)`` as the dataset yields them).
        """
        return type(self).train_step is GAN.train_step

    def train_step(self, data):
        """One ``fit`` step: :meth:`train_iteration` on the step's real batches.

        The keras-io contract for subclasses: a class that overrides ``train_step`` receives one element of the
        dataset per step, real images ``[batch, ...]`` (or ``(images, labels)``), and runs its own updates with
        ``self.d_optimizer``, ``self.g_optimizer``, ``self.sample_latent``, ``self.critic`` and the trackers of
        ``self.metrics`` (one per name in ``figure_names``). If it calls ``super().train_step(data)``, that one
        batch serves all ``n_critic`` critic updates (as keras-io's WGAN-GP does); to keep a batch per critic
        update, override :meth:`train_iteration` instead. Without an override, ``fit`` groups ``n_critic``
        batches per step (see :func:`group_critic_batches`) and this method splits them.
        """
        if self.d_optimizer is None:
            raise RuntimeError("Call model.compile(d_optimizer=..., g_optimizer=...) before fit().")
        real, labels = (data[0], data[1]) if self.conditioning is not None else (_drop_labels(data), None)
        if not self.groups_critic_batches and self.n_critic > 1:
            warnings.warn(f"{type(self).__name__} overrides train_step, so fit hands it one batch per step and "
                          f"GAN.train_step uses that batch for all n_critic={self.n_critic} critic updates; override "
                          "train_iteration(real_batches) instead to give each critic update its own batch.",
                          UserWarning, stacklevel=2)
        # Every update waits for the data: at the end of a dataset of unknown length Keras runs the step once more
        # on an exhausted iterator, and the updates that do not read the real images (the generator's, the
        # counters, the random stream) would otherwise run then.
        with tf.control_dependencies([real]):
            self._real_peak.assign(tf.reduce_max(tf.abs(tf.cast(real, tf.float32))))
            if self.groups_critic_batches and labels is not None:
                return self.train_iteration([real[:, i] for i in range(self.n_critic)],
                                            label_batches=[labels[:, i] for i in range(self.n_critic)])
            if self.groups_critic_batches:
                return self.train_iteration([real[:, i] for i in range(self.n_critic)])
            return self.train_iteration([real] * self.n_critic)

    def train_iteration(self, real_batches, label_batches=None):
        """One generator iteration: a critic update on each of ``real_batches`` (``n_critic`` tensors
        ``[batch, ...]``), then a generator update; updates the trackers and returns their results (the logs).
        ``label_batches``: a conditional model's class ids of each batch (``[batch]`` each).

        The hook for a variant that adds work around the whole loop (ProGAN's schedule, RealnessGAN's anchors)
        while keeping one real batch per critic update.
        """
        figures = {}
        for real_images, real_labels in zip(real_batches, label_batches or [None] * len(real_batches)):
            figures.update(self.critic_update(real_images, **_with_labels(real_labels=real_labels)))
        figures.update(self.generator_update(real_images, **_with_labels(real_labels=real_labels)))
        if self.instance_noise_enabled:
            figures["instance_noise_stddev"] = self.instance_noise_stddev
        if "d_loss" in figures and "g_loss" in figures:
            figures.setdefault("loss", tf.cast(figures["d_loss"], tf.float32) + tf.cast(figures["g_loss"], tf.float32))
        for name, tracker in self._trackers.items():
            if name in figures:
                tracker.update_state(tf.cast(figures[name], tf.float32))
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    # -- fit with checks ------------------------------------------------------------------------------------

    def _check_images(self, images_spec_shape, dtype):
        expected = self.sample_shape
        got = tuple(images_spec_shape[1:])
        if len(got) != len(expected) or any(g is not None and g != e for g, e in zip(got, expected)):
            raise ValueError(f"The data's images have shape {got} but the generator makes {expected}. Resize "
                             f"the data (e.g. tfgan_zoo.data.from_numpy(..., image_size=...)) or build nets for {got}.")
        if not tf.as_dtype(dtype).is_floating:
            raise ValueError(f"The data's images are {tf.as_dtype(dtype).name}; the GAN expects floats in [-1, 1]. "
                             "Scale them, e.g. images.astype('float32') / 127.5 - 1, or load through tfgan_zoo.data.")

    def _check_array(self, x):
        """NaN/Inf are errors; images (``[n, h, w(, c)]``, not points) outside [-1, 1] get a warning."""
        if not np.issubdtype(x.dtype, np.floating):
            return
        if not np.isfinite(x).all():
            raise ValueError(f"The training images contain {int((~np.isfinite(x)).sum())} NaN/Inf values; "
                             "clean or drop those samples before fit().")
        low, high = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
        if x.ndim >= 3 and (low < -1.01 or high > 1.01):
            _warn_out_of_range(f"range over [{low:g}, {high:g}]", high > 10.0 and low >= 0.0, stacklevel=5)

    def prepare_dataset(self, x, batch_size=None):
        """Turns ``fit``'s ``x`` (a ``tf.data.Dataset`` of batches, or a numpy array) into what ``train_step``
        reads: critic groups (:func:`group_critic_batches`), or the batches as they are when a subclass
        overrides ``train_step`` (see :attr:`groups_critic_batches`)."""
        if batch_size is not None:
            check_positive_int("batch_size", batch_size, "It is the number of images per batch of a numpy x "
                                "(default 32).")
        if isinstance(x, np.ndarray) and self.conditioning is not None:
            raise ValueError("A class-conditional model trains on a dataset of (images, labels) batches, e.g. "
                             "tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(len(images)).batch(64), "
                             "or tfgan_zoo.data.mnist(labels=True); a numpy x has no labels.")
        if isinstance(x, np.ndarray):
            self._check_array(x)
            x = tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=self.seed).batch(
                batch_size or 32, drop_remainder=True)
        elif batch_size is not None:
            raise ValueError(f"batch_size={batch_size!r} applies to a numpy x; a tf.data.Dataset is batched "
                             "already: batch it with dataset.batch(...) and leave batch_size out.")
        if not isinstance(x, tf.data.Dataset):
            raise TypeError(f"fit(x=...) takes a tf.data.Dataset of image batches or a numpy array of images; "
                            f"got {type(x).__name__}.")
        spec = x.element_spec
        spec = spec[0] if isinstance(spec, (tuple, list)) else spec
        if not isinstance(spec, tf.TensorSpec):
            keys = f" with keys {sorted(spec)}" if isinstance(spec, dict) else ""
            raise TypeError(f"fit(x=...) takes a dataset of image batches or (images, labels) batches; got elements "
                            f"of type {type(spec).__name__}{keys}. Map it first, e.g. "
                            "dataset.map(lambda element: element['image']).")
        if spec.shape.rank is not None and spec.shape.rank >= 2:
            self._check_images(spec.shape, spec.dtype)
        if self.groups_critic_batches:
            x = group_critic_batches(x, self.n_critic, num_classes=getattr(self.conditioning, "num_classes", None))
            spec = x.element_spec  # the batch size is static after grouping
            spec = spec[0] if isinstance(spec, tuple) else spec
        batch = spec.shape[0] if spec.shape.rank else None
        if self.pack_degree > 1 and batch is not None and batch % self.pack_degree:
            raise ValueError(f"batch size {batch} is not divisible by pack_degree={self.pack_degree}; "
                             f"use a batch size that is a multiple of {self.pack_degree}.")
        return x

    def fit(self, x=None, y=None, batch_size=None, epochs=1, **kwargs):
        """``keras.Model.fit`` over a dataset of image batches (labels ignored); one step = one generator update.

        ``x``: a ``tf.data.Dataset`` yielding ``images`` or ``(images, labels)`` batches, or a numpy array of
        images in [-1, 1] (batched with ``batch_size``, default 32; images outside [-1, 1] get a warning). Each
        step consumes ``n_critic`` batches (one, when a subclass overrides ``train_step``). An infinite dataset
        (``repeat()``) needs ``steps_per_epoch``.
        """
        if self.d_optimizer is None:
            raise RuntimeError("Call model.compile(d_optimizer=..., g_optimizer=...) before fit(); "
                               "model.compile() with no arguments uses the variant's paper defaults.")
        kwargs.setdefault("shuffle", False)  # the dataset shuffles itself; Keras cannot shuffle a Dataset
        dataset = self.prepare_dataset(x, batch_size)
        # A resumed fit (BackupAndRestore, initial_epoch) must read the elements the uninterrupted run read at
        # that epoch; a DataStream puts one positioned iterator under Keras (see tfgan_zoo.callbacks.DataStream).
        cardinality = int(dataset.cardinality())
        if cardinality == 0:
            raise ValueError(f"fit(x=...) got no training step: the dataset is empty or has fewer than n_critic="
                             f"{self.n_critic} full batches (each step reads n_critic batches; short batches are "
                             "dropped). Use more data or a smaller batch size.")
        infinite = cardinality == tf.data.INFINITE_CARDINALITY
        if infinite and not kwargs.get("steps_per_epoch"):
            raise ValueError("fit(x=...) got an infinite dataset (repeat()) and no steps_per_epoch, so an epoch would "
                             "never end; pass steps_per_epoch=... (generator steps per epoch), or drop repeat().")
        if isinstance(x, tf.data.Dataset) and len(self.sample_shape) >= 2 and self.groups_critic_batches:
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [_RealRangeCheck()]
        if (cardinality > 0 or infinite) and not tf.distribute.has_strategy() \
                and getattr(self, "_distribute_strategy", None) is None:
            stream = DataStream(dataset, kwargs.get("steps_per_epoch"))
            kwargs["steps_per_epoch"] = stream.steps_per_epoch
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [stream]
            dataset = stream.stream
        return super().fit(dataset, epochs=epochs, **kwargs)

    # -- sampling and export -----------------------------------------------------------------------------

    @property
    def sampling_generator(self):
        """The generator used for samples, evaluation and export: the EMA copy when enabled."""
        return self.ema.shadow if self.ema is not None else self.generator

    def call(self, latent, training=False):
        return self.sampling_generator(latent, training=training)

    def generate(self, n_or_latent, batch_size=256, seed=None, labels=None):
        """Images from the sampling generator, as a float32 numpy array.

        Args:
          n_or_latent: a count ``n`` (``z`` is drawn from the latent distribution, with ``seed`` if given), or an
            array ``z`` of shape ``[n, latent_dim]``.
          batch_size: images generated per call.
          seed: integer seed for drawing ``z`` when a count is given (the model's own stream when None).
          labels: a conditional model's requested classes: one class id for all images, or ``n`` ids (a list or
            an array; one-hot accepted). None: the classes in turn, ``0, 1, ..., K-1, 0, ...`` (balanced).
        """
        if isinstance(n_or_latent, (int, np.integer)):
            n = check_positive_int("n", n_or_latent, "Ask for at least one image.")
            if seed is None:
                latent = keras.ops.convert_to_numpy(self.sample_latent(n))
            else:
                sampler = (_LATENT_SAMPLERS[self.latent_distribution] if isinstance(self.latent_distribution, str)
                           else self.latent_distribution)
                latent = keras.ops.convert_to_numpy(sampler([n, self.latent_dim], keras.random.SeedGenerator(seed)))
        else:
            latent = np.asarray(n_or_latent, dtype=np.float32)
            if latent.ndim != 2 or latent.shape[1] != self.latent_dim:
                raise ValueError(f"z has shape {latent.shape}; generate expects [n, {self.latent_dim}] "
                                 f"(latent_dim={self.latent_dim}) or a count n.")
        if labels is not None and self.conditioning is not None and not self.takes_labels:
            raise ValueError(f"labels={labels!r}: this model reads each image's class off its latent z "
                             "(Conditioning(from_latent=True)), so it takes no labels; pass z to choose images.")
        labels = conditioning_lib.requested_labels(labels, self._generator_classes, len(latent))
        outputs = [self._generate_batch(tf.constant(latent[i:i + batch_size]),
                                        **_with_labels(labels=None if labels is None else tf.constant(labels[i:i + batch_size])))
                   for i in range(0, len(latent), batch_size)]
        return np.concatenate([keras.ops.convert_to_numpy(o) for o in outputs]).astype(np.float32)

    def generate_per_class(self, per_class, batch_size=256, seed=None):
        """``per_class`` images of every class, class by class: ``[num_classes * per_class, ...]``, the images of
        class ``c`` at rows ``c * per_class ...``; one grid row per class with ``rows=num_classes``."""
        if not self.takes_labels:
            raise ValueError(f"generate_per_class: the generator of {type(self).__name__} takes no labels (it is not "
                             "class-conditional, or reads its classes off z).")
        per_class = check_positive_int("per_class", per_class, "Ask for at least one image per class.")
        labels = np.repeat(np.arange(self.conditioning.num_classes), per_class)
        return self.generate(len(labels), batch_size=batch_size, seed=seed, labels=labels)

    @property
    def _generator_classes(self):
        # the classes a caller may request of the generator; None when it takes z alone
        return self.conditioning.num_classes if self.takes_labels else None

    @tf.function(reduce_retracing=True)
    def _generate_batch(self, latent, labels=None):
        return tf.cast(self.sampling_generator(self.generator_inputs(latent, labels), training=False), tf.float32)

    def export_generator(self, path):
        """Writes the sampling generator as a TensorFlow SavedModel with two signatures.

        * ``serving_default(z: float32 [n, latent_dim]) -> {"images": float32 [n, ...]}``;
        * ``sample(count: int32 [], seed: int64 []) -> {"images", "z"}`` drawing ``z`` with
          ``tf.random.stateless_normal`` (or uniform in [-1, 1] for ``latent_distribution="uniform"``).

        The SavedModel needs only TensorFlow to load: ``tf.saved_model.load(path).signatures["serving_default"]``.
        """
        from ..export import export_generator  # the export layer sits right of the model layer

        return export_generator(self.sampling_generator, path, self.latent_dim,
                                self.latent_distribution if isinstance(self.latent_distribution, str) else "normal",
                                **_with_labels(num_classes=self._generator_classes))

    # -- serialisation ---------------------------------------------------------------------------------------

    def get_config(self):
        if not isinstance(self.latent_distribution, str):
            raise ValueError("A GAN with a callable latent_distribution cannot be serialised; use 'normal' or "
                             "'uniform', or subclass GAN and override sample_latent.")
        config = {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "latent_distribution": self.latent_distribution,
            "n_critic": self.n_critic,
            # the class default is restored by the class itself, so a custom default LossPair needs no registry
            "loss": None if self.loss_pair == losses_lib.get_loss(self.default_loss) else self.loss_pair.name,
            "penalty": None if self.penalty is None else self.penalty.name,
            "penalty_weight": self.penalty_weight,
            "generator_batch_multiplier": self.generator_batch_multiplier,
            "pack_degree": self.pack_degree,
            "instance_noise": self.instance_noise_initial,
            "ema_decay": self.ema_decay,
            "ema_start": self.ema_start,
            "seed": self.seed,
            "fuse_critic_passes": self.fuse_critic_passes,
            "conditioning": None if self.conditioning is None else self.conditioning.get_config(),
            "augment": None if self.augment is None else keras.saving.serialize_keras_object(self.augment),
            "name": self.name,
        }
        if config["loss"] is None and self.loss_pair != losses_lib.get_loss(self.default_loss):
            raise ValueError("A GAN with a custom loss tuple cannot be serialised by name; register it as a "
                             "LossPair with a name, or override get_config.")
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)

    def save_own_variables(self, store):
        """Keras's variables of the model itself, plus the seed generator's state (Keras 3 does not save it).

        With it, ``save_weights``/``load_weights`` (and so ``BackupAndRestore``) resume the model's random
        stream where it stopped, which a bit-exact resumed run needs.
        """
        super().save_own_variables(store)
        store[_SEED_STATE_KEY] = self.seed_generator.state

    def load_own_variables(self, store):
        own = {key: store[key] for key in store.keys() if key != _SEED_STATE_KEY}
        super().load_own_variables(own)
        if _SEED_STATE_KEY in store.keys():  # absent in files written before it was saved
            self.seed_generator.state.assign(store[_SEED_STATE_KEY])

    def get_compile_config(self):
        """The arguments of :meth:`compile` (both optimizers serialised), or None for an uncompiled model.

        ``model.save`` stores them, and ``keras.saving.load_model`` passes them to :meth:`compile_from_config`
        before it loads the variables, so the loaded optimizers get the saved slots and iteration counts.
        """
        if self.d_optimizer is None:
            return None
        return {"d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
                "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
                **self._compile_arguments}

    def compile_from_config(self, config):
        """Compiles with the arguments :meth:`get_compile_config` saved (optimizers of the saved class and
        config; their variables are loaded afterwards by ``load_model``)."""
        config = dict(config)
        for role in ("d_optimizer", "g_optimizer"):
            config[role] = keras.saving.deserialize_keras_object(config[role])
        self.compile(**config)
