"""The layers of progressive growing of GANs (Karras, Aila, Laine, Lehtinen, ICLR 2018, "ProGAN").

* :class:`PixelNormalization` — "pixelwise feature vector normalization" (section 4.2): each pixel's feature
  vector is scaled to unit average square, ``b = a / sqrt(mean_c(a^2) + 1e-8)``.
* :class:`MinibatchStandardDeviation` — "increasing variation using minibatch standard deviation" (section 3),
  with the groups of the official code (``group_size = 4``).
* :class:`EqualizedDense`, :class:`EqualizedConv2D` — "equalized learning rate" (section 4.1): weights are
  initialised from N(0, 1) and scaled at run time by the He constant ``c = gain / sqrt(fan_in)``, with
  ``gain = sqrt(2)`` (``w_hat = w * c``), so that Adam's scale-invariant update changes every layer at the same
  speed.
* :class:`FadeIn` — the smooth fade-in of a new block (section 2, figure 2): ``(1 - alpha) * old + alpha * new``.
* :func:`downscale2d` (average pooling, as the paper downsamples) and :func:`upscale2d` (nearest neighbour,
  as the paper upsamples).

Numbers come from the paper and the official code (github.com/tkarras/progressive_growing_of_gans).
"""
from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from ..checks import check_positive_int

__all__ = ["PixelNormalization", "MinibatchStandardDeviation", "EqualizedDense", "EqualizedConv2D", "FadeIn",
           "fade_in", "downscale2d", "upscale2d", "he_constant"]

# Section 4.2 of the paper.
PIXEL_NORM_EPSILON = 1e-8
# Section 3 / official code (networks.py, minibatch_stddev_layer): group size 4, epsilon 1e-8.
MINIBATCH_GROUP_SIZE = 4
MINIBATCH_STD_EPSILON = 1e-8
# Section 4.1: He's initialiser constant sqrt(2 / fan_in), i.e. gain sqrt(2).
HE_GAIN = math.sqrt(2.0)


def _check_factor(name, factor):
    return check_positive_int("factor", factor, f"{name} takes a power of two between resolutions.")


def downscale2d(images, factor=2):
    """Average pooling by ``factor`` (``[b, H, W, c] -> [b, H / factor, W / factor, c]``), as the paper."""
    _check_factor("downscale2d", factor)
    if factor == 1:
        return images
    return tf.nn.avg_pool2d(images, factor, factor, "VALID")


def upscale2d(images, factor=2):
    """Nearest-neighbour upsampling: each pixel repeated ``factor x factor`` times (the paper's upsampling)."""
    _check_factor("upscale2d", factor)
    if factor == 1:
        return images
    return tf.repeat(tf.repeat(images, factor, axis=1), factor, axis=2)


def fade_in(old, new, alpha):
    """``(1 - alpha) * old + alpha * new``, computed as ``old + (new - old) * alpha`` (the official ``lerp``)."""
    return old + (new - old) * ops.cast(alpha, new.dtype)


