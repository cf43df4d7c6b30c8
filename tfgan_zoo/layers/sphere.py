"""The geometry of Sphere GAN (Park & Kwon, CVPR 2019): the inverse stereographic projection and geodesic distance.

Notation: a feature vector ``x`` in ``R^n``, its squared norm ``s = ||x||^2``, the unit sphere ``S^n`` in
``R^{n+1}`` with north pole ``N = (0, ..., 0, 1)`` and south pole ``S = (0, ..., 0, -1)``; for a point ``p`` of the
sphere, ``p' = p_{1..n}`` is its first ``n`` coordinates and ``p_{n+1}`` its last one.

* :func:`inverse_stereographic_projection` / :class:`InverseStereographicProjection`: ``R^n -> S^n \\ {N}``,
  ``p(x) = (2x / (s + 1), (s - 1) / (s + 1))``. The origin goes to ``S``; ``||x|| -> inf`` goes to ``N``.
* :func:`stereographic_projection`: its inverse ``S^n \\ {N} -> R^n``, ``x = p' / (1 - p_{n+1})``.
* :func:`geodesic_distance_to_north_pole`: ``d(p) = arccos(<p, N>)`` in ``[0, pi]``.

Composed, they have a closed form that the tests check: ``d(p(x)) = 2 atan(1 / ||x||) = pi - 2 atan(||x||)``
(from ``cos d = (s - 1) / (s + 1)`` and ``cos d = (1 - tan^2(d/2)) / (1 + tan^2(d/2))``), so large features
sit near ``N`` (``d ~ 2 / ||x||``) and small ones near ``S`` (``d ~ pi - 2 ||x||``).

Everything is computed in float32 whatever the caller's dtype, so mixed-precision critics stay safe.
"""
from __future__ import annotations

import keras
import tensorflow as tf

__all__ = [
    "InverseStereographicProjection",
    "inverse_stereographic_projection",
    "stereographic_projection",
    "geodesic_distance_to_north_pole",
]

# Below this squared norm the last coordinate is written (s - 1) / (s + 1), exact near s = 1 where
# 1 - 2 / (s + 1) would cancel; above it 1 - 2 / (s + 1), which stays finite when s overflows to inf.
_CANCELLATION_BOUND = 3.0


def inverse_stereographic_projection(features):
    """Inverse stereographic projection from the north pole, ``R^n -> S^n`` (Park & Kwon 2019).

    ``p(x) = (2x / (s + 1), (s - 1) / (s + 1))`` with ``s = ||x||^2``, computed as ``c = 2 / (s + 1)``,
    ``p = (c x, 1 - c)`` for ``s >= 3`` and ``(c x, (s - 1) / (s + 1))`` below, so that:

    * ``||p|| = 1`` up to float32 rounding for every finite input (``c^2 s + (1 - c)^2 = 1`` identically);
    * nothing overflows or becomes NaN: if ``s`` overflows (``||x|| > ~1.8e19``) then ``c = 0`` and
      ``p = N`` exactly, which is where the true point lies to float32 precision;
    * the last coordinate keeps its relative precision near ``s = 1`` (no cancellation in ``1 - c``).

    Args:
      features: ``[..., n]`` float tensor (any float dtype; cast to float32).
    Returns:
      float32 ``[..., n + 1]``; the origin maps to the south pole ``(0, ..., 0, -1)``.
    """
    x = tf.cast(features, tf.float32)
    s = tf.reduce_sum(tf.square(x), axis=-1, keepdims=True)
    c = 2.0 / (s + 1.0)
    bounded = tf.minimum(s, _CANCELLATION_BOUND)  # keeps the unused branch finite (and its gradient) if s = inf
    last = tf.where(s < _CANCELLATION_BOUND, (bounded - 1.0) / (bounded + 1.0), 1.0 - c)
    return tf.concat([c * x, last], axis=-1)


def stereographic_projection(points):
    """Stereographic projection from the north pole, ``S^n \\ {N} -> R^n``: the inverse of
    :func:`inverse_stereographic_projection`.

    ``x = p' / (1 - p_{n+1})``. Near ``N`` the denominator ``1 - p_{n+1}`` rounds to 0 in float32 (for
    ``||x|| >~ 4e3``), so on the northern hemisphere the equal form ``x = p' (1 + p_{n+1}) / ||p'||^2`` is used
    (``1 - p_{n+1}^2 = ||p'||^2`` on the sphere); each form is used where it has no cancellation.

    Args:
      points: ``[..., n + 1]`` points of the unit sphere (any float dtype; cast to float32).
    Returns:
      float32 ``[..., n]``. The north pole itself has no image (the result there is not finite).
    """
    p = tf.cast(points, tf.float32)
    head, last = p[..., :-1], p[..., -1:]
    southern = last <= 0.0
    squared = tf.reduce_sum(tf.square(head), axis=-1, keepdims=True)
    from_south = head / (1.0 - tf.minimum(last, 0.0))
    from_north = head * (1.0 + last) / tf.where(southern, 1.0, squared)
    return tf.where(southern, from_south, from_north)


def geodesic_distance_to_north_pole(points):
    """Geodesic (great-circle) distance to the north pole, ``d(p) = arccos(<p, N>)`` in ``[0, pi]``.

    The safe arccos used here is ``d = atan2(||p'||, p_{n+1})``, which equals ``arccos(p_{n+1})`` on the unit
    sphere (``||p'|| = sin d``, ``p_{n+1} = cos d``), without clipping:

    * values are exact to float32 rounding everywhere, including near the poles where ``arccos`` of a
      float32 cosine cannot resolve distances below ~3e-4;
    * the gradient has norm ``1 / ||p||`` (1 on the sphere) at every point other than the poles. At the two
      poles the distance has a cone point and no gradient; there ``||p'||`` is taken with a zero gradient
      (a ``where``-guarded square root), so the returned gradient is 0, a finite subgradient, instead of the
      NaN of ``sqrt`` or the infinite slope of ``arccos`` at +-1.

    Off the sphere the same formula gives the angle between ``p`` and ``N``.

    Args:
      points: ``[..., n + 1]`` float tensor (any float dtype; cast to float32), usually the output of
        :func:`inverse_stereographic_projection`.
    Returns:
      float32 ``[...]``: one distance per point.
    """
    p = tf.cast(points, tf.float32)
    squared = tf.reduce_sum(tf.square(p[..., :-1]), axis=-1)
    off_pole = squared > 0.0
    sine = tf.where(off_pole, tf.sqrt(tf.where(off_pole, squared, 1.0)), 0.0)
    return tf.atan2(sine, p[..., -1])


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class InverseStereographicProjection(keras.layers.Layer):
    """Keras layer mapping features ``x`` in ``R^n`` onto the unit sphere ``S^n`` in ``R^{n+1}`` (Park & Kwon 2019).

    ``p(x) = (2x / (||x||^2 + 1), (||x||^2 - 1) / (||x||^2 + 1))``; see
    :func:`inverse_stereographic_projection` for the overflow- and cancellation-free form. No weights.

    The layer's dtype policy defaults to ``"float32"`` (also under a mixed-precision global policy): the output
    must stay on the sphere to float32 precision, and ``||x||^2`` would overflow float16 for ``||x|| > 256``.

    Input shape ``[..., n]``; output shape ``[..., n + 1]``, float32.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs):
        return inverse_stereographic_projection(inputs)

    def compute_output_shape(self, input_shape):
        last = input_shape[-1]
        return tuple(input_shape[:-1]) + (None if last is None else last + 1,)
