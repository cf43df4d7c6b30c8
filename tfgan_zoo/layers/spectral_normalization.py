"""Spectral normalisation of a layer's kernel as a function of the raw kernel (Miyato et al. 2018).

Why not ``keras.layers.SpectralNormalization``: on every training call it *assigns* ``W / sigma(W)`` into the
wrapped kernel variable. The optimiser then updates the already-normalised weight, the gradient never sees
``sigma(W)`` (no ``- <G, W> v u^T / sigma^2`` term), and the raw weight is lost. It also reshapes a
``Conv2DTranspose`` kernel ``[h, w, out, in]`` to ``[-1, in]``, the spectral norm of a different matrix.
Here, as in the paper and in PyTorch's ``torch.nn.utils.spectral_norm``, the trainable variable stays the raw
``W`` and the forward pass uses ``W / sigma(W)`` (discussed in tensorflow/addons PR #1244, keras issue #20309).
"""
from __future__ import annotations

import contextlib

import keras
from keras import ops

# Keras has no public way to read a float32 variable past the caller's mixed-precision autocast scope, and
# sigma must come from the full-precision weight.
from keras.src.backend import AutocastScope

from ..checks import check_positive_int

__all__ = ["SpectralNormalization"]

_TRANSPOSED_CONVOLUTIONS = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_DEPTHWISE_CONVOLUTIONS = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
# The weight matrices a layer may hold: "kernel" (Dense, EinsumDense, Conv*, Conv*Transpose, DepthwiseConv*) or
# the two of a separable convolution.
_KERNEL_ATTRIBUTES = ("kernel", "depthwise_kernel", "pointwise_kernel")


def _l2_normalize(x, epsilon):
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), epsilon)


def _swap_last_axes(x):
    rank = len(x.shape)
    return ops.transpose(x, list(range(rank - 2)) + [rank - 1, rank - 2])


