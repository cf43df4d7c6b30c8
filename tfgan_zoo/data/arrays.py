"""In-memory image arrays: checked, scaled to [-1, 1], optionally resized, batched."""

from __future__ import annotations

import warnings

import numpy as np
import tensorflow as tf

from . import pipeline

__all__ = ["from_numpy", "prepare_images"]

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
    size = pipeline.check_image_size(image_size)
    if np.issubdtype(x.dtype, np.floating):
        pipeline.raise_if_not_finite(x, "images")
    lo_seen, hi_seen = float(x.min()), float(x.max())

    if value_range is not None:
        lo, hi = pipeline.check_value_range(value_range)
        slack = pipeline.RANGE_TOLERANCE * (hi - lo)
        if lo_seen < lo - slack or hi_seen > hi + slack:
            raise ValueError(
                f"images has values in [{lo_seen:g}, {hi_seen:g}], outside "
                f"value_range=({lo:g}, {hi:g})"
            )
        out = pipeline.scale_to_unit_range(x, (lo, hi))
    elif np.issubdtype(x.dtype, np.integer):
        if lo_seen < 0 or hi_seen > 255:
            raise ValueError(
                f"images has integer dtype {x.dtype} with values in [{lo_seen:g}, {hi_seen:g}], "
                "outside [0, 255]; pass value_range=(low, high) to say what range they use"
            )
        out = pipeline.scale_to_unit_range(x, (0, 255))
    else:
        if lo_seen < -1 - pipeline.RANGE_TOLERANCE or hi_seen > 1 + pipeline.RANGE_TOLERANCE:
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
    return pipeline.resize_array(out, size, center_crop)


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
    return pipeline.in_memory_dataset(array, batch_size, seed, repeat)


