"""Toy 2-D mixtures: the ring of 8 and the 5x5 grid of Gaussians (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et
al. 2018), as samplers, mode definitions and batched training sets."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from . import pipeline, registry

__all__ = ["grid_of_25", "ring_of_8", "toy_mixture", "toy_modes", "toy_points"]

_RING_SIGMA = 0.01
_GRID_SIGMA = 0.05
_RING_CENTRES = np.stack(
    [np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], axis=1
)
_GRID_CENTRES = np.array(
    [(x, y) for x in (-4.0, -2.0, 0.0, 2.0, 4.0) for y in (-4.0, -2.0, 0.0, 2.0, 4.0)]
)
# The mixtures by their registry names (tfgan_zoo.data.registry holds the names, aliases and shapes).
_MIXTURES = {"ring_of_8": (_RING_CENTRES, _RING_SIGMA), "grid_of_25": (_GRID_CENTRES, _GRID_SIGMA)}


def _sample_mixture(centres: np.ndarray, sigma: float, n: int, rng) -> np.ndarray:
    n = pipeline.check_count("n", n, minimum=0)
    rng = np.random.default_rng(rng)
    component = rng.integers(0, len(centres), size=n)
    points = centres[component] + sigma * rng.standard_normal((n, 2))
    return points.astype(np.float32)


def ring_of_8(n: int, rng=None) -> np.ndarray:
    """Samples the ring of 8 Gaussians (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

    Eight isotropic Gaussians with means ``(cos 2πk/8, sin 2πk/8)``, k = 0..7 (radius 1) and
    standard deviation σ = 0.01 (variance 1e-4); each point picks its component uniformly.

    Args:
      n: number of points.
      rng: a `numpy.random.Generator`, or anything `numpy.random.default_rng` accepts (int seed,
        None for fresh entropy).

    Returns:
      float32 array ``[n, 2]``, values within about ±1.05.
    """
    return _sample_mixture(_RING_CENTRES, _RING_SIGMA, n, rng)


def grid_of_25(n: int, rng=None) -> np.ndarray:
    """Samples the 5x5 grid of Gaussians (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

    Twenty-five isotropic Gaussians with means in {-4, -2, 0, 2, 4}² and standard deviation
    σ = 0.05 (variance 0.0025); each point picks its component uniformly.

    Args:
      n: number of points.
      rng: a `numpy.random.Generator`, or anything `numpy.random.default_rng` accepts.

    Returns:
      float32 array ``[n, 2]``, values within about ±4.25 (not rescaled to [-1, 1]).
    """
    return _sample_mixture(_GRID_CENTRES, _GRID_SIGMA, n, rng)


def _mixture(name: str) -> tuple[np.ndarray, float]:
    """``(centres, sigma)`` of the mixture ``name`` (a registry name or alias, any case)."""
    spec = registry.find(name)
    if spec is None or spec.name not in _MIXTURES:
        accepted = [n for s in registry.specs(kind="points") for n in s.names]
        raise ValueError(f"Unknown toy mixture {name!r}; accepted names: {', '.join(accepted)}")
    return _MIXTURES[spec.name]


def toy_modes(name: str) -> tuple[np.ndarray, float]:
    """Mode centres and standard deviation of a toy mixture, for mode-coverage metrics.

    PacGAN/VEEGAN count a sample as high quality when it lies within 3σ of a centre, and a mode
    as recovered when enough samples land within 3σ of it.

    Args:
      name: "ring8"/"ring_of_8" or "grid25"/"grid_of_25".

    Returns:
      ``(centres, sigma)``: float64 array ``[k, 2]`` (k = 8 or 25, a copy) and the per-axis σ.
    """
    centres, sigma = _mixture(name)
    return centres.copy(), sigma


def toy_points(name: str, num_samples: int, rng=None) -> np.ndarray:
    """``num_samples`` points of the toy mixture ``name`` ("ring8"/"ring_of_8" or "grid25"/"grid_of_25"), drawn
    with `ring_of_8` or `grid_of_25` from ``rng`` (a ``numpy.random.Generator``; fresh when None)."""
    return _sample_mixture(*_mixture(name), num_samples, rng)


def toy_mixture(
    name: str,
    num_samples: int = 100_000,
    batch_size: int = 500,
    seed: int | None = 0,
    repeat: bool = False,
) -> tf.data.Dataset:
    """A finite training set drawn from a toy 2-D mixture, as a batched dataset.

    The ``num_samples`` points are drawn once with ``numpy.random.default_rng(seed)`` from
    `ring_of_8` or `grid_of_25`; the dataset then reshuffles them every pass.

    Args:
      name: "ring8"/"ring_of_8" or "grid25"/"grid_of_25".
      num_samples: size of the training set (default 100,000).
      batch_size: points per batch (default 500); the last partial batch is dropped.
      seed: seeds both the sampling and the shuffle; None for a non-reproducible run.
      repeat: repeat indefinitely (off by default: one pass is one epoch).

    Returns:
      Dataset of float32 ``[batch_size, 2]`` (coordinates as in the samplers, not rescaled).
    """
    points = toy_points(name, num_samples, np.random.default_rng(seed))
    return pipeline.in_memory_dataset(points, batch_size, seed, repeat)


