"""Images of a TensorFlow Datasets dataset already prepared on local disk (never downloaded)."""

from __future__ import annotations

import difflib
import os

import tensorflow as tf

from . import pipeline

__all__ = ["DatasetNotAvailableError", "tfds_dataset"]


class DatasetNotAvailableError(RuntimeError):
    """A TFDS dataset is known to TFDS but not prepared on this machine's disk."""


def _tfds_dataset_names() -> list[str]:
    try:
        from tensorflow_datasets.core import registered

        # Local registry only; tfds.list_builders() also probes the network for community sets.
        return sorted(set(registered.list_imported_builders()))
    except Exception:
        return []


def unknown_name_error(name: str) -> ValueError:
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

    size = pipeline.check_image_size(image_size)
    pipeline.check_batch_size(batch_size)
    pipeline.check_count("shuffle_buffer", shuffle_buffer)
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
        raise unknown_name_error(name) from None
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
        image = pipeline.scale_to_unit_range(image, (0, 255))
        if size is not None:
            image = pipeline.resize_unit_range(image, size, center_crop)
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
