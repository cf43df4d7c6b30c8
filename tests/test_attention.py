"""Tests for tfgan_zoo/layers/attention.py."""
import numpy as np
import pytest

import keras

from tfgan_zoo.layers.attention import SelfAttention
from tfgan_zoo.layers.spectral_normalization import SpectralNormalization


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _conv1x1(x, layer):
    kernel, bias = (w.numpy() for w in layer.weights)
    return x @ kernel[0, 0] + bias


def test_output_shape_channels_and_identity_at_initialisation():
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 16)).astype("float32")
    layer = SelfAttention()
    y, attention = layer(x, return_attention=True)
    assert y.shape == x.shape
    assert attention.shape == (2, 20, 20)
    assert [l.filters for l in (layer.query, layer.key, layer.value, layer.output_projection)] == [2, 2, 8, 16]
    np.testing.assert_array_equal(y.numpy(), x)  # gamma = 0
    np.testing.assert_allclose(attention.numpy().sum(axis=-1), 1.0, rtol=1e-6)


def test_attends_to_the_position_with_a_distinctive_key():
    # Every query is 1; only position (2, 1) has a large key, so every row of the map must point there. A
    # softmax over the wrong axis (queries) would give a uniform map.
    layer = SelfAttention()
    x = np.zeros((1, 4, 4, 8), "float32")
    x[0, 2, 1, 0] = 1.0
    layer(x)
    query_kernel = np.zeros((1, 1, 8, 1), "float32")
    key_kernel = np.zeros((1, 1, 8, 1), "float32")
    key_kernel[0, 0, 0, 0] = 10.0
    layer.query.set_weights([query_kernel, np.ones(1, "float32")])
    layer.key.set_weights([key_kernel, np.zeros(1, "float32")])

    _, attention = layer(x, return_attention=True)
    attention = attention.numpy()[0]
    assert attention.shape == (16, 16)
    assert np.all(attention[:, 2 * 4 + 1] > 0.99)


def test_matches_numpy_reference_with_nonzero_gamma():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 3, 16)).astype("float32")
    layer = SelfAttention()
    layer(x)
    layer.gamma.assign(0.7)
    for conv in (layer.query, layer.key, layer.value):
        conv.bias.assign(rng.normal(size=conv.bias.shape).astype("float32"))

    y = layer(x).numpy()
    flat = x.reshape(2, 9, 16)
    beta = _softmax(_conv1x1(flat, layer.query) @ np.swapaxes(_conv1x1(flat, layer.key), 1, 2))
    o = _conv1x1(beta @ _conv1x1(flat, layer.value), layer.output_projection)
    np.testing.assert_allclose(y, (0.7 * o + flat).reshape(x.shape), rtol=1e-4, atol=1e-5)


def test_spectral_normalization_wraps_the_convolutions_and_round_trips(tmp_path):
    keras.utils.set_random_seed(2)
    inputs = keras.Input((4, 4, 8))
    model = keras.Model(inputs, SelfAttention(spectral_normalization=True)(inputs))
    layer = model.layers[-1]
    for conv in (layer.query, layer.key, layer.value, layer.output_projection):
        assert isinstance(conv, SpectralNormalization)
    layer.gamma.assign(0.5)
    x = np.random.default_rng(2).normal(size=(2, 4, 4, 8)).astype("float32")
    u_before = layer.query.u.numpy().copy()
    model(x, training=True)
    assert not np.allclose(layer.query.u.numpy(), u_before)  # training reaches the wrappers

    path = str(tmp_path / "attention.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(restored(x).numpy(), model(x).numpy())


def test_config_round_trip_and_errors():
    layer = SelfAttention(spectral_normalization=True, name="attn")
    clone = SelfAttention.from_config(layer.get_config())
    assert clone.spectral_normalization and clone.name == "attn"
    with pytest.raises(ValueError, match="at least 2 input channels"):
        SelfAttention()(np.zeros((1, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match=r"\[batch, H, W, C\]"):
        SelfAttention()(np.zeros((1, 4, 8), "float32"))
