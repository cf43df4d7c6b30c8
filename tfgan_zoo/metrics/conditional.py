"""Scores of class-conditional generators: does a generator asked for class ``c`` draw a ``c``?

* :func:`class_agreement` — the maths: from a classifier's probabilities and the requested labels, the share of
  images classified as their requested class (class-conditional accuracy), per class, and the confident share;
* :func:`class_conditional_accuracy` — a generator's figures: ``per_class`` images of each class judged by the
  shipped MNIST classifier (:func:`tfgan_zoo.metrics.mnist_classifier`) or any other;
* :func:`intra_class_fid` — FID within each class (generated images of class ``c`` against the real images of
  class ``c``), averaged over the classes (Miyato & Koyama 2018, "intra-FID").

The generator is a conditional :class:`tfgan_zoo.GAN` or an exported one (:class:`tfgan_zoo.export.ExportedGenerator`,
a shipped ``tfgan_zoo.pretrained`` generator): anything with ``generate(n, seed=..., labels=...)`` and
``num_classes`` or ``conditioning.num_classes``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["class_agreement", "class_conditional_accuracy", "intra_class_fid"]


def _num_classes(generator):
    conditioning = getattr(generator, "conditioning", None)
    count = conditioning.num_classes if conditioning is not None else getattr(generator, "num_classes", None)
    if getattr(conditioning, "from_latent", False):  # self-conditioned: its classes are clusters read off z
        count = None
    if count is None:
        raise ValueError("generator is not class-conditional (no num_classes): the conditional scores ask it for "
                         "images of each class; score an unconditional generator with tfgan_zoo.metrics.evaluate.")
    return int(count)


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer.")
    return int(value)


def class_agreement(probabilities, requested_labels, confident_probability=0.9):
    """How often a classifier agrees with the classes a generator was asked for.

    Args:
      probabilities: ``[n, C]`` class probabilities of the generated images.
      requested_labels: ``[n]`` the classes requested for them.
      confident_probability: the top probability at which a judgement counts as confident (0.9, the MNIST
        score card's).
    Returns:
      ``accuracy`` (share with ``argmax p == requested``), ``per_class_accuracy`` (the same within each requested
      class, ``C`` values, NaN for a class not requested), ``confident_fraction`` (share with top probability
      >= ``confident_probability``) and ``confident_accuracy`` (share both correct and confident).
    """
    probabilities = np.asarray(probabilities, np.float64)
    labels = np.asarray(requested_labels)
    if probabilities.ndim != 2 or labels.shape != (len(probabilities),) or len(labels) == 0:
        raise ValueError(f"probabilities must be [n, classes] and requested_labels [n] with n >= 1; got shapes "
                         f"{probabilities.shape} and {labels.shape}.")
    correct = probabilities.argmax(axis=1) == labels
    confident = probabilities.max(axis=1) >= confident_probability
    per_class = [float(correct[labels == c].mean()) if np.any(labels == c) else float("nan")
                 for c in range(probabilities.shape[1])]
    return {"accuracy": float(correct.mean()), "per_class_accuracy": per_class,
            "confident_fraction": float(confident.mean()), "confident_accuracy": float((correct & confident).mean())}


def _probabilities(classifier, images):
    import keras

    if isinstance(classifier, keras.Model):
        return np.asarray(classifier.predict(images, batch_size=500, verbose=0))
    return np.asarray(classifier(images))


def class_conditional_accuracy(generator, per_class=100, seed=0, classifier=None, confident_probability=0.9):
    """:func:`class_agreement` of ``per_class`` images of every class drawn from ``generator``.

    Args:
      generator: a class-conditional generator (see the module docstring).
      per_class: images requested per class (default 100).
      seed: seed of the images' latents (``generate(..., seed=seed)``).
      classifier: a ``keras.Model`` or callable mapping images to class probabilities ``[n, C]``; default the
        shipped MNIST classifier (images resized to 28×28 grey first).
      confident_probability: as :func:`class_agreement`.
    Returns:
      The dict of :func:`class_agreement` plus ``per_class`` and ``num_classes``.
    """
    num_classes = _num_classes(generator)
    per_class = _check_count("per_class", per_class)
    labels = np.repeat(np.arange(num_classes), per_class)
    images = generator.generate(len(labels), seed=seed, labels=labels)
    if classifier is None:
        from .features import mnist_classifier
        from .score_card import as_28px_grey_digits

        classifier, images = mnist_classifier(), as_28px_grey_digits(images)
    result = class_agreement(_probabilities(classifier, images), labels, confident_probability)
    return {**result, "per_class": per_class, "num_classes": num_classes}


def intra_class_fid(generator, real_images, real_labels, per_class=None, seed=0, extractor="mnist", batch_size=500):
    """Intra-class FID: the FID of each class's generated images against the real images of that class, averaged.

    Args:
      generator: a class-conditional generator (see the module docstring).
      real_images: real images ``[n, h, w, c]`` in [-1, 1]; ``real_labels``: their classes ``[n]``.
      per_class: generated images per class; default as many as the real images of that class.
      seed: latent seed; class ``c`` is drawn with ``seed + c``.
      extractor: ``"mnist"`` (the shipped classifier's features, default), ``"inception_v3"`` or a
        ``keras.Model``/callable (see :func:`tfgan_zoo.metrics.features.resolve_extractor`).
      batch_size: images per extractor call.
    Returns:
      ``{"intra_class_fid": mean over the classes with real images, "per_class_fid": [C floats, NaN where a class
      has fewer than 2 real images]}``.
    """
    from .features import call_extractor, resolve_extractor
    from .scores import fid_from_features

    num_classes = _num_classes(generator)
    real_images = np.asarray(real_images, np.float32)
    real_labels = np.asarray(real_labels).reshape(-1)
    if len(real_images) != len(real_labels):
        raise ValueError(f"real_images ({len(real_images)}) and real_labels ({len(real_labels)}) must be as many.")
    if per_class is not None:
        per_class = _check_count("per_class", per_class)
    extractor = resolve_extractor(extractor, real_images.shape[1:])

    def features(images):
        return np.concatenate([np.asarray(call_extractor(extractor, images[i:i + batch_size])["features"])
                               for i in range(0, len(images), batch_size)])

    scores = []
    for c in range(num_classes):
        real = real_images[real_labels == c]
        if len(real) < 2:
            scores.append(float("nan"))
            continue
        fake = generator.generate(per_class or len(real), seed=seed + c, labels=c)
        scores.append(fid_from_features(features(real), features(fake)))
    if all(np.isnan(scores)):
        raise ValueError(f"no class of 0..{num_classes - 1} has 2 or more real images; pass real_labels of those "
                         "classes.")
    return {"intra_class_fid": float(np.nanmean(scores)), "per_class_fid": scores}
