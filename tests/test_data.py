"""Tests for tfgan_zoo/data.py. Everything runs offline; TFDS is exercised with mock data."""

import math
import os
import warnings

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tfgan_zoo import data


def batches(ds):
    return [b.numpy() for b in ds]


# ------------------------------------------------------------------------------------------
# Scaling helpers
# ------------------------------------------------------------------------------------------


def test_scale_to_unit_range_hits_endpoints_exactly():
    pixels = np.array([0, 1, 127, 128, 254, 255], dtype=np.uint8)
    for out in (data.scale_to_unit_range(pixels), data.scale_to_unit_range(tf.constant(pixels)).numpy()):
        assert out.dtype == np.float32
        assert out[0] == -1.0 and out[-1] == 1.0
        np.testing.assert_allclose(out, pixels / 127.5 - 1.0, atol=1e-7)
    np.testing.assert_array_equal(data.scale_to_unit_range(np.array([0.0, 16.0]), (0, 16)), [-1.0, 1.0])


def test_to_uint8_inverts_scaling_for_every_pixel_value():
    pixels = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(data.to_uint8(data.scale_to_unit_range(pixels)), pixels)
    tensor = data.to_uint8(data.scale_to_unit_range(tf.constant(pixels)))
    assert tensor.dtype == tf.uint8
    np.testing.assert_array_equal(tensor.numpy(), pixels)
    np.testing.assert_array_equal(data.to_uint8(np.array([-3.0, 0.0, 7.0])), [0, 128, 255])


def test_to_uint8_rejects_nan():
    with pytest.raises(ValueError, match=r"images contains 1 NaN"):
        data.to_uint8(np.array([0.0, np.nan]))


def test_bad_value_range_is_named():
    with pytest.raises(ValueError, match="value_range"):
        data.scale_to_unit_range(np.zeros(3), (1, 1))


# ------------------------------------------------------------------------------------------
# Toy mixtures
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sampler, name, k, sigma",
    [(data.ring_of_8, "ring8", 8, 0.01), (data.grid_of_25, "grid25", 25, 0.05)],
)
def test_toy_sampler_matches_its_definition(sampler, name, k, sigma):
    n = 50_000
    points = sampler(n, np.random.default_rng(1))
    assert points.shape == (n, 2) and points.dtype == np.float32
    centres, s = data.toy_modes(name)
    assert centres.shape == (k, 2) and s == sigma

    dist = np.linalg.norm(points[:, None, :] - centres[None], axis=-1)
    nearest = dist.argmin(axis=1)
    offset = points - centres[nearest]
    # Components are chosen uniformly: every mode present, counts within 5 binomial s.d.
    counts = np.bincount(nearest, minlength=k)
    expected = n / k
    assert np.all(np.abs(counts - expected) < 5 * math.sqrt(expected * (1 - 1 / k)))
    # Gaussian per axis with the stated sigma, centred on its mode.
    np.testing.assert_allclose(offset.std(axis=0), sigma, rtol=0.02)
    np.testing.assert_allclose(offset.mean(axis=0), 0.0, atol=5 * sigma / math.sqrt(n))
    # Within 3 sigma: 0.9973 per axis (both axes: 0.9973^2), and 1 - exp(-9/2) = 0.9889 for the
    # Euclidean distance in 2-D (what PacGAN's "high quality" sample count uses).
    for frac, p in [
        (np.mean(np.abs(offset[:, 0]) <= 3 * sigma), 0.99730),
        (np.mean(np.all(np.abs(offset) <= 3 * sigma, axis=1)), 0.99730**2),
        (np.mean(np.linalg.norm(offset, axis=1) <= 3 * sigma), 1 - math.exp(-4.5)),
    ]:
        assert abs(frac - p) < 5 * math.sqrt(p * (1 - p) / n)


