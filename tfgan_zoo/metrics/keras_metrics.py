"""``keras.metrics.Metric`` wrappers of FID and KID, for ``model.evaluate`` / ``test_step`` and custom loops.

Both run the extractor inside the metric and stream: :class:`FID` keeps float64 running sums (``O(d²)``
memory whatever the number of images) and :class:`KID` averages one unbiased MMD² per batch (the subset
estimator of Bińkowski et al. 2018 with the batch as the subset, as in the keras-io ``gan_ada`` example).

Both follow Keras's ``update_state(y_true, y_pred)``: ``y_true`` real images, ``y_pred`` generated ones, so
``generator.compile(loss="mse", metrics=[FID(...)], jit_compile=False); generator.evaluate(z, real_images)``
scores a generator (Keras's ``evaluate`` insists on some loss; its value is beside the point here). With
precomputed real statistics (FID) or features (KID), ``update_state(fake_images)`` is enough, and a
``y_true`` passed alongside ``y_pred`` is ignored.

Note: :meth:`FID.result` computes the Fréchet distance with NumPy/SciPy (``tf.numpy_function`` when traced),
so a model that uses it as a compiled metric must be compiled with ``jit_compile=False``; and because Keras
asks every metric for its result after every step, prefer :func:`tfgan_zoo.metrics.evaluate` or the
:class:`~tfgan_zoo.callbacks.EvaluationCallback` for 2048-d Inception features (one ``eigvalsh`` of a
2048² matrix per step). The metrics hold a network and real data, so they are not saved with a model:
rebuild them in code after loading.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from .features import call_extractor, resolve_extractor
from .scores import frechet_distance, mmd2_unbiased
from .statistics import FeatureStatistics

__all__ = ["FID", "KID"]


def _setup_extractor(extractor, input_shape):
    """Resolves the extractor and reads its feature dimension from one blank image."""
    if input_shape is None:
        shape = getattr(extractor, "input_shape", None) if isinstance(extractor, keras.Model) else None
        input_shape = tuple(shape[1:]) if isinstance(shape, tuple) and None not in shape[1:] else (28, 28, 1)
    extractor = resolve_extractor(extractor, tuple(input_shape))
    probe = call_extractor(extractor, np.zeros((2,) + tuple(input_shape), np.float32))
    return extractor, int(probe["features"].shape[-1])


def _split_update_args(y_true, y_pred, has_real_reference, metric):
    """``(real or None, fake)`` from Keras's ``update_state(y_true, y_pred)`` convention."""
    if y_pred is None:
        if not has_real_reference:
            raise ValueError(f"{metric}.update_state(fake) needs the real reference given at construction; "
                             f"otherwise call update_state(real_images, fake_images).")
        return None, y_true
    return (None if has_real_reference else y_true), y_pred


class FID(keras.metrics.Metric):
    """Fréchet Inception Distance (Heusel et al. 2017) as a streaming Keras metric.

    ``FID = ‖μ_r - μ_g‖² + tr Σ_r + tr Σ_g - 2 tr (Σ_r Σ_g)^½`` between the features of the real and the
    generated images seen since the last ``reset_state``. The state is float64 sums (count, Σx, Σxxᵀ), so it
    aggregates correctly across replicas under ``tf.distribute`` strategies (each replica adds its shard).

    Args:
      extractor: a ``keras.Model``/callable, or a name (``"mnist"``, the offline default;
        ``"inception_v3"`` needs its weights in the Keras cache or ``$TFGAN_ZOO_INCEPTION_WEIGHTS``).
      real_statistics: optional precomputed :class:`FeatureStatistics` of the real data (then only
        generated images are passed to ``update_state``).
      input_shape: image shape without batch, to build a named extractor (default: the model's input
        shape, else ``(28, 28, 1)``).
      name: metric name (default ``"fid"``).
    """

    def __init__(self, extractor="mnist", real_statistics=None, input_shape=None, name="fid", **kwargs):
        super().__init__(name=name, **kwargs)
        self.extractor, self.feature_dim = _setup_extractor(extractor, input_shape)
        if real_statistics is not None and not isinstance(real_statistics, FeatureStatistics):
            raise TypeError("real_statistics must be a FeatureStatistics (e.g. FeatureStatistics.from_features(...)).")
        if real_statistics is not None and real_statistics.dim != self.feature_dim:
            raise ValueError(f"real_statistics have dimension {real_statistics.dim} but the extractor gives "
                             f"{self.feature_dim}-d features.")
        self.real_statistics = real_statistics
        self._moments = {side: self._moment_variables(side) for side in ("fake", "real")}

    def _moment_variables(self, side):
        # Plain sums (count, Σx, Σxxᵀ) in float64: they add across batches and across replicas, which is how
        # Keras aggregates metric variables under a tf.distribute strategy (a running mean would not add).
        d = self.feature_dim
        return (self.add_variable((), "zeros", dtype="float64", name=f"{side}_count", aggregation="sum"),
                self.add_variable((d,), "zeros", dtype="float64", name=f"{side}_sum", aggregation="sum"),
                self.add_variable((d, d), "zeros", dtype="float64", name=f"{side}_outer_sum", aggregation="sum"))

    def _accumulate(self, side, images):
        features = tf.cast(call_extractor(self.extractor, images)["features"], tf.float64)
        count, total, outer = self._moments[side]
        count.assign_add(tf.cast(tf.shape(features)[0], tf.float64))
        total.assign_add(tf.reduce_sum(features, axis=0))
        outer.assign_add(tf.matmul(features, features, transpose_a=True))

    def update_state(self, y_true, y_pred=None, sample_weight=None):
        """``update_state(real, fake)``, or ``update_state(fake)`` with ``real_statistics``; weights unsupported."""
        if sample_weight is not None:
            raise ValueError("FID does not support sample_weight.")
        real, fake = _split_update_args(y_true, y_pred, self.real_statistics is not None, "FID")
        if real is not None:
            self._accumulate("real", real)
        self._accumulate("fake", fake)

    @staticmethod
    def _mean_and_covariance(count, total, outer):
        mean = total / count
        return mean, (outer - count * np.outer(mean, mean)) / (count - 1.0)

    def _numpy_result(self, real_count, real_sum, real_outer, fake_count, fake_sum, fake_outer):
        if self.real_statistics is not None:
            real_count = self.real_statistics.count
        if real_count < 2 or fake_count < 2:
            return np.float32(np.nan)
        if self.real_statistics is not None:
            real_mean, real_covariance = self.real_statistics.mean, self.real_statistics.covariance
        else:
            real_mean, real_covariance = self._mean_and_covariance(real_count, real_sum, real_outer)
        fake_mean, fake_covariance = self._mean_and_covariance(fake_count, fake_sum, fake_outer)
        return np.float32(frechet_distance(real_mean, real_covariance, fake_mean, fake_covariance))

    def result(self):
        """The FID of the images seen so far (NaN before two images of each side)."""
        values = [v for side in ("real", "fake") for v in self._moments[side]]
        if tf.executing_eagerly():
            return self._numpy_result(*(keras.ops.convert_to_numpy(v) for v in values))
        value = tf.numpy_function(self._numpy_result, [v.value for v in values], tf.float32, stateful=False)
        return tf.reshape(value, [])

    def reset_state(self):
        for variables in self._moments.values():
            for variable in variables:
                variable.assign(tf.zeros_like(variable))


