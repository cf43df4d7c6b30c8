"""Property-based tests (hypothesis): the pure losses, the sphere projection and the data loaders.

Each property holds for every input hypothesis draws, not only for hand-picked ones.
"""
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tfgan_zoo import data, losses
from tfgan_zoo.layers.sphere import (geodesic_distance_to_north_pole, inverse_stereographic_projection,
                                     stereographic_projection)

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Each data example builds tf.data pipelines (tens of ms on 2 cores): fewer examples.
DATA_SETTINGS = settings(SETTINGS, max_examples=12)


def _outputs(bound):
    """Critic outputs ``[batch, 1]`` with finite float32 entries in [-bound, bound]."""
    return hnp.arrays(np.float32, st.tuples(st.integers(1, 16), st.just(1)),
                      elements=st.floats(-bound, bound, width=32, allow_nan=False, allow_infinity=False))


# --- losses ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", losses.available_losses())
@SETTINGS
@given(real=_outputs(1e6), fake=_outputs(1e6))
def test_every_loss_is_a_finite_scalar_for_finite_outputs(name, real, fake):
    pair = losses.get_loss(name)
    n = min(len(real), len(fake))  # relativistic losses pair real and fake samples
    real, fake = real[:n], fake[:n]
    d_loss = pair.discriminator(tf.constant(real), tf.constant(fake))
    g_loss = pair.generator(tf.constant(fake), tf.constant(real) if pair.generator_needs_real else None)
    for value in (d_loss, g_loss):
        assert value.shape == () and np.isfinite(value.numpy()), (name, value)


@SETTINGS
@given(real=_outputs(50.0), fake=_outputs(50.0))
def test_wasserstein_and_hinge_closed_forms(real, fake):
    """``E[D(G(z))] - E[D(x)]`` and ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]`` (float64 references)."""
    r, f = real.astype(np.float64), fake.astype(np.float64)
    np.testing.assert_allclose(losses.wasserstein_discriminator(real, fake).numpy(), f.mean() - r.mean(),
                               rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(losses.hinge_discriminator(real, fake).numpy(),
                               np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean(), rtol=1e-5, atol=1e-4)


# --- the inverse stereographic projection ------------------------------------------------------------------


def _features(bound, max_width=8):
    bound = float(np.float32(bound))
    return hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, max_width)),
                      elements=st.floats(-bound, bound, width=32, allow_nan=False, allow_infinity=False))


@SETTINGS
@given(x=_features(1e30))
def test_projection_lands_on_the_unit_sphere_and_stays_finite(x):
    p = inverse_stereographic_projection(x).numpy()
    assert p.shape == (x.shape[0], x.shape[1] + 1) and np.isfinite(p).all()
    np.testing.assert_allclose(np.linalg.norm(p.astype(np.float64), axis=-1), 1.0, atol=2e-6)
    distance = geodesic_distance_to_north_pole(p).numpy()
    assert np.all(distance >= 0) and np.all(distance <= np.pi + 1e-6)


@SETTINGS
@given(x=_features(100.0))
def test_stereographic_projection_inverts_the_inverse_projection(x):
    back = stereographic_projection(inverse_stereographic_projection(x)).numpy()
    np.testing.assert_allclose(back, x, rtol=2e-4, atol=2e-4 * max(1.0, float(np.abs(x).max())))


@SETTINGS
@given(x=_features(1e3))
def test_projection_is_equivariant_under_sign_flips_of_the_features(x):
    """``p(-x) = (-c x, last)``: the projection commutes with reflections of R^n."""
    p, q = inverse_stereographic_projection(x).numpy(), inverse_stereographic_projection(-x).numpy()
    np.testing.assert_array_equal(q[:, :-1], -p[:, :-1])
    np.testing.assert_array_equal(q[:, -1], p[:, -1])


# --- the data loaders ----------------------------------------------------------------------------------------


def _passes(dataset, count):
    return [np.concatenate([b.numpy() for b in dataset]) for _ in range(count)]


def _rows(array):
    return sorted(map(tuple, array.reshape(len(array), -1).tolist()))


@DATA_SETTINGS
@given(images=hnp.arrays(np.uint8, st.tuples(st.integers(2, 24), st.integers(1, 4), st.integers(1, 4))),
       batch_size=st.integers(1, 8), seed=st.integers(0, 2**31 - 1))
def test_from_numpy_passes_are_permutations_of_scaled_images(images, batch_size, seed):
    batch_size = min(batch_size, len(images))
    dataset = data.from_numpy(images, batch_size=batch_size, seed=seed)
    expected = images[..., None]
    for seen in _passes(dataset, 2):
        assert seen.shape == ((len(images) // batch_size) * batch_size,) + expected.shape[1:]
        assert seen.min() >= -1.0 and seen.max() <= 1.0
        pixels = np.round((seen.astype(np.float64) + 1.0) * 127.5)  # back to 0..255: the scaling is affine
        np.testing.assert_allclose((seen + 1.0) * 127.5, pixels, atol=1e-4)
        if len(seen) == len(images):  # a full pass: exactly the input images, each once
            assert _rows(pixels) == _rows(expected)
        else:  # the dropped remainder: every image seen is one of the inputs
            assert set(_rows(pixels)) <= set(_rows(expected))


@DATA_SETTINGS
@given(images=hnp.arrays(np.float32, st.tuples(st.integers(1, 8), st.integers(1, 3), st.integers(1, 3)),
                         elements=st.floats(0.0, 65535.0, width=32)))
def test_prepare_images_maps_the_value_range_affinely_onto_minus_one_one(images):
    out = data.prepare_images(images, value_range=(0, 65535))
    np.testing.assert_allclose(out[..., 0], images / 65535.0 * 2.0 - 1.0, atol=1e-6)


@DATA_SETTINGS
@given(num_samples=st.integers(8, 64), batch_size=st.integers(1, 8), seed=st.integers(0, 1000))
def test_toy_mixture_is_reproducible_and_reshuffles_the_same_points(num_samples, batch_size, seed):
    first, second = _passes(data.toy_mixture("ring8", num_samples, batch_size, seed), 2)
    again = _passes(data.toy_mixture("ring8", num_samples, batch_size, seed), 1)[0]
    np.testing.assert_array_equal(first, again)  # same seed, same first pass
    assert len(first) == (num_samples // batch_size) * batch_size
    if len(first) == num_samples:
        assert _rows(first) == _rows(second)
    radii = np.linalg.norm(first, axis=1)
    assert np.all(np.abs(radii - 1.0) < 0.1)  # sigma 0.01 around the unit circle