def test_toy_modes_geometry():
    ring, _ = data.toy_modes("ring_of_8")
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 1.0)
    angles = np.sort(np.mod(np.arctan2(ring[:, 1], ring[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), np.pi / 4)
    grid, _ = data.toy_modes("grid_of_25")
    assert {tuple(c) for c in grid} == {(x, y) for x in range(-4, 5, 2) for y in range(-4, 5, 2)}
    ring[0] = 99.0  # a copy: callers cannot corrupt the definition
    assert data.toy_modes("ring8")[0][0, 0] == 1.0


def test_toy_mixture_dataset():
    ds = data.toy_mixture("grid25", num_samples=1000, batch_size=128, seed=3)
    assert ds.element_spec == tf.TensorSpec((128, 2), tf.float32)
    epoch1, epoch2 = batches(ds), batches(ds)
    assert len(epoch1) == 1000 // 128
    assert not np.array_equal(epoch1[0], epoch2[0])  # reshuffled every pass
    again = batches(data.toy_mixture("grid25", num_samples=1000, batch_size=128, seed=3))
    np.testing.assert_array_equal(epoch1[0], again[0])  # same seed, same data and order
    other = batches(data.toy_mixture("grid25", num_samples=1000, batch_size=128, seed=4))
    assert not np.array_equal(epoch1[0], other[0])
    repeated = data.toy_mixture("ring8", num_samples=100, batch_size=50, repeat=True)
    assert len(list(repeated.take(5))) == 5


def test_unknown_toy_name():
    with pytest.raises(ValueError, match="ring8"):
        data.toy_modes("ring9")


# ------------------------------------------------------------------------------------------
# Embedded real digits
# ------------------------------------------------------------------------------------------


def test_mnist_arrays_are_the_5000_real_digits():
    images, labels = data.mnist_arrays()
    assert images.shape == (5000, 28, 28, 1) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert labels.shape == (5000,) and set(labels) == set(range(10))
    # Real MNIST: mostly black background, mean pixel about 0.13 of full scale.
    assert -0.8 < images.mean() < -0.68
    assert np.mean(images[:, :3] == -1.0) > 0.99  # empty top rows


def test_mnist_dataset_shapes():
    ds = data.mnist(batch_size=64)
    assert ds.element_spec == tf.TensorSpec((64, 28, 28, 1), tf.float32)
    assert len(batches(ds)) == 5000 // 64
    ds32 = data.mnist(batch_size=10, image_size=32, limit=100)
    out = batches(ds32)
    assert len(out) == 10 and out[0].shape == (10, 32, 32, 1)
    assert out[0].min() >= -1.0 and out[0].max() <= 1.0


def test_digits():
    images, labels = data.digits_arrays()
    assert images.shape == (1797, 8, 8, 1) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0 and set(labels) == set(range(10))
    from sklearn.datasets import load_digits

    np.testing.assert_allclose(images[..., 0], load_digits().images / 8.0 - 1.0, atol=1e-6)
    ds = data.digits(batch_size=32, image_size=28)
    assert ds.element_spec == tf.TensorSpec((32, 28, 28, 1), tf.float32)
    assert len(batches(ds)) == 1797 // 32


# ------------------------------------------------------------------------------------------
# from_numpy
# ------------------------------------------------------------------------------------------


def test_from_numpy_uint8_nhw():
    images = np.zeros((6, 5, 4), np.uint8)
    images[:3] = 255
    ds = data.from_numpy(images, batch_size=6)
    (batch,) = batches(ds)
    assert batch.shape == (6, 5, 4, 1) and batch.dtype == np.float32
    assert sorted(batch[:, 0, 0, 0]) == [-1.0] * 3 + [1.0] * 3


def test_from_numpy_floats():
    x = np.linspace(-1, 1, 2 * 3 * 3 * 2, dtype=np.float32).reshape(2, 3, 3, 2)
    np.testing.assert_array_equal(data.prepare_images(x), x)
    unit = (x + 1) / 2
    np.testing.assert_allclose(data.prepare_images(unit, value_range=(0, 1)), x, atol=1e-6)
    with pytest.warns(UserWarning, match=r"value_range=\(0, 1\)"):
        data.prepare_images(unit)
    wide = data.prepare_images(np.array([[[0, 1000]]], np.int16), value_range=(0, 1000))
    np.testing.assert_array_equal(wide[..., 0], [[[-1.0, 1.0]]])


def test_from_numpy_epoch_covers_every_image_once_and_reshuffles():
    images = np.arange(12, dtype=np.uint8).reshape(12, 1, 1, 1) * 20
    ds = data.from_numpy(images, batch_size=4, seed=7)
    first = np.concatenate(batches(ds)).ravel()
    second = np.concatenate(batches(ds)).ravel()
    expected = np.sort(data.scale_to_unit_range(images).ravel())
    np.testing.assert_array_equal(np.sort(first), expected)
    np.testing.assert_array_equal(np.sort(second), expected)
    assert not np.array_equal(first, second)
    same = np.concatenate(batches(data.from_numpy(images, batch_size=4, seed=7))).ravel()
    np.testing.assert_array_equal(first, same)


def test_from_numpy_drops_remainder():
    ds = data.from_numpy(np.zeros((10, 2, 2, 3), np.uint8), batch_size=4)
    assert ds.element_spec.shape == (4, 2, 2, 3)
    assert len(batches(ds)) == 2


def test_from_numpy_resize_and_center_crop():
    # 4x8 image: two bright columns at each side, dark centre square.
    x = np.full((1, 4, 8), 255, np.uint8)
    x[:, :, 2:6] = 0
    cropped = data.prepare_images(x, image_size=4)
    np.testing.assert_array_equal(cropped, -np.ones((1, 4, 4, 1), np.float32))
    stretched = data.prepare_images(x, image_size=4, center_crop=False)
    assert stretched.max() > 0.0
    pixels = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    up = data.prepare_images(pixels, image_size=(20, 12))
    assert up.shape == (3, 20, 12, 3) and up.min() >= -1.0 and up.max() <= 1.0


@pytest.mark.parametrize(
    "images, kwargs, error, pattern",
    [
        (np.array([[[np.nan, 0.0], [np.nan, 0.0]]]), {}, ValueError, r"images contains 2 NaN and 0 Inf"),
        (np.array([[[np.inf, -np.inf]]]), {}, ValueError, r"images contains 0 NaN and 2 Inf"),
        (np.zeros((4, 4), np.uint8), {}, ValueError, r"images must have rank 4 .*got rank 2"),
        (np.zeros((1, 2, 2, 2, 1), np.uint8), {}, ValueError, r"images must have rank 4 .*got rank 5"),
        (np.zeros((0, 8, 8, 1), np.uint8), {}, ValueError, r"images is empty"),
        (np.array([[[0, 300]]]), {}, ValueError, r"images has integer dtype .*outside \[0, 255\]"),
        (np.array([[[-1, 3]]], np.int8), {}, ValueError, r"images has integer dtype"),
        (
            np.array([[[0.0, 255.0]]]),
            {},
            ValueError,
            r"images .*outside \[-1, 1\].*value_range=\(0, 255\)",
        ),
        (np.array([[[0.0, 2.0]]]), {"value_range": (0, 1)}, ValueError, r"images .*outside value_range"),
        (np.array([[[True]]]), {}, TypeError, r"images must have an integer or float dtype"),
        (np.array([[["a"]]]), {}, TypeError, r"images must have an integer or float dtype"),
        (np.zeros((1, 2, 2), np.uint8), {"value_range": (1, 0)}, ValueError, r"value_range"),
        (np.zeros((1, 2, 2), np.uint8), {"image_size": (2, 2, 2)}, ValueError, r"image_size"),
        (np.zeros((1, 2, 2), np.uint8), {"image_size": 0}, ValueError, r"image_size"),
        (np.zeros((3, 2, 2), np.uint8), {"batch_size": 4}, ValueError, r"batch_size=4 is larger"),
        (np.zeros((3, 2, 2), np.uint8), {"batch_size": 0}, ValueError, r"batch_size must be a positive"),
    ],
)
def test_from_numpy_errors(images, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        data.from_numpy(images, **kwargs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 6),
    st.integers(1, 9),
    st.integers(1, 9),
    st.sampled_from([None, 1, 3]),
    st.data(),
)
def test_from_numpy_uint8_property(n, h, w, c, draw):
    shape = (n, h, w) if c is None else (n, h, w, c)
    seed = draw.draw(st.integers(0, 2**31 - 1))
    images = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    batch_size = draw.draw(st.integers(1, n))
    image_size = draw.draw(st.one_of(st.none(), st.integers(1, 12)))
    out = batches(data.from_numpy(images, batch_size=batch_size, seed=seed, image_size=image_size))
    hh, ww = (h, w) if image_size is None else (image_size, image_size)
    assert len(out) == n // batch_size
    for b in out:
        assert b.shape == (batch_size, hh, ww, c or 1) and b.dtype == np.float32
        assert b.min() >= -1.0 and b.max() <= 1.0
    if image_size is None:
        full = data.prepare_images(images)
        np.testing.assert_array_equal(data.to_uint8(full).reshape(shape), images)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=1, max_size=64))