def he_constant(fan_in, gain=HE_GAIN):
    """The equalised-learning-rate scale ``gain / sqrt(fan_in)`` (``sqrt(2 / fan_in)`` with the default gain)."""
    check_positive_int("fan_in", fan_in, "It is the number of inputs of one output unit.")
    return float(gain) / math.sqrt(float(fan_in))


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class PixelNormalization(keras.layers.Layer):
    """Pixelwise feature normalisation (Karras et al. 2018, section 4.2).

    ``b[x, y] = a[x, y] / sqrt(mean_c(a[x, y, c]^2) + epsilon)`` over the last (channel) axis; the generator
    applies it after every convolution (and, in the official code, to the latent ``z``). No trainable weights.

    Args:
      epsilon: the paper's ``1e-8``.
    """

    def __init__(self, epsilon=PIXEL_NORM_EPSILON, **kwargs):
        super().__init__(**kwargs)
        if not epsilon >= 0:
            raise ValueError(f"epsilon={epsilon!r} must be >= 0 (the paper uses 1e-8).")
        self.epsilon = float(epsilon)

    def call(self, inputs):
        return inputs * ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class MinibatchStandardDeviation(keras.layers.Layer):
    """Minibatch standard deviation (Karras et al. 2018, section 3; the official ``minibatch_stddev_layer``).

    The batch ``[N, H, W, C]`` is split into ``M = N / G`` groups of ``G = min(group_size, N)`` samples; sample
    ``i`` belongs to group ``i mod M`` (the official code reshapes to ``[G, M, ...]``). For each group::

        s   = mean_{h, w, c} sqrt(var_g(x[g, h, w, c]) + epsilon)      # population variance over the group
        out = concat([x, s broadcast to [H, W, 1]], axis=-1)            # one extra feature map

    Args:
      group_size: ``G``, the paper's official 4. The batch size must be a multiple of ``min(G, N)``.
      epsilon: ``1e-8``.

    Shapes: ``[N, H, W, C] -> [N, H, W, C + 1]``.
    """

    def __init__(self, group_size=MINIBATCH_GROUP_SIZE, epsilon=MINIBATCH_STD_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.group_size = check_positive_int("group_size", group_size, "The paper uses 4.")
        self.epsilon = float(epsilon)

    def call(self, inputs):
        static_batch = inputs.shape[0]
        if static_batch is not None:
            group = min(self.group_size, static_batch)
            if static_batch % group:
                raise ValueError(f"MinibatchStandardDeviation: batch size {static_batch} is not a multiple of "
                                 f"group_size={self.group_size}; use a batch size divisible by {group}.")
        else:
            group = tf.minimum(self.group_size, tf.shape(inputs)[0])
        shape = tf.shape(inputs)
        x = tf.cast(inputs, tf.float32)
        grouped = tf.reshape(x, tf.stack([group, -1, shape[1], shape[2], shape[3]]))   # [G, M, H, W, C]
        variance = tf.reduce_mean(tf.square(grouped - tf.reduce_mean(grouped, axis=0)), axis=0)  # [M, H, W, C]
        stddev = tf.reduce_mean(tf.sqrt(variance + self.epsilon), axis=[1, 2, 3])  # [M]
        stddev = tf.tile(stddev, tf.reshape(group, [1]))                             # [N]: sample i -> i mod M
        feature = tf.ones_like(x[..., :1]) * stddev[:, None, None, None]
        return tf.concat([inputs, tf.cast(feature, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (None if input_shape[-1] is None else input_shape[-1] + 1,)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


class _Equalized(keras.layers.Layer):
    """Shared parts of the equalised-learning-rate layers: N(0, 1) kernel, run-time He scale, zero bias."""

    def __init__(self, gain=HE_GAIN, use_bias=True, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not gain > 0:
            raise ValueError(f"gain={gain!r} must be > 0 (sqrt(2) for ReLU/LeakyReLU layers, 1 for linear outputs).")
        self.gain = float(gain)
        self.use_bias = bool(use_bias)
        self.seed = seed
        self.runtime_scale = None

    def _build_weights(self, kernel_shape, fan_in, units):
        self.fan_in = int(fan_in)
        self.runtime_scale = he_constant(self.fan_in, self.gain)
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape,
                                      initializer=keras.initializers.RandomNormal(0.0, 1.0, seed=self.seed))
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros") if self.use_bias else None

    def scaled_kernel(self):
        """The kernel the layer computes with, ``w * gain / sqrt(fan_in)``."""
        return self.kernel * ops.cast(self.runtime_scale, self.kernel.dtype)

    def _add_bias(self, outputs):
        return outputs if self.bias is None else outputs + self.bias

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "use_bias": self.use_bias, "seed": self.seed}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class EqualizedDense(_Equalized):
    """Dense layer with an equalised learning rate (Karras et al. 2018, section 4.1).

    ``y = x @ (w * c) + b`` with ``w ~ N(0, 1)``, ``c = gain / sqrt(fan_in)`` (``fan_in`` = input features),
    ``b = 0`` initially. ``c`` is applied at every call, not folded into the initialisation.

    Args:
      units: output features.
      gain: ``sqrt(2)`` (the He constant, default); 1 for a linear output layer; the official generator uses
        ``sqrt(2) / 4`` for its first (latent -> 4x4) layer.
      use_bias: add a bias (default True).
      seed: seed of the N(0, 1) initialiser.
    """

    def __init__(self, units, gain=HE_GAIN, use_bias=True, seed=None, **kwargs):
        super().__init__(gain=gain, use_bias=use_bias, seed=seed, **kwargs)
        self.units = check_positive_int("units", units)

    def build(self, input_shape):
        fan_in = input_shape[-1]
        self._build_weights((fan_in, self.units), fan_in, self.units)

    def call(self, inputs):
        return self._add_bias(ops.matmul(inputs, self.scaled_kernel()))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class EqualizedConv2D(_Equalized):
    """2-D convolution with an equalised learning rate (Karras et al. 2018, section 4.1).

    ``y = conv(x, w * c) + b``, ``w ~ N(0, 1)``, ``c = gain / sqrt(k * k * in_channels)``, stride 1.

    Args:
      filters: output channels.
      kernel_size: ``k`` (square kernels; 3 in the blocks, 1 for toRGB/fromRGB, 4 "valid" at 4x4).
      padding: ``"same"`` (default) or ``"valid"``.
      gain, use_bias, seed: as :class:`EqualizedDense`.
    """

    def __init__(self, filters, kernel_size, padding="same", gain=HE_GAIN, use_bias=True, seed=None, **kwargs):
        super().__init__(gain=gain, use_bias=use_bias, seed=seed, **kwargs)
        filters, kernel_size = check_positive_int("filters", filters), check_positive_int("kernel_size", kernel_size)
        if padding not in ("same", "valid"):
            raise ValueError(f"padding={padding!r} must be 'same' or 'valid'.")
        self.filters, self.kernel_size, self.padding = filters, kernel_size, padding

    def build(self, input_shape):
        channels = input_shape[-1]
        self._build_weights((self.kernel_size, self.kernel_size, channels, self.filters),
                            self.kernel_size * self.kernel_size * channels, self.filters)

    def call(self, inputs):
        return self._add_bias(ops.conv(inputs, self.scaled_kernel(), strides=1, padding=self.padding))

    def compute_output_shape(self, input_shape):
        height, width = input_shape[1:3]
        if self.padding == "valid":
            height = None if height is None else height - self.kernel_size + 1
            width = None if width is None else width - self.kernel_size + 1
        return (input_shape[0], height, width, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "padding": self.padding}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class FadeIn(keras.layers.Layer):
    """The smooth fade-in of a new block (Karras et al. 2018, figure 2): ``(1 - alpha) * old + alpha * new``.

    ``old`` is the previous resolution's path (upsampled in the generator, downsampled in the critic), ``new``
    the new block's; ``alpha`` rises linearly from 0 to 1 during the fade-in. Computed as
    ``old + (new - old) * alpha`` (the official ``lerp``).

    Call args:
      inputs: ``[old, new]``, two tensors of the same shape.
      alpha: a scalar in [0, 1] (a tensor or a variable).
    """

    def call(self, inputs, alpha):
        old, new = inputs
        return fade_in(old, new, alpha)

    def compute_output_shape(self, input_shape):
        return input_shape[1]
