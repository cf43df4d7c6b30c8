"""Feature extractors: the shipped MNIST classifier (offline, accurate) and the InceptionV3 plumbing."""
import json

import h5py
import keras
import numpy as np
import pytest

from tfgan_zoo.metrics import features as F
from tfgan_zoo.metrics.train_classifier import held_out_split


def test_shipped_classifier_loads_offline_and_is_accurate():
    assert F.MNIST_CLASSIFIER_WEIGHTS.stat().st_size < 1_000_000
    info = json.loads(F.MNIST_CLASSIFIER_INFO.read_text())
    _, (test_x, test_y) = held_out_split(info["held_out_digits"], info["seed"])
    probabilities = F.mnist_classifier().predict(test_x, batch_size=500, verbose=0)
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == test_y))
    assert accuracy >= 0.97
    assert accuracy == pytest.approx(info["held_out_accuracy"], abs=1e-3)  # the figure the README quotes


def test_mnist_extractor_outputs_and_input_adaptation():
    images, _ = held_out_split()[1]
    images = images[:8]
    extractor = F.mnist_extractor()
    outputs = F.call_extractor(extractor, images)
    assert outputs["features"].shape == (8, 128) and outputs["probabilities"].shape == (8, 10)
    classifier = F.mnist_classifier()
    features = keras.Model(classifier.input, classifier.get_layer("features").output)(images)
    np.testing.assert_allclose(outputs["features"], features, rtol=1e-5, atol=1e-5)
    # 32x32 RGB images (grey digits padded by 2 pixels) are resized and averaged inside the model
    rgb = np.repeat(np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1.0), 3, axis=-1)
    adapted = F.call_extractor(F.mnist_extractor((32, 32, 3)), rgb)
    assert adapted["features"].shape == (8, 128)
    same_class = np.argmax(adapted["probabilities"], 1) == np.argmax(outputs["probabilities"], 1)
    assert same_class.mean() >= 0.75


def test_missing_inception_weights_error_says_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(F.InceptionWeightsNotFoundError, match="inception_v3_weights_tf_dim_ordering_tf_kernels_notop"
                                                              r".h5.*weights_path"):
        F.inception_v3_extractor(str(tmp_path / "missing.h5"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv(F.INCEPTION_V3_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match="does not download"):
        F.inception_v3_extractor()
    with pytest.raises(F.InceptionWeightsNotFoundError, match="TFGAN_ZOO_INCEPTION_WEIGHTS"):
        F.resolve_extractor("inception_v3", (28, 28, 1))
    assert issubclass(F.InceptionWeightsNotFoundError, FileNotFoundError)


def test_inception_extractor_plumbing_loads_a_keras_applications_h5_file(tmp_path):
    from keras.src.legacy.saving import legacy_h5_format  # writes the format of Keras's published files

    base = keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(75, 75, 3), pooling="avg")
    path = tmp_path / "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, base)
    extractor = F.inception_v3_extractor(str(path), input_shape=(28, 28, 1), image_size=75)
    images = np.random.default_rng(0).uniform(-1, 1, size=(2, 28, 28, 1)).astype(np.float32)
    features = F.call_extractor(extractor, images)["features"]
    assert features.shape == (2, 2048)
    resized = keras.ops.image.resize(np.repeat(images, 3, axis=-1), (75, 75), interpolation="bilinear")
    np.testing.assert_allclose(features, base(resized, training=False), rtol=1e-4, atol=1e-5)


def test_resolve_extractor_by_name_and_errors():
    points = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    identity = F.resolve_extractor("auto", (2,))
    np.testing.assert_array_equal(F.call_extractor(identity, points)["features"], points)
    with pytest.raises(ValueError, match="accepted names: auto, mnist, inception_v3, identity"):
        F.resolve_extractor("vgg", (28, 28, 1))
    with pytest.raises(ValueError, match="extractor='identity'"):
        F.resolve_extractor("mnist", (2,))
    with pytest.raises(ValueError, match="'features'"):
        F.call_extractor(lambda x: {"logits": x}, points)