class KID(keras.metrics.Metric):
    """Kernel Inception Distance (Bińkowski et al. 2018) as a streaming Keras metric.

    Each ``update_state`` computes the unbiased MMD² with the kernel ``(xᵀy / d + 1)³`` between the real and
    the generated features of the batch (:func:`tfgan_zoo.metrics.scores.mmd2_unbiased`); ``result()`` is
    the mean over batches — the paper's subset estimator with subsets of one batch. Memory does not grow.

    Args:
      extractor: as for :class:`FID`.
      real_features: optional ``[n, d]`` precomputed real features; ``update_state(fake)`` then draws a
        batch-sized subset of them without replacement.
      input_shape: as for :class:`FID`.
      seed: seed of the real-subset draws.
      name: metric name (default ``"kid"``).
    """

    def __init__(self, extractor="mnist", real_features=None, input_shape=None, seed=0, name="kid", **kwargs):
        super().__init__(name=name, **kwargs)
        self.extractor, self.feature_dim = _setup_extractor(extractor, input_shape)
        self.real_features = None
        if real_features is not None:
            real_features = np.asarray(real_features, dtype=np.float64)
            if real_features.ndim != 2 or real_features.shape[1] != self.feature_dim or len(real_features) < 2:
                raise ValueError(f"real_features must be [n >= 2, {self.feature_dim}]; got {real_features.shape}.")
            self.real_features = tf.constant(real_features)
        self.seed_generator = keras.random.SeedGenerator(seed)
        # sums, so replicas' batches add up under a tf.distribute strategy (the mean over all of them)
        self.total = self.add_variable((), "zeros", dtype="float64", name="mmd2_sum", aggregation="sum")
        self.batches = self.add_variable((), "zeros", dtype="float64", name="batches", aggregation="sum")

    def update_state(self, y_true, y_pred=None, sample_weight=None):
        """``update_state(real, fake)``, or ``update_state(fake)`` with ``real_features``; weights unsupported."""
        if sample_weight is not None:
            raise ValueError("KID does not support sample_weight.")
        real, fake = _split_update_args(y_true, y_pred, self.real_features is not None, "KID")
        fake_features = call_extractor(self.extractor, fake)["features"]
        if real is None:
            available = tf.shape(self.real_features)[0]
            count = tf.minimum(tf.shape(fake_features)[0], available)
            order = keras.random.shuffle(tf.range(available), seed=self.seed_generator)
            real_features = tf.gather(self.real_features, order[:count])
        else:
            real_features = call_extractor(self.extractor, real)["features"]
        self.total.assign_add(mmd2_unbiased(real_features, fake_features))
        self.batches.assign_add(tf.constant(1.0, tf.float64))

    def result(self):
        """Mean unbiased MMD² over the batches seen (NaN before the first)."""
        return tf.cast(self.total / self.batches, tf.float32)

    def reset_state(self):
        self.total.assign(tf.constant(0.0, tf.float64))
        self.batches.assign(tf.constant(0.0, tf.float64))
