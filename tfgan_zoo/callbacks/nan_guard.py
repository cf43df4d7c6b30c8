"""A guard that stops training at the first non-finite loss, before any checkpoint is written over a good one."""
from __future__ import annotations

import math

import keras
import numpy as np

__all__ = ["NonFiniteLossError", "NonFiniteLossGuard"]


class NonFiniteLossError(FloatingPointError):
    """Training produced a NaN or infinite loss; raised by :class:`NonFiniteLossGuard`.

    Attributes:
      step: the 1-based generator step that produced it (``model.generator_steps`` after the step).
      epoch, batch: where in ``fit`` it happened (0-based).
      values: the non-finite logged figures, ``{name: value}``.
    """

    def __init__(self, message, step=None, epoch=None, batch=None, values=None):
        super().__init__(message)
        self.step, self.epoch, self.batch, self.values = step, epoch, batch, dict(values or {})


class NonFiniteLossGuard(keras.callbacks.Callback):
    """Stops training at the first step whose logged losses are NaN or infinite, before anything is saved.

    After every batch it checks the logged figures (``d_loss``, ``g_loss``, penalties, ...; running means
    over the epoch, so one non-finite step makes them non-finite at once) and raises
    :class:`NonFiniteLossError` with a one-line message naming the generator step, the epoch, the batch and
    the offending figures. Raising (rather than ``stop_training``, as ``keras.callbacks.TerminateOnNaN``
    does) ends ``fit`` before any ``on_epoch_end``, so ``BackupAndRestore`` and epoch-wise
    ``ModelCheckpoint`` never write the broken weights over the last good checkpoint. Put it FIRST in the
    callbacks list so that batch-wise checkpoints after it are skipped too.

    Args:
      names: figure names to check; None checks every numeric log entry.
    """

    def __init__(self, names=None):
        super().__init__()
        self.names = None if names is None else tuple(names)
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = {}
        for name, value in (logs or {}).items():
            if self.names is not None and name not in self.names:
                continue
            try:
                number = float(np.asarray(value))
            except (TypeError, ValueError):
                continue
            if not math.isfinite(number):
                bad[name] = number
        if not bad:
            return
        steps = getattr(self.model, "generator_steps", None)
        step = int(keras.ops.convert_to_numpy(steps)) if steps is not None else None
        where = f"generator step {step} (epoch {self._epoch + 1}, batch {batch + 1})" if step is not None else \
            f"epoch {self._epoch + 1}, batch {batch + 1}"
        figures = ", ".join(f"{name}={value}" for name, value in sorted(bad.items()))
        raise NonFiniteLossError(
            f"Non-finite loss at {where}: {figures}. Training stopped; no checkpoint was written after the last "
            f"good one. Lower the learning rates, add a penalty, or check the data for NaN/Inf.",
            step=step, epoch=self._epoch, batch=batch, values=bad)
