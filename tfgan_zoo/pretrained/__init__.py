"""Trained generators shipped with tfgan_zoo, loaded offline: :func:`available`, :func:`load`, :func:`info`.

Each generator is a TensorFlow SavedModel in this folder (``<variant>_mnist/``), written by
``benchmarks/zoo_mnist.py`` after training that variant of the zoo on the 5,000 embedded MNIST digits under the
benchmark's fixed CPU budget. ``manifest.json`` records, for each one, how it was trained and its classifier-FID
at a fixed evaluation protocol (:data:`FID_PROTOCOL`), which ``tests/test_pretrained.py`` re-measures.

    import tfgan_zoo.pretrained as pretrained
    pretrained.available()                      # ('dragan_mnist', 'gan_mnist', ...)
    generator = pretrained.load("gan_mnist")
    images = generator.generate(64, seed=0)     # float32 [64, 28, 28, 1] in [-1, 1]
    images = generator(z)                       # z: float32 [n, generator.latent_dim]

The SavedModels have the two signatures of :func:`tfgan_zoo.export.export_generator` (``serving_default(z)``
and ``sample(count, seed)``), so ``tf.saved_model.load`` alone reads them and ``tfgan-zoo sample DIR`` works on
the folders too.
"""
from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import numpy as np

from ..export import ExportedGenerator, export_generator

__all__ = ["PRETRAINED_DIR", "MANIFEST_PATH", "FID_PROTOCOL", "PretrainedGenerator", "available", "info", "load",
           "save_generator", "protocol_evaluator", "fid_at_protocol"]

PRETRAINED_DIR = Path(__file__).resolve().parent
MANIFEST_PATH = PRETRAINED_DIR / "manifest.json"

# The protocol of the FID recorded in the manifest: `fid_at_protocol` computes it the same way everywhere.
_REAL_SUBSET_SEED = 0
FID_PROTOCOL = {
    "num_samples": 1000,
    "seed": 1234,
    "real": "1,000 of the 5,000 digits of tfgan_zoo.data.mnist_arrays(), rows numpy.random.default_rng(0)"
            ".permutation(5000)[:1000] (about 100 per class; the array is sorted by class)",
    "generated": "generator.generate(1000, batch_size=1000, seed=1234), i.e. the SavedModel's sample(1000, 1234)",
    "extractor": "mnist (the shipped offline classifier, 128-d features)",
}


class PretrainedGenerator(ExportedGenerator):
    """A shipped generator: an :class:`tfgan_zoo.export.ExportedGenerator` plus its name and manifest entry.

    ``generator(z)`` maps float32 ``[n, latent_dim]`` to images ``[n, 28, 28, 1]`` in [-1, 1];
    ``generator.generate(count, seed=s)`` draws ``z ~ N(0, I)`` as the SavedModel's ``sample`` signature does.
    """

    def __init__(self, name, path, entry):
        super().__init__(path)
        self.name = name
        self.info = dict(entry)

    def __repr__(self):
        return f"PretrainedGenerator({self.name!r}, latent_dim={self.latent_dim}, path={self.path!r})"


def _manifest():
    if not MANIFEST_PATH.exists():
        return {}
    with open(MANIFEST_PATH, encoding="utf-8") as f:
        return json.load(f).get("generators", {})


def available():
    """Names of the shipped generators (those listed in the manifest whose SavedModel is present), sorted."""
    return tuple(sorted(name for name in _manifest() if (PRETRAINED_DIR / name / "saved_model.pb").exists()))


def info(name):
    """The manifest entry of ``name``: variant, data, training budget and steps, recorded FID and its protocol."""
    return _manifest()[_check_name(name)]


def _check_name(name):
    names = available()
    if name in names:
        return name
    if isinstance(name, str) and f"{name}_mnist" in names:
        return f"{name}_mnist"  # a bare variant name means its MNIST generator
    close = difflib.get_close_matches(str(name), names, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = ", ".join(names) if names else "none (run `python benchmarks/zoo_mnist.py` to train and ship them)"
    raise ValueError(f"name={name!r} is not a shipped pretrained generator.{hint} Available: {listing}.")


def load(name):
    """The shipped generator ``name`` (e.g. ``"gan_mnist"``, or just ``"gan"``), loaded offline.

    Raises:
      ValueError: ``name`` is not shipped; the message lists :func:`available`.
    """
    name = _check_name(name)
    return PretrainedGenerator(name, str(PRETRAINED_DIR / name), _manifest()[name])


def save_generator(generator, path, latent_dim):
    """Writes ``generator`` as the shipped SavedModels are written: :func:`tfgan_zoo.export.export_generator`
    (``serving_default(z)`` and ``sample(count, seed)`` with ``z ~ N(0, I)``, each weight stored once)."""
    return export_generator(generator, path, latent_dim)


def protocol_evaluator(real_images=None):
    """A :class:`tfgan_zoo.metrics.Evaluator` for :data:`FID_PROTOCOL`, with the real features computed once.

    Args:
      real_images: the real digits (default: ``tfgan_zoo.data.mnist_arrays()[0]``); 1,000 rows of a seeded
        permutation are used, since the embedded digits are sorted by class.
    """
    from .. import data
    from ..metrics import Evaluator

    n = FID_PROTOCOL["num_samples"]
    real = data.mnist_arrays()[0] if real_images is None else np.asarray(real_images, np.float32)
    rows = np.random.default_rng(_REAL_SUBSET_SEED).permutation(len(real))[:n]
    return Evaluator(real[rows], ("fid",), n, "mnist", seed=FID_PROTOCOL["seed"])


def fid_at_protocol(generator, evaluator=None):
    """Classifier-FID of ``generator`` under :data:`FID_PROTOCOL` (the figure the manifest records).

    Args:
      generator: anything with ``generate(count, batch_size=, seed=)`` (a :class:`PretrainedGenerator`, an
        ``ExportedGenerator``, a trained ``GAN``).
      evaluator: from :func:`protocol_evaluator`, to reuse the real features across generators (built when None).
    """
    n, seed = FID_PROTOCOL["num_samples"], FID_PROTOCOL["seed"]
    evaluator = protocol_evaluator() if evaluator is None else evaluator
    return float(evaluator.score(generator.generate(n, batch_size=n, seed=seed))["fid"])
