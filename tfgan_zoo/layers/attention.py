"""Self-attention over the spatial positions of a feature map (SAGAN, Zhang et al. 2019)."""
from __future__ import annotations

import keras
from keras import ops

from .spectral_normalization import SpectralNormalization

__all__ = ["SelfAttention"]


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class SelfAttention(keras.layers.Layer):
    """SAGAN self-attention block (Zhang, Goodfellow, Metaxas, Odena 2019, "Self-Attention GANs").

    For an input ``x`` of shape ``[batch, H, W, C]`` with ``N = H * W`` positions, four 1x1 convolutions
    ``f`` (queries, ``C // 8`` channels), ``g`` (keys, ``C // 8``), ``h`` (values, ``C // 2``) and ``v``
    (back to ``C``) give::

        s[j, i]    = f(x)_j . g(x)_i
        beta[j, i] = softmax_i(s[j, i])           # row j: where query position j looks; sums to 1
        o_j        = v(sum_i beta[j, i] h(x)_i)
        y          = gamma * o + x                # gamma: trainable scalar, initialised to 0

    The channel ratios are those of the official SAGAN/BigGAN TensorFlow code; its 2x2 max-pooling of the
    ``g`` and ``h`` paths is left out. ``gamma = 0`` makes the block the identity at initialisation, so the
    network first relies on local (convolutional) cues. The softmax runs in float32 under mixed precision.

    Args:
      spectral_normalization: wrap ``f, g, h, v`` in :class:`SpectralNormalization` (SAGAN does, in both
        networks). Default False.
      **kwargs: ``keras.layers.Layer`` arguments (``name``, ``dtype``...).

    Call args:
      inputs: ``[batch, H, W, C]`` with static ``H, W, C`` (``C >= 2``).
      training: passed to the spectral normalisation (updates of its ``u`` vectors).
      return_attention: also return ``beta``, shape ``[batch, N, N]`` (query position, key position), with
        positions in row-major ``(row, column)`` order.

    Returns:
      ``y`` of the input's shape, or ``(y, beta)`` with ``return_attention=True``.
    """

    def __init__(self, spectral_normalization=False, **kwargs):
        super().__init__(**kwargs)
        self.spectral_normalization = bool(spectral_normalization)

    def _conv(self, filters, name):
        conv = keras.layers.Conv2D(filters, 1, name=name, dtype=self.dtype_policy)
        if self.spectral_normalization:
            return SpectralNormalization(conv, name=f"sn_{name}", dtype=self.dtype_policy)
        return conv

    def build(self, input_shape):
        if len(input_shape) != 4 or None in tuple(input_shape[1:]):
            raise ValueError(
                f"SelfAttention needs inputs [batch, H, W, C] with known H, W, C; got shape {tuple(input_shape)}."
            )
        channels = input_shape[-1]
        if channels < 2:
            raise ValueError(f"SelfAttention needs at least 2 input channels; got C={channels}.")
        self.query = self._conv(max(channels // 8, 1), "f")
        self.key = self._conv(max(channels // 8, 1), "g")
        self.value = self._conv(channels // 2, "h")
        self.output_projection = self._conv(channels, "v")
        self.query.build(input_shape)
        self.key.build(input_shape)
        self.value.build(input_shape)
        self.output_projection.build(tuple(input_shape[:-1]) + (channels // 2,))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros", trainable=True)

    def call(self, inputs, training=None, return_attention=False):
        height, width = inputs.shape[1], inputs.shape[2]
        positions = height * width

        def flat(layer):
            features = layer(inputs, training=training)
            return ops.reshape(features, (-1, positions, features.shape[-1]))

        query, key, value = flat(self.query), flat(self.key), flat(self.value)
        logits = ops.matmul(query, ops.transpose(key, (0, 2, 1)))
        attention = ops.softmax(ops.cast(logits, "float32"), axis=-1)
        attended = ops.matmul(ops.cast(attention, value.dtype), value)
        attended = ops.reshape(attended, (-1, height, width, value.shape[-1]))
        attended = self.output_projection(attended, training=training)
        outputs = ops.cast(self.gamma, attended.dtype) * attended + inputs
        if return_attention:
            return outputs, attention
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "spectral_normalization": self.spectral_normalization}
