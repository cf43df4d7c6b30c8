"""Schedules applied during ``fit``: instance-noise annealing and linear learning-rate decay.

Both count *generator steps* (one ``fit`` step of a zoo model, whatever ``n_critic``) from the model's
``generator_steps`` counter, so a schedule carries on where it stopped when ``fit`` is called again or a saved
model is reloaded. Values are pure functions of the step, written by the callbacks into the model's variables
before each batch, so they take effect inside compiled (``jit_compile``) train steps.
"""
from __future__ import annotations

import math

import keras

from ..checks import check_int, check_positive_int

__all__ = ["InstanceNoiseSchedule", "LinearLearningRateDecay", "linear_decay", "instance_noise_stddev"]

_SCHEDULES = ("linear", "exponential")
_UNITS = ("step", "epoch")


def instance_noise_stddev(initial_stddev, progress, schedule="linear", final_ratio=0.01):
    """Instance-noise standard deviation after ``progress`` of the annealing period (Sønderby et al. 2016).

    * ``"linear"``: ``sigma_0 * max(0, 1 - progress)``;
    * ``"exponential"``: ``sigma_0 * final_ratio ** progress`` while ``progress < 1``, then 0 (the noise falls
      geometrically to ``final_ratio * sigma_0`` and is switched off at the end of the period).

    Args:
      initial_stddev: ``sigma_0``.
      progress: elapsed fraction of the annealing period, ``t / T`` (>= 0; may exceed 1).
      schedule: ``"linear"`` or ``"exponential"``.
      final_ratio: for ``"exponential"``, ``sigma(T^-) / sigma_0``, in (0, 1). Default 0.01.
    Returns:
      A Python float.
    """
    if progress >= 1.0:
        return 0.0
    if schedule == "linear":
        return initial_stddev * (1.0 - progress)
    return initial_stddev * final_ratio ** progress


class _GeneratorStepCallback(keras.callbacks.Callback):
    """Knows the model's generator step at the start of each batch (also with ``steps_per_execution > 1``)."""

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model, "generator_steps"):
            raise TypeError(f"{type(self).__name__} drives a tfgan_zoo GAN (it reads model.generator_steps); "
                            f"got {type(self.model).__name__}.")
        self._epoch = epoch
        self._epoch_start_step = int(keras.ops.convert_to_numpy(self.model.generator_steps))

    def on_train_batch_begin(self, batch, logs=None):
        self.on_generator_step(self._epoch_start_step + batch, self._epoch, batch)

    def on_generator_step(self, step, epoch, batch):
        """Runs before the generator step ``step`` (0-based, counted over the model's life)."""


class InstanceNoiseSchedule(_GeneratorStepCallback):
    """Anneals the instance noise of a zoo GAN to 0 (Arjovsky & Bottou 2017; Sønderby et al. 2016).

    Gaussian noise of standard deviation ``sigma`` is added to the real and the generated critic inputs
    (``GAN(..., instance_noise=sigma_0)``); this callback sets ``model.instance_noise_stddev`` before every
    batch to :func:`instance_noise_stddev` of ``sigma_0`` and ``progress = t / duration``, where ``t`` is the
    generator step (``unit="step"``) or ``epoch + batch / steps_per_epoch`` (``unit="epoch"``; whole epochs
    when ``fit`` does not know the epoch length). The value in use is reported as the ``instance_noise_stddev``
    figure of the model.

    Args:
      duration: length of the annealing period, in ``unit``s (> 0); the noise is 0 from then on.
      schedule: ``"linear"`` (default) or ``"exponential"`` (see :func:`instance_noise_stddev`).
      unit: ``"step"`` (generator steps, default) or ``"epoch"``.
      initial_stddev: ``sigma_0``; the model's ``instance_noise`` argument when None.
      final_ratio: the exponential schedule's ``sigma(T^-) / sigma_0``. Default 0.01.

    Example::

        model = GAN(g, d, instance_noise=0.1)
        model.fit(data, epochs=20, callbacks=[InstanceNoiseSchedule(10, unit="epoch")])
    """

    def __init__(self, duration, schedule="linear", unit="step", initial_stddev=None, final_ratio=0.01):
        super().__init__()
        if not (isinstance(duration, (int, float)) and math.isfinite(duration) and duration > 0):
            raise ValueError(f"duration={duration!r} must be a number > 0 (steps or epochs of annealing).")
        if schedule not in _SCHEDULES:
            raise ValueError(f"schedule={schedule!r} must be one of {_SCHEDULES}.")
        if unit not in _UNITS:
            raise ValueError(f"unit={unit!r} must be one of {_UNITS}.")
        if initial_stddev is not None and not (math.isfinite(initial_stddev) and initial_stddev >= 0):
            raise ValueError(f"initial_stddev={initial_stddev!r} must be a finite number >= 0, or None for the "
                             "model's instance_noise.")
        if not 0.0 < final_ratio < 1.0:
            raise ValueError(f"final_ratio={final_ratio!r} must be in (0, 1), e.g. 0.01.")
        self.duration = float(duration)
        self.schedule = schedule
        self.unit = unit
        self.initial_stddev = initial_stddev
        self.final_ratio = float(final_ratio)

    def on_train_begin(self, logs=None):
        if not getattr(self.model, "instance_noise_enabled", False):
            raise ValueError("InstanceNoiseSchedule needs a model built with instance noise: pass "
                             "instance_noise=sigma_0 (e.g. 0.1) to the GAN's constructor.")

    def stddev_at(self, step, epoch=0, batch=0):
        """The standard deviation the schedule gives before generator step ``step`` (epoch/batch for epochs)."""
        initial = self.model.instance_noise_initial if self.initial_stddev is None else self.initial_stddev
        if self.unit == "step":
            elapsed = step
        else:
            steps_per_epoch = self.params.get("steps") if self.params else None
            elapsed = epoch + (batch / steps_per_epoch if steps_per_epoch else 0.0)
        return instance_noise_stddev(initial, elapsed / self.duration, self.schedule, self.final_ratio)

    def on_generator_step(self, step, epoch, batch):
        self.model.instance_noise_stddev.assign(self.stddev_at(step, epoch, batch))


