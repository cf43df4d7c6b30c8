"""Mode-coverage metrics for the 2D toy mixtures (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

The toy benchmarks are mixtures of isotropic Gaussians with known centres:

* ``"ring_of_8"``: 8 modes evenly spaced on the unit circle, standard deviation ``σ = 0.01``;
* ``"grid_of_25"``: 25 modes at ``{-4, -2, 0, 2, 4}²``, ``σ = 0.05``.

(The centres and σ come from :func:`tfgan_zoo.data.toy_modes`, the one definition of the mixtures.)

The papers score 2,500 generated samples; this module scores whatever it is given:

* a sample is *high quality* when its Euclidean distance to its nearest mode centre is at most ``3σ``;
* a mode is *captured* when at least one high-quality sample has it as nearest mode;
* the *reverse KL* is ``KL(p ‖ u) = Σ_k p_k log(K p_k)``, where ``p`` is the histogram of the nearest modes of
  the high-quality samples (normalised to sum to one) and ``u`` is the uniform distribution over the ``K``
  modes of the true mixture (the PacGAN definition: the generated distribution's mode histogram against the
  true, uniform one), with ``0 · log 0 = 0``. It is 0 when the high-quality samples are spread evenly over
  all modes and ``log K`` when they all sit on one mode. It is NaN when there is no high-quality sample
  (the histogram is then undefined).
"""
from __future__ import annotations

import numpy as np

__all__ = ["toy_mode_metrics", "nearest_modes"]


def _resolve_modes(name_or_centres, sigma):
    if isinstance(name_or_centres, str):
        try:
            from ..data import toy_modes
        except ImportError as error:  # data.py is the single home of the mixtures' definitions
            raise ImportError(f"Resolving the toy mixture {name_or_centres!r} needs tfgan_zoo.data.toy_modes "
                              f"({error}); pass the centres array and sigma explicitly instead.") from error
        centres, default_sigma = toy_modes(name_or_centres)
        sigma = default_sigma if sigma is None else sigma
    else:
        centres = name_or_centres
        if sigma is None:
            raise ValueError("sigma is required when mode centres are given as an array "
                             "(e.g. sigma=0.01 for the ring of 8, 0.05 for the grid of 25).")
    centres = np.asarray(centres, dtype=np.float64)
    if centres.ndim != 2 or len(centres) == 0:
        raise ValueError(f"Mode centres must have shape [num_modes, dim]; got {centres.shape}.")
    sigma = float(sigma)
    if not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma={sigma!r} must be a positive number (the standard deviation of each mode).")
    return centres, sigma


def nearest_modes(samples, centres):
    """Index of the nearest centre and the Euclidean distance to it, for every sample.

    Args:
      samples: ``[n, d]`` points.
      centres: ``[K, d]`` mode centres.
    Returns:
      ``(indices [n] int64, distances [n] float64)``.
    """
    samples = np.asarray(samples, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples must have shape [n, {centres.shape[1]}] to match the mode centres; "
                         f"got {samples.shape}.")
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)  # [n, K]; K is small
    indices = np.argmin(distances, axis=1)
    return indices, distances[np.arange(len(samples)), indices]


def toy_mode_metrics(samples, name_or_centres, sigma=None):
    """Modes captured, high-quality fraction and reverse KL of generated 2D samples (VEEGAN / PacGAN).

    Args:
      samples: generated points, ``[n, 2]`` (the papers use ``n = 2500``).
      name_or_centres: ``"ring_of_8"`` or ``"grid_of_25"`` (centres and σ from
        :func:`tfgan_zoo.data.toy_modes`), or an array of centres ``[K, d]``.
      sigma: standard deviation of each mode; the threshold is ``3 * sigma``. Defaults to the named
        mixture's σ; required with an array of centres.
    Returns:
      ``dict(modes_captured=int, num_modes=int, high_quality_fraction=float, reverse_kl=float)`` with
      ``reverse_kl = Σ_k p_k log(K p_k)`` over the nearest-mode histogram ``p`` of the high-quality samples
      (NaN when there is none).
    """
    centres, sigma = _resolve_modes(name_or_centres, sigma)
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or len(samples) == 0:
        raise ValueError(f"samples must be a non-empty array of shape [n, {centres.shape[1]}]; got {samples.shape}.")
    indices, distances = nearest_modes(samples, centres)
    high_quality = distances <= 3.0 * sigma
    num_modes = len(centres)
    counts = np.bincount(indices[high_quality], minlength=num_modes).astype(np.float64)
    total = counts.sum()
    if total > 0:
        p = counts[counts > 0] / total  # 0 · log 0 = 0
        reverse_kl = float(np.sum(p * np.log(p * num_modes)))
    else:
        reverse_kl = float("nan")
    return {
        "modes_captured": int(np.count_nonzero(counts)),
        "num_modes": int(num_modes),
        "high_quality_fraction": float(np.mean(high_quality)),
        "reverse_kl": reverse_kl,
    }
