"""Critic regularisers as pure functions, plus a registry to pick them by name.

All penalties are built on one helper, :func:`gradient_norm` (the per-sample L2 norm of the critic's input
gradient over the flattened input), which GN-GAN's normalised critic uses as well. Each penalty takes the
critic as a callable and the points at which to evaluate it; the randomness (interpolation weights,
perturbations) is passed in, so the functions are deterministic and testable against closed forms: for a
linear critic ``D(x) = w . x`` the gradient norm is ``||w||`` everywhere.

``GAN(penalty="gp", penalty_weight=10.)`` selects one through :func:`get_penalty`.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import tensorflow as tf

__all__ = [
    "gradient_norm",
    "squared_gradient_norm",
    "interpolate",
    "wgan_gradient_penalty",
    "dragan_penalty",
    "r1_penalty",
    "Penalty",
    "get_penalty",
    "available_penalties",
]

_NORM_EPSILON = 1e-12


def _input_gradient(critic_fn, inputs):
    inputs = tf.convert_to_tensor(inputs)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = critic_fn(inputs)
    gradient = tape.gradient(outputs, inputs)
    batch = tf.shape(inputs)[0]
    return outputs, tf.reshape(tf.cast(gradient, tf.float32), [batch, -1])


def squared_gradient_norm(critic_fn, inputs):
    """Per-sample ``||grad_x sum(D(x))||^2`` over the flattened input, float32, shape ``[batch]``."""
    _, gradient = _input_gradient(critic_fn, inputs)
    return tf.reduce_sum(tf.square(gradient), axis=1)


def gradient_norm(critic_fn, inputs, return_outputs=False):
    """Per-sample L2 norm of the critic's input gradient, shape ``[batch]``, float32.

    Computed as ``sqrt(sum g^2 + 1e-12)`` so that its own gradient is finite where ``g = 0``; the
    epsilon changes the norm by at most 1e-6. Differentiable (double back-propagation), also under XLA.

    Args:
      critic_fn: ``inputs -> outputs``; each sample's outputs are summed before differentiating, so a
        scalar-per-sample critic gets its exact per-sample gradient.
      inputs: ``[batch, ...]`` points.
      return_outputs: also return ``critic_fn(inputs)`` (saves a second forward pass in GN-GAN).
    """
    outputs, gradient = _input_gradient(critic_fn, inputs)
    norm = tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=1) + _NORM_EPSILON)
    return (norm, outputs) if return_outputs else norm


def interpolate(real, fake, alpha):
    """``alpha * real + (1 - alpha) * fake`` with ``alpha`` of shape ``[batch]`` broadcast per sample."""
    real = tf.convert_to_tensor(real)
    alpha = tf.reshape(tf.cast(alpha, real.dtype), [-1] + [1] * (len(real.shape) - 1))
    return alpha * real + (1.0 - alpha) * tf.cast(fake, real.dtype)


def wgan_gradient_penalty(critic_fn, real, fake, alpha, target=1.0):
    """WGAN-GP penalty (Gulrajani et al. 2017): ``E[(||grad D(x_hat)|| - target)^2]``.

    ``x_hat = alpha * x + (1 - alpha) * G(z)`` with ``alpha ~ U(0, 1)`` drawn per sample (shape ``[batch]``).
    The weight (lambda = 10 in the paper) is applied by the caller.
    """
    norm = gradient_norm(critic_fn, interpolate(real, fake, alpha))
    return tf.reduce_mean(tf.square(norm - target))


def dragan_penalty(critic_fn, real, noise, alpha, scale=0.5, target=1.0):
    """DRAGAN penalty (Kodali et al. 2017), as the authors' code computes it.

    Real samples are perturbed, ``x_p = x + scale * std(x) * noise`` with ``noise ~ U(0, 1)`` of the data's
    shape and ``std`` over the whole batch; the penalty ``E[(||grad D(x_hat)|| - target)^2]`` is taken at
    ``x_hat = x + alpha * (x_p - x)``, ``alpha ~ U(0, 1)`` per sample.
    """
    real = tf.convert_to_tensor(real)
    perturbed = real + scale * tf.math.reduce_std(real) * tf.cast(noise, real.dtype)
    norm = gradient_norm(critic_fn, interpolate(perturbed, real, alpha))
    return tf.reduce_mean(tf.square(norm - target))


def r1_penalty(critic_fn, real):
    """R1 penalty (Mescheder et al. 2018): ``0.5 * E[||grad D(x)||^2]`` on real data.

    The paper's regulariser is ``gamma / 2 * E||grad D||^2``; the 1/2 is included here, so the weight
    passed to the model is ``gamma`` itself.
    """
    return 0.5 * tf.reduce_mean(squared_gradient_norm(critic_fn, real))


# --- Selection by name ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Penalty:
    """A penalty with the randomness it needs, drawn through ``uniform(shape)`` supplied by the model.

    ``compute(critic_fn, real, fake, uniform) -> scalar``; the model multiplies by its ``penalty_weight``.
    """

    name: str
    compute: Callable
    default_weight: float


def _gp(critic_fn, real, fake, uniform):
    return wgan_gradient_penalty(critic_fn, real, fake, uniform([tf.shape(real)[0]]))


def _dragan(critic_fn, real, fake, uniform):
    del fake
    return dragan_penalty(critic_fn, real, uniform(tf.shape(real)), uniform([tf.shape(real)[0]]))


def _r1(critic_fn, real, fake, uniform):
    del fake, uniform
    return r1_penalty(critic_fn, real)


_PENALTIES = {
    "gp": Penalty("gp", _gp, 10.0),
    "dragan": Penalty("dragan", _dragan, 10.0),
    "r1": Penalty("r1", _r1, 10.0),
}
_ALIASES = {"wgan_gp": "gp", "gradient_penalty": "gp"}


def available_penalties():
    """Names accepted by :func:`get_penalty`."""
    return sorted(_PENALTIES)


def get_penalty(penalty):
    """Resolves a penalty name (``gp``/``wgan_gp``, ``dragan``, ``r1``) or a :class:`Penalty`; None stays None."""
    if penalty is None or isinstance(penalty, Penalty):
        return penalty
    if isinstance(penalty, str):
        key = _ALIASES.get(penalty.lower(), penalty.lower())
        if key in _PENALTIES:
            return _PENALTIES[key]
    raise ValueError(f"penalty={penalty!r} is not a known penalty. Use one of {available_penalties()}, "
                     "a tfgan_zoo.penalties.Penalty, or None.")
