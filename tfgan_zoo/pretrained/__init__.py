"""Trained generators shipped with tfgan_zoo, loaded offline: :func:`available`, :func:`load`, :func:`info`.

The runtime package keeps the loader and ``manifest.json``: for each shipped name its variant, data, recipe, scores,
size and the SHA-256 of every file. The SavedModels themselves live beside the code, not inside it, in the
``tfgan-zoo-weights`` distribution (the repository's ``weights/`` folder). :func:`weights_dir` finds them, in this
order: the folder named by the environment variable ``TFGAN_ZOO_WEIGHTS``; ``weights/tfgan_zoo_weights`` of the
repository checkout this package was imported from (``pip install -e .``); the installed ``tfgan_zoo_weights``
package (``pip install ./weights``). :func:`load` checks every file against the manifest before loading, so
weights that do not belong to this version of the package are refused with a message naming the file.

Each generator is a TensorFlow SavedModel of one of two kinds (the manifest entry's ``"data"``):

* ``<variant>_mnist``: a variant of the zoo trained on the 5,000 embedded MNIST digits: seed 0 of its ``28px``
  recipe (``python benchmarks/zoo_mnist.py --ship``, or a ``tfgan-zoo train`` run shipped by
  ``benchmarks/ship_mnist_run.py``; the unconditional ones self-conditioned where the variant allows it). The
  manifest records its classifier-FID at a fixed evaluation protocol (:data:`FID_PROTOCOL`,
  :func:`fid_at_protocol`), the recipe, its score card (:mod:`tfgan_zoo.metrics.score_card`, with the independent
  judge's figure) and whether it meets :data:`MNIST_BAR`; the class-conditional ones (``cgan_mnist``,
  ``acgan_mnist``) also their class-conditional accuracy. A generator without a recipe in the manifest is one of
  the older protocol (paper defaults under a fixed budget of 10 CPU-minutes).
* ``<variant>_ring`` and ``<variant>_grid``: generators of 2-D points for the toy mixtures ``ring_of_8`` and
  ``grid_of_25`` (:func:`tfgan_zoo.data.toy_mixture`), written by ``python benchmarks/toy_coverage.py --ship``:
  seed 0 of the variant's ``toy`` recipe (:mod:`tfgan_zoo.recipes`), every variant but the image-only SAGAN,
  about 200 KB each. The manifest records the resolved recipe and the modes captured and high-quality fraction
  of the shipped SavedModel itself at a fixed protocol (:data:`TOY_PROTOCOL`, :func:`toy_scores_at_protocol`),
  and the bar it is held to (:data:`TOY_BAR`).

Shipping (writing a SavedModel and its manifest entry) is the benchmarks' business (``benchmarks/_shipping.py``);
this module only reads. ``tests/test_pretrained.py`` reloads every one, re-measures its recorded scores and holds
each toy generator to its recipe's bar.

    import tfgan_zoo.pretrained as pretrained
    pretrained.available()                      # ('dragan_mnist', 'gan_grid', 'gan_mnist', 'gan_ring', ...)
    generator = pretrained.load("gan_mnist")    # or just "gan": a bare variant name means its MNIST generator
    images = generator.generate(64, seed=0)     # float32 [64, 28, 28, 1] in [-1, 1]
    images = generator(z)                       # z: float32 [n, generator.latent_dim]
    points = pretrained.load("gan_ring").generate(2500, seed=0)   # float32 [2500, 2]
    pretrained.toy_scores_at_protocol(pretrained.load("gan_ring"))  # modes captured, high-quality fraction

The SavedModels have the two signatures of :func:`tfgan_zoo.export.export_generator` (``serving_default(z)``
and ``sample(count, seed)``), so ``tf.saved_model.load`` alone reads them and ``tfgan-zoo sample DIR`` works on
the folders too (:func:`path` gives a verified folder).
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..data import toy_mixture_names
from ..export import ExportedGenerator

__all__ = ["MANIFEST_PATH", "WEIGHTS_ENV", "FID_PROTOCOL", "TOY_PROTOCOL", "TOY_BAR", "MNIST_BAR", "TOY_SUFFIXES",
           "PretrainedGenerator", "meets_mnist_bar", "available", "info", "load", "path", "weights_dir",
           "file_digests", "protocol_evaluator", "fid_at_protocol", "toy_name", "toy_scores_at_protocol"]

MANIFEST_PATH = Path(__file__).resolve().parent / "manifest.json"
# The environment variable that names a folder of shipped generators, ahead of every other place.
WEIGHTS_ENV = "TFGAN_ZOO_WEIGHTS"
# weights/tfgan_zoo_weights of the repository checkout this package is imported from (an editable install)
_CHECKOUT_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "tfgan_zoo_weights"
_INSTALL_HINT = ("install them with `pip install ./weights` from a clone of the repository (or `pip install "
                 f"tfgan-zoo-weights`), or set {WEIGHTS_ENV} to a folder that holds them")

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

# The toy mixtures' name suffixes, their registry names up to "_of_": `<variant>_ring` is trained on ring_of_8,
# `<variant>_grid` on grid_of_25.
TOY_SUFFIXES = {name: name.split("_of_")[0] for name in toy_mixture_names()}

# The protocol of the toy scores recorded in the manifest: `toy_scores_at_protocol` computes them the same way
# everywhere (the VEEGAN / PacGAN protocol of benchmarks/toy_coverage.py, drawn with the SavedModel's own sampler).
TOY_PROTOCOL = {
    "num_samples": 2500,
    "seed": 1234,
    "generated": "generator.generate(2500, batch_size=2500, seed=1234), i.e. the SavedModel's sample(2500, 1234)",
    "metric": "tfgan_zoo.metrics.toy.toy_mode_metrics(points, mixture): a point is high quality within 3 sigma of "
              "its nearest mode centre (sigma = 0.01 on ring_of_8, 0.05 on grid_of_25, from "
              "tfgan_zoo.data.toy_modes); a mode is captured when it is the nearest mode of a high-quality point",
}


# The bar a shipped toy generator meets under TOY_PROTOCOL (the recipes' target, issue "Recipes"): modes captured
# at least, and high-quality fraction at least. A (variant, mixture) that misses it after tuning is named, with the
# reason, in tfgan_zoo.recipes.TOY_SHORTFALLS.
TOY_BAR = {"ring_of_8": (8, 0.90), "grid_of_25": (24, 0.80)}
# The bar a shipped MNIST generator made from its 28px recipe meets (issue "MNIST"), on 2,500 samples at the
# score card's protocol (tfgan_zoo.metrics.score_card.PROTOCOL): at least this confident fraction by the shipped
# classifier and by benchmarks/zoo_mnist.py's independent judge (0.9x real digits), every digit within this
# distance of 10 %, and at least this k-NN precision. A variant that misses it is named, with what it reached, in
# tfgan_zoo.recipes.MNIST_SHORTFALLS.
MNIST_BAR = {"confident_fraction": 0.82, "independent_confident_fraction": 0.82, "max_class_deviation": 0.03,
             "precision": 0.75}


def meets_mnist_bar(scores):
    """Whether MNIST scores (a run's, a row's means or a manifest entry's ``scores``) meet :data:`MNIST_BAR`."""
    return (scores["confident_fraction"] >= MNIST_BAR["confident_fraction"]
            and scores["independent_confident_fraction"] >= MNIST_BAR["independent_confident_fraction"]
            and scores["max_class_deviation"] <= MNIST_BAR["max_class_deviation"]
            and scores["precision"] >= MNIST_BAR["precision"])


class PretrainedGenerator(ExportedGenerator):
    """A shipped generator: an :class:`tfgan_zoo.export.ExportedGenerator` plus its name and manifest entry.

    ``generator(z)`` maps float32 ``[n, latent_dim]`` to samples ``[n, *shape]``: images ``[n, 28, 28, 1]`` in
    [-1, 1] for the MNIST generators (``info["data"] == "mnist"``), 2-D points ``[n, 2]`` for the toy ones
    (``info["data"]`` is ``"ring_of_8"`` or ``"grid_of_25"``). ``generator.generate(count, seed=s)`` draws ``z`` as
    the SavedModel's ``sample`` signature does (``z ~ N(0, I)``, or the ``latent_distribution`` in ``info``).
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
    try:
        with open(MANIFEST_PATH, encoding="utf-8") as f:
            generators = json.load(f).get("generators", {})
    except (OSError, ValueError, AttributeError) as error:
        raise ValueError(f"the shipped generators' manifest {MANIFEST_PATH} cannot be read ({type(error).__name__}: "
                         f"{str(error)[:120]}); reinstall tfgan_zoo to restore it.") from None
    if not isinstance(generators, dict):
        raise ValueError(f"the shipped generators' manifest {MANIFEST_PATH} has no 'generators' table; reinstall "
                         "tfgan_zoo to restore it.")
    return generators


def weights_dir():
    """The folder the shipped SavedModels are read from (one folder per shipped name), or None when none is found.

    In this order: ``$TFGAN_ZOO_WEIGHTS``; ``weights/tfgan_zoo_weights`` of the repository checkout this package
    was imported from; the installed ``tfgan_zoo_weights`` package.

    Raises:
      ValueError: ``TFGAN_ZOO_WEIGHTS`` is set but names no folder.
    """
    explicit = os.environ.get(WEIGHTS_ENV)
    if explicit:
        folder = Path(explicit).expanduser()
        if not folder.is_dir():
            raise ValueError(f"{WEIGHTS_ENV}={explicit!r} is not a folder; point it at a folder of shipped generators "
                             f"(one SavedModel folder per name, e.g. weights/tfgan_zoo_weights of the repository) or "
                             f"unset it.")
        return folder
    if _CHECKOUT_WEIGHTS.is_dir():
        return _CHECKOUT_WEIGHTS
    try:
        import tfgan_zoo_weights
    except ImportError:
        return None
    return Path(tfgan_zoo_weights.WEIGHTS_DIR)


def file_digests(folder):
    """The SHA-256 (hex) of every file under ``folder``, keyed by its POSIX path relative to ``folder``: what the
    manifest's ``"sha256"`` of a shipped generator records."""
    folder = Path(folder)
    return {file.relative_to(folder).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest()
            for file in sorted(folder.rglob("*")) if file.is_file()}


def available():
    """Names of the shipped generators that can be loaded (listed in the manifest, their SavedModel found in
    :func:`weights_dir`), sorted; empty when the weights are not installed."""
    folder = weights_dir()
    if folder is None:
        return ()
    return tuple(sorted(name for name in _manifest() if (folder / name / "saved_model.pb").exists()))


def info(name):
    """The manifest entry of ``name``: variant, data, networks, training settings and steps, the recorded
    scores (``"fid"`` at :data:`FID_PROTOCOL` for MNIST; ``"scores"`` at :data:`TOY_PROTOCOL` for the toy mixtures),
    ``size_bytes`` and the ``sha256`` of every file. Works without the weights installed."""
    return _manifest()[_listed(name)]


def _unknown(name, names):
    close = difflib.get_close_matches(str(name), names, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = ", ".join(names) if names else ("none (run `python benchmarks/zoo_mnist.py --ship` and `python "
                                              "benchmarks/toy_coverage.py --ship` to train and ship them)")
    raise ValueError(f"name={name!r} is not a shipped pretrained generator.{hint} Available: {listing}.")


def _listed(name, manifest=None):
    """``name`` as the manifest lists it (a bare variant name means its MNIST generator); ValueError if unlisted."""
    manifest = _manifest() if manifest is None else manifest
    if name not in manifest and isinstance(name, str) and f"{name}_mnist" in manifest:
        name = f"{name}_mnist"
    if name not in manifest:
        _unknown(name, tuple(sorted(manifest)))
    return name


def _verified(name):
    """``(name as listed, its manifest entry, its folder)``, the folder's files checked against the entry's SHA-256
    (one read of the manifest, one look-up of the weights folder)."""
    manifest = _manifest()
    name = _listed(name, manifest)
    weights = weights_dir()
    if weights is None:
        raise ValueError(f"{name!r} is shipped, but the shipped generators' weights are not installed: {_INSTALL_HINT}.")
    folder = weights / name
    if not (folder / "saved_model.pb").exists():
        raise ValueError(f"{name!r} is shipped, but {folder} holds no SavedModel: the weights found at {weights} "
                         f"are not those of this version of tfgan_zoo; {_INSTALL_HINT}.")
    entry = manifest[name]
    recorded = entry.get("sha256")
    if not recorded:
        raise ValueError(f"the manifest entry of {name!r} records no 'sha256', so its weights cannot be verified; "
                         f"re-ship it (benchmarks/_shipping.py) or reinstall tfgan_zoo.")
    found = file_digests(folder)
    changed = sorted(f for f in set(recorded) | set(found) if recorded.get(f) != found.get(f))
    if changed:
        described = ", ".join(f"{f} ({'missing' if f not in found else 'unexpected' if f not in recorded else 'differs'})"
                              for f in changed[:4])
        raise ValueError(f"the weights of {name!r} at {folder} do not match the manifest of this tfgan_zoo: "
                         f"{described}. Reinstall the weights that belong to this version ({_INSTALL_HINT}).")
    return name, entry, folder


def path(name):
    """The folder of the shipped generator ``name``, every file checked against the manifest's SHA-256.

    Raises:
      ValueError: ``name`` is not shipped (the message lists what is), its weights are not installed, or a file
        differs from what the manifest records (the message names it).
    """
    return _verified(name)[2]


def load(name):
    """The shipped generator ``name`` (e.g. ``"gan_mnist"``, or just ``"gan"``; ``"gan_ring"``), loaded offline
    after checking its files against the manifest (:func:`path`).

    Raises:
      ValueError: ``name`` is not shipped (the message lists :func:`available`), its weights are not installed,
        or they do not match the manifest.
    """
    name, entry, folder = _verified(name)
    return PretrainedGenerator(name, str(folder), entry)


def toy_name(variant, mixture):
    """The shipped name of ``variant``'s generator for a toy mixture: ``toy_name("gan", "ring_of_8") == "gan_ring"``."""
    if mixture not in TOY_SUFFIXES:
        raise ValueError(f"mixture={mixture!r} is not a toy mixture with shipped generators; pass one of "
                         f"{', '.join(repr(m) for m in TOY_SUFFIXES)}.")
    return f"{variant}_{TOY_SUFFIXES[mixture]}"


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


def toy_scores_at_protocol(generator, mixture=None):
    """Modes captured and high-quality fraction of a toy generator under :data:`TOY_PROTOCOL` (the figures the
    manifest records), as :func:`tfgan_zoo.metrics.toy.toy_mode_metrics` returns them.

    Args:
      generator: anything with ``generate(count, batch_size=, seed=)`` returning ``[n, 2]`` points (a
        :class:`PretrainedGenerator`, an ``ExportedGenerator``, a trained ``GAN``).
      mixture: ``"ring_of_8"`` or ``"grid_of_25"``; defaults to the mixture a :class:`PretrainedGenerator` was
        trained on (its ``info["data"]``). Scoring on another mixture is allowed (it scores badly).
    Returns:
      ``dict(modes_captured, num_modes, high_quality_fraction, reverse_kl)``.
    """
    from ..metrics.toy import toy_mode_metrics

    if mixture is None:
        mixture = getattr(generator, "info", {}).get("data")
        if mixture not in TOY_SUFFIXES:
            raise ValueError(f"mixture=None works only for a shipped toy generator; this one's data is {mixture!r}. "
                             f"Pass mixture='ring_of_8' or mixture='grid_of_25'.")
    n, seed = TOY_PROTOCOL["num_samples"], TOY_PROTOCOL["seed"]
    return toy_mode_metrics(generator.generate(n, batch_size=n, seed=seed), mixture)
