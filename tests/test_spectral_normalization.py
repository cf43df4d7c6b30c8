"""Tests for tfgan_zoo/layers/spectral_normalization.py."""
import numpy as np
import pytest

import keras
import tensorflow as tf

from tfgan_zoo.layers.spectral_normalization import SpectralNormalization


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)  # initial kernels and u vectors


def _matrix(kernel, transposed=False):
    """The [-1, out_channels] matrix whose largest singular value SN must estimate."""
    kernel = np.asarray(kernel)
    if transposed:  # Conv*Transpose kernels are [..., out, in]
        kernel = np.swapaxes(kernel, -1, -2)
    return kernel.reshape(-1, kernel.shape[-1])


def _top_singular_value(matrix):
    return np.linalg.svd(matrix, compute_uv=False)[0]


def _kernel_with_spectrum(shape, transposed, top, rng):
    """A kernel of `shape` whose SN matrix has singular values (top, top/2, ...): fast, certain convergence."""
    rows, cols = _matrix(np.zeros(shape), transposed).shape
    rank = min(rows, cols)
    left, _ = np.linalg.qr(rng.normal(size=(rows, rank)))
    right, _ = np.linalg.qr(rng.normal(size=(cols, rank)))
    singular_values = top * np.linspace(1.0, 0.05, rank) * np.r_[1.0, np.full(rank - 1, 0.5)]
    matrix = (left * singular_values) @ right.T
    if transposed:
        swapped = list(shape)
        swapped[-1], swapped[-2] = swapped[-2], swapped[-1]
        return np.swapaxes(matrix.reshape(swapped), -1, -2).astype("float32")
    return matrix.reshape(shape).astype("float32")


CASES = {
    "dense": (lambda: keras.layers.Dense(6), (4, 10), False),
    "conv2d": (lambda: keras.layers.Conv2D(5, 3), (2, 7, 7, 3), False),
    "conv2d_transpose": (lambda: keras.layers.Conv2DTranspose(5, 3, strides=2), (2, 4, 4, 7), True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sigma_matches_svd_and_normalized_kernel_has_unit_norm(case):
    make_layer, input_shape, transposed = CASES[case]
    rng = np.random.default_rng(0)
    sn = SpectralNormalization(make_layer())
    x = rng.normal(size=input_shape).astype("float32")
    sn(x)
    kernel = _kernel_with_spectrum(tuple(sn.raw_kernel.shape), transposed, top=3.0, rng=rng)
    sn.raw_kernel.assign(kernel)
    for _ in range(20):
        sn(x, training=True)

    expected = _top_singular_value(_matrix(kernel, transposed))
    np.testing.assert_allclose(expected, 3.0, rtol=1e-5)
    np.testing.assert_allclose(float(sn.spectral_norm()), expected, rtol=1e-3)
    normalized = _matrix(sn.normalized_kernel(), transposed)
    np.testing.assert_allclose(_top_singular_value(normalized), 1.0, rtol=1e-3)
    if transposed:
        # Reshaping [h, w, out, in] to [-1, in] (as keras.layers.SpectralNormalization does) is another matrix.
        assert abs(_top_singular_value(kernel.reshape(-1, kernel.shape[-1])) - expected) > 0.05


def test_random_kernel_converges_with_one_iteration_per_call():
    sn = SpectralNormalization(keras.layers.Dense(8, kernel_initializer=keras.initializers.GlorotNormal(seed=1)))
    x = np.ones((2, 16), "float32")
    for _ in range(20):
        sn(x, training=True)
    np.testing.assert_allclose(
        float(sn.spectral_norm()), _top_singular_value(_matrix(sn.raw_kernel.numpy())), rtol=1e-3
    )


def test_training_updates_only_u_and_the_output_uses_the_normalized_kernel():
    rng = np.random.default_rng(1)
    sn = SpectralNormalization(keras.layers.Dense(3, bias_initializer="ones"), power_iterations=5)
    x = rng.normal(size=(4, 5)).astype("float32")
    sn(x)
    raw = sn.raw_kernel.numpy().copy()
    u_before = sn.u.numpy().copy()

    sn(x, training=False)
    np.testing.assert_array_equal(sn.u.numpy(), u_before)  # inference does not touch u
    for _ in range(5):
        outputs = sn(x, training=True)
    assert not np.allclose(sn.u.numpy(), u_before)
    np.testing.assert_array_equal(sn.raw_kernel.numpy(), raw)  # the raw weight is kept
    sigma = _top_singular_value(raw)
    np.testing.assert_allclose(outputs, x @ (raw / sigma) + 1.0, rtol=1e-4, atol=1e-5)
    # Inference right after training uses the same sigma as the training call.
    np.testing.assert_allclose(sn(x, training=False), outputs, rtol=1e-6, atol=1e-6)


def _dense_gradient(sn, x, weights, training):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(sn(x, training=training) * weights)
    return tape.gradient(loss, sn.raw_kernel.value).numpy()


def test_gradient_flows_through_sigma_explicit_formula():
    rng = np.random.default_rng(2)
    sn = SpectralNormalization(keras.layers.Dense(4))
    x = rng.normal(size=(6, 5)).astype("float32")
    sn(x)
    kernel = sn.raw_kernel.numpy()
    # A loss that grows with the scale of W, so that the sigma term matters: <d loss / d W_SN, W> > 0.
    weights = (x @ kernel + 0.1 * rng.normal(size=(6, 4))).astype("float32")
    u = sn.u.numpy() / np.linalg.norm(sn.u.numpy())
    v = kernel @ u / np.linalg.norm(kernel @ u)
    sigma = v @ kernel @ u
    g = x.T @ weights  # d loss / d W_SN
    expected = (g - np.sum(g * kernel / sigma) * np.outer(v, u)) / sigma  # Miyato et al. 2018, eq. 12

    gradient = _dense_gradient(sn, x, weights, training=False)
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-6)
    # W / sigma(W) is scale invariant, so the gradient is orthogonal to W; without the sigma term it is not.
    assert abs(np.sum(gradient * kernel)) < 1e-4 * np.linalg.norm(gradient) * np.linalg.norm(kernel)
    assert abs(np.sum(g / sigma * kernel)) > 0.1 * np.linalg.norm(g / sigma) * np.linalg.norm(kernel)

    # Training mode: the same formula with the u, v of that call (u stored after the update).
    gradient = _dense_gradient(sn, x, weights, training=True)
    u = sn.u.numpy() / np.linalg.norm(sn.u.numpy())
    v = kernel @ u / np.linalg.norm(kernel @ u)
    sigma = v @ kernel @ u
    expected = (g - np.sum(g * kernel / sigma) * np.outer(v, u)) / sigma
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-6)