def test_uint8_roundtrip_property(values):
    pixels = np.array(values, np.uint8).reshape(1, 1, -1)
    unit = data.prepare_images(pixels)
    assert unit.min() >= -1.0 and unit.max() <= 1.0
    np.testing.assert_array_equal(data.to_uint8(unit).reshape(pixels.shape), pixels)


# ------------------------------------------------------------------------------------------
# image_folder
# ------------------------------------------------------------------------------------------


def _write_image(path, array, fmt):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path, format=fmt)


@pytest.fixture()
def image_dir(tmp_path):
    rng = np.random.default_rng(0)
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    _write_image(tmp_path / "a_red.png", red, "PNG")
    _write_image(tmp_path / "b.png", rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), "PNG")
    _write_image(tmp_path / "C.PNG", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8), "PNG")
    _write_image(tmp_path / "sub" / "gray.png", rng.integers(0, 256, (24, 24), dtype=np.uint8), "PNG")
    _write_image(tmp_path / "sub" / "d.jpg", rng.integers(0, 256, (32, 20, 3), dtype=np.uint8), "JPEG")
    deep = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    _write_image(tmp_path / "sub" / "deeper" / "e.jpeg", deep, "JPEG")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    good_jpeg = tmp_path / "sub" / "d.jpg"
    (tmp_path / "truncated.jpg").write_bytes(good_jpeg.read_bytes()[:150])
    return tmp_path


