"""Scoring a generator against real data: :func:`evaluate` and the reusable :class:`Evaluator`.

Images are generated, passed through the extractor and summarised batch by batch: FID keeps only float64
running moments, so it runs on any number of samples in constant memory; KID and precision/recall keep the
``[n, d]`` features (float32, ``4 n d`` bytes), IS the ``[n, classes]`` probabilities, the toy mode metrics the
generated points.

Metric names and the keys they add to the result:

=====================  ===============================================================  ==========================
name                   score                                                            keys
=====================  ===============================================================  ==========================
``"fid"``              Fréchet distance (Heusel et al. 2017)                            ``fid``
``"kid"``              KID, unbiased MMD² over subsets (Bińkowski et al. 2018)          ``kid``, ``kid_std``
``"is"``               Inception Score of the generated images (Salimans et al. 2016)   ``is``, ``is_std``
``"precision_recall"`` k-NN precision and recall (Kynkäänniemi et al. 2019)             ``precision``, ``recall``
``"modes"``            toy 2D mode coverage (VEEGAN / PacGAN)                           ``modes_captured``,
                                                                                        ``num_modes``,
                                                                                        ``high_quality_fraction``,
                                                                                        ``reverse_kl``
=====================  ===============================================================  ==========================

Every result also holds ``num_real``, ``num_generated`` and ``extractor``.
"""
from __future__ import annotations

import warnings

import json
import math
import os

import keras
import numpy as np
import tensorflow as tf

from ..checks import check_int, check_positive_int
from ..data import registry as dataset_registry
from .features import compiled_extractor, resolve_extractor
from .scores import frechet_distance, inception_score, kernel_inception_distance, precision_recall
from .statistics import FeatureStatistics
from .toy import toy_mode_metrics

__all__ = ["Evaluator", "evaluate", "available_metrics", "write_json", "real_batches", "generated_batches",
           "score_for_cli", "METRIC_KEYS"]

METRIC_KEYS = {
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "is": ("is", "is_std"),
    "precision_recall": ("precision", "recall"),
    "modes": ("modes_captured", "num_modes", "high_quality_fraction", "reverse_kl"),
}


def _is_toy_mixture(name):
    """Whether ``name`` is a toy 2-D mixture of the dataset registry (any alias, any case)."""
    spec = dataset_registry.find(name)
    return spec is not None and spec.kind == "points"


def available_metrics():
    """Metric names accepted by :func:`evaluate` and :class:`Evaluator`."""
    return tuple(METRIC_KEYS)


def _check_metrics(metrics):
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    unknown = [m for m in metrics if m not in METRIC_KEYS]
    if unknown or not metrics:
        raise ValueError(f"Unknown metric(s) {unknown or metrics!r}; accepted names: {', '.join(METRIC_KEYS)}.")
    return metrics


def _drop_labels(element):
    return element[0] if isinstance(element, (tuple, list)) else element


def _limited(batches, num_samples):
    """Yields float32 numpy batches from an iterable of arrays/tensors until ``num_samples`` rows."""
    seen = 0
    for batch in batches:
        batch = np.asarray(keras.ops.convert_to_numpy(_drop_labels(batch)), dtype=np.float32)
        if seen + len(batch) > num_samples:
            batch = batch[:num_samples - seen]
        if len(batch):
            yield batch
        seen += len(batch)
        if seen >= num_samples:
            return


def real_batches(real_data, num_samples, batch_size):
    """Batches of real samples from an array, a ``tf.data.Dataset`` (labels dropped) or a dataset name.

    A name goes to :func:`tfgan_zoo.data.load`. At most ``num_samples`` rows are used.
    """
    if isinstance(real_data, str):
        from .. import data  # the data layer sits left of the metrics

        real_data = data.load(real_data)
    if isinstance(real_data, tf.data.Dataset):
        return _limited(real_data.as_numpy_iterator(), num_samples)
    if isinstance(real_data, np.ndarray) or hasattr(real_data, "__array__"):
        array = np.asarray(real_data)
        return _limited((array[i:i + batch_size] for i in range(0, min(len(array), num_samples), batch_size)),
                        num_samples)
    raise TypeError(f"real_data must be a numpy array, a tf.data.Dataset or a dataset name; "
                    f"got {type(real_data).__name__}.")


def generated_batches(generator, num_samples, batch_size, seed=0):
    """Batches of generated samples, ``num_samples`` in all.

    ``generator`` is one of: a :class:`tfgan_zoo.models.GAN` (its ``generate``, i.e. the EMA generator when
    enabled and its own latent distribution, with seeds ``seed, seed + 1, ...`` per batch); a
    ``keras.Model`` mapping ``[n, latent_dim]`` to samples (``z ~ N(0, I)`` from ``seed``); an array of
    samples already generated; or a function ``n -> samples``.
    """
    if isinstance(generator, np.ndarray):
        yield from real_batches(generator, num_samples, batch_size)
        return
    if hasattr(generator, "generate") and hasattr(generator, "latent_dim"):
        draw = lambda n, i: generator.generate(n, batch_size=n, seed=seed + i)  # noqa: E731
    elif isinstance(generator, keras.Model):
        latent_dim = generator.input_shape[-1]
        rng = np.random.default_rng(seed)
        forward = tf.function(lambda z: generator(z, training=False), reduce_retracing=True)
        draw = lambda n, i: forward(rng.standard_normal((n, latent_dim)).astype(np.float32))  # noqa: E731
    elif callable(generator):
        draw = lambda n, i: generator(n)  # noqa: E731
    else:
        raise TypeError(f"generator must be a GAN, a keras.Model, an array of samples or a function n -> samples; "
                        f"got {type(generator).__name__}.")
    for i, start in enumerate(range(0, num_samples, batch_size)):
        yield np.asarray(keras.ops.convert_to_numpy(draw(min(batch_size, num_samples - start), i)), np.float32)


