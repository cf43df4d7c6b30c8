"""Images streamed from the PNG/JPEG files under a folder."""

from __future__ import annotations

import os
import warnings

import tensorflow as tf

from . import pipeline

__all__ = ["IMAGE_EXTENSIONS", "image_folder"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
"""File extensions `image_folder` reads (compared case-insensitively)."""


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
    size = pipeline.check_image_size(image_size)
    if size is None:
        raise ValueError("image_size is required for image_folder (the files may differ in size)")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels!r}")
    pipeline.check_batch_size(batch_size)
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
    pipeline.check_batch_size(batch_size, len(files))

    def decode(file):
        image = tf.io.decode_image(
            tf.io.read_file(file), channels=channels, dtype=tf.uint8, expand_animations=False
        )
        image.set_shape([None, None, channels])
        image = pipeline.scale_to_unit_range(image, (0, 255))
        image = pipeline.resize_unit_range(image, size, center_crop)
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