def test_image_folder_reads_png_and_jpeg_and_skips_corrupt_files(image_dir):
    with pytest.warns(UserWarning, match=r"skipped 2 of 8 image files") as record:
        ds = data.image_folder(image_dir, image_size=16, batch_size=2, seed=0)
    message = str(record[0].message)
    assert "corrupt.png" in message and "truncated.jpg" in message
    assert ds.element_spec == tf.TensorSpec((2, 16, 16, 3), tf.float32)
    out = np.concatenate(batches(ds))
    assert out.shape == (6, 16, 16, 3)
    assert out.min() >= -1.0 and out.max() <= 1.0
    # The lossless pure-red PNG at its native size comes back exactly as (1, -1, -1).
    red = [img for img in out if np.all(img[..., 0] == 1.0) and np.all(img[..., 1:] == -1.0)]
    assert len(red) == 1


def test_image_folder_grayscale(image_dir):
    with pytest.warns(UserWarning):
        ds = data.image_folder(image_dir, image_size=(8, 12), channels=1, batch_size=3)
    out = np.concatenate(batches(ds))
    assert out.shape == (6, 8, 12, 1)
    assert out.min() >= -1.0 and out.max() <= 1.0


def test_image_folder_without_validation_drops_bad_files(image_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no up-front pass, so no warning
        ds = data.image_folder(image_dir, image_size=8, batch_size=1, validate=False)
    assert len(batches(ds)) == 6


def test_image_folder_center_crops_inside_the_pipeline(tmp_path):
    wide = np.full((16, 32, 3), 255, np.uint8)
    wide[:, 8:24] = 0  # dark centre square, bright sides
    _write_image(tmp_path / "wide.png", wide, "PNG")
    (cropped,) = batches(data.image_folder(tmp_path, image_size=8, batch_size=1))
    np.testing.assert_allclose(cropped, -1.0, atol=1e-6)
    (stretched,) = batches(data.image_folder(tmp_path, image_size=8, batch_size=1, center_crop=False))
    assert stretched.max() > 0.9


def test_image_folder_errors(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match=r"nope.*does not exist"):
        data.image_folder(missing, image_size=8)
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"no image files found under .*\.png, \.jpg, \.jpeg"):
        data.image_folder(tmp_path, image_size=8)
    with pytest.raises(NotADirectoryError, match="readme.txt"):
        data.image_folder(tmp_path / "readme.txt", image_size=8)
    (tmp_path / "bad.jpg").write_bytes(b"garbage")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="none of the image files"):
        data.image_folder(tmp_path, image_size=8)
    with pytest.raises(ValueError, match="channels"):
        data.image_folder(tmp_path, image_size=8, channels=2)
    with pytest.raises(ValueError, match="image_size"):
        data.image_folder(tmp_path, image_size=None)


def test_image_folder_batch_larger_than_folder(image_dir):
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="batch_size=7 is larger than the 6"):
        data.image_folder(image_dir, image_size=8, batch_size=7)


# ------------------------------------------------------------------------------------------
# TFDS
# ------------------------------------------------------------------------------------------

tfds = pytest.importorskip("tensorflow_datasets")


