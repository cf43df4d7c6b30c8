"""Streaming first and second moments of feature vectors, accumulated in float64.

The Fréchet distance needs only the mean and covariance of each feature set, so features can be streamed
batch by batch in constant memory (``O(d²)``, whatever the number of samples). Batches are combined with
the pairwise update of Chan, Golub & LeVeque (1979): for two groups with counts ``n_a, n_b``, means
``μ_a, μ_b`` and centred scatter matrices ``M_a = Σ (x - μ_a)(x - μ_a)ᵀ``, ``M_b``,

    n = n_a + n_b,   δ = μ_b - μ_a,   μ = μ_a + δ n_b / n,   M = M_a + M_b + δ δᵀ n_a n_b / n,

and the covariance is ``M / (n - 1)`` (the unbiased estimate, as ``numpy.cov``). Unlike the raw sums
``Σx, Σxxᵀ`` this never subtracts two large numbers, so features with a large mean lose no precision.

The two moment functions below are written with ``keras.ops``, so the same code updates a
:class:`FeatureStatistics` and the float64 state variables of the Keras FID metric (graph mode). On numpy
input :class:`FeatureStatistics` forms the batch scatter matrix with BLAS ``syrk`` (``Xᵀ X`` from one
triangle: half the flops of a general product), which dominates the cost of streaming ``d = 2048`` features.
"""
from __future__ import annotations

import os

import keras
import numpy as np
from scipy.linalg import blas

__all__ = ["FeatureStatistics", "batch_moments", "merge_moments"]


def batch_moments(features):
    """``(n, mean, scatter)`` of one batch, in float64.

    Args:
      features: ``[n, d]`` array or tensor (any float dtype; ``n >= 1``).
    Returns:
      ``n`` (float64 scalar), ``mean`` ``[d]`` and the centred scatter matrix ``Σ (x - mean)(x - mean)ᵀ``
      ``[d, d]``, as tensors of the Keras backend.
    """
    x = keras.ops.cast(features, "float64")
    n = keras.ops.cast(keras.ops.shape(x)[0], "float64")
    mean = keras.ops.sum(x, axis=0) / n
    centred = x - mean
    return n, mean, keras.ops.matmul(keras.ops.transpose(centred), centred)


def _numpy_batch_moments(features):
    """:func:`batch_moments` for a numpy batch, with the symmetric scatter from BLAS ``dsyrk``."""
    x = np.asarray(features, dtype=np.float64)
    mean = x.mean(axis=0)
    upper = blas.dsyrk(1.0, np.asfortranarray(x - mean), trans=1)  # upper triangle of (x - mean)ᵀ (x - mean)
    return float(len(x)), mean, np.triu(upper) + np.triu(upper, 1).T


def merge_moments(a, b):
    """Chan et al. (1979) merge of two ``(n, mean, scatter)`` triples; an empty side (``n = 0``) is a no-op."""
    n_a, mean_a, m2_a = a
    n_b, mean_b, m2_b = b
    n_a, n_b = keras.ops.cast(n_a, "float64"), keras.ops.cast(n_b, "float64")
    n = n_a + n_b
    safe_n = keras.ops.maximum(n, 1.0)
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / safe_n)
    m2 = m2_a + m2_b + keras.ops.outer(delta, delta) * (n_a * n_b / safe_n)
    return n, mean, m2