class _Summary:
    """What one side keeps of its batches: streaming statistics and, when needed, features or samples."""

    def __init__(self, metrics, side):
        self.statistics = FeatureStatistics() if "fid" in metrics else None
        self.keep_features = "kid" in metrics or "precision_recall" in metrics
        self.keep_probabilities = side == "generated" and "is" in metrics
        self.keep_samples = side == "generated" and "modes" in metrics
        self.features, self.probabilities, self.samples = [], [], []
        self.count = 0

    def add(self, samples, outputs):
        self.count += len(samples)
        features = keras.ops.convert_to_numpy(outputs["features"])
        if self.statistics is not None:
            self.statistics.update(features)
        if self.keep_features:
            self.features.append(np.asarray(features, np.float32))
        if self.keep_probabilities:
            if "probabilities" not in outputs:
                raise ValueError("The 'is' metric needs class probabilities: use an extractor returning "
                                 "{'features', 'probabilities'} (e.g. 'mnist', or inception_v3_extractor("
                                 "include_top=True)).")
            self.probabilities.append(keras.ops.convert_to_numpy(outputs["probabilities"]))
        if self.keep_samples:
            self.samples.append(samples.reshape(len(samples), -1))

    def array(self, name):
        return np.concatenate(getattr(self, name)) if getattr(self, name) else None


class Evaluator:
    """Scores generators against one real data set, whose features are computed once.

    Args:
      real_data: a numpy array of real samples (images in [-1, 1], or toy points ``[n, 2]``), a
        ``tf.data.Dataset`` of batches (labels dropped), or a dataset name for :func:`tfgan_zoo.data.load`.
      metrics: names from :func:`available_metrics` (default ``("fid",)``).
      num_samples: generated samples per score, and the most real samples used (default 10,000).
      extractor: ``"auto"`` (identity for vectors, the offline MNIST classifier for images), ``"mnist"``,
        ``"inception_v3"``, ``"identity"``, or any ``keras.Model``/callable (see :mod:`.features`).
      batch_size: samples per generator and extractor call (default 250).
      seed: seed of the latent draws and of KID's subsets.
      inception_weights: local InceptionV3 weights file for ``extractor="inception_v3"``.
      toy_mixture: ``"ring_of_8"``/``"grid_of_25"`` for the ``"modes"`` metric (default: ``real_data`` when
        it is such a name).
      kid_subsets, kid_subset_size: KID's subset count and size (defaults 100 and 1000, as Bińkowski et al.).
      is_splits: IS splits (default 10).
      pr_k: the k of precision/recall (default 3).

    Give both sides the same image size: extractors resize their input, and resizing only one side (e.g.
    32×32 generated digits against 28×28 real ones) blurs it in a way features see — about +17 FID with the
    MNIST classifier for real digits taken 28 -> 32 -> 28, against 1.8 for two halves of the same digits.
    """

    def __init__(self, real_data, metrics=("fid",), num_samples=10_000, extractor="auto", batch_size=250, *, seed=0,
                 inception_weights=None, toy_mixture=None, kid_subsets=100, kid_subset_size=1000, is_splits=10,
                 pr_k=3):
        self.metrics = _check_metrics(metrics)
        self.num_samples = check_int("num_samples", num_samples, 2, "Scores compare at least two samples.")
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.seed = seed
        self.options = dict(kid_subsets=kid_subsets, kid_subset_size=kid_subset_size, is_splits=is_splits, pr_k=pr_k)
        if toy_mixture is None and _is_toy_mixture(real_data):
            toy_mixture = real_data
        if "modes" in self.metrics and toy_mixture is None:
            raise ValueError("The 'modes' metric needs toy_mixture='ring_of_8' or 'grid_of_25' (or that name as "
                             "real_data).")
        self.toy_mixture = toy_mixture
        self._extractor_spec = extractor
        self._inception_weights = inception_weights
        self._extractors = {}  # sample shape -> compiled extractor (real and generated shapes may differ)
        self.extractor_name = extractor if isinstance(extractor, str) else getattr(extractor, "name", "custom")
        self.real = _Summary(self.metrics, "real")
        if self.real.statistics is not None or self.real.keep_features:
            for batch in real_batches(real_data, self.num_samples, self.batch_size):
                self.real.add(batch, self._outputs(batch))
            if self.real.count < self.num_samples:
                warnings.warn(f"num_samples={self.num_samples}, but the real data gave {self.real.count} samples: the "
                              f"real statistics use those {self.real.count} (the result's num_real). Pass "
                              f"num_samples={self.real.count} to compare equal counts, or more real data.",
                              UserWarning, stacklevel=2)

    def _outputs(self, batch):
        shape = tuple(batch.shape[1:])
        if shape not in self._extractors:
            extractor = resolve_extractor(self._extractor_spec, shape, self._inception_weights)
            if isinstance(self._extractor_spec, str) and self._extractor_spec == "auto":
                self.extractor_name = "identity" if batch.ndim == 2 else "mnist"
            self._extractors[shape] = compiled_extractor(extractor)
        return self._extractors[shape](tf.constant(batch))

    def score(self, generator):
        """Generates ``num_samples`` samples and returns ``{key: value}`` for the requested metrics."""
        fake = _Summary(self.metrics, "generated")
        needs_features = fake.statistics is not None or fake.keep_features or fake.keep_probabilities
        for batch in generated_batches(generator, self.num_samples, self.batch_size, self.seed):
            fake.add(batch, self._outputs(batch) if needs_features else {"features": batch.reshape(len(batch), -1)})
        result = {}
        if "fid" in self.metrics:
            result["fid"] = frechet_distance(self.real.statistics, fake.statistics)
        if "kid" in self.metrics:
            result["kid"], result["kid_std"] = kernel_inception_distance(
                self.real.array("features"), fake.array("features"), self.options["kid_subsets"],
                self.options["kid_subset_size"], self.seed)
        if "is" in self.metrics:
            result["is"], result["is_std"] = inception_score(fake.array("probabilities"), self.options["is_splits"])
        if "precision_recall" in self.metrics:
            result["precision"], result["recall"] = precision_recall(
                self.real.array("features"), fake.array("features"), self.options["pr_k"])
        if "modes" in self.metrics:
            result.update(toy_mode_metrics(fake.array("samples"), self.toy_mixture))
        result.update(num_real=self.real.count, num_generated=fake.count, extractor=self.extractor_name)
        return result