def test_tfds_mock_mnist():
    with tfds.testing.mock_data(num_examples=20):
        ds = data.tfds_dataset("mnist", batch_size=8, seed=1)
        out = batches(ds)
        assert ds.element_spec == tf.TensorSpec((8, 28, 28, 1), tf.float32)
        assert len(out) == 2 and out[0].min() >= -1.0 and out[0].max() <= 1.0
        ds32 = data.load("tfds:mnist", image_size=32, batch_size=5)
        assert ds32.element_spec.shape == (5, 32, 32, 1) and len(batches(ds32)) == 4
        with pytest.raises(ValueError, match=r"image_key='img'.*'label'"):
            data.tfds_dataset("mnist", image_key="img")


def test_tfds_not_on_disk_error(tmp_path):
    with pytest.raises(data.DatasetNotAvailableError) as info:
        data.tfds_dataset("mnist", data_dir=tmp_path)
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "not prepared on disk" in message and str(tmp_path) in message
    assert "tfds build mnist" in message and "data_dir=" in message


def test_tfds_unknown_name():
    with pytest.raises(ValueError, match=r"Unknown TFDS dataset name 'mnistt'.*'mnist'.*list_builders"):
        data.tfds_dataset("mnistt")


# ------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------


def test_registry_names_and_unknown_name():
    names = data.available_datasets()
    expected = ["ring8", "ring_of_8", "grid25", "grid_of_25", "mnist", "digits"]
    for name in expected + ["folder:<path>", "tfds:<name>"]:
        assert name in names
    listing = r"ring8.*grid_of_25.*mnist.*digits.*folder:<path>.*tfds:<name>"
    with pytest.raises(ValueError, match=r"Unknown dataset 'cifar'.*" + listing):
        data.load("cifar")


def test_load_dispatches_and_image_shape_agrees(image_dir):
    for name, kwargs in [
        ("ring_of_8", {"num_samples": 100, "batch_size": 10}),
        ("grid25", {"num_samples": 100, "batch_size": 10}),
        ("mnist", {"limit": 64, "image_size": 32}),
        ("digits", {}),
    ]:
        ds = data.load(name, **kwargs)
        assert tuple(ds.element_spec.shape[1:]) == data.image_shape(name, **kwargs)
    direct = batches(data.toy_mixture("ring8", num_samples=100, batch_size=10, seed=5))
    via = batches(data.load("ring8", num_samples=100, batch_size=10, seed=5))
    np.testing.assert_array_equal(direct[0], via[0])
    with pytest.warns(UserWarning):
        ds = data.load(f"folder:{image_dir}", image_size=12, channels=1, batch_size=2)
    expected = data.image_shape(f"folder:{image_dir}", image_size=12, channels=1)
    assert tuple(ds.element_spec.shape[1:]) == expected
    assert data.image_shape("tfds:mnist") == (28, 28, 1)


def test_shuffled_index_batches_are_uniform_permutations_one_per_pass():
    from tfgan_zoo.data.pipeline import shuffled_index_batches

    n, batch_size, passes = 10, 4, 400
    stream = np.stack(list(shuffled_index_batches(n, batch_size, seed=5, repeat=True).take(2 * passes).as_numpy_iterator()))
    per_pass = stream.reshape(passes, 2 * batch_size)  # 2 batches a pass, the 2 rows left over dropped
    assert all(len(set(row)) == 2 * batch_size for row in per_pass)  # no row twice within a pass
    assert len({tuple(row) for row in per_pass}) > passes - 5  # a new order every pass
    # uniform: each row is first of its pass with probability 1/10 (400 passes: 40 ± 6; a biased shuffle is far off)
    counts = np.bincount(per_pass[:, 0], minlength=n)
    assert counts.min() >= 20 and counts.max() <= 62, counts
    # and left over uniformly too: each row is in a pass with probability 8/10 (320 ± 8 of 400 passes)
    appearances = np.bincount(per_pass.ravel(), minlength=n)
    assert np.all(np.abs(appearances - 0.8 * passes) < 30), appearances
    again = np.stack(list(shuffled_index_batches(n, batch_size, seed=5, repeat=True).take(6).as_numpy_iterator()))
    np.testing.assert_array_equal(again, stream[:6])  # the same seed, the same passes
    once = shuffled_index_batches(n, batch_size, seed=5, repeat=False)
    first, second = (np.concatenate(list(once.as_numpy_iterator())) for _ in range(2))
    assert len(first) == 8 and not np.array_equal(first, second)  # one pass, reshuffled when iterated again