class LinearLearningRateDecay(_GeneratorStepCallback):
    """Decays both optimizers' learning rates linearly to 0, per generator step (SNGAN and GN-GAN code).

    Before generator step ``t``: ``lr = lr_0 * (1 - max(t - start_step, 0) / (total_steps - start_step))``,
    clipped at 0, for the critic's and the generator's optimizer alike; ``lr_0`` is each optimizer's learning
    rate when training first starts. The critic updates of one step all use that step's rate, as in
    the official SNGAN (chainer ``LinearShift``) and GN-GAN (``LambdaLR``) code.

    Args:
      total_steps: generator steps at which the rates reach 0 (50,000 for SNGAN on CIFAR-10).
      start_step: generator steps at the initial rates before the decay starts. Default 0.

    The optimizers need plain (float) learning rates; for a ``LearningRateSchedule`` see :func:`linear_decay`.
    """

    def __init__(self, total_steps, start_step=0):
        super().__init__()
        self.total_steps = check_positive_int("total_steps", total_steps, "It counts generator steps.")
        self.start_step = check_int("start_step", start_step, 0, maximum=self.total_steps - 1,
                                    requirement="an integer in [0, total_steps)")
        self.initial_learning_rates = None

    def _optimizers(self):
        return [self.model.d_optimizer, self.model.g_optimizer]

    def on_train_begin(self, logs=None):
        if self.initial_learning_rates is not None:  # a second fit continues the same decay
            return
        for optimizer in self._optimizers():
            inner = getattr(optimizer, "inner_optimizer", optimizer)
            if isinstance(inner._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
                raise ValueError("LinearLearningRateDecay sets the optimizers' learning rates itself; compile "
                                 "with float learning rates, or use tfgan_zoo.callbacks.linear_decay "
                                 "as the optimizer's schedule instead.")
        self.initial_learning_rates = [float(keras.ops.convert_to_numpy(o.learning_rate)) for o in self._optimizers()]

    def factor_at(self, step):
        """``1 - max(step - start_step, 0) / (total_steps - start_step)``, clipped to [0, 1]."""
        return max(0.0, 1.0 - max(step - self.start_step, 0) / (self.total_steps - self.start_step))

    def on_generator_step(self, step, epoch, batch):
        factor = self.factor_at(step)
        for optimizer, initial in zip(self._optimizers(), self.initial_learning_rates):
            optimizer.learning_rate = initial * factor


def linear_decay(initial_learning_rate, total_steps):
    """A ``keras.optimizers.schedules`` object decaying linearly from ``initial_learning_rate`` to 0.

    ``lr(i) = initial_learning_rate * (1 - min(i, total_steps) / total_steps)`` at optimizer iteration ``i``
    (``PolynomialDecay`` with power 1). An optimizer counts its own updates: for the critic's optimizer
    ``total_steps`` is ``n_critic`` times the generator steps. Example (SNGAN, ResNet, 50,000 generator steps)::

        model.compile(d_optimizer=keras.optimizers.Adam(linear_decay(2e-4, 5 * 50_000), 0.0, 0.9),
                      g_optimizer=keras.optimizers.Adam(linear_decay(2e-4, 50_000), 0.0, 0.9))
    """
    total_steps = check_positive_int("total_steps", total_steps, "It counts optimizer updates.")
    return keras.optimizers.schedules.PolynomialDecay(initial_learning_rate, total_steps, end_learning_rate=0.0,
                                                      power=1.0)
