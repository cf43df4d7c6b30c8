"""Progressive growing of GANs (Karras, Aila, Laine, Lehtinen, ICLR 2018): :class:`ProGAN` and its networks.

Training starts at 4x4 and doubles the resolution of both networks phase by phase (4 -> 8 -> ... -> R). Each
new block is faded in smoothly: during the fade-in the output is ``(1 - alpha) * old + alpha * new`` with
``alpha`` rising linearly from 0 to 1 over ``fade_images`` real images, then the networks are stabilised for
``stable_images`` images (the paper: 800k and 800k; the first 4x4 phase has no fade-in).

How it fits the zoo's single training loop:

* Both networks are built once, with every resolution's layers; the current ``phase`` (0 for 4x4) and
  ``alpha`` are non-trainable variables of each network, so one traced ``train_step`` serves every phase
  (``tf.switch_case`` runs only the active phase's layers) and the phase is saved with the weights.
* The generator always returns images at the final resolution (the current one upsampled by nearest
  neighbour) and the critic always takes final-resolution images (it average-pools them to the current
  resolution first), as the official code does; so one ``tf.data`` pipeline at the final resolution feeds
  every phase. The real images are average-pooled to the current resolution inside the step, and during a
  fade-in blended with their half-resolution version by the same ``alpha`` (the official ``process_reals``).
* :class:`ProGAN` keeps ``images_seen`` (real images shown to the critic) and derives ``phase`` and ``alpha``
  from it at the start of every step (:func:`progressive_schedule`); at each growth it resets both Adam
  optimisers (the official ``reset_opt_for_new_lod``). ``model.save_weights`` / ``.keras`` / ``BackupAndRestore``
  therefore resume in the middle of a phase exactly where the run stopped.
* The loss is WGAN-GP's (λ = 10, from :class:`WGANGP`) plus the drift term ``epsilon_drift * E[D(x)^2]``
  (appendix A.1, ``epsilon_drift = 0.001``); everything else is :class:`GAN`'s loop.
"""
from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from ..checks import check_non_negative_int, check_positive_int
from ..layers.progan import (HE_GAIN, EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStandardDeviation,
                             PixelNormalization, downscale2d, fade_in, upscale2d)
from .wgan import WGANGP

__all__ = ["ProGAN", "ProgressiveGenerator", "ProgressiveDiscriminator", "progressive_schedule",
           "progressive_filters", "fade_real_images"]

START_RESOLUTION = 4
_LEAKY_SLOPE = 0.2          # LeakyReLU(0.2) in both networks (appendix A.1)
# The official code's feature-map counts: nf(resolution) = min(2 * fmap_base / resolution, fmap_max).
PAPER_FMAP_BASE = 8192
PAPER_FMAP_MAX = 512