def test_gradient_matches_finite_differences_in_float64():
    rng = np.random.default_rng(3)
    sn = SpectralNormalization(keras.layers.Dense(3, dtype="float64"), dtype="float64")
    x = rng.normal(size=(4, 5))
    weights = rng.normal(size=(4, 3))
    sn(x)
    gradient = _dense_gradient(sn, x, weights, training=False)

    kernel = sn.raw_kernel.numpy().copy()
    numerical = np.zeros_like(kernel)
    step = 1e-6
    for index in np.ndindex(kernel.shape):
        losses = []
        for sign in (1.0, -1.0):
            shifted = kernel.copy()
            shifted[index] += sign * step
            sn.raw_kernel.assign(shifted)
            losses.append(float(np.sum(sn(x, training=False).numpy() * weights)))
        numerical[index] = (losses[0] - losses[1]) / (2 * step)
    np.testing.assert_allclose(gradient, numerical, rtol=1e-6, atol=1e-8)


def test_differs_from_keras_spectral_normalization():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 5)).astype("float32")
    weights = rng.normal(size=(6, 4)).astype("float32")
    ours = SpectralNormalization(keras.layers.Dense(4))
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(4))
    ours(x)
    theirs(x)
    kernel = rng.normal(size=(5, 4)).astype("float32")
    ours.raw_kernel.assign(kernel)
    theirs.layer.kernel.assign(kernel)

    gradients = {}
    for name, layer in (("ours", ours), ("keras", theirs)):
        variable = layer.layer.kernel if name == "keras" else layer.raw_kernel
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x, training=True) * weights)
        gradients[name] = tape.gradient(loss, variable).numpy()

    # Keras overwrote its kernel with W / sigma: the raw weight is gone; ours is kept.
    np.testing.assert_array_equal(ours.raw_kernel.numpy(), kernel)
    keras_kernel = theirs.layer.kernel.numpy()
    scale = np.sum(keras_kernel * kernel) / np.sum(kernel * kernel)
    np.testing.assert_allclose(keras_kernel, scale * kernel, rtol=1e-5, atol=1e-6)
    assert scale < 0.9
    # Keras' gradient is the plain d loss / d W_SN (no sigma term), parallel-ish to W; ours is orthogonal to W.
    np.testing.assert_allclose(gradients["keras"], x.T @ weights, rtol=1e-5, atol=1e-5)
    assert abs(np.sum(gradients["ours"] * kernel)) < 1e-4 * np.linalg.norm(gradients["ours"]) * np.linalg.norm(kernel)
    assert not np.allclose(gradients["ours"] * _top_singular_value(kernel), gradients["keras"], atol=1e-2)


