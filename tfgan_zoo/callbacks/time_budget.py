"""A time budget for ``fit``: stops training once a number of minutes have passed on a clock."""
from __future__ import annotations

import time

import keras

__all__ = ["TimeBudget"]


class TimeBudget(keras.callbacks.Callback):
    """Stops training once ``minutes`` have passed on a clock (checked after every batch).

    Useful for fixed budgets (benchmarks, the default CLI run): ``fit(..., epochs=large,
    callbacks=[TimeBudget(8)])``. ``stopped_at_step`` records the global step at which it stopped.

    Args:
      minutes: the budget.
      clock: ``"wall"`` (``time.perf_counter``, the default) or ``"process"`` (``time.process_time``: the CPU
        time of every thread of this process, not stretched by other processes' load).
      exclude_first_step: start counting after the first step, so that tracing and XLA compilation are not
        charged to the budget; ``first_step_seconds`` then records what that step took on the clock.
    """

    _CLOCKS = {"wall": time.perf_counter, "process": time.process_time}

    def __init__(self, minutes, clock="wall", exclude_first_step=False):
        super().__init__()
        if not minutes > 0:
            raise ValueError(f"minutes={minutes!r} must be > 0.")
        if clock not in self._CLOCKS:
            raise ValueError(f"clock={clock!r} must be 'wall' or 'process'.")
        self.seconds = 60.0 * float(minutes)
        self.clock = clock
        self.exclude_first_step = bool(exclude_first_step)
        self.stopped_at_step = None
        self.first_step_seconds = None
        self._start = None
        self._steps = 0

    def on_train_begin(self, logs=None):
        self._start = self._CLOCKS[self.clock]()
        self._steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        now = self._CLOCKS[self.clock]()
        if self._steps == 1:
            self.first_step_seconds = now - self._start
            if self.exclude_first_step:
                self._start = now
        if now - self._start > self.seconds:
            self.stopped_at_step = self._steps
            self.model.stop_training = True
