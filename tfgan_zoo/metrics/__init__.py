"""Evaluation metrics, with feature extraction kept apart from the score maths.

* :mod:`.features` — extractors: the offline MNIST classifier (default, weights shipped), InceptionV3 from a
  local weights file, or any ``keras.Model``;
* :mod:`.statistics` — streaming float64 mean/covariance (:class:`FeatureStatistics`);
* :mod:`.scores` — FID, KID, IS, precision/recall from features or statistics;
* :mod:`.toy` — mode coverage on the 2D ring/grid mixtures;
* :mod:`.conditional` — class-conditional accuracy and intra-class FID of conditional generators;
* :mod:`.keras_metrics` — :class:`FID` / :class:`KID` as ``keras.metrics.Metric``;
* :mod:`.evaluate` — :func:`evaluate` / :class:`Evaluator` (scoring during ``fit``:
  :class:`tfgan_zoo.callbacks.EvaluationCallback`).
"""
from .conditional import class_agreement, class_conditional_accuracy, intra_class_fid
from .evaluate import METRIC_KEYS, Evaluator, available_metrics, evaluate, score_for_cli, write_json
from .features import (InceptionWeightsNotFoundError, build_mnist_classifier, identity_extractor,
                       inception_v3_extractor, mnist_classifier, mnist_classifier_info, mnist_extractor)
from .keras_metrics import FID, KID
from .scores import (fid_from_features, frechet_distance, inception_score, kernel_inception_distance, mmd2_unbiased,
                     polynomial_kernel, precision_recall, sqrtm_frechet_distance, trace_sqrt_product)
from .statistics import FeatureStatistics
from .toy import nearest_modes, toy_mode_metrics


def __getattr__(name):
    # tfgan_zoo.metrics.EvaluationCallback, the old path of tfgan_zoo.callbacks.EvaluationCallback (imported on first
    # use: the callbacks import this package).
    if name == "EvaluationCallback":
        from ..callbacks import EvaluationCallback

        return EvaluationCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
