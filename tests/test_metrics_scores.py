"""FID, KID, IS and precision/recall against closed forms and direct numpy/scipy references."""
import itertools

import numpy as np
import pytest

from tfgan_zoo.metrics.scores import (frechet_distance, inception_score, kernel_inception_distance, mmd2_unbiased,
                                      precision_recall, sqrtm_frechet_distance, trace_sqrt_product)
from tfgan_zoo.metrics.statistics import FeatureStatistics


def gaussian_statistics(rng, n, d, scale=1.0, shift=0.0):
    x = rng.normal(size=(n, d)) * scale + shift
    return x.mean(axis=0), np.cov(x, rowvar=False)


def rotated(rng, spectrum):
    q, _ = np.linalg.qr(rng.normal(size=(len(spectrum), len(spectrum))))
    return (q * spectrum) @ q.T


# --- FID ------------------------------------------------------------------------------------------------


def test_fid_of_identical_statistics_is_zero():
    rng = np.random.default_rng(0)
    mean, cov = gaussian_statistics(rng, 500, 32)
    assert frechet_distance(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-10 * np.trace(cov))
    singular = rotated(rng, np.r_[np.ones(16), np.zeros(16)])
    assert frechet_distance(mean, singular, mean, singular) == pytest.approx(0.0, abs=1e-9)


def test_fid_closed_form_for_commuting_covariances():
    # diagonal covariances: FID = |Δμ|² + Σ (√a_i - √b_i)²; a zero variance forces the eigh fallback
    a = np.array([4.0, 1.0, 0.25, 0.0])
    b = np.array([1.0, 1.0, 1.0, 9.0])
    mean_a, mean_b = np.array([1.0, 0, 0, 0]), np.array([0, 2.0, 0, 0])
    expected = 1 + 4 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mean_a, np.diag(a), mean_b, np.diag(b)) == pytest.approx(expected, rel=1e-12)
    assert trace_sqrt_product(np.diag(b), np.diag(a)) == pytest.approx(np.sum(np.sqrt(a * b)), rel=1e-12)


@pytest.mark.parametrize("d,n", [(64, 2000), (128, 129), (64, 40), (160, 100)])
def test_fid_matches_scipy_sqrtm_reference_on_random_gaussians(d, n):
    # n <= d gives singular sample covariances (rank n - 1)
    rng = np.random.default_rng(d + n)
    mean_a, cov_a = gaussian_statistics(rng, n, d)
    mean_b, cov_b = gaussian_statistics(rng, n, d, scale=1.2, shift=0.1)
    ours = frechet_distance(mean_a, cov_a, mean_b, cov_b)
    assert ours == pytest.approx(sqrtm_frechet_distance(mean_a, cov_a, mean_b, cov_b), rel=1e-4)
    assert ours == pytest.approx(frechet_distance(mean_b, cov_b, mean_a, cov_a), rel=1e-8)  # symmetric


@pytest.mark.parametrize("low", [1e-6, 1e-12, 0.0])
def test_fid_matches_reference_for_near_singular_covariances(low):
    rng = np.random.default_rng(7)
    d = 96
    cov_a = rotated(rng, np.logspace(0, -12, d) if low else np.r_[np.logspace(0, -3, d // 2), np.zeros(d // 2)])
    cov_b = rotated(rng, np.logspace(1, np.log10(low) if low else -10, d))
    mean_a, mean_b = np.zeros(d), np.full(d, 0.05)
    assert frechet_distance(mean_a, cov_a, mean_b, cov_b) == pytest.approx(
        sqrtm_frechet_distance(mean_a, cov_a, mean_b, cov_b), rel=1e-4)


def test_fid_accepts_feature_statistics_and_rejects_mismatched_shapes():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(300, 8)) + 0.5
    value = frechet_distance(FeatureStatistics.from_features(a), FeatureStatistics.from_features(b))
    expected = sqrtm_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert value == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match="same extractor"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


# --- KID ------------------------------------------------------------------------------------------------


def direct_mmd2(x, y):
    """Unbiased MMD² by explicit loops over pairs, with k(a, b) = (a·b / d + 1)³."""
    d = x.shape[1]
    k = lambda a, b: (a @ b / d + 1.0) ** 3  # noqa: E731
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_mmd2_matches_direct_double_loop():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5)), rng.normal(size=(9, 5)) * 1.5 + 0.3
    assert float(mmd2_unbiased(x, y)) == pytest.approx(direct_mmd2(x, y), rel=1e-10)
    assert float(mmd2_unbiased(x.astype(np.float32), y.astype(np.float32))) == pytest.approx(direct_mmd2(x, y),
                                                                                               rel=1e-5)


