"""Streaming float64 feature statistics equal one-shot numpy statistics."""
import numpy as np
import pytest

from tfgan_zoo.metrics.statistics import FeatureStatistics


def test_streaming_equals_one_shot_with_uneven_batches_and_a_large_mean():
    rng = np.random.default_rng(0)
    # float32 features with a mean 1e4 times their spread: raw sums of squares would lose ~8 digits here
    features = (rng.normal(size=(1000, 6)) + 1e4).astype(np.float32)
    stats = FeatureStatistics()
    for start, stop in [(0, 1), (1, 2), (2, 129), (129, 130), (130, 777), (777, 1000)]:
        stats.update(features[start:stop])
    exact = features.astype(np.float64)
    assert stats.count == 1000
    np.testing.assert_allclose(stats.mean, exact.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(stats.covariance, np.cov(exact, rowvar=False), rtol=1e-9, atol=1e-12)


def test_merge_equals_statistics_of_the_concatenation():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(37, 5)), rng.normal(size=(300, 5)) * 3 + 2
    merged = FeatureStatistics.from_features(a).merge(FeatureStatistics.from_features(b, batch_size=64))
    both = np.concatenate([a, b])
    np.testing.assert_allclose(merged.mean, both.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(merged.covariance, np.cov(both, rowvar=False), rtol=1e-12)
    assert FeatureStatistics().merge(merged).count == 337  # merging into empty statistics copies


def test_save_load_round_trip(tmp_path):
    stats = FeatureStatistics.from_features(np.random.default_rng(2).normal(size=(50, 3)))
    stats.save(tmp_path / "real.npz")
    loaded = FeatureStatistics.load(tmp_path / "real.npz")
    assert loaded.count == 50
    np.testing.assert_array_equal(loaded.covariance, stats.covariance)


def test_errors_name_the_problem():
    stats = FeatureStatistics().update(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        stats.covariance
    with pytest.raises(ValueError, match="dimension 3 .* dimension 4"):
        stats.update(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[n, d\]"):
        FeatureStatistics().update(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        FeatureStatistics().update(np.array([[np.nan, 1.0]]))


def test_graph_and_numpy_batch_moments_agree():
    from tfgan_zoo.metrics.statistics import _numpy_batch_moments, batch_moments

    x = np.random.default_rng(3).normal(size=(40, 7)).astype(np.float32) * 5 + 2
    for graph, numpy in zip(batch_moments(x), _numpy_batch_moments(x)):
        np.testing.assert_allclose(np.asarray(graph), numpy, rtol=1e-12, atol=1e-12)