class FeatureStatistics:
    """Running mean and covariance of ``d``-dimensional features, in float64 and constant memory.

    ``stats = FeatureStatistics(); for batch in batches: stats.update(batch)`` gives the same ``mean`` and
    ``covariance`` as ``np.mean(all, 0)`` and ``np.cov(all, rowvar=False)`` (up to float64 rounding) while
    holding only ``d + d²`` numbers. Two partial statistics (e.g. from two workers) combine with
    :meth:`merge`; :meth:`save` / :meth:`load` keep the real-data statistics for later runs.

    Args:
      dim: feature dimension ``d``; fixed by the first batch when None.
    """

    def __init__(self, dim=None):
        self.dim = None if dim is None else int(dim)
        self._n = 0.0
        self._mean = None if dim is None else np.zeros(self.dim)
        self._scatter = None if dim is None else np.zeros((self.dim, self.dim))

    @classmethod
    def from_features(cls, features, batch_size=4096):
        """Statistics of a whole ``[n, d]`` array, streamed ``batch_size`` rows at a time."""
        features = np.asarray(features)
        stats = cls(features.shape[-1] if features.ndim == 2 else None)
        for start in range(0, len(features), batch_size):
            stats.update(features[start:start + batch_size])
        return stats

    @property
    def count(self) -> int:
        """Number of feature vectors seen."""
        return int(self._n)

    @property
    def mean(self) -> np.ndarray:
        """float64 ``[d]`` mean."""
        self._require(1)
        return self._mean.copy()

    @property
    def covariance(self) -> np.ndarray:
        """float64 ``[d, d]`` unbiased covariance (divides by ``n - 1``, as ``np.cov``); needs ``n >= 2``."""
        self._require(2)
        return self._scatter / (self._n - 1.0)

    def _require(self, n):
        if self._n < n:
            raise ValueError(f"FeatureStatistics has seen {self.count} feature vectors; at least {n} are needed "
                             f"(call update(features) with [n, d] batches first).")

    def update(self, features):
        """Adds a batch of features ``[n, d]`` (numpy or tensor); returns ``self``."""
        features = np.asarray(keras.ops.convert_to_numpy(features))
        if features.ndim != 2:
            raise ValueError(f"features must have shape [n, d]; got {features.shape}. Flatten them first "
                             f"(e.g. features.reshape(len(features), -1)).")
        if len(features) == 0:
            return self
        self._check_dim(features.shape[1])
        if not np.all(np.isfinite(features)):
            raise ValueError("features contain NaN or inf; check the generator outputs and the extractor.")
        self._merge_triple(_numpy_batch_moments(features))
        return self

    def merge(self, other: "FeatureStatistics"):
        """Adds the samples summarised by ``other`` (in place); returns ``self``."""
        if not isinstance(other, FeatureStatistics):
            raise TypeError(f"merge takes a FeatureStatistics; got {type(other).__name__}.")
        if other._n == 0:
            return self
        self._check_dim(other.dim)
        self._merge_triple((other._n, other._mean, other._scatter))
        return self

    def _check_dim(self, dim):
        if self.dim is None:
            self.dim = int(dim)
            self._mean = np.zeros(self.dim)
            self._scatter = np.zeros((self.dim, self.dim))
        elif dim != self.dim:
            raise ValueError(f"features have dimension {dim} but these statistics hold dimension {self.dim}; "
                             f"use the same extractor for both sets.")

    def _merge_triple(self, triple):
        n, mean, scatter = merge_moments((self._n, self._mean, self._scatter), triple)
        self._n = float(keras.ops.convert_to_numpy(n))
        self._mean = np.asarray(keras.ops.convert_to_numpy(mean), dtype=np.float64)
        self._scatter = np.asarray(keras.ops.convert_to_numpy(scatter), dtype=np.float64)

    def save(self, path):
        """Writes ``count``, ``mean`` and the scatter matrix to a ``.npz`` file."""
        self._require(1)
        np.savez(path, count=self._n, mean=self._mean, scatter=self._scatter)

    @classmethod
    def load(cls, path):
        """Reads statistics written by :meth:`save`."""
        if not os.path.exists(path):
            raise FileNotFoundError(f"No feature statistics at {path!r}; write them with FeatureStatistics.save().")
        with np.load(path) as data:
            stats = cls(data["mean"].shape[0])
            stats._n = float(data["count"])
            stats._mean = data["mean"].astype(np.float64)
            stats._scatter = data["scatter"].astype(np.float64)
        return stats

    def __repr__(self):
        return f"FeatureStatistics(dim={self.dim}, count={self.count})"