def progressive_filters(resolution, fmap_base=PAPER_FMAP_BASE, fmap_max=PAPER_FMAP_MAX):
    """Feature maps of the block at ``resolution``: ``min(2 * fmap_base // resolution, fmap_max)``, at least 1.

    With the paper's ``fmap_base = 8192, fmap_max = 512``: 512 up to 32x32, 256 at 64, 128 at 128 (Table 2).
    """
    return max(1, min(2 * fmap_base // resolution, fmap_max))


def _num_phases(resolution, argument="resolution"):
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < START_RESOLUTION \
            or resolution & (resolution - 1):
        raise ValueError(f"{argument}={resolution!r} must be a power of two >= 4 (e.g. 32 for MNIST padded or "
                         "resized from 28 to 32 px).")
    return int(math.log2(resolution)) - 1


def _leaky(x):
    return tf.nn.leaky_relu(x, _LEAKY_SLOPE)


def _layer_seed(seed, i):
    return None if seed is None else seed + i


def progressive_schedule(images_seen, num_phases, fade_images, stable_images):
    """``(phase, alpha)`` after ``images_seen`` real images (Karras et al. 2018, appendix A.1).

    Phase 0 (4x4) lasts ``stable_images``; each later phase ``p`` starts at
    ``stable_images + (p - 1) * (fade_images + stable_images)``, fades its block in over ``fade_images``
    (``alpha = (images_seen - start) / fade_images``) and then holds ``alpha = 1`` for ``stable_images``. The
    last phase lasts for ever. Works on Python numbers (returns ``(int, float)``) and on tensors.

    Args:
      images_seen: real images shown to the critic so far.
      num_phases: resolutions in the schedule (4 for 4 -> 32).
      fade_images, stable_images: the lengths above (the paper: 800,000 each).
    """
    period = fade_images + stable_images
    if isinstance(images_seen, (int, np.integer)):
        if images_seen < stable_images:
            return 0, 1.0
        phase = min(num_phases - 1, 1 + (int(images_seen) - stable_images) // period)
        start = stable_images + (phase - 1) * period
        alpha = 1.0 if fade_images == 0 else min(1.0, (int(images_seen) - start) / fade_images)
        return int(phase), float(alpha)
    seen = tf.cast(images_seen, tf.int64)
    grown = tf.minimum(tf.constant(num_phases - 1, tf.int64),
                       1 + tf.math.floordiv(tf.maximum(seen - stable_images, 0), period))
    phase = tf.where(seen < stable_images, tf.constant(0, tf.int64), grown)
    start = stable_images + (phase - 1) * period
    if fade_images == 0:
        alpha = tf.constant(1.0)
    else:
        alpha = tf.clip_by_value(tf.cast(seen - start, tf.float64) / fade_images, 0.0, 1.0)
    alpha = tf.where(phase == 0, tf.constant(1.0, tf.float64), tf.cast(alpha, tf.float64))
    return tf.cast(phase, tf.int32), tf.cast(alpha, tf.float32)


def fade_real_images(images, phase, alpha, num_phases):
    """Real images as the critic sees them in ``phase`` (the official code's ``process_reals``).

    ``images`` at the final resolution ``R`` are average-pooled to the phase's resolution ``r``; during the
    fade-in they are blended with their own ``r / 2`` version (pooled, then upsampled):
    ``(1 - alpha) * up(down(x_r)) + alpha * x_r``; the result is upsampled back to ``R`` by nearest neighbour.

    Args:
      images: ``[batch, R, R, c]``.
      phase: int scalar (tensor or int), 0 for 4x4.
      alpha: float scalar in [0, 1].
      num_phases: ``log2(R) - 1``.
    """
    def at(p):
        factor = 2 ** (num_phases - 1 - p)
        current = downscale2d(images, factor)
        if p > 0:
            current = fade_in(upscale2d(downscale2d(current, 2), 2), current, alpha)
        return upscale2d(current, factor)

    if isinstance(phase, (int, np.integer)):
        return at(int(phase))
    branches = [lambda p=p: at(p) for p in range(num_phases)]
    return tf.switch_case(tf.cast(tf.convert_to_tensor(phase), tf.int32), branches)


class _Progressive(keras.Model):
    """Shared parts of the two growing networks: ``phase``/``alpha`` variables and the phase switch."""

    def __init__(self, resolution, channels, fmap_base, fmap_max, seed, **kwargs):
        super().__init__(**kwargs)
        self.num_phases = _num_phases(resolution)
        check_positive_int("channels", channels, "Use 1 for grey images, 3 for colour.")
        check_positive_int("fmap_base", fmap_base, "The paper uses 8192; e.g. 256 for a CPU-sized net.")
        check_positive_int("fmap_max", fmap_max, "The paper uses 512; e.g. 64 for a CPU-sized net.")
        self.resolution, self.channels = int(resolution), int(channels)
        self.fmap_base, self.fmap_max, self.seed = int(fmap_base), int(fmap_max), seed
        self.resolutions = [START_RESOLUTION * 2 ** p for p in range(self.num_phases)]
        self.filters = [progressive_filters(r, fmap_base, fmap_max) for r in self.resolutions]
        self.phase = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False, name="phase")
        self.alpha = self.add_weight(shape=(), initializer="ones", trainable=False, name="alpha")
        self.fade = FadeIn(name="fade_in")

    def set_phase(self, phase, alpha=1.0):
        """Sets the active resolution ``4 * 2**phase`` and the fade-in weight ``alpha`` of the new block."""
        if isinstance(phase, bool) or not isinstance(phase, (int, np.integer)) or not 0 <= phase < self.num_phases:
            raise ValueError(f"phase={phase!r} must be an integer in [0, {self.num_phases - 1}] (resolutions "
                             f"{self.resolutions}).")
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha={alpha!r} must be in [0, 1] (0: the old path only, 1: the new block only).")
        self.phase.assign(int(phase))
        self.alpha.assign(float(alpha))

    @property
    def current_resolution(self):
        """The resolution of the active phase, ``4 * 2**phase``."""
        return self.resolutions[int(keras.ops.convert_to_numpy(self.phase))]

    def _build_every_phase(self, dummy):
        # Create every variable eagerly, outside any tf.switch_case branch (variables cannot be created there).
        with tf.init_scope():
            for p in range(self.num_phases):
                self.forward(dummy, p, 1.0)
        self.built = True

    def call(self, inputs, training=False):
        phase = tf.convert_to_tensor(self.phase)
        return tf.switch_case(phase, [lambda p=p: self.forward(inputs, p, self.alpha) for p in range(self.num_phases)])

    def forward(self, inputs, phase, alpha):
        """The network at a fixed (Python int) ``phase`` with fade-in weight ``alpha``."""
        raise NotImplementedError

    def get_config(self):
        return {"resolution": self.resolution, "channels": self.channels, "fmap_base": self.fmap_base,
                "fmap_max": self.fmap_max, "seed": self.seed, "name": self.name}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class ProgressiveGenerator(_Progressive):
    """The ProGAN generator (Karras et al. 2018, Table 2), every resolution built, one active at a time.

    ``z -> PixelNorm -> EqualizedDense(4*4*f) -> LReLU -> PixelNorm -> Conv3x3 -> LReLU -> PixelNorm`` (4x4),
    then per resolution ``Upsample(nearest) -> 2 x (Conv3x3 -> LReLU(0.2) -> PixelNorm)``; ``toRGB`` is a 1x1
    equalised convolution (gain 1, linear output, as the paper). In phase ``p > 0`` the output is
    ``FadeIn(upsample(toRGB_{p-1}(h_{p-1})), toRGB_p(h_p), alpha)``. The image at ``4 * 2**p`` is upsampled by
    nearest neighbour to ``resolution``, so the output shape never changes.

    Args:
      resolution: final side, a power of two >= 4 (32 for MNIST resized to 32 px).
      channels: image channels. Default 1.
      latent_dim: size of ``z`` (the paper: 512).
      fmap_base, fmap_max: feature maps ``min(2 * fmap_base / r, fmap_max)`` at resolution ``r``; the paper's
        8192 and 512 (defaults). E.g. 256 and 64 give 64, 64, 32, 16 maps at 4, 8, 16, 32 px, for CPUs.
      seed: seed of the N(0, 1) weight initialisers (None: random).
      name: model name.

    Shapes: ``[batch, latent_dim] -> [batch, resolution, resolution, channels]``.
    """

    def __init__(self, resolution=32, channels=1, latent_dim=512, fmap_base=PAPER_FMAP_BASE,
                 fmap_max=PAPER_FMAP_MAX, seed=None, name="progressive_generator", **kwargs):
        super().__init__(resolution, channels, fmap_base, fmap_max, seed, name=name, **kwargs)
        self.latent_dim = check_positive_int("latent_dim", latent_dim, "The paper uses 512.")
        f0 = self.filters[0]
        self.pixel_norm = PixelNormalization(name="pixel_norm")
        # The official code's gain for the latent -> 4x4 layer: sqrt(2) / 4.
        self.project = EqualizedDense(START_RESOLUTION * START_RESOLUTION * f0, gain=HE_GAIN / 4,
                                      seed=_layer_seed(seed, 0), name="project_4x4")
        self.convs = [[EqualizedConv2D(f0, 3, seed=_layer_seed(seed, 1), name="conv_4x4")]]
        for p in range(1, self.num_phases):
            r = self.resolutions[p]
            self.convs.append([EqualizedConv2D(self.filters[p], 3, seed=_layer_seed(seed, 10 * p + i),
                                               name=f"conv{i}_{r}x{r}") for i in range(2)])
        self.to_rgb = [EqualizedConv2D(channels, 1, gain=1.0, seed=_layer_seed(seed, 10 * p + 5),
                                       name=f"to_rgb_{r}x{r}") for p, r in enumerate(self.resolutions)]
        self._build_every_phase(tf.zeros([1, self.latent_dim]))

    def _features(self, z, phase):
        """Feature maps of every block up to ``phase`` (a list, one per resolution)."""
        x = self.project(self.pixel_norm(z))
        x = self.pixel_norm(_leaky(tf.reshape(x, [-1, START_RESOLUTION, START_RESOLUTION, self.filters[0]])))
        features = [self.pixel_norm(_leaky(self.convs[0][0](x)))]
        for p in range(1, phase + 1):
            x = upscale2d(features[-1], 2)
            for conv in self.convs[p]:
                x = self.pixel_norm(_leaky(conv(x)))
            features.append(x)
        return features

    def forward(self, inputs, phase, alpha):
        features = self._features(inputs, phase)
        images = self.to_rgb[phase](features[phase])
        if phase > 0:
            images = self.fade([upscale2d(self.to_rgb[phase - 1](features[phase - 1]), 2), images], alpha=alpha)
        return tf.cast(upscale2d(images, 2 ** (self.num_phases - 1 - phase)), tf.float32)

    @property
    def input_shape(self):
        return (None, self.latent_dim)

    @property
    def output_shape(self):
        return (None, self.resolution, self.resolution, self.channels)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class ProgressiveDiscriminator(_Progressive):
    """The ProGAN critic (Karras et al. 2018, Table 2), the mirror of :class:`ProgressiveGenerator`.

    ``fromRGB`` (1x1 conv, LReLU) at the active resolution, then per resolution ``Conv3x3 -> LReLU -> Conv3x3
    -> LReLU -> AvgPool 2x2`` down to 4x4, then ``MinibatchStdDev -> Conv3x3 -> LReLU -> Dense(f) [the 4x4
    conv] -> LReLU -> Dense(1)`` (linear, gain 1). In phase ``p > 0`` the input of block ``p - 1`` is
    ``FadeIn(fromRGB_{p-1}(avgpool(x)), block_p(fromRGB_p(x)), alpha)``. Inputs are final-resolution images,
    average-pooled to the active resolution first. No normalisation (WGAN-GP's penalty is per sample).

    Args:
      resolution, channels, fmap_base, fmap_max, seed, name: as :class:`ProgressiveGenerator`.
      group_size: minibatch-stddev group size (4, the official code). The batch size must be a multiple of it.

    Shapes: ``[batch, resolution, resolution, channels] -> [batch, 1]``.
    """

    def __init__(self, resolution=32, channels=1, fmap_base=PAPER_FMAP_BASE, fmap_max=PAPER_FMAP_MAX,
                 group_size=4, seed=None, name="progressive_discriminator", **kwargs):
        super().__init__(resolution, channels, fmap_base, fmap_max, seed, name=name, **kwargs)
        self.group_size = check_positive_int("group_size", group_size, "The paper's official code uses 4.")
        seed = None if seed is None else seed + 1000
        self.from_rgb = [EqualizedConv2D(self.filters[p], 1, seed=_layer_seed(seed, 10 * p), name=f"from_rgb_{r}x{r}")
                         for p, r in enumerate(self.resolutions)]
        self.convs = [None]
        for p in range(1, self.num_phases):
            r = self.resolutions[p]
            self.convs.append([EqualizedConv2D(self.filters[p], 3, seed=_layer_seed(seed, 10 * p + 1),
                                               name=f"conv0_{r}x{r}"),
                               EqualizedConv2D(self.filters[p - 1], 3, seed=_layer_seed(seed, 10 * p + 2),
                                               name=f"conv1_{r}x{r}")])
        f0 = self.filters[0]
        self.minibatch_stddev = MinibatchStandardDeviation(group_size, name="minibatch_stddev")
        self.conv_4x4 = EqualizedConv2D(f0, 3, seed=_layer_seed(seed, 3), name="conv_4x4")
        self.dense_4x4 = EqualizedDense(f0, seed=_layer_seed(seed, 4), name="dense_4x4")
        self.score = EqualizedDense(1, gain=1.0, seed=_layer_seed(seed, 5), name="score")
        self._build_every_phase(tf.zeros([1, self.resolution, self.resolution, self.channels]))

    def _block(self, x, phase):
        for conv in self.convs[phase]:
            x = _leaky(conv(x))
        return downscale2d(x, 2)

    def forward(self, inputs, phase, alpha):
        images = downscale2d(tf.cast(inputs, self.compute_dtype), 2 ** (self.num_phases - 1 - phase))
        x = _leaky(self.from_rgb[phase](images))
        if phase > 0:
            x = self._block(x, phase)
            x = self.fade([_leaky(self.from_rgb[phase - 1](downscale2d(images, 2))), x], alpha=alpha)
        for p in range(phase - 1, 0, -1):
            x = self._block(x, p)
        x = _leaky(self.conv_4x4(self.minibatch_stddev(x)))
        x = _leaky(self.dense_4x4(tf.reshape(x, [-1, START_RESOLUTION * START_RESOLUTION * self.filters[0]])))
        return tf.cast(self.score(x), tf.float32)

    @property
    def input_shape(self):
        return (None, self.resolution, self.resolution, self.channels)

    @property
    def output_shape(self):
        return (None, 1)

    # The minibatch-stddev feature couples the samples of a batch: real and fake batches go through it apart.
    batch_independent = False

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


def _adam_progan():
    # Appendix A.1: Adam with alpha = 0.001, beta_1 = 0, beta_2 = 0.99, epsilon = 1e-8.
    return {"class_name": "Adam", "config": {"learning_rate": 1e-3, "beta_1": 0.0, "beta_2": 0.99, "epsilon": 1e-8}}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class ProGAN(WGANGP):
    """Progressive growing of GANs (Karras, Aila, Laine, Lehtinen, ICLR 2018).

    The critic minimises the WGAN-GP loss plus the drift term,
    ``E[D(G(z))] - E[D(x)] + lambda * E[(||grad D(x_hat)|| - 1)^2] + epsilon_drift * E[D(x)^2]``, the generator
    ``-E[D(G(z))]``; both networks grow from 4x4 to the final resolution (see the module docstring for how
    the phase and the fade-in weight ``alpha`` follow ``images_seen``).

    Paper defaults (appendix A.1 and the official code): ``lambda = 10``, ``epsilon_drift = 0.001``,
    ``n_critic = 1``, Adam(1e-3, beta_1=0, beta_2=0.99, epsilon=1e-8) for both networks, reset at each
    growth, 800k images of fade-in and 800k of stabilisation per resolution, minibatch 16 up to 128 px,
    generator EMA with decay 0.999 for sampling (``ema_decay``), latent 512 on the unit hypersphere
    (pixel-normalised ``z``).

    Args:
      generator: a :class:`ProgressiveGenerator`.
      discriminator: a :class:`ProgressiveDiscriminator` of the same resolution and channels.
      latent_dim: the generator's ``latent_dim`` when None.
      fade_images: real images over which ``alpha`` goes from 0 to 1 after each growth (800,000).
      stable_images: real images of stabilisation per resolution, and of the first 4x4 phase (800,000).
      drift_weight: ``epsilon_drift`` (0.001).
      reset_optimizers_on_growth: zero both optimisers' moments and step counters when a phase starts
        (the official code's ``reset_opt_for_new_lod = True``). Default True.
      ema_decay: generator EMA decay (0.999, the paper's); None disables it.
      **kwargs: other :class:`GAN` arguments (``seed``, ``penalty_weight``, ...).

    Attributes:
      images_seen: int64 variable, real images shown to the critic (saved with the weights).
      num_phases: resolutions in the schedule; :meth:`schedule_length` is the number of images until the last
        phase has faded in and stabilised once.
    """

    default_n_critic = 1
    default_discriminator_optimizer = _adam_progan()
    default_generator_optimizer = _adam_progan()
    default_drift_weight = 1e-3
    default_phase_images = 800_000

    def __init__(self, generator, discriminator, latent_dim=None, *, fade_images=default_phase_images,
                 stable_images=default_phase_images, drift_weight=default_drift_weight,
                 reset_optimizers_on_growth=True, ema_decay=0.999, **kwargs):
        if not isinstance(generator, ProgressiveGenerator):
            raise ValueError(f"generator must be a tfgan_zoo.models.progan.ProgressiveGenerator (it grows with the "
                             f"phase); got {type(generator).__name__}.")
        if not isinstance(discriminator, ProgressiveDiscriminator):
            raise ValueError(f"discriminator must be a tfgan_zoo.models.progan.ProgressiveDiscriminator; got "
                             f"{type(discriminator).__name__}.")
        if (generator.resolution, generator.channels) != (discriminator.resolution, discriminator.channels):
            found = (discriminator.resolution, discriminator.channels)
            wanted = (generator.resolution, generator.channels)
            raise ValueError(f"the discriminator's (resolution, channels) = {found} do not match the generator's "
                             f"{wanted}; build both with the same values.")
        for name, value in (("fade_images", fade_images), ("stable_images", stable_images)):
            check_non_negative_int(name, value, "It is a number of real images; the paper uses 800000.")
        if int(stable_images) + int(fade_images) == 0:
            raise ValueError("fade_images and stable_images cannot both be 0; give each phase some images.")
        if not (isinstance(drift_weight, (int, float)) and drift_weight >= 0):
            raise ValueError(f"drift_weight={drift_weight!r} must be a number >= 0 (the paper uses 0.001).")
        super().__init__(generator, discriminator, generator.latent_dim if latent_dim is None else latent_dim,
                         ema_decay=ema_decay, **kwargs)
        self.num_phases = generator.num_phases
        self.fade_images, self.stable_images = int(fade_images), int(stable_images)
        self.drift_weight = float(drift_weight)
        self.reset_optimizers_on_growth = bool(reset_optimizers_on_growth)
        self.images_seen = self.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False,
                                           name="images_seen")

    # -- the schedule ------------------------------------------------------------------------------------

    def schedule_length(self):
        """Real images until the last resolution has faded in and been stabilised once."""
        return self.stable_images + (self.num_phases - 1) * (self.fade_images + self.stable_images)

    def schedule(self, images_seen=None):
        """``(phase, alpha)`` (Python numbers) after ``images_seen`` images (the model's own count when None)."""
        if images_seen is None:
            images_seen = int(keras.ops.convert_to_numpy(self.images_seen))
        return progressive_schedule(int(images_seen), self.num_phases, self.fade_images, self.stable_images)

    def _networks(self):
        return [net for net in (self.generator, self.discriminator, self.ema_generator) if net is not None]

    def _reset_optimizers(self):
        for optimizer in (self.d_optimizer, self.g_optimizer):
            # the step counter and the moments; a learning-rate variable (and a schedule's) is kept
            keep = {id(v) for v in (getattr(optimizer, "_learning_rate", None),) if isinstance(v, keras.Variable)}
            for variable in optimizer.variables:
                if id(variable) not in keep:
                    variable.assign(tf.zeros_like(variable))
        return tf.constant(True)

    def advance_schedule(self):
        """Sets both networks' ``phase`` and ``alpha`` from ``images_seen``; resets the optimisers at a growth."""
        phase, alpha = progressive_schedule(self.images_seen, self.num_phases, self.fade_images, self.stable_images)
        if self.reset_optimizers_on_growth:
            tf.cond(phase != self.generator.phase, self._reset_optimizers, lambda: tf.constant(False))
        for net in self._networks():
            net.phase.assign(phase)
            net.alpha.assign(alpha)

    def compile(self, d_optimizer=None, g_optimizer=None, jit_compile=False, **kwargs):
        """As :meth:`GAN.compile` (the paper's Adam by default), without XLA unless asked for.

        ``jit_compile`` defaults to False: the step holds every phase of both networks (and the gradient
        penalty's second derivatives through them), which XLA took many minutes to compile on a CPU.
        """
        super().compile(d_optimizer, g_optimizer, jit_compile=jit_compile, **kwargs)

    # -- the hooks that differ from WGAN-GP ------------------------------------------------------------------

    @property
    def figure_names(self):
        return super().figure_names + ["drift", "alpha"]

    def critic_figures(self, real_output, fake_output):
        figures = dict(super().critic_figures(real_output, fake_output))
        figures["drift"] = tf.reduce_mean(tf.square(tf.cast(real_output, tf.float32)))
        figures["alpha"] = self.discriminator.alpha
        return figures

    def discriminator_objective(self, real_images, fake_images):
        loss, figures = super().discriminator_objective(real_images, fake_images)
        loss = loss + self.drift_weight * figures["drift"]
        figures["d_loss"] = loss
        return loss, figures

    def train_iteration(self, real_batches):
        """Advances the schedule, fades each real batch to the current resolution, runs :class:`GAN`'s iteration."""
        self.advance_schedule()
        faded = [fade_real_images(batch, self.discriminator.phase, self.discriminator.alpha, self.num_phases)
                 for batch in real_batches]
        logs = super().train_iteration(faded)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        shown = tf.shape(real_batches[0])[0] * len(real_batches) * replicas
        self.images_seen.assign_add(tf.cast(shown, tf.int64))
        return logs

    def get_config(self):
        return {**super().get_config(), "fade_images": self.fade_images, "stable_images": self.stable_images,
                "drift_weight": self.drift_weight, "reset_optimizers_on_growth": self.reset_optimizers_on_growth}
