"""RealnessGAN (Xiangli, Deng, Dai, Loy, Lin, "Real or Not Real, that is the Question", ICLR 2020).

The critic outputs ``K = num_outcomes`` logits per sample; their softmax ``D(x)`` is a distribution over ``K``
realness *outcomes*. Two anchor distributions over the same ``K`` outcomes stand for "fake" (``A0``) and
"real" (``A1``), the paper's generalisation of the labels 0 and 1. The paper's game::

    min_D  E_x[KL(A1 || D(x))] + E_z[KL(A0 || D(G(z)))]

and the generator minimises one of the three objectives the paper proposes for it, numbered in the paper's
order (see :data:`GENERATOR_OBJECTIVES`)::

    1:  -E_z[KL(A0 || D(G(z)))]
    2:   E_{x,z}[KL(D(x) || D(G(z)))] - E_z[KL(A0 || D(G(z)))]
    3:   E_z[KL(A1 || D(G(z)))]       - E_z[KL(A0 || D(G(z)))]

Pure functions (no state, float32, differentiable): :func:`normalized_histogram`, :func:`realness_anchors`,
:func:`check_anchors`, :func:`anchor_kl`, :func:`logits_kl`, :func:`expected_realness`,
:func:`realness_discriminator_loss` and the three ``realness_generator_objective{1,2,3}``. The model
:class:`RealnessGAN` only wires them into the base :class:`~tfgan_zoo.models.gan.GAN` loop.

Anchors, as in the official code (github.com/kam1107/RealnessGAN, ``train.py``/``train_toy.py``)::

    A0 = np.histogram(np.random.normal(0, 0.1, 1000), K)[0] / 1000     # "fake": a bell over the K outcomes
    A1 = np.histogram(np.random.uniform(-1, 1, 1000), K)[0] / 1000     # "real": nearly flat

``np.histogram(samples, K)`` bins each sample set over *its own* ``[min, max]``: the ``K`` bins are the ``K``
outcomes (indices ``0..K-1``) for both anchors, so both are distributions over the same support, and they
differ in shape (bell against flat) rather than in location. ``value_range=(lo, hi)`` bins both over one
shared range instead (then ``A0`` concentrates in the few central outcomes and leaves the others empty).

Differences from the official code, on purpose (the paper's maths is followed):

* its generator loss with ``relativisticG=True`` (the default) is the cross-entropy ``-sum D(x) log D(G(z))``
  alone, i.e. ``KL(D(x) || D(G(z)))`` up to a constant, without objective 2's ``-KL(A0 || D(G(z)))`` term;
* its losses are cross-entropies ``-sum A log D``; the KLs here differ by the anchors' entropy (a constant
  with the same gradients), so that a perfect match reads 0;
* its ``CategoricalLoss`` shifts ("skews") the anchors by ``positive_skew = 1`` / ``negative_skew = -1`` over
  outcome values ``linspace(-1, 1, K)`` before the loss; the paper's equations have no such shift.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from .. import losses as losses_lib
from ..checks import check_int, check_positive_int
from ..inspection import KERNEL_LAYERS, has_spectral_normalization
from ..layers.spectral_normalization import SpectralNormalization
from .gan import GAN

__all__ = [
    "RealnessGAN",
    "normalized_histogram",
    "realness_anchors",
    "check_anchors",
    "anchor_kl",
    "logits_kl",
    "expected_realness",
    "realness_discriminator_loss",
    "realness_generator_objective1",
    "realness_generator_objective2",
    "realness_generator_objective3",
    "GENERATOR_OBJECTIVES",
]

# The official code's anchor recipe: 1,000 draws of N(0, 0.1) (fake) and of U(-1, 1) (real).
_ANCHOR_SAMPLES = 1000
_FAKE_ANCHOR_STDDEV = 0.1
_SUM_TOLERANCE = 1e-5


def _check_num_outcomes(num_outcomes):
    return check_int("num_outcomes", num_outcomes, 2, "Realness needs at least two outcomes; the paper uses 5 for "
                     "toy data, 51 for CelebA, the official default is 20.")


# --- Anchors -----------------------------------------------------------------------------------------


def normalized_histogram(samples, num_outcomes, value_range=None):
    """Normalised histogram of ``samples`` over ``num_outcomes`` equal-width bins, as a distribution.

    With ``value_range=None`` the bins span the samples' own ``[min, max]`` with the maximum in the last bin,
    exactly as ``np.histogram(samples, num_outcomes)`` (and, like numpy, ``[v - 0.5, v + 0.5]`` when all
    samples equal ``v``). With ``value_range=(lo, hi)`` the bins span ``[lo, hi]`` and samples outside it are
    counted in the end bins. Written with ``one_hot`` so it runs in graphs and under XLA.

    Args:
      samples: values of any shape (flattened); float64 samples are binned in float64.
      num_outcomes: number of bins ``K >= 2``.
      value_range: ``None`` or a pair ``(lo, hi)`` with ``lo < hi``.
    Returns:
      float32 ``[K]``, non-negative, summing to 1.
    """
    num_outcomes = _check_num_outcomes(num_outcomes)
    x = tf.reshape(tf.convert_to_tensor(samples), [-1])
    if not x.dtype.is_floating:
        x = tf.cast(x, tf.float32)
    if value_range is None:
        lo, hi = tf.reduce_min(x), tf.reduce_max(x)
        degenerate = tf.equal(lo, hi)
        lo, hi = tf.where(degenerate, lo - 0.5, lo), tf.where(degenerate, hi + 0.5, hi)
    else:
        lo, hi = (float(v) for v in value_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"value_range={value_range!r} must be a pair (lo, hi) of finite numbers with lo < hi, "
                             "e.g. (-1, 1); None bins over the samples' own range as np.histogram does.")
        lo, hi = tf.constant(lo, x.dtype), tf.constant(hi, x.dtype)
    index = tf.cast(tf.floor((x - lo) / (hi - lo) * num_outcomes), tf.int32)
    index = tf.clip_by_value(index, 0, num_outcomes - 1)
    counts = tf.reduce_sum(tf.one_hot(index, num_outcomes, dtype=tf.float32), axis=0)
    return counts / tf.reduce_sum(counts)


def realness_anchors(num_outcomes=20, *, num_samples=_ANCHOR_SAMPLES, value_range=None, seed=None):
    """The official code's anchors ``(A0, A1)``: histograms of N(0, 0.1) and U(-1, 1) draws.

    ``A0`` (fake) is the normalised histogram of ``num_samples`` draws of ``N(0, 0.1)``, ``A1`` (real) that of
    ``num_samples`` draws of ``U(-1, 1)``, each over ``num_outcomes`` equal-width bins (see
    :func:`normalized_histogram`: by default each set is binned over its own range, as ``np.histogram`` in
    the official code). The paper's theory needs ``A0 != A1`` on some outcome; a bell against a flat
    histogram guarantees it.

    Args:
      num_outcomes: ``K >= 2``. Default 20 (official code); the paper uses 51 for CelebA, 5 for toy data.
      num_samples: draws per anchor. Default 1,000 (official code).
      value_range: ``None`` (default, official) or a shared ``(lo, hi)`` for both histograms.
      seed: an int, None, or a ``keras.random.SeedGenerator`` (whose state advances; used by
        :class:`RealnessGAN` to re-draw the anchors inside a compiled step).
    Returns:
      ``(anchor0, anchor1)``, float32 tensors of shape ``[K]``.
    """
    num_outcomes = _check_num_outcomes(num_outcomes)
    num_samples = check_positive_int("num_samples", num_samples, "The official code uses 1000.")
    if not isinstance(seed, keras.random.SeedGenerator):
        seed = keras.random.SeedGenerator(seed)
    fake = keras.random.normal([int(num_samples)], stddev=_FAKE_ANCHOR_STDDEV, seed=seed)
    real = keras.random.uniform([int(num_samples)], minval=-1.0, maxval=1.0, seed=seed)
    return (normalized_histogram(fake, num_outcomes, value_range),
            normalized_histogram(real, num_outcomes, value_range))


def check_anchors(anchors, num_outcomes, name="anchors"):
    """Validates user anchors ``(A0, A1)`` and returns them as float32 numpy arrays.

    Each must have shape ``[num_outcomes]``, be finite and non-negative and sum to 1 within 1e-5, and the two
    must differ on at least one outcome (the paper's condition for ``p_g = p_data`` at the optimum).

    Raises:
      ValueError naming ``name`` and the fix.
    """
    num_outcomes = _check_num_outcomes(num_outcomes)
    if not isinstance(anchors, (tuple, list)) or len(anchors) != 2:
        raise ValueError(f"{name} must be a pair (anchor0, anchor1) of distributions over {num_outcomes} outcomes "
                         f"(fake, real), e.g. realness_anchors({num_outcomes}); got {type(anchors).__name__}.")
    checked = []
    for label, anchor in zip(("anchor0 (fake)", "anchor1 (real)"), anchors):
        anchor = np.asarray(anchor, dtype=np.float64)
        if anchor.shape != (num_outcomes,):
            raise ValueError(f"{name}: {label} has shape {anchor.shape}; it must have shape ({num_outcomes},), "
                             f"one probability per outcome (num_outcomes={num_outcomes}).")
        if not np.all(np.isfinite(anchor)) or np.any(anchor < 0):
            raise ValueError(f"{name}: {label} must be finite and non-negative; got {anchor.tolist()}.")
        if abs(anchor.sum() - 1.0) > _SUM_TOLERANCE:
            raise ValueError(f"{name}: {label} sums to {anchor.sum():.6g}; it must sum to 1 (within "
                             f"{_SUM_TOLERANCE}). Divide it by its sum.")
        checked.append(anchor.astype(np.float32))
    if np.array_equal(checked[0], checked[1]):
        raise ValueError(f"{name}: anchor0 and anchor1 are equal; RealnessGAN needs A0 != A1 on some outcome "
                         "(paper, Theorem 1), e.g. the default realness_anchors().")
    return tuple(checked)


# --- KL divergences from logits --------------------------------------------------------------------------


def anchor_kl(anchor, logits):
    """Per-sample ``KL(A || softmax(logits)) = sum_k A_k log A_k - sum_k A_k log_softmax(logits)_k``.

    Stable for any finite logits and for anchors with empty bins: ``0 log 0 = 0`` (``xlogy``) and a zero
    ``A_k`` multiplies ``log_softmax`` through ``multiply_no_nan``, so no ``log 0`` and no ``0 * inf``.

    Args:
      anchor: ``[K]`` (the same for every sample) or ``[batch, K]`` probabilities.
      logits: ``[batch, K]`` critic outputs.
    Returns:
      float32 ``[batch]``.
    """
    anchor = tf.cast(anchor, tf.float32)
    log_q = tf.nn.log_softmax(tf.cast(logits, tf.float32), axis=-1)
    entropy_term = tf.reduce_sum(tf.math.xlogy(anchor, anchor), axis=-1)
    cross_term = tf.reduce_sum(tf.math.multiply_no_nan(log_q, tf.broadcast_to(anchor, tf.shape(log_q))), axis=-1)
    return entropy_term - cross_term


def logits_kl(p_logits, q_logits):
    """Per-sample ``KL(softmax(p_logits) || softmax(q_logits))``, both sides from logits (``[batch, K]``).

    ``sum_k p_k (log_softmax(p)_k - log_softmax(q)_k)``: finite for any finite logits. Returns float32 ``[batch]``.
    """
    log_p = tf.nn.log_softmax(tf.cast(p_logits, tf.float32), axis=-1)
    log_q = tf.nn.log_softmax(tf.cast(q_logits, tf.float32), axis=-1)
    return tf.reduce_sum(tf.exp(log_p) * (log_p - log_q), axis=-1)


def expected_realness(logits, outcomes=None):
    """Mean over the batch of the expected outcome ``sum_k softmax(logits)_k u_k``.

    Args:
      logits: ``[batch, K]``.
      outcomes: the outcome values ``u``, ``[K]``. Default ``linspace(-1, 1, K)``, the support the official
        code's ``CategoricalLoss`` places the ``K`` outcomes on. Note: the default anchors are both symmetric
        about the centre (expected outcome about 0 for each), so with them this figure tells real from fake
        little; the KL figures do.
    Returns:
      float32 scalar.
    """
    logits = tf.cast(logits, tf.float32)
    if outcomes is None:
        outcomes = tf.linspace(-1.0, 1.0, tf.shape(logits)[-1])
    return tf.reduce_mean(tf.reduce_sum(tf.nn.softmax(logits, axis=-1) * tf.cast(outcomes, tf.float32), axis=-1))


# --- Objectives ------------------------------------------------------------------------------------------


def realness_discriminator_loss(real_logits, fake_logits, anchor0, anchor1):
    """Critic loss (the paper's game): ``mean_i KL(A1 || D(x_i)) + mean_j KL(A0 || D(G(z_j)))``.

    Args:
      real_logits, fake_logits: ``[batch, K]`` critic logits on real and generated samples.
      anchor0, anchor1: ``[K]`` fake and real anchors.
    Returns:
      float32 scalar.
    """
    return tf.reduce_mean(anchor_kl(anchor1, real_logits)) + tf.reduce_mean(anchor_kl(anchor0, fake_logits))


def realness_generator_objective1(fake_logits, *, anchor0, anchor1=None, real_logits=None):
    """Generator objective 1 (paper): ``-mean_j KL(A0 || D(G(z_j)))`` — push the fakes away from "fake".

    Gradient w.r.t. each sample's fake logits: ``(A0 - D(G(z_j))) / batch``. ``anchor1`` and ``real_logits``
    are unused (uniform signature).
    """
    del anchor1, real_logits
    return -tf.reduce_mean(anchor_kl(anchor0, fake_logits))


def realness_generator_objective2(fake_logits, *, anchor0, real_logits, anchor1=None):
    """Generator objective 2 (paper): ``mean_i KL(D(x_i) || D(G(z_i))) - mean_i KL(A0 || D(G(z_i)))``.

    Pulls each fake's realness distribution towards that of a real sample and away from ``A0``. Real and fake
    are paired sample by sample (row ``i`` with row ``i``), as the official code (``training/learnG.py``) pairs
    ``feat_real`` with ``feat_fake``; both must have the same batch. Gradient w.r.t. the fake logits of sample
    ``i``: ``(A0 - D(x_i)) / batch``. Differentiable in ``real_logits`` too; :class:`RealnessGAN` stops that
    gradient (the real batch does not depend on G).

    Args:
      fake_logits, real_logits: ``[batch, K]``.
      anchor0: ``[K]``; ``anchor1`` unused.
    """
    del anchor1
    return tf.reduce_mean(logits_kl(real_logits, fake_logits)) - tf.reduce_mean(anchor_kl(anchor0, fake_logits))


def realness_generator_objective3(fake_logits, *, anchor0, anchor1, real_logits=None):
    """Generator objective 3 (paper): ``mean_j KL(A1 || D(G(z_j))) - mean_j KL(A0 || D(G(z_j)))``.

    Pulls the fakes towards "real" and away from "fake". Gradient w.r.t. each sample's fake logits:
    ``(A0 - A1) / batch``, whatever the logits. ``real_logits`` unused.
    """
    del real_logits
    return tf.reduce_mean(anchor_kl(anchor1, fake_logits)) - tf.reduce_mean(anchor_kl(anchor0, fake_logits))


#: The paper's three generator objectives, numbered in the paper's order (some write-ups swap 2 and 3); each
#: takes ``(fake_logits, *, anchor0, anchor1, real_logits)``.
GENERATOR_OBJECTIVES = {
    1: realness_generator_objective1,
    2: realness_generator_objective2,
    3: realness_generator_objective3,
}


# --- Spectral normalisation of a given critic ------------------------------------------------------------

def _spectrally_normalized(discriminator):
    """``discriminator`` if it already has a spectral-normalised layer; else a copy whose weight layers
    (:data:`tfgan_zoo.inspection.KERNEL_LAYERS`: Dense, EinsumDense, Conv*, Conv*Transpose, DepthwiseConv*,
    SeparableConv*) are wrapped in :class:`~tfgan_zoo.layers.spectral_normalization.SpectralNormalization`, same
    starting weights."""
    if has_spectral_normalization(discriminator):
        return discriminator
    pairs = []

    def wrap(layer):
        copy = layer.__class__.from_config(layer.get_config())
        pairs.append((layer, copy))
        return SpectralNormalization(copy) if isinstance(layer, KERNEL_LAYERS) else copy

    try:
        clone = keras.models.clone_model(discriminator, clone_function=wrap, recursive=True)
    except (ValueError, TypeError, NotImplementedError) as error:
        raise ValueError(
            f"RealnessGAN spectrally normalises the critic by default (as the paper) but cannot copy "
            f"{type(discriminator).__name__} {discriminator.name!r} to wrap its layers ({error}). Build it with "
            "spectral normalisation (e.g. tfgan_zoo.nets.mlp_discriminator(..., spectral_normalization=True)) or "
            "pass spectral_normalization=False.") from error
    for original, copy in pairs:
        if len(original.weights) != len(copy.weights):
            raise ValueError(f"Could not copy the weights of layer {original.name!r} into its spectrally normalised "
                             "copy; build the critic with spectral normalisation or pass spectral_normalization=False.")
        for target, source in zip(copy.weights, original.weights):
            target.assign(source)
    return clone


# --- The model ---------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class RealnessGAN(GAN):
    """RealnessGAN (Xiangli et al., ICLR 2020): a distributional critic matched to realness anchors.

    The critic outputs ``num_outcomes`` logits; it minimises
    ``mean KL(A1 || D(x)) + mean KL(A0 || D(G(z)))`` (:func:`realness_discriminator_loss`) and the generator
    minimises objective ``generator_objective`` of :data:`GENERATOR_OBJECTIVES` (paper numbering).

    Defaults (paper / official code): ``num_outcomes = 20``, anchors from :func:`realness_anchors` drawn
    once at construction (from the model's seed), generator objective 2 (the relativistic one the official
    code trains with, ``relativisticG=True``), spectral normalisation in the critic, one critic update per
    generator update, Adam(2e-4, beta_1=0.5, beta_2=0.999) for both networks (``run_CelebA.sh``).

    Reported figures (``figure_names``): ``d_loss``, ``g_loss``, ``kl_real`` = KL(A1 || D(x)), ``kl_fake`` =
    KL(A0 || D(G(z))) (critic step), ``realness_real`` / ``realness_fake`` (:func:`expected_realness` with
    outcomes ``linspace(-1, 1, K)``), ``g_kl_a0`` = KL(A0 || D(G(z))) at the generator step, and
    ``g_kl_dx`` = KL(D(x) || D(G(z))) (objective 2) or ``g_kl_a1`` = KL(A1 || D(G(z))) (objective 3).

    Args:
      generator, discriminator, latent_dim: as :class:`GAN`; the discriminator must output
        ``[batch, num_outcomes]`` logits.
      num_outcomes: ``K >= 2``. Default 20.
      anchors: ``None`` (draw with :func:`realness_anchors`) or a pair ``(A0, A1)`` of ``[K]`` distributions,
        checked by :func:`check_anchors`.
      resample_anchors: re-draw the anchors at the start of every training step from the model's seed
        generator, as the official toy script does (the image script draws them once). Default False.
        Needs ``anchors=None``.
      generator_objective: 1, 2 or 3 (paper numbering). Default 2.
      spectral_normalization: True (default, as the paper) uses the discriminator as is if it already holds
        a spectral-normalised layer, otherwise a copy with every Dense/Conv layer wrapped in
        :class:`~tfgan_zoo.layers.spectral_normalization.SpectralNormalization` (same starting weights;
        ``model.discriminator`` is then that copy). False uses the discriminator as given, as the official toy
        script (a plain maxout MLP critic); on the 2-D toy mixtures the spectral-normalised MLP critic learns
        far more slowly (see ``benchmarks/realness_toy.py``).
      **kwargs: the other :class:`GAN` arguments (``loss`` is not accepted: the objectives are fixed).
    """

    default_n_critic = 1
    critic_outputs_per_sample = None  # num_outcomes logits, checked against num_outcomes
    default_discriminator_optimizer = {"class_name": "Adam",
                                       "config": {"learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999}}
    default_generator_optimizer = default_discriminator_optimizer

    def __init__(self, generator, discriminator, latent_dim=None, *, num_outcomes=20, anchors=None,
                 resample_anchors=False, generator_objective=2, spectral_normalization=True, loss=None, **kwargs):
        if loss is not None:
            raise ValueError(f"loss={loss!r}: RealnessGAN's losses are its KL objectives; choose the generator's "
                             "with generator_objective=1, 2 or 3 instead of loss=.")
        num_outcomes = _check_num_outcomes(num_outcomes)
        if generator_objective not in GENERATOR_OBJECTIVES or isinstance(generator_objective, bool):
            raise ValueError(f"generator_objective={generator_objective!r} must be 1, 2 or 3 (the paper's "
                             "objectives; 2, the relativistic one, is the official code's).")
        if resample_anchors and anchors is not None:
            raise ValueError("resample_anchors=True re-draws the default anchors every step, so it cannot keep "
                             "user anchors; pass anchors=None or resample_anchors=False.")
        if not isinstance(discriminator, keras.Model):
            raise TypeError(f"discriminator must be a keras.Model; got {type(discriminator).__name__}.")
        width = _output_width(discriminator)
        if width is not None and width != num_outcomes:
            raise ValueError(f"The discriminator outputs {width} values per sample but num_outcomes={num_outcomes}; "
                             f"build it with {num_outcomes} outputs (e.g. mlp_discriminator(output_units="
                             f"{num_outcomes})) or pass num_outcomes={width}.")
        if spectral_normalization:
            discriminator = _spectrally_normalized(discriminator)
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_outcomes = num_outcomes
        self.g_objective = int(generator_objective)
        self.resample_anchors = bool(resample_anchors)
        self.spectral_normalization = bool(spectral_normalization)
        self.user_anchors = None if anchors is None else check_anchors(anchors, num_outcomes)
        initial = self.user_anchors or tuple(
            keras.ops.convert_to_numpy(a) for a in realness_anchors(num_outcomes, seed=self.seed_generator))
        # Non-trainable state, so that the anchors of a run are saved with it; all replicas hold the same values.
        self.anchor0, self.anchor1 = (
            self.add_weight(shape=(num_outcomes,), initializer=keras.initializers.Constant(value), trainable=False,
                            dtype="float32", aggregation="only_first_replica", name=name)
            for value, name in zip(initial, ("anchor0", "anchor1")))
        self.loss_pair = losses_lib.LossPair(self._discriminator_loss, self._generator_loss,
                                             generator_needs_real=self.g_objective == 2, name="realness")

    # -- objectives ---------------------------------------------------------------------------------------

    def _discriminator_loss(self, real_output, fake_output):
        return realness_discriminator_loss(real_output, fake_output, self.anchor0, self.anchor1)

    def _generator_loss(self, fake_output, real_output=None):
        return GENERATOR_OBJECTIVES[self.g_objective](fake_output, anchor0=self.anchor0, anchor1=self.anchor1,
                                                      real_logits=real_output)

    @property
    def figure_names(self):
        extra = {1: [], 2: ["g_kl_dx"], 3: ["g_kl_a1"]}[self.g_objective]
        return super().figure_names + ["kl_real", "kl_fake", "realness_real", "realness_fake", "g_kl_a0"] + extra

    def critic_figures(self, real_output, fake_output):
        return {"kl_real": tf.reduce_mean(anchor_kl(self.anchor1, real_output)),
                "kl_fake": tf.reduce_mean(anchor_kl(self.anchor0, fake_output)),
                "realness_real": expected_realness(real_output),
                "realness_fake": expected_realness(fake_output)}

    def real_margins(self, real_output, fake_output):
        """ADA's ``sign(D(x))`` for a distributional critic: ``KL(A0 || D(x)) - KL(A1 || D(x))``, positive where
        the critic's distribution for a real sample is closer to the real anchor ``A1`` than to the fake ``A0``."""
        del fake_output
        return anchor_kl(self.anchor0, real_output) - anchor_kl(self.anchor1, real_output)

    def generator_objective(self, real_images, latent):
        """Objective ``generator_objective`` on ``D(G(z))``; objective 2 pairs fake ``i`` with real ``i`` (the
        real logits are tiled ``generator_batch_multiplier`` times and carry no gradient)."""
        fake_output = self.critic(self.generator(latent, training=True))
        real_output = None
        if self.g_objective == 2:
            real_output = tf.stop_gradient(self.critic(real_images))
            real_output = tf.tile(real_output, [self.generator_batch_multiplier, 1])
        loss = self._generator_loss(fake_output, real_output)
        figures = {"g_loss": loss, "g_kl_a0": tf.reduce_mean(anchor_kl(self.anchor0, fake_output))}
        if self.g_objective == 2:
            figures["g_kl_dx"] = tf.reduce_mean(logits_kl(real_output, fake_output))
        if self.g_objective == 3:
            figures["g_kl_a1"] = tf.reduce_mean(anchor_kl(self.anchor1, fake_output))
        return loss, figures

    def train_iteration(self, real_batches):
        if self.resample_anchors:
            # Straight from the seed generator rather than _random: every replica must hold the same anchors.
            anchor0, anchor1 = realness_anchors(self.num_outcomes, seed=self.seed_generator)
            self.anchor0.assign(anchor0)
            self.anchor1.assign(anchor1)
        return super().train_iteration(real_batches)

    # -- serialisation --------------------------------------------------------------------------------------

    def get_config(self):
        config = {**super().get_config(),
                  "num_outcomes": self.num_outcomes,
                  "anchors": None if self.user_anchors is None else [a.tolist() for a in self.user_anchors],
                  "resample_anchors": self.resample_anchors,
                  "generator_objective": self.g_objective,
                  "spectral_normalization": self.spectral_normalization}
        config.pop("loss")
        return config


def _output_width(model):
    try:
        shape = model.output_shape
    except (AttributeError, ValueError):
        return None  # e.g. an unbuilt subclassed model: its width is checked by the loss's shapes at run time
    if isinstance(shape, tuple) and shape and isinstance(shape[-1], int):
        return shape[-1]
    return None
