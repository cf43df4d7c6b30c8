"""Toy 2D mode metrics (VEEGAN / PacGAN) on synthetic samples with known answers."""
import math

import numpy as np
import pytest

from tfgan_zoo.metrics.toy import nearest_modes, toy_mode_metrics

RING = np.stack([np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], axis=1)
GRID = np.array([(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)], dtype=np.float64)


def test_every_mode_exactly_hit_scores_perfectly():
    samples = np.tile(RING, (312, 1))  # 312 exact samples per mode
    result = toy_mode_metrics(samples, RING, sigma=0.01)
    assert result == {"modes_captured": 8, "num_modes": 8, "high_quality_fraction": 1.0, "reverse_kl": 0.0}


def test_single_mode_collapse_gives_log_k():
    samples = RING[3] + np.random.default_rng(0).normal(scale=0.01, size=(2500, 2)) * 0.5
    result = toy_mode_metrics(samples, RING, sigma=0.01)
    assert result["modes_captured"] == 1
    assert result["high_quality_fraction"] == 1.0
    assert result["reverse_kl"] == pytest.approx(math.log(8), rel=1e-12)


def test_off_mode_noise_is_never_high_quality():
    # points at radius 0.5: 0.5 away from every ring centre, far beyond 3σ = 0.03
    angles = np.random.default_rng(1).uniform(0, 2 * np.pi, 2500)
    samples = 0.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    result = toy_mode_metrics(samples, RING, sigma=0.01)
    assert result["modes_captured"] == 0
    assert result["high_quality_fraction"] == 0.0
    assert math.isnan(result["reverse_kl"])


def test_hand_computed_mixture_on_the_grid():
    # 3 modes with counts 2:1:1 of high-quality samples, plus 4 off-mode points (half the samples)
    samples = np.array([GRID[0], GRID[0] + [0.1, 0.0], GRID[7], GRID[24] - [0.0, 0.149],
                        [1.0, 1.0], [-3.0, 3.0], GRID[5] + [0.151, 0.0], [10.0, 10.0]])
    result = toy_mode_metrics(samples, GRID, sigma=0.05)
    p = np.array([0.5, 0.25, 0.25])
    assert result["modes_captured"] == 3
    assert result["num_modes"] == 25
    assert result["high_quality_fraction"] == 0.5
    assert result["reverse_kl"] == pytest.approx(float(np.sum(p * np.log(25 * p))), rel=1e-12)


def test_named_mixtures_match_the_papers():
    ring = toy_mode_metrics(RING, "ring_of_8")
    grid = toy_mode_metrics(GRID + 0.14 / math.sqrt(2), "grid_of_25")  # 0.14 < 3 * 0.05 from each centre
    assert (ring["modes_captured"], ring["num_modes"], ring["high_quality_fraction"]) == (8, 8, 1.0)
    assert (grid["modes_captured"], grid["num_modes"], grid["high_quality_fraction"]) == (25, 25, 1.0)
    assert toy_mode_metrics(RING * 1.02, "ring_of_8")["high_quality_fraction"] == 1.0  # 0.02 < 0.03
    assert toy_mode_metrics(RING * 1.04, "ring_of_8")["high_quality_fraction"] == 0.0  # 0.04 > 0.03


def test_nearest_modes_and_errors():
    indices, distances = nearest_modes(np.array([[0.0, 0.9], [-1.1, 0.0]]), RING)
    np.testing.assert_array_equal(indices, [2, 4])
    np.testing.assert_allclose(distances, [0.1, 0.1])
    with pytest.raises(ValueError, match="sigma is required"):
        toy_mode_metrics(RING, RING)
    with pytest.raises(ValueError, match=r"shape \[n, 2\]"):
        toy_mode_metrics(np.zeros((4, 3)), RING, sigma=0.01)