def test_kid_subsets_match_direct_mmd_with_the_same_draws():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(20, 4)), rng.normal(size=(15, 4)) + 0.4
    mean, std = kernel_inception_distance(a, b, num_subsets=4, subset_size=8, seed=5)
    draws = np.random.default_rng(5)
    values = [direct_mmd2(a[draws.choice(20, 8, replace=False)], b[draws.choice(15, 8, replace=False)])
              for _ in range(4)]
    assert mean == pytest.approx(np.mean(values), rel=1e-10)
    assert std == pytest.approx(np.std(values), rel=1e-8)
    # one subset holding every row of two equal-size sets: the full-sample unbiased MMD², std 0
    full_mean, full_std = kernel_inception_distance(a[:15], b, num_subsets=1, subset_size=1000)
    assert full_mean == pytest.approx(direct_mmd2(a[:15], b), rel=1e-10)
    assert full_std == 0.0


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(2)
    same = kernel_inception_distance(rng.normal(size=(600, 16)), rng.normal(size=(600, 16)), 20, 200)
    shifted = kernel_inception_distance(rng.normal(size=(600, 16)), rng.normal(size=(600, 16)) + 1.0, 20, 200)
    assert abs(same[0]) < 3 * same[1] / np.sqrt(20) + 1e-3
    assert shifted[0] > 20 * max(abs(same[0]), same[1])


# --- IS -------------------------------------------------------------------------------------------------


def test_inception_score_closed_forms():
    classes = 10
    one_hot_uniform = np.eye(classes)[np.arange(1000) % classes]
    mean, std = inception_score(one_hot_uniform, splits=10)
    assert mean == pytest.approx(classes, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)
    constant = np.tile(np.array([0.7, 0.2, 0.1]), (100, 1))
    assert inception_score(constant, splits=5) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_inception_score_hand_computed_split():
    # rows (1, 0) and (0.5, 0.5): p(y) = (0.75, 0.25);
    # KL1 = log(1/0.75), KL2 = 0.5 log(0.5/0.75) + 0.5 log(0.5/0.25); IS = exp((KL1 + KL2) / 2)
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    kl = np.log(1 / 0.75) + 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(2.0)
    assert inception_score(p, splits=1)[0] == pytest.approx(np.exp(kl / 2), rel=1e-12)
    with pytest.raises(ValueError, match="softmax"):
        inception_score(np.array([[2.0, -1.0], [0.5, 0.5]]), splits=1)


# --- precision / recall ----------------------------------------------------------------------------------


def test_precision_recall_identical_sets_are_one():
    features = np.random.default_rng(0).normal(size=(300, 8))
    assert precision_recall(features, features.copy()) == (1.0, 1.0)


def test_precision_recall_fall_for_a_shifted_set():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(500, 4))
    near = precision_recall(real, rng.normal(size=(500, 4)) + 0.5)
    far = precision_recall(real, rng.normal(size=(500, 4)) + 3.0)
    assert 0.1 < near[0] < 0.99 and 0.1 < near[1] < 0.99
    assert far[0] < near[0] and far[1] < near[1] and far[0] < 0.1


def test_precision_recall_hand_computed_on_a_line():
    # real {0, 1, 2, 3}, k = 1: radii 1 each -> real manifold [-1, 4]; fake {0.5, 3.5, 10, 11}:
    # precision 2/4. fake radii: 3, 3, 1, 1 -> fake manifold [-2.5, 6.5] ∪ [9, 12] holds all real: recall 1.
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [3.5], [10.0], [11.0]])
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    assert precision_recall(real, fake, k=1, block_elements=3) == (0.5, 1.0)  # one row per block