@contextlib.contextmanager
def _substituted_attribute(obj, name, value):
    # Bypasses Keras' attribute tracking: the stand-in tensor is not state, and the variable goes back as it was.
    original = obj.__dict__[name]
    object.__setattr__(obj, name, value)
    try:
        yield
    finally:
        object.__setattr__(obj, name, original)


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class SpectralNormalization(keras.layers.Wrapper):
    """Spectral normalisation (Miyato, Kataoka, Koyama, Yoshida 2018, "Spectral Normalization for GANs").

    The wrapped layer computes with ``W_SN = W / sigma(W)`` where ``W`` is its raw, trainable kernel and
    ``sigma(W)`` its largest singular value, estimated by power iteration on the matrix
    ``W_mat = reshape(W, [-1, out_channels])``::

        v = normalize(W_mat u)                    # u: persistent, non-trainable, shape [out_channels]
        repeat power_iterations times:  u = normalize(W_mat^T v);  v = normalize(W_mat u)
        sigma = v^T W_mat u                       # u, v under stop_gradient

    ``W_SN`` is a function of ``W``: the gradient reaching ``W`` is ``(G - <G, W_SN> v u^T) / sigma`` for the
    gradient ``G`` w.r.t. ``W_SN`` (orthogonal to ``W``), as in the paper (eq. 12) and PyTorch's
    ``spectral_norm``. ``u`` is updated only when ``training=True``; with ``training=False`` the same formula
    runs with zero iterations, so inference right after a training call uses exactly the training ``sigma``.
    ``W`` is never overwritten. Under mixed precision ``sigma`` is computed in float32 from the float32
    weight (float64 kernels stay float64) and ``W_SN`` is cast to the wrapped layer's compute dtype. Works
    under ``jit_compile`` and with double back-propagation (gradient penalties).

    Supported layers: those with a ``kernel`` variable whose last axis is the output channels (``Dense``,
    ``EinsumDense``, ``Conv1D/2D/3D``); transposed convolutions, whose kernel ``[..., out, in]`` is transposed to
    put the output channels last before the reshape; depthwise convolutions, whose kernel ``[..., in, multiplier]``
    is read as ``[-1, in * multiplier]`` (each output channel's filter is a column, as PyTorch's ``spectral_norm``
    reads a grouped convolution); separable convolutions, whose depthwise and pointwise kernels are normalised
    each by its own ``sigma`` (one ``u`` each). Layers without such a variable (``Embedding``, LoRA-enabled or
    quantised layers) are rejected at build time.

    Args:
      layer: the ``keras.layers.Layer`` to wrap.
      power_iterations: power-iteration steps per training call, integer >= 1. Default 1 (the paper's).
      epsilon: lower bound on norms and on ``sigma``, so that a zero kernel gives zeros instead of NaN.
        Default 1e-12 (PyTorch's).
      **kwargs: ``keras.layers.Wrapper`` arguments (``name``, ``dtype``...).

    Input and output shapes are those of the wrapped layer.

    Example::

        critic_conv = SpectralNormalization(keras.layers.Conv2D(64, 3, padding="same"))
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, **kwargs):
        super().__init__(layer, **kwargs)
        power_iterations = check_positive_int("power_iterations", power_iterations,
                                              "The paper uses 1 per training step (u persists between steps).")
        if not epsilon > 0:
            raise ValueError(f"epsilon={epsilon!r} must be > 0; use a tiny value such as 1e-12.")
        self.power_iterations = power_iterations
        self.epsilon = float(epsilon)

    def build(self, input_shape=None):
        super().build(input_shape)
        kernels = [(name, getattr(self.layer, name, None)) for name in _KERNEL_ATTRIBUTES]
        kernels = [(name, kernel) for name, kernel in kernels if isinstance(kernel, keras.Variable)]
        if not kernels:
            raise ValueError(
                f"SpectralNormalization cannot wrap {type(self.layer).__name__} {self.layer.name!r}: it needs a "
                "layer whose `kernel` is a plain variable (Dense, EinsumDense, Conv*, Conv*Transpose, "
                "DepthwiseConv*) or a SeparableConv*, not LoRA-enabled or quantised."
            )
        # (attribute of the layer holding the variable, layout of its matrix), the main kernel first
        self._kernels = []
        u_variables = []
        for public_name, kernel in kernels:
            names = [name for name, value in vars(self.layer).items() if value is kernel]
            if not names:
                raise ValueError(
                    f"SpectralNormalization cannot find the attribute holding the {public_name} of "
                    f"{self.layer.name!r}."
                )
            if isinstance(self.layer, _TRANSPOSED_CONVOLUTIONS):
                layout, columns = "transposed", kernel.shape[-2]
            elif isinstance(self.layer, _DEPTHWISE_CONVOLUTIONS) or public_name == "depthwise_kernel":
                layout, columns = "depthwise", kernel.shape[-2] * kernel.shape[-1]
            else:
                layout, columns = "standard", kernel.shape[-1]
            self._kernels.append((names[0], layout))
            u_variables.append(self.add_weight(
                name="u" if not u_variables else f"u_{public_name}",
                shape=(columns,),
                initializer=keras.initializers.RandomNormal(stddev=1.0),
                trainable=False,
                dtype="float32",
                autocast=False,
            ))
        self.u = u_variables[0]
        self._u_variables = u_variables

    @property
    def raw_kernel(self):
        """The wrapped layer's trainable kernel variable ``W`` (never overwritten); a separable convolution's
        depthwise kernel."""
        return getattr(self.layer, self._kernels[0][0])

    def _kernel_matrix(self, attribute, layout):
        # W as [-1, out_channels] in float32 (float64 for a float64 kernel), read past any mixed-precision
        # autocast.
        with AutocastScope(None):
            kernel = getattr(self.layer, attribute).value
        if keras.backend.standardize_dtype(kernel.dtype) != "float64":
            kernel = ops.cast(kernel, "float32")
        if layout == "transposed":
            kernel = _swap_last_axes(kernel)
        columns = kernel.shape[-2] * kernel.shape[-1] if layout == "depthwise" else kernel.shape[-1]
        return kernel, ops.reshape(kernel, (-1, columns))

    def _power_iteration(self, matrix, u_variable, iterations):
        w = ops.stop_gradient(matrix)
        u = _l2_normalize(ops.cast(u_variable, w.dtype), self.epsilon)
        v = _l2_normalize(ops.matmul(w, u), self.epsilon)
        for _ in range(iterations):
            u = _l2_normalize(ops.matmul(ops.transpose(w), v), self.epsilon)
            v = _l2_normalize(ops.matmul(w, u), self.epsilon)
        return ops.stop_gradient(u), ops.stop_gradient(v)

    def _normalize(self, training):
        """``[(W_SN in the kernel's layout, sigma)]`` for each kernel, float32 (or float64); updates the ``u``
        vectors when training."""
        results = []
        for (attribute, layout), u_variable in zip(self._kernels, self._u_variables):
            kernel, matrix = self._kernel_matrix(attribute, layout)
            u, v = self._power_iteration(matrix, u_variable, self.power_iterations if training else 0)
            if training:
                u_variable.assign(ops.cast(u, "float32"))
            sigma = ops.maximum(ops.sum(v * ops.matmul(matrix, u)), self.epsilon)
            normalized = kernel / sigma
            if layout == "transposed":
                normalized = _swap_last_axes(normalized)
            results.append((normalized, sigma))
        return results

    def spectral_norm(self):
        """Current estimate of ``sigma(W)`` from the stored ``u`` (float32 scalar); does not update ``u``."""
        return self._normalize(training=False)[0][1]

    def normalized_kernel(self):
        """``W / sigma(W)`` in the raw kernel's layout (float32), as used by an inference call."""
        return self._normalize(training=False)[0][0]

    def call(self, inputs, training=False):
        with contextlib.ExitStack() as stack:
            for (attribute, _), (normalized, _) in zip(self._kernels, self._normalize(bool(training))):
                normalized = ops.cast(normalized, self.layer.compute_dtype)
                stack.enter_context(_substituted_attribute(self.layer, attribute, normalized))
            return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations, "epsilon": self.epsilon}
