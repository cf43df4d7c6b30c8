"""``EvaluationCallback``: scores the generator every N epochs into the History and TensorBoard."""
from __future__ import annotations

import keras
import tensorflow as tf

from ..checks import check_positive_int
from ..metrics.evaluate import Evaluator

__all__ = ["EvaluationCallback"]


class EvaluationCallback(keras.callbacks.Callback):
    """Scores the model's sampling generator (the EMA copy when enabled) at the end of every N-th epoch.

    The real side is summarised once, at the start of training; each evaluation generates ``num_samples``
    samples from the same latent draws (``seed``), so successive scores differ only through the generator.
    Scores are added to the epoch's ``logs`` — so they show in the progress bar and in ``History.history``
    (one entry per evaluated epoch, as Keras does for ``validation_freq``) — and, with ``log_dir``, written
    to TensorBoard as ``evaluation/<key>`` at step ``epoch``. ``self.history`` keeps ``{"epoch": [...],
    key: [...]}``.

    Args:
      real_data: numpy array, ``tf.data.Dataset`` or dataset name (see :class:`tfgan_zoo.metrics.Evaluator`).
      metrics: metric names (default ``("fid",)``); see :func:`tfgan_zoo.metrics.available_metrics`.
      every_n_epochs: evaluate when ``(epoch + 1) % every_n_epochs == 0`` (default 1).
      num_samples: generated samples per evaluation (default 2,000; 10,000+ for reportable numbers).
      extractor: ``"auto"``, ``"mnist"``, ``"inception_v3"``, ``"identity"`` or a ``keras.Model``.
      batch_size: samples per generator/extractor call (default 250).
      log_dir: TensorBoard directory, or None.
      seed: seed of the latent draws.
      **options: further :class:`~tfgan_zoo.metrics.Evaluator` options (``toy_mixture``, ``kid_subsets``, ...).
    """

    def __init__(self, real_data, metrics=("fid",), every_n_epochs=1, num_samples=2000, extractor="auto",
                 batch_size=250, log_dir=None, seed=0, **options):
        super().__init__()
        self.every_n_epochs = check_positive_int("every_n_epochs", every_n_epochs)
        self.log_dir = log_dir
        self._evaluator_args = dict(real_data=real_data, metrics=metrics, num_samples=num_samples,
                                    extractor=extractor, batch_size=batch_size, seed=seed, **options)
        self.evaluator = None
        self.history = {"epoch": []}
        self._writer = None

    def on_train_begin(self, logs=None):
        if self.evaluator is None:
            self.evaluator = Evaluator(**self._evaluator_args)
        if self.log_dir is not None and self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        if self.evaluator is None:
            self.on_train_begin()
        scores = {key: value for key, value in self.evaluator.score(self.model).items()
                  if isinstance(value, (int, float)) and not key.startswith("num_")}
        self.history["epoch"].append(epoch)
        for key, value in scores.items():
            self.history.setdefault(key, []).append(value)
        if logs is not None:
            logs.update(scores)
        if self._writer is not None:
            with self._writer.as_default():
                for key, value in scores.items():
                    tf.summary.scalar(f"evaluation/{key}", value, step=epoch)
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
