"""Adversarial losses as pure functions of critic outputs.

Every loss follows one contract (as compare_gan's ``loss_lib``):

* ``discriminator_loss(real_output, fake_output) -> scalar`` is minimised by the critic;
* ``generator_loss(fake_output, real_output=None) -> scalar`` is minimised by the generator.

``real_output`` / ``fake_output`` are the critic's raw outputs (logits, or critic values for the
Wasserstein family) of any shape with the batch on axis 0; losses are averaged over every element and
computed in float32 whatever the compute dtype of the critic. Losses hold no state and build no models.

A :class:`LossPair` bundles the two halves under a name so that ``GAN(loss="hinge")`` can pick them;
:func:`get_loss` resolves a name, a ``LossPair`` or a ``(discriminator_fn, generator_fn)`` tuple.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import tensorflow as tf

__all__ = [
    "LossPair",
    "get_loss",
    "available_losses",
    "minimax_discriminator",
    "minimax_generator",
    "non_saturating_generator",
    "wasserstein_discriminator",
    "wasserstein_generator",
    "hinge_discriminator",
    "hinge_generator",
    "least_squares_discriminator",
    "least_squares_generator",
    "relativistic_average_discriminator",
    "relativistic_average_generator",
    "relativistic_average_least_squares_discriminator",
    "relativistic_average_least_squares_generator",
]


def _f32(x):
    return tf.cast(x, tf.float32)


# --- Goodfellow et al. 2014 -------------------------------------------------------------------------


def minimax_discriminator(real_output, fake_output):
    """Standard GAN critic loss (Goodfellow et al. 2014), from logits.

    ``-E[log D(x)] - E[log(1 - D(G(z)))]`` with ``D = sigmoid(logit)``, written with ``softplus`` so that
    it is finite for any logit: ``-log sigmoid(l) = softplus(-l)`` and ``-log(1 - sigmoid(l)) = softplus(l)``.

    Args:
      real_output: critic logits on real samples, shape ``[batch, ...]``.
      fake_output: critic logits on generated samples.
    Returns:
      Scalar float32 loss.
    """
    return tf.reduce_mean(tf.nn.softplus(-_f32(real_output))) + tf.reduce_mean(tf.nn.softplus(_f32(fake_output)))


def minimax_generator(fake_output, real_output=None):
    """Minimax (saturating) generator loss of Goodfellow et al. 2014: ``E[log(1 - D(G(z)))]``.

    Equal to ``-E[softplus(l)]`` for logits ``l``. Its gradient ``-sigmoid(l)`` vanishes when the critic
    confidently rejects the fakes (``l -> -inf``), which is why it saturates early in training.

    Args:
      fake_output: critic logits on generated samples.
      real_output: unused; present for the common contract.
    """
    del real_output
    return -tf.reduce_mean(tf.nn.softplus(_f32(fake_output)))


def non_saturating_generator(fake_output, real_output=None):
    """Non-saturating ("-log D") generator loss of Goodfellow et al. 2014: ``-E[log D(G(z))]``.

    Equal to ``E[softplus(-l)]``; its gradient ``-(1 - sigmoid(l))`` is largest where the critic rejects the
    fakes. Pairs with :func:`minimax_discriminator`.
    """
    del real_output
    return tf.reduce_mean(tf.nn.softplus(-_f32(fake_output)))


# --- Arjovsky et al. 2017 ---------------------------------------------------------------------------


def wasserstein_discriminator(real_output, fake_output):
    """Wasserstein critic loss (Arjovsky et al. 2017): ``E[f(G(z))] - E[f(x)]``.

    Its negation is the critic's estimate of the Wasserstein-1 distance (valid only for a 1-Lipschitz
    critic: weight clipping, gradient penalty, spectral or gradient normalisation).
    """
    return tf.reduce_mean(_f32(fake_output)) - tf.reduce_mean(_f32(real_output))


def wasserstein_generator(fake_output, real_output=None):
    """Wasserstein generator loss (Arjovsky et al. 2017): ``-E[f(G(z))]``."""
    del real_output
    return -tf.reduce_mean(_f32(fake_output))


# --- Lim & Ye 2017; Miyato et al. 2018 ----------------------------------------------------------------


def hinge_discriminator(real_output, fake_output):
    """Hinge critic loss (Lim & Ye 2017, used by SNGAN/SAGAN): ``E[relu(1 - f(x))] + E[relu(1 + f(G(z)))]``."""
    return tf.reduce_mean(tf.nn.relu(1.0 - _f32(real_output))) + tf.reduce_mean(tf.nn.relu(1.0 + _f32(fake_output)))


def hinge_generator(fake_output, real_output=None):
    """Hinge generator loss: ``-E[f(G(z))]`` (the same as the Wasserstein generator loss)."""
    return wasserstein_generator(fake_output, real_output)


# --- Mao et al. 2017 --------------------------------------------------------------------------------


def least_squares_discriminator(real_output, fake_output):
    """LSGAN critic loss (Mao et al. 2017, a=0, b=1): ``0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2]``."""
    return 0.5 * tf.reduce_mean(tf.square(_f32(real_output) - 1.0)) + 0.5 * tf.reduce_mean(tf.square(_f32(fake_output)))


def least_squares_generator(fake_output, real_output=None):
    """LSGAN generator loss (Mao et al. 2017, c=1): ``0.5 E[(D(G(z)) - 1)^2]``."""
    del real_output
    return 0.5 * tf.reduce_mean(tf.square(_f32(fake_output) - 1.0))


# --- Jolicoeur-Martineau 2018 -----------------------------------------------------------------------


def _relativistic_logits(real_output, fake_output):
    real, fake = _f32(real_output), _f32(fake_output)
    # C(x_r) - E[C(x_f)] and C(x_f) - E[C(x_r)]
    return real - tf.reduce_mean(fake), fake - tf.reduce_mean(real)


def relativistic_average_discriminator(real_output, fake_output):
    """RaSGAN critic loss (Jolicoeur-Martineau 2018).

    ``-E_r[log sigmoid(C(x_r) - E_f C(x_f))] - E_f[log(1 - sigmoid(C(x_f) - E_r C(x_r)))]``.
    """
    real_rel, fake_rel = _relativistic_logits(real_output, fake_output)
    return tf.reduce_mean(tf.nn.softplus(-real_rel)) + tf.reduce_mean(tf.nn.softplus(fake_rel))


def relativistic_average_generator(fake_output, real_output):
    """RaSGAN generator loss: the critic loss with the roles of real and fake swapped."""
    return relativistic_average_discriminator(fake_output, real_output)


def relativistic_average_least_squares_discriminator(real_output, fake_output):
    """RaLSGAN critic loss (Jolicoeur-Martineau 2018, as her reference code, halved).

    ``( E_r[(C(x_r) - E_f C(x_f) - 1)^2] + E_f[(C(x_f) - E_r C(x_r) + 1)^2] ) / 2``.
    """
    real_rel, fake_rel = _relativistic_logits(real_output, fake_output)
    return 0.5 * (tf.reduce_mean(tf.square(real_rel - 1.0)) + tf.reduce_mean(tf.square(fake_rel + 1.0)))


def relativistic_average_least_squares_generator(fake_output, real_output):
    """RaLSGAN generator loss: the critic loss with real and fake swapped."""
    return relativistic_average_least_squares_discriminator(fake_output, real_output)


# --- Selection by name ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LossPair:
    """A critic loss and the generator loss it is trained with.

    Attributes:
      discriminator: ``fn(real_output, fake_output) -> scalar``.
      generator: ``fn(fake_output, real_output=None) -> scalar``.
      generator_needs_real: whether the generator loss reads ``real_output`` (relativistic losses do);
        when False the generator step skips the critic pass over real data.
      name: registry name, for ``get_config``.
    """

    discriminator: Callable
    generator: Callable
    generator_needs_real: bool = False
    name: Optional[str] = None


_LOSSES = {
    "minimax": LossPair(minimax_discriminator, minimax_generator, False, "minimax"),
    "non_saturating": LossPair(minimax_discriminator, non_saturating_generator, False, "non_saturating"),
    "wasserstein": LossPair(wasserstein_discriminator, wasserstein_generator, False, "wasserstein"),
    "hinge": LossPair(hinge_discriminator, hinge_generator, False, "hinge"),
    "least_squares": LossPair(least_squares_discriminator, least_squares_generator, False, "least_squares"),
    "relativistic_average": LossPair(
        relativistic_average_discriminator, relativistic_average_generator, True, "relativistic_average"
    ),
    "relativistic_average_least_squares": LossPair(
        relativistic_average_least_squares_discriminator,
        relativistic_average_least_squares_generator,
        True,
        "relativistic_average_least_squares",
    ),
}
_ALIASES = {"ns": "non_saturating", "standard": "non_saturating", "wgan": "wasserstein", "lsgan": "least_squares",
            "ragan": "relativistic_average", "ralsgan": "relativistic_average_least_squares"}


def available_losses():
    """Names accepted by :func:`get_loss` (aliases excluded)."""
    return sorted(_LOSSES)


def get_loss(loss) -> LossPair:
    """Resolves ``loss`` to a :class:`LossPair`.

    Args:
      loss: a registry name (see :func:`available_losses`; aliases ``ns``, ``wgan``, ``lsgan``, ``ragan``,
        ``ralsgan``), a ``LossPair``, or a ``(discriminator_fn, generator_fn)`` tuple of callables.
    Raises:
      ValueError: unknown name or malformed value, with the accepted names.
    """
    if isinstance(loss, LossPair):
        return loss
    if isinstance(loss, str):
        key = _ALIASES.get(loss.lower(), loss.lower())
        if key not in _LOSSES:
            raise ValueError(f"loss={loss!r} is not a known loss. Use one of {available_losses()}, "
                             "a LossPair, or a (discriminator_fn, generator_fn) tuple.")
        return _LOSSES[key]
    if isinstance(loss, (tuple, list)) and len(loss) == 2 and all(callable(f) for f in loss):
        return LossPair(loss[0], loss[1], generator_needs_real=True)
    raise ValueError(f"loss={loss!r} must be a loss name ({available_losses()}), a LossPair, or a "
                     "(discriminator_fn, generator_fn) tuple of callables.")
