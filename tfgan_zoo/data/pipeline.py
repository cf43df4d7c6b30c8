"""Pipeline pieces every loader shares: scaling to [-1, 1] and back, argument checks, resizing, in-memory batching.

Every loader of :mod:`tfgan_zoo.data` returns a `tf.data.Dataset` that is shuffled (``seed``; a new order every
pass), batched with ``drop_remainder=True`` (so the batch dimension is static), optionally repeated and prefetched;
`in_memory_dataset` is that pipeline for arrays held in memory.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..checks import is_int

__all__ = ["scale_to_unit_range", "to_uint8"]

# Float images may overshoot [-1, 1] by this much (rounding in upstream arithmetic) and are clipped.
RANGE_TOLERANCE = 1e-5
# tf.image.resize works on this many in-memory images at a time, to bound peak memory.
_RESIZE_CHUNK = 1024


# --------------------------------------------------------------------------------------------
# Scaling
# --------------------------------------------------------------------------------------------


def check_value_range(value_range) -> tuple[float, float]:
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
    lo, hi = check_value_range(value_range)
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
    raise_if_not_finite(x, "images")
    return np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def raise_if_not_finite(x: np.ndarray, arg: str) -> None:
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


def check_count(name: str, value, minimum: int = 1) -> int:
    """``int(value)`` for an integer >= ``minimum`` (1 or 0); else a ValueError in the data loaders' wording,
    ``"<name> must be a positive integer; got <value>"`` ("non-negative" for ``minimum=0``)."""
    if not is_int(value) or value < minimum:
        kind = "non-negative" if minimum == 0 else "positive"
        raise ValueError(f"{name} must be a {kind} integer; got {value!r}")
    return int(value)


def check_batch_size(batch_size, num_examples: int | None = None) -> int:
    batch_size = check_count("batch_size", batch_size)
    if num_examples is not None and batch_size > num_examples:
        raise ValueError(
            f"batch_size={batch_size} is larger than the {num_examples} examples available; "
            "with drop_remainder=True the dataset would be empty"
        )
    return batch_size


def check_image_size(image_size) -> tuple[int, int] | None:
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


def center_crop_to_aspect(images: tf.Tensor, size: tuple[int, int]) -> tf.Tensor:
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


def resize_unit_range(images: tf.Tensor, size: tuple[int, int], center_crop: bool) -> tf.Tensor:
    """(Crops and) resizes float images in [-1, 1]; bilinear with antialiasing, so no ringing."""
    if center_crop:
        images = center_crop_to_aspect(images, size)
    images = tf.image.resize(images, size, method="bilinear", antialias=True)
    # Convex interpolation weights keep values in range up to float rounding.
    return tf.clip_by_value(images, -1.0, 1.0)


def resize_array(images: np.ndarray, size, center_crop: bool) -> np.ndarray:
    if size is None or tuple(images.shape[1:3]) == tuple(size):
        return images
    chunks = [
        resize_unit_range(tf.constant(images[i : i + _RESIZE_CHUNK]), size, center_crop).numpy()
        for i in range(0, len(images), _RESIZE_CHUNK)
    ]
    return np.concatenate(chunks, axis=0)


def shuffled_index_batches(n: int, batch_size: int, seed, repeat: bool) -> tf.data.Dataset:
    """Batches of row indices, ``[batch_size]`` int64: every pass over the data is one uniform permutation of the
    ``n`` rows (the ``n % batch_size`` left over are dropped, a different few each pass), a new one each pass and
    each time the dataset is iterated again; the same ``seed`` gives the same passes (None: not reproducible).

    A pass is drawn as one tensor and cut into batches, not shuffled element by element (``Dataset.shuffle`` over
    indices cost ~8x more CPU per batch of 512: 0.58 against 0.07 ms on 2 cores), which matters for small models
    whose step costs a few milliseconds.
    """
    per_pass = n // batch_size

    def one_pass(pass_seed):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([pass_seed, tf.constant(n, tf.int64)]))
        return tf.data.Dataset.from_tensor_slices(tf.reshape(order[: per_pass * batch_size], [per_pass, batch_size]))

    pass_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    if repeat:
        return pass_seeds.flat_map(one_pass).apply(tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))
    return pass_seeds.take(1).flat_map(one_pass).apply(tf.data.experimental.assert_cardinality(per_pass))


def in_memory_dataset(array: np.ndarray, batch_size: int, seed, repeat: bool, labels=None) -> tf.data.Dataset:
    """Gathers whole batches from memory along :func:`shuffled_index_batches`; with ``labels`` (one per image),
    elements are ``(images, labels)``."""
    n = len(array)
    batch_size = check_batch_size(batch_size, n)
    table = tf.constant(array)
    label_table = None if labels is None else tf.constant(labels)
    ds = shuffled_index_batches(n, batch_size, seed, repeat)
    if label_table is None:
        ds = ds.map(lambda idx: tf.gather(table, idx), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda idx: (tf.gather(table, idx), tf.gather(label_table, idx)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)

