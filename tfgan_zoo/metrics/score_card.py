"""The MNIST score card: how recognisable a generator's digits are, read next to real digits scored the same way.

One protocol (:data:`PROTOCOL`) serves ``tfgan-zoo train ... --data mnist``, ``benchmarks/zoo_mnist.py`` and the
README's MNIST table, so their figures can be compared:

* the 5,000 embedded digits (:func:`tfgan_zoo.data.mnist_arrays`) are split once, by a seeded permutation, into
  halves A and B of 2,500 (:func:`real_halves`);
* 2,500 generated digits (latent seed 1,234) are scored against half B: classifier-FID, KID, IS and k-NN
  precision/recall with the shipped offline classifier's features (:func:`tfgan_zoo.metrics.mnist_extractor`);
* the same classifier judges each digit: the histogram of its predicted digits, the largest deviation of that
  histogram from 10 %, the digits present (≥ 1 % of the samples), and the **confident fraction**: the share of
  samples whose top class probability is at least 0.9;
* the real baseline (:func:`real_baseline`) is half A scored against half B in exactly the same way.
"""
from __future__ import annotations

import functools

import numpy as np

__all__ = ["PROTOCOL", "real_halves", "as_28px_grey_digits", "digit_judgement", "score_card", "real_baseline",
           "format_score_card"]

PROTOCOL = {"num_samples": 2500, "seed": 1234, "split_seed": 0, "confident_probability": 0.9,
            "present_fraction": 0.01, "metrics": ("fid", "kid", "is", "precision_recall"), "pr_k": 3}
_DIGITS = 10


def real_halves():
    """The 5,000 embedded digits split once (a seeded permutation) into halves A and B of 2,500:
    ``((images_a, labels_a), (images_b, labels_b))``, images in [-1, 1]."""
    from .. import data

    images, labels = data.mnist_arrays()
    order = np.random.default_rng(PROTOCOL["split_seed"]).permutation(len(images))
    half = len(images) // 2
    a, b = order[:half], order[half:2 * half]
    return (images[a], labels[a]), (images[b], labels[b])


def digit_judgement(probabilities, confident_probability=PROTOCOL["confident_probability"],
                    present_fraction=PROTOCOL["present_fraction"]):
    """What a digit classifier says of a set of images, from its class probabilities ``[n, 10]``.

    Returns ``class_frequencies`` (share of images predicted as each digit), ``max_class_deviation``
    (``max_c |f_c - 0.1|``), ``classes_present`` (digits with at least ``present_fraction`` of the images) and
    ``confident_fraction`` (share of images whose top probability is at least ``confident_probability``).
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or probabilities.shape[1] != _DIGITS or len(probabilities) == 0:
        raise ValueError(f"probabilities must be [n, {_DIGITS}] with n >= 1; got shape {probabilities.shape}.")
    frequencies = np.bincount(np.argmax(probabilities, axis=1), minlength=_DIGITS) / len(probabilities)
    return {"class_frequencies": [float(f) for f in frequencies],
            "max_class_deviation": float(np.max(np.abs(frequencies - 1.0 / _DIGITS))),
            "classes_present": int(np.sum(frequencies >= present_fraction)),
            "confident_fraction": float(np.mean(np.max(probabilities, axis=1) >= confident_probability))}


@functools.lru_cache(maxsize=1)
def _judges():
    """(evaluator holding half B's features, the shipped classifier): built once per process."""
    from .evaluate import Evaluator
    from .features import mnist_classifier

    _, (half_b, _) = real_halves()
    evaluator = Evaluator(half_b, PROTOCOL["metrics"], PROTOCOL["num_samples"], "mnist", seed=PROTOCOL["seed"],
                          pr_k=PROTOCOL["pr_k"])
    return evaluator, mnist_classifier()


def as_28px_grey_digits(images):
    """``images`` ``[n, h, w, 1 or 3]`` as the MNIST classifier reads them: float32 ``[n, 28, 28, 1]``, colour
    averaged to grey and other sizes resized (antialiased) to 28×28; values are left as they are ([-1, 1]).
    Raises ValueError naming the shape when ``images`` is not a batch of 1- or 3-channel images."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"the score card scores images [n, height, width, 1 or 3]; got shape {images.shape}.")
    if images.shape[-1] == 3:
        images = images.mean(axis=-1, keepdims=True)
    if images.shape[1:3] != (28, 28):
        import tensorflow as tf

        images = tf.image.resize(images, (28, 28), antialias=True).numpy()
    return images


def score_card(samples):
    """The score card of 2,500 generated digits (or a generator: see below), against real half B.

    Args:
      samples: images ``[n, h, w, 1 or 3]`` in [-1, 1] (resized to 28×28 and averaged to grey where needed), or
        a :class:`tfgan_zoo.models.GAN` / anything with ``generate(n, seed=...)``, which is asked for
        ``PROTOCOL["num_samples"]`` digits at ``PROTOCOL["seed"]``.
    Returns:
      ``fid``, ``kid``, ``kid_std``, ``is``, ``is_std``, ``precision``, ``recall`` and the keys of
      :func:`digit_judgement`, plus ``num_generated``.
    """
    if hasattr(samples, "generate"):
        samples = samples.generate(PROTOCOL["num_samples"], seed=PROTOCOL["seed"])
    images = as_28px_grey_digits(samples)
    evaluator, classifier = _judges()
    card = {k: v for k, v in evaluator.score(images).items() if k not in ("num_real", "extractor")}
    card.update(digit_judgement(classifier.predict(images, batch_size=500, verbose=0)))
    return card


@functools.lru_cache(maxsize=1)
def _real_baseline():
    (half_a, _), _ = real_halves()
    return score_card(half_a)


def real_baseline():
    """Real half A's score card against half B: what real digits reach on the same protocol."""
    return dict(_real_baseline())


_ROWS = (("classifier FID", "fid", "{:.2f}", "lower"), ("KID", "kid", "{:.4f}", "lower"),
         ("IS", "is", "{:.2f}", "higher"), ("precision", "precision", "{:.3f}", "higher"),
         ("recall", "recall", "{:.3f}", "higher"), ("confident (p >= 0.9)", "confident_fraction", "{:.3f}", "higher"),
         ("digits present", "classes_present", "{:d}/10", "higher"),
         ("max deviation from 10 %", "max_class_deviation", "{:.3f}", "lower"))


def format_score_card(card, baseline=None):
    """The score card as text: one line a figure, the real baseline beside it, then the digit histogram."""
    lines = [f"{'':26s}{'generated':>12s}" + (f"{'real digits':>14s}" if baseline else "")]
    for title, key, form, better in _ROWS:
        if key not in card:
            continue
        line = f"{title:26s}{form.format(card[key]):>12s}"
        if baseline:
            line += f"{form.format(baseline[key]):>14s}"
        lines.append(line + f"   ({better} is better)")
    if "class_frequencies" in card:
        bars = "  ".join(f"{d}:{100 * f:4.1f}%" for d, f in enumerate(card["class_frequencies"]))
        lines.append(f"{'digit histogram':26s}{bars}")
    return "\n".join(lines)
