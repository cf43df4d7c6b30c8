"""FID / KID as keras.metrics.Metric: streaming state, precomputed real references, and model.evaluate."""
import keras
import numpy as np
import pytest
from conftest import run_on_two_logical_cpus

from tfgan_zoo.metrics.features import call_extractor
from tfgan_zoo.metrics.keras_metrics import FID, KID
from tfgan_zoo.metrics.scores import frechet_distance, mmd2_unbiased
from tfgan_zoo.metrics.statistics import FeatureStatistics

SHAPE = (4, 4, 1)


def tiny_extractor():
    return keras.Sequential([keras.Input(SHAPE), keras.layers.Flatten(),
                             keras.layers.Dense(6, activation="tanh",
                                                kernel_initializer=keras.initializers.GlorotUniform(seed=1))])


def images(seed, n, shift=0.0):
    return (np.random.default_rng(seed).uniform(-1, 1, size=(n,) + SHAPE) * 0.8 + shift).astype(np.float32)


def features(extractor, x):
    return np.asarray(call_extractor(extractor, x)["features"], np.float64)


def test_fid_metric_streams_to_the_one_shot_value():
    extractor = tiny_extractor()
    real, fake = images(0, 300), images(1, 300, shift=0.1)
    metric = FID(extractor)
    for start in (0, 100, 130, 299):
        stop = {0: 100, 100: 130, 130: 299, 299: 300}[start]
        metric.update_state(real[start:stop], fake[start:stop])
    expected = frechet_distance(FeatureStatistics.from_features(features(extractor, real)),
                                FeatureStatistics.from_features(features(extractor, fake)))
    assert float(metric.result()) == pytest.approx(expected, rel=1e-5)
    with_reference = FID(extractor, real_statistics=FeatureStatistics.from_features(features(extractor, real)))
    with_reference.update_state(fake[:150])
    with_reference.update_state(np.zeros_like(fake[:150]), fake[150:])  # y_true ignored with a reference
    assert float(with_reference.result()) == pytest.approx(expected, rel=1e-5)
    metric.reset_state()
    assert np.isnan(float(metric.result()))


def test_fid_and_kid_run_inside_model_evaluate():
    extractor = tiny_extractor()
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(16, activation="tanh"),
                                  keras.layers.Reshape(SHAPE)])
    generator.compile(loss="mse", metrics=[FID(extractor), KID(extractor)], jit_compile=False)  # evaluate needs a loss
    z = np.random.default_rng(2).standard_normal((200, 3)).astype(np.float32)
    real = images(3, 200)
    scores = generator.evaluate(z, real, batch_size=100, verbose=0, return_dict=True)
    fake_features = features(extractor, generator.predict(z, verbose=0))
    real_features = features(extractor, real)
    assert scores["fid"] == pytest.approx(frechet_distance(FeatureStatistics.from_features(real_features),
                                                           FeatureStatistics.from_features(fake_features)), rel=1e-4)
    per_batch = [float(mmd2_unbiased(real_features[i:i + 100], fake_features[i:i + 100])) for i in (0, 100)]
    assert scores["kid"] == pytest.approx(np.mean(per_batch), rel=1e-4, abs=1e-7)


def test_kid_with_precomputed_real_features():
    extractor = tiny_extractor()
    real_features = features(extractor, images(4, 50))
    fake = images(5, 50, shift=0.3)
    metric = KID(extractor, real_features=real_features)
    metric.update_state(fake)  # a batch as large as the real set: the subset is all of it, reordered
    assert float(metric.result()) == pytest.approx(float(mmd2_unbiased(real_features, features(extractor, fake))),
                                                   rel=1e-5)
    with pytest.raises(ValueError, match="real reference"):
        KID(extractor).update_state(fake)


REPLICA_SCRIPT = """
from test_metrics_keras import features, images, tiny_extractor
from tfgan_zoo.metrics.keras_metrics import FID, KID
from tfgan_zoo.metrics.scores import mmd2_unbiased

def scores(devices):
    with tf.distribute.MirroredStrategy(devices).scope():
        extractor = tiny_extractor()
        generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(16, activation="tanh",
                                      kernel_initializer=keras.initializers.GlorotUniform(seed=3)),
                                      keras.layers.Reshape((4, 4, 1))])
        generator.compile(loss="mse", metrics=[FID(extractor), KID(extractor)], jit_compile=False)
    z = np.random.default_rng(2).standard_normal((200, 3)).astype(np.float32)
    result = generator.evaluate(z, images(3, 200), batch_size=100, verbose=0, return_dict=True)
    fake = features(extractor, generator.predict(z, verbose=0))
    real = features(extractor, images(3, 200))
    shard = 100 // len(devices)  # each replica scores its shard of every global batch of 100
    result["kid_per_shard"] = float(np.mean([mmd2_unbiased(real[i:i + shard], fake[i:i + shard])
                                             for i in range(0, 200, shard)]))
    return result

print(json.dumps([scores(["/cpu:0"]), scores(["/cpu:0", "/cpu:1"])]))
"""


def test_metrics_aggregate_across_replicas():
    """Under MirroredStrategy every replica adds its shard: FID equals the one-device value; KID is the mean of
    the per-shard MMD² (4 shards of 50 on two replicas, 2 batches of 100 on one)."""
    one, two = run_on_two_logical_cpus(REPLICA_SCRIPT)
    assert two["fid"] == pytest.approx(one["fid"], rel=1e-4)
    for result in (one, two):
        assert result["kid"] == pytest.approx(result["kid_per_shard"], rel=1e-4, abs=1e-7)
