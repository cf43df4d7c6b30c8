"""The one table of the datasets the zoo knows by name: names, aliases, kind, native shape, value range, loader.

Every other module asks this table (through `load`, `image_shape`, `find`, `specs`, `toy_mixture_names`,
`training_options`) instead of keeping its own list of names or sizes. A name is case-insensitive; ``folder:<path>``
and ``tfds:<name>`` are the two prefixed sources whose shape the files decide.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from typing import Callable

import tensorflow as tf

from . import pipeline

__all__ = ["DatasetSpec", "available_datasets", "find", "get", "image_shape", "load", "specs", "toy_mixture_names",
           "training_options"]


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """One dataset of the registry.

    Attributes:
      name: the canonical name (``info["data"]`` of a shipped generator, the key of per-dataset tables).
      aliases: other accepted names.
      kind: ``"points"`` (toy 2-D mixtures) or ``"images"``.
      shape: one sample's shape at the native size, ``(2,)`` or ``(height, width, channels)``; None where the
        files decide (``folder:``, ``tfds:``).
      value_range: ``(low, high)`` of what the loader yields: ``(-1, 1)`` for images; for points the mixture's
        extent (centres ± 5σ), since toy points are not rescaled.
      loader: builds the dataset; keyword arguments are the loader's (see `load`). A prefixed source's loader
        takes what follows the prefix as its first argument.
      training_image_size: the side the zoo's networks train it at when that is not the native one (the 8x8
        digits are upsampled to 28, the smallest DCGAN size); None to train at the native size.
      prefix: True for ``folder:`` and ``tfds:``, whose name is ``<prefix>:<rest>``.
    """

    name: str
    aliases: tuple[str, ...]
    kind: str
    shape: tuple[int, ...] | None
    value_range: tuple[float, float]
    loader: Callable[..., tf.data.Dataset]
    training_image_size: int | None = None
    prefix: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name followed by the aliases."""
        return (self.name, *self.aliases)


def _registry() -> tuple[DatasetSpec, ...]:
    from .embedded_digits import digits, mnist
    from .folders import image_folder
    from .tfds_images import tfds_dataset
    from .toy import toy_mixture

    images = (-1.0, 1.0)
    return (
        DatasetSpec("ring_of_8", ("ring8",), "points", (2,), (-1.05, 1.05), functools.partial(toy_mixture, "ring_of_8")),
        DatasetSpec("grid_of_25", ("grid25",), "points", (2,), (-4.25, 4.25),
                    functools.partial(toy_mixture, "grid_of_25")),
        DatasetSpec("mnist", (), "images", (28, 28, 1), images, mnist),
        DatasetSpec("digits", (), "images", (8, 8, 1), images, digits, training_image_size=28),
        DatasetSpec("folder", (), "images", None, images, image_folder, prefix=True),
        DatasetSpec("tfds", (), "images", None, images, tfds_dataset, prefix=True),
    )


@functools.lru_cache(maxsize=1)
def _table() -> tuple[DatasetSpec, ...]:
    # Built on first use: the loaders' modules import this one (toy mixtures resolve their names here).
    return _registry()


def specs(kind: str | None = None) -> tuple[DatasetSpec, ...]:
    """The named (not prefixed) datasets, in registry order; only those of ``kind`` ("points"/"images") if given."""
    return tuple(s for s in _table() if not s.prefix and (kind is None or s.kind == kind))


def toy_mixture_names() -> tuple[str, ...]:
    """The canonical names of the toy 2-D mixtures: ``("ring_of_8", "grid_of_25")``."""
    return tuple(s.name for s in specs(kind="points"))


def available_datasets() -> tuple[str, ...]:
    """Names `load` accepts; ``<path>`` and ``<name>`` stand for a folder path and a TFDS name."""
    return tuple(n for s in specs() for n in s.names) + tuple(f"{s.name}:<{_rest_word(s)}>" for s in _table()
                                                              if s.prefix)


def _rest_word(spec: DatasetSpec) -> str:
    return "path" if spec.name == "folder" else "name"


def find(name) -> DatasetSpec | None:
    """The named dataset ``name`` (canonical or alias, any case, surrounding spaces ignored), or None."""
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    return next((s for s in specs() if key in s.names), None)


def _split_name(name) -> tuple[DatasetSpec, str | None]:
    """``(spec, rest)``: ``rest`` is what follows a prefix (None for a named dataset)."""
    if not isinstance(name, str):
        raise ValueError(f"dataset name must be a string; got {name!r}")
    key = name.strip()
    for spec in _table():
        prefix = f"{spec.name}:"
        if spec.prefix and key.lower().startswith(prefix):
            rest = key[len(prefix):]
            if not rest:
                raise ValueError(f"dataset name {name!r} needs something after {prefix!r}")
            return spec, rest
    spec = find(key)
    if spec is None:
        known = [n for s in specs() for n in s.names]
        close = difflib.get_close_matches(key.lower(), known, n=2)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown dataset {name!r}.{hint} Accepted names: {', '.join(available_datasets())}"
        )
    return spec, None


def get(name) -> DatasetSpec:
    """The registry entry of ``name`` (a named dataset, or ``folder:...``/``tfds:...``).

    Raises:
      ValueError: unknown name; the message lists the accepted names.
    """
    return _split_name(name)[0]


def load(name: str, **kwargs) -> tf.data.Dataset:
    """Builds a dataset by name; keyword arguments go to the loader.

    ==========================  ==========================================================
    name                        loader
    ==========================  ==========================================================
    "ring_of_8", "ring8"        ``toy_mixture("ring_of_8", **kwargs)``
    "grid_of_25", "grid25"      ``toy_mixture("grid_of_25", **kwargs)``
    "mnist"                     ``mnist(**kwargs)``
    "digits"                    ``digits(**kwargs)``
    "folder:<path>"             ``image_folder(path, **kwargs)`` (pass ``image_size``)
    "tfds:<name>"               ``tfds_dataset(name, **kwargs)``
    ==========================  ==========================================================

    Raises:
      ValueError: unknown name; the message lists the accepted names.
    """
    spec, rest = _split_name(name)
    return spec.loader(rest, **kwargs) if spec.prefix else spec.loader(**kwargs)


def training_options(name: str) -> dict:
    """The loader options the zoo trains ``name`` with unless told otherwise: ``{"image_size": 28}`` for the 8x8
    digits (see `DatasetSpec.training_image_size`), ``{}`` for the others."""
    spec = get(name)
    return {"image_size": spec.training_image_size} if spec.training_image_size else {}


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
    spec, rest = _split_name(name)
    size = pipeline.check_image_size(image_size)
    if spec.kind == "points":
        return spec.shape
    if spec.shape is not None:
        return (*(size or spec.shape[:2]), spec.shape[2])
    if spec.name == "folder":
        if size is None:
            raise ValueError("image_size is required for folder datasets")
        return (*size, 3 if channels is None else channels)
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.registered import DatasetNotFoundError

    from .tfds_images import unknown_name_error

    try:
        builder = tfds.builder(rest, data_dir=kwargs.get("data_dir"))
    except DatasetNotFoundError:
        raise unknown_name_error(rest) from None
    stored = tuple(builder.info.features[kwargs.get("image_key", "image")].shape)
    if size is None:
        if None in stored:
            raise ValueError(f"{rest!r} images have variable shape {stored}; pass image_size")
        return stored
    return (*size, stored[-1])