def _json_safe(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def write_json(result, path):
    """Writes a result dict as strict JSON (NaN and infinities become ``null``)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({k: _json_safe(v) for k, v in result.items()}, f, indent=2, allow_nan=False)
        f.write("\n")


def score_for_cli(model, data_name, seed=0, num_samples=None):
    """The offline scores ``tfgan-zoo train`` records for a dataset name; ``{}`` where none applies.

    * ``"ring_of_8"``/``"grid_of_25"`` (and aliases): ``modes`` and ``fid`` on the raw points, 2,500 samples
      (VEEGAN / PacGAN);
    * ``"mnist"``: the score card of :mod:`.score_card` (2,500 digits against half B of the embedded digits:
      classifier-FID, KID, IS, precision/recall, the digit histogram and the confident fraction), with the real
      digits' card under ``real_baseline``;
    * anything else: ``{}`` (no offline extractor fits other images; call :func:`evaluate` with
      ``extractor="inception_v3"`` and a local weights file).
    """
    name = str(data_name).strip().lower()
    if _is_toy_mixture(name):
        return evaluate(model, name, ("modes", "fid"), num_samples or 2500, "identity", seed=seed)
    if name == "mnist":
        from .score_card import real_baseline, score_card

        return {**score_card(model), "real_baseline": real_baseline()}
    return {}


def evaluate(generator, real_data, metrics=("fid", "kid"), num_samples=10_000, extractor="auto", batch_size=250,
             *, seed=0, json_path=None, **options):
    """Scores a generator against real data; returns a dict and optionally writes it as JSON.

    Example: ``evaluate(gan, "mnist", metrics=("fid", "kid", "is"), num_samples=5000)`` scores a trained GAN
    (its EMA generator when enabled) against the 5,000 embedded MNIST digits with the offline classifier.

    Args:
      generator: a :class:`tfgan_zoo.models.GAN`, a generator ``keras.Model`` (``z ~ N(0, I)``), an array
        of generated samples, or a function ``n -> samples`` (see :func:`generated_batches`).
      real_data: numpy array, ``tf.data.Dataset`` or dataset name (see :class:`Evaluator`).
      metrics: names from :func:`available_metrics` (default ``("fid", "kid")``); unknown names raise
        ``ValueError`` listing the accepted ones.
      num_samples: generated samples, and the most real samples used (default 10,000).
      extractor: see :class:`Evaluator` (default ``"auto"``).
      batch_size: samples per call (default 250).
      seed: seed of the latent draws and KID subsets (default 0).
      json_path: if given, the result is also written there (strict JSON).
      **options: ``inception_weights``, ``toy_mixture``, ``kid_subsets``, ``kid_subset_size``, ``is_splits``,
        ``pr_k`` (see :class:`Evaluator`).
    Returns:
      ``{"fid": ..., "kid": ..., "kid_std": ..., ..., "num_real", "num_generated", "extractor"}``.
    """
    result = Evaluator(real_data, metrics, num_samples, extractor, batch_size, seed=seed, **options).score(generator)
    if json_path is not None:
        write_json(result, json_path)
    return result
