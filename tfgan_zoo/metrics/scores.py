"""Score maths from features or feature statistics: FID, KID, Inception Score, precision and recall.

Nothing here builds or runs a network: the scores take feature arrays (or :class:`FeatureStatistics`),
so any extractor from :mod:`tfgan_zoo.metrics.features` — or any other — can feed them.

* :func:`frechet_distance` — FID (Heusel et al. 2017), ``‖μ_a - μ_b‖² + tr Σ_a + tr Σ_b - 2 tr (Σ_a Σ_b)^½``.
* :func:`kernel_inception_distance` — KID (Bińkowski et al. 2018), unbiased MMD² with the cubic polynomial
  kernel, averaged over random subsets.
* :func:`inception_score` — IS (Salimans et al. 2016), ``exp E_x KL(p(y|x) ‖ p(y))`` per split.
* :func:`precision_recall` — improved precision and recall (Kynkäänniemi et al. 2019), k-NN radii.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.linalg import blas
import tensorflow as tf

from .statistics import FeatureStatistics

__all__ = [
    "frechet_distance",
    "trace_sqrt_product",
    "fid_from_features",
    "sqrtm_frechet_distance",
    "polynomial_kernel",
    "mmd2_unbiased",
    "kernel_inception_distance",
    "inception_score",
    "precision_recall",
]


# --- FID ------------------------------------------------------------------------------------------------


def _psd_factor(cov):
    """``(F, triangular)`` with ``F Fᵀ = cov`` for a symmetric PSD matrix: Cholesky, or ``V √Λ`` if singular."""
    try:
        return scipy.linalg.cholesky(cov, lower=True, check_finite=False), True
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = scipy.linalg.eigh(cov, driver="evd", check_finite=False)
        return eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None)), False


def _congruence(factor, triangular, cov):
    """``Fᵀ cov F``; with a lower-triangular ``F`` two BLAS ``trmm`` calls do it in half the flops of ``gemm``."""
    if triangular:
        return blas.dtrmm(1.0, factor, blas.dtrmm(1.0, factor, cov, side=1, lower=1), lower=1, trans_a=1)
    return factor.T @ cov @ factor


def trace_sqrt_product(cov_a, cov_b) -> float:
    """``tr (Σ_a Σ_b)^½`` for symmetric positive semi-definite ``Σ_a, Σ_b``, without a matrix square root.

    With any factor ``Σ_a = F Fᵀ``, ``Σ_a Σ_b`` is similar to the symmetric PSD matrix ``Fᵀ Σ_b F``
    (``F⁻¹ (Σ_a Σ_b) F = Fᵀ Σ_b F`` when ``F`` is invertible, and by continuity otherwise), so its eigenvalues
    are real and non-negative and ``tr (Σ_a Σ_b)^½ = Σ_i √λ_i(Fᵀ Σ_b F)``. ``F`` is the Cholesky factor
    (or ``V √Λ`` from an eigendecomposition when ``Σ_a`` is singular), and the eigenvalues come from a
    symmetric solver: one ``O(d³)`` factorisation, two triangular matrix products and one ``eigvalsh``. This is
    several times faster than ``scipy.linalg.sqrtm(Σ_a @ Σ_b)`` (a Schur decomposition of a non-symmetric
    matrix, which can also return spurious imaginary parts) and stable for singular covariances.

    Args:
      cov_a, cov_b: ``[d, d]`` covariance matrices (float64 recommended).
    Returns:
      The trace as a Python float.
    """
    cov_a = np.asarray(cov_a, dtype=np.float64)
    cov_b = np.asarray(cov_b, dtype=np.float64)
    inner = _congruence(*_psd_factor(cov_a), cov_b)
    inner = 0.5 * (inner + inner.T)
    eigenvalues = scipy.linalg.eigh(inner, eigvals_only=True, driver="evd", check_finite=False)
    return float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def frechet_distance(mean_a, cov_a, mean_b=None, cov_b=None) -> float:
    """Fréchet distance between two Gaussians (FID, Heusel et al. 2017).

    ``d² = ‖μ_a - μ_b‖² + tr Σ_a + tr Σ_b - 2 tr (Σ_a Σ_b)^½``, with the last term from
    :func:`trace_sqrt_product`; all in float64. Clipped at 0 (rounding can leave ``-1e-12``).

    Call either ``frechet_distance(mean_a, cov_a, mean_b, cov_b)`` or
    ``frechet_distance(stats_a, stats_b)`` with two :class:`FeatureStatistics`.

    Args:
      mean_a, mean_b: ``[d]`` means.
      cov_a, cov_b: ``[d, d]`` covariances.
    Returns:
      The squared Fréchet distance as a Python float (what papers call "FID").
    """
    if isinstance(mean_a, FeatureStatistics) and isinstance(cov_a, FeatureStatistics):
        if mean_b is not None or cov_b is not None:
            raise ValueError("Pass either two FeatureStatistics or (mean_a, cov_a, mean_b, cov_b).")
        mean_a, cov_a, mean_b, cov_b = mean_a.mean, mean_a.covariance, cov_a.mean, cov_a.covariance
    mean_a, mean_b = (np.asarray(m, dtype=np.float64) for m in (mean_a, mean_b))
    cov_a, cov_b = (np.asarray(c, dtype=np.float64) for c in (cov_a, cov_b))
    d = mean_a.shape[0]
    if mean_b.shape != (d,) or cov_a.shape != (d, d) or cov_b.shape != (d, d):
        raise ValueError(f"Shapes do not match: means {mean_a.shape}, {mean_b.shape}; covariances "
                         f"{cov_a.shape}, {cov_b.shape}. Both sets must come from the same extractor.")
    diff = mean_a - mean_b
    value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt_product(cov_a, cov_b)
    return max(float(value), 0.0)


def sqrtm_frechet_distance(mean_a, cov_a, mean_b, cov_b) -> float:
    """The classic FID formula of pytorch-fid / TTUR, kept as the slow reference for tests and benchmarks.

    ``scipy.linalg.sqrtm(Σ_a @ Σ_b)`` (retried with ``1e-6 I`` added to both when not finite), real part,
    no clipping. Several times slower than :func:`frechet_distance`, which it should agree with.
    """
    cov_a, cov_b = np.asarray(cov_a, np.float64), np.asarray(cov_b, np.float64)
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(cov_a)) * 1e-6
        covmean = scipy.linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    diff = np.asarray(mean_a, np.float64) - np.asarray(mean_b, np.float64)
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(np.real(covmean)))


def fid_from_features(features_a, features_b) -> float:
    """FID between two ``[n, d]`` feature arrays (streamed into float64 :class:`FeatureStatistics`)."""
    return frechet_distance(FeatureStatistics.from_features(features_a), FeatureStatistics.from_features(features_b))


# --- KID ------------------------------------------------------------------------------------------------


def polynomial_kernel(x, y):
    """The KID kernel ``k(x, y) = (xᵀy / d + 1)³`` (Bińkowski et al. 2018) for all pairs: ``[n, d], [m, d] -> [n, m]``."""
    d = tf.cast(tf.shape(x)[-1], x.dtype)
    base = tf.matmul(x, y, transpose_b=True) / d + 1.0
    return base * base * base  # several times faster than ** 3 (a generic pow) on CPU


def mmd2_unbiased(x, y):
    """Unbiased MMD² (Gretton et al. 2012, eq. 3) with :func:`polynomial_kernel`, as a float64 tensor.

    ``1/(m(m-1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n-1)) Σ_{i≠j} k(y_i, y_j) - 2/(mn) Σ_{i,j} k(x_i, y_j)``.

    Args:
      x: ``[m, d]`` features (``m >= 2``); y: ``[n, d]`` features (``n >= 2``). Any float dtype; computed in float64.
    Returns:
      Scalar float64 tensor (can be slightly negative: the estimator is unbiased).
    """
    x = tf.cast(x, tf.float64)
    y = tf.cast(y, tf.float64)
    m = tf.cast(tf.shape(x)[0], tf.float64)
    n = tf.cast(tf.shape(y)[0], tf.float64)
    k_xx = polynomial_kernel(x, x)
    k_yy = polynomial_kernel(y, y)
    k_xy = polynomial_kernel(x, y)
    xx = (tf.reduce_sum(k_xx) - tf.linalg.trace(k_xx)) / (m * (m - 1.0))
    yy = (tf.reduce_sum(k_yy) - tf.linalg.trace(k_yy)) / (n * (n - 1.0))
    return xx + yy - 2.0 * tf.reduce_sum(k_xy) / (m * n)


def kernel_inception_distance(features_a, features_b, num_subsets=100, subset_size=1000, seed=0):
    """KID (Bińkowski et al. 2018): mean and standard deviation of the unbiased MMD² over random subsets.

    As the authors' ``polynomial_mmd_averages``: each of ``num_subsets`` rounds draws ``m = min(subset_size,
    n_a, n_b)`` rows of each set without replacement and computes :func:`mmd2_unbiased`; the result is the
    mean and the (population, ``ddof=0``) standard deviation of the ``num_subsets`` values.

    Args:
      features_a, features_b: ``[n_a, d]`` and ``[n_b, d]`` features.
      num_subsets: number of subsets (default 100).
      subset_size: rows per subset (default 1000).
      seed: seed of the subset draws (numpy ``default_rng``).
    Returns:
      ``(mean, std)`` as Python floats.
    """
    features_a = np.asarray(features_a)
    features_b = np.asarray(features_b)
    if features_a.ndim != 2 or features_b.ndim != 2 or features_a.shape[1] != features_b.shape[1]:
        raise ValueError(f"KID needs two [n, d] feature arrays of the same d; got {features_a.shape} and "
                         f"{features_b.shape}.")
    m = min(int(subset_size), len(features_a), len(features_b))
    if m < 2:
        raise ValueError(f"KID needs at least 2 samples per set; got {len(features_a)} and {len(features_b)}.")
    rng = np.random.default_rng(seed)
    values = np.array([
        float(mmd2_unbiased(features_a[rng.choice(len(features_a), m, replace=False)],
                            features_b[rng.choice(len(features_b), m, replace=False)]))
        for _ in range(int(num_subsets))
    ])
    return float(values.mean()), float(values.std())


# --- IS -------------------------------------------------------------------------------------------------


def inception_score(probabilities, splits=10):
    """Inception Score (Salimans et al. 2016): ``exp(E_x KL(p(y|x) ‖ p(y)))`` on each split; mean and std.

    As the authors' code, the ``n`` rows are cut into ``splits`` contiguous parts of ``n // splits`` (the
    ``i``-th part is rows ``i n // splits`` to ``(i+1) n // splits``), ``p(y)`` is the mean prediction of
    the part, and ``0 log 0 = 0``. A classifier that is certain and spreads its answers evenly over ``C``
    classes scores ``C``; one that always says the same scores 1.

    Args:
      probabilities: ``[n, C]`` class probabilities (rows sum to 1).
      splits: number of parts (default 10).
    Returns:
      ``(mean, std)`` over the parts (population std), Python floats.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or len(p) < splits or splits < 1:
        raise ValueError(f"probabilities must be [n, classes] with n >= splits={splits}; got {p.shape}.")
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("probabilities must be non-negative rows summing to 1 (apply softmax to logits).")
    scores = []
    for i in range(splits):
        part = p[i * len(p) // splits:(i + 1) * len(p) // splits]
        marginal = part.mean(axis=0, keepdims=True)
        ratio = np.divide(part, marginal, out=np.ones_like(part), where=part > 0)
        kl = np.sum(part * np.log(ratio), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


# --- precision and recall ----------------------------------------------------------------------------


def _squared_distance_blocks(a, b, block_elements):
    """Yields ``(start, d²[a_rows, b])`` blocks of pairwise squared distances, about ``block_elements`` each."""
    b_norms = np.einsum("ij,ij->i", b, b)
    rows = max(1, block_elements // max(1, len(b)))
    for start in range(0, len(a), rows):
        block = a[start:start + rows]
        d2 = np.einsum("ij,ij->i", block, block)[:, None] - 2.0 * block @ b.T + b_norms[None, :]
        yield start, np.maximum(d2, 0.0)


def _knn_radii(features, k, block_elements):
    """Squared distance of each row to its k-th nearest other row (the row itself is the 0-th)."""
    radii = np.empty(len(features))
    for start, d2 in _squared_distance_blocks(features, features, block_elements):
        radii[start:start + len(d2)] = np.partition(d2, k, axis=1)[:, k]
    return radii


def _coverage(queries, support, support_radii, block_elements):
    """Fraction of ``queries`` inside at least one k-NN ball ``‖q - s‖ <= r_s`` of the ``support`` set."""
    inside = 0
    for _, d2 in _squared_distance_blocks(queries, support, block_elements):
        inside += int(np.count_nonzero(np.any(d2 <= support_radii[None, :], axis=1)))
    return inside / len(queries)


def precision_recall(real_features, fake_features, k=3, block_elements=2 ** 24):
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    The real manifold is the union of balls around each real feature with radius its distance to the
    ``k``-th nearest other real feature; precision is the fraction of generated features inside it. Recall
    swaps the roles (generated manifold, real queries). Distances are Euclidean in float64, computed in
    blocks of about ``block_elements`` pairs, so memory stays bounded; time is ``O(n² d)``.

    Args:
      real_features: ``[n_r, d]``; fake_features: ``[n_f, d]`` (each needs more than ``k`` rows).
      k: neighbourhood size (default 3, as the paper).
      block_elements: pairwise distances held at once (default 2²⁴, 128 MiB).
    Returns:
      ``(precision, recall)`` in [0, 1], Python floats.
    """
    real = np.asarray(real_features, dtype=np.float64)
    fake = np.asarray(fake_features, dtype=np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"precision_recall needs two [n, d] arrays of the same d; got {real.shape}, {fake.shape}.")
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"Each set needs more than k={k} samples; got {len(real)} real and {len(fake)} generated.")
    precision = _coverage(fake, real, _knn_radii(real, k, block_elements), block_elements)
    recall = _coverage(real, fake, _knn_radii(fake, k, block_elements), block_elements)
    return precision, recall