def _critic():
    return keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            SpectralNormalization(keras.layers.Conv2D(4, 3, strides=2, padding="same")),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Flatten(),
            SpectralNormalization(keras.layers.Dense(1)),
        ]
    )


def _penalty_gradients(critic, images):
    # WGAN-GP style: gradient of a penalty on d critic / d input w.r.t. the raw kernels (double backprop).
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(images)
            scores = critic(images, training=True)
        input_gradient = inner.gradient(scores, images)
        penalty = tf.reduce_mean((tf.norm(tf.reshape(input_gradient, (images.shape[0], -1)), axis=1) - 1.0) ** 2)
    return outer.gradient(penalty, [layer.raw_kernel for layer in _spectral_layers(critic)])


def _spectral_layers(model):
    return [layer for layer in model.layers if isinstance(layer, SpectralNormalization)]


def test_xla_double_backprop_matches_eager():
    critic = _critic()
    images = tf.random.normal((3, 6, 6, 2))
    u_start = [layer.u.numpy().copy() for layer in _spectral_layers(critic)]

    eager = [g.numpy() for g in _penalty_gradients(critic, images)]
    u_eager = [layer.u.numpy().copy() for layer in _spectral_layers(critic)]
    for layer, u in zip(_spectral_layers(critic), u_start):
        layer.u.assign(u)
    compiled = [g.numpy() for g in tf.function(_penalty_gradients, jit_compile=True)(critic, images)]

    for e, c in zip(eager, compiled):
        assert np.abs(e).max() > 0
        np.testing.assert_allclose(c, e, rtol=1e-4, atol=1e-6)
    for a, layer in zip(u_eager, _spectral_layers(critic)):  # u was updated inside the compiled function too
        np.testing.assert_allclose(layer.u.numpy(), a, rtol=1e-5, atol=1e-6)


def test_mixed_precision_computes_sigma_in_float32():
    rng = np.random.default_rng(6)
    sn = SpectralNormalization(keras.layers.Dense(6, dtype="mixed_bfloat16"), dtype="mixed_bfloat16")
    x = rng.normal(size=(3, 10)).astype("float32")
    sn(x)
    sn.raw_kernel.assign(_kernel_with_spectrum((10, 6), False, top=3.0, rng=rng))
    for _ in range(20):
        outputs = sn(x, training=True)
    assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
    assert sn.raw_kernel.dtype == "float32" and sn.u.dtype == "float32"
    sigma = sn.spectral_norm()
    assert keras.backend.standardize_dtype(sigma.dtype) == "float32"
    # bfloat16 keeps 8 bits of mantissa (relative steps of 4e-3); a sigma from the cast kernel would miss this.
    np.testing.assert_allclose(float(sigma), 3.0, rtol=1e-5)


def test_keras_file_round_trip_keeps_u_and_outputs(tmp_path):
    critic = _critic()
    images = np.random.default_rng(7).normal(size=(3, 6, 6, 2)).astype("float32")
    for _ in range(3):
        critic(images, training=True)
    path = str(tmp_path / "critic.keras")
    critic.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored.layers[0], SpectralNormalization)
    np.testing.assert_array_equal(restored(images).numpy(), critic(images).numpy())
    for a, b in zip(critic.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_config_round_trip():
    sn = SpectralNormalization(keras.layers.Conv2D(3, 1), power_iterations=2, epsilon=1e-8, name="sn")
    clone = SpectralNormalization.from_config(sn.get_config())
    assert (clone.power_iterations, clone.epsilon, clone.name) == (2, 1e-8, "sn")
    assert isinstance(clone.layer, keras.layers.Conv2D) and clone.layer.filters == 3


def test_rejects_bad_arguments_and_layers_without_kernel():
    with pytest.raises(ValueError, match="power_iterations=0"):
        SpectralNormalization(keras.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="kernel"):
        SpectralNormalization(keras.layers.Embedding(5, 2))(np.zeros((1, 3), "int32"))


def test_zero_kernel_gives_zero_output_not_nan():
    sn = SpectralNormalization(keras.layers.Dense(2, kernel_initializer="zeros"))
    np.testing.assert_array_equal(sn(np.ones((1, 3), "float32"), training=True).numpy(), np.zeros((1, 2)))
