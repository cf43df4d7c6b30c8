"""Gradient normalisation of a critic (Wu, Shuai, Tam, Chiu, ICCV 2021, "Gradient Normalization for GANs").

The normalised critic ``f_hat(x) = f(x) / (||grad_x f(x)|| + |f(x)|)`` is piecewise 1-Lipschitz for a
piecewise-linear ``f`` (ReLU / LeakyReLU nets) and bounded, ``|f_hat| < 1``. Unlike spectral normalisation it
constrains the whole network at once, not layer by layer, and needs no extra parameters; its price is one
input-gradient per critic evaluation, differentiated again by the training step (double back-propagation).

:func:`gradient_normalize` is the function; :class:`GradientNormalization` wraps any critic model with it so
that every call of the critic, in the critic's and in the generator's update alike, returns ``f_hat``.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from ..penalties import gradient_norm

__all__ = ["gradient_normalize", "GradientNormalization"]


def _check_one_output_per_sample(outputs):
    per_sample = outputs.shape[1:]
    if per_sample.is_fully_defined() and per_sample.num_elements() != 1:
        raise ValueError(f"Gradient normalisation needs a critic with one output per sample ([batch] or "
                         f"[batch, 1]); this critic returns {outputs.shape}. Build it with output_units=1.")


def gradient_normalize(critic_fn, inputs):
    """Gradient-normalised critic values ``f(x) / (||grad_x f(x)|| + |f(x)|)`` (Wu et al. 2021, eq. 8).

    ``grad_x f(x)`` is taken per sample over the flattened input with
    :func:`tfgan_zoo.penalties.gradient_norm` (one forward pass for ``f`` and its gradient). The result is
    differentiable in the critic's weights and in ``x`` (the generator update differentiates through the
    gradient norm too), also under ``jit_compile``.

    Finite everywhere: ``gradient_norm`` is ``sqrt(||g||^2 + 1e-12) >= 1e-6``, so where ``f = 0`` and
    ``grad f = 0`` (e.g. a critic whose weights are all zero) ``f_hat = 0`` and its gradients are finite (the
    official code gives 0/0 = NaN there). As ``f_hat`` does not change when ``f`` is scaled, its gradient in
    the weights grows like ``1 / scale`` when the critic shrinks towards zero: up to about 1e6 at exactly zero.

    Args:
      critic_fn: ``x -> f(x)`` with one output per sample, ``[batch]`` or ``[batch, 1]``; samples must not
        interact (no batch normalisation in training mode), since the gradient is per sample.
      inputs: ``[batch, ...]`` critic inputs.
    Returns:
      float32 tensor of the shape of ``critic_fn(inputs)``, values in ``(-1, 1)``.
    """
    norm, outputs = gradient_norm(critic_fn, inputs, return_outputs=True)
    _check_one_output_per_sample(outputs)
    outputs = tf.cast(outputs, tf.float32)
    norm = tf.reshape(norm, [-1] + [1] * (len(outputs.shape) - 1))  # [batch] -> broadcast over [batch, 1]
    return outputs / (norm + tf.abs(outputs))


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class GradientNormalization(keras.Model):
    """Wraps a critic so that it returns its gradient-normalised value ``f_hat`` (Wu et al., ICCV 2021).

    ``GradientNormalization(critic)(x) = f(x) / (||grad_x f(x)|| + |f(x)|)`` with ``f = critic``, per sample,
    computed by :func:`gradient_normalize`. Use it with any GAN of the zoo, for instance
    ``GAN(generator, GradientNormalization(critic), loss="hinge")``; :class:`tfgan_zoo.models.gngan.GNGAN`
    wraps its discriminator this way. The wrapper owns no weights: its variables are the critic's.

    Args:
      layer: the critic, a ``keras.Model`` (or layer) mapping ``[batch, ...]`` to ``[batch, 1]`` (or
        ``[batch]``) raw outputs.
      **kwargs: ``keras.Model`` arguments (``name``...).

    Call: ``wrapper(x, training=False)`` -> float32 ``[batch, 1]`` (the critic's output shape), in ``(-1, 1)``.
    The wrapped critic stays reachable as ``wrapper.layer`` for its raw values.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, keras.layers.Layer):
            raise TypeError(f"GradientNormalization wraps a keras.Model or layer (the critic); got "
                            f"{type(layer).__name__}.")
        self.layer = layer
        if layer.built:
            self.built = True

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        self.built = True

    def call(self, inputs, training=False):
        if isinstance(inputs, (list, tuple)):  # a class-conditional critic [images, labels]: the norm is that of
            images, *labels = inputs             # the gradient in the images, each image's label held fixed
            return gradient_normalize(lambda x: self.layer([x, *labels], training=training), images)
        return gradient_normalize(lambda x: self.layer(x, training=training), inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, training=False):
        spec = self.layer.compute_output_spec(inputs)
        return keras.KerasTensor(spec.shape, dtype="float32")

    def get_config(self):
        return {"layer": keras.saving.serialize_keras_object(self.layer), "name": self.name,
                "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)
