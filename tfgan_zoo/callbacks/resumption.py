"""Exact resumption of interrupted ``fit`` runs: :class:`DataStream`, the data position of a resumed run.

What a resumed run restores (``keras.callbacks.BackupAndRestore`` or ``tfgan-zoo train --resume``):

* every weight of the generator, the critic and the EMA generator, both optimizers' slots and iteration
  counters, ``generator_steps`` and ``instance_noise_stddev`` — saved by ``model.save_weights`` because they
  are variables of the model or of its attributes;
* the state of the model's ``keras.random.SeedGenerator`` — not saved by Keras 3 (it is not a layer
  variable), so :class:`tfgan_zoo.models.gan.GAN` saves it in ``save_own_variables``;
* the data position: Keras restores at epoch granularity (an interruption in epoch ``k`` restarts epoch
  ``k`` from the weights saved at the end of epoch ``k - 1``), so epoch ``k`` must read the same elements as
  in the uninterrupted run. A dataset shuffled with a seed and ``reshuffle_each_iteration=True`` (all
  :mod:`tfgan_zoo.data` loaders, and ``fit`` on a numpy array) draws the order of its ``p``-th pass from a
  seed generator that advances each time an iterator is created — and Keras 3 creates two iterators per
  epoch (one at the start, a spare one when the pass ends) — so a new process would read pass 0's order
  again. ``GAN.fit`` therefore feeds Keras one :class:`DataStream` (the passes back to back, a single
  iterator), which it positions at ``initial_epoch * steps_per_epoch`` elements when a run resumes.

The guarantee — final weights bit-identical to an uninterrupted run on CPU — holds, on a single device, for a
dataset of known finite length (``cardinality() > 0``: the tfgan_zoo loaders with ``repeat=False``, numpy
arrays, ``batch(..., drop_remainder=True)`` pipelines) whose randomness comes only from seeded ops
(``shuffle(seed=...)``, stateless random ops), with or without ``steps_per_epoch``. It does not cover:
unseeded shuffles or unseeded ``tf.random`` ops in a user pipeline; finite datasets of unknown length
(``filter``, generators), which Keras iterates as before, so a resumed run re-reads them from their start;
``tf.distribute`` strategies (``fit`` then passes the dataset to Keras unchanged). An infinite dataset
(``repeat()``, with ``steps_per_epoch``) is resumed exactly too, by reading and dropping the
``initial_epoch * steps_per_epoch`` elements already trained on (this costs one read of them).
"""
from __future__ import annotations

import keras

__all__ = ["DataStream"]


class DataStream(keras.callbacks.Callback):
    """One resumable stream over a finite dataset for ``fit``; created and added by ``GAN.fit``.

    ``stream`` yields ``dataset``'s passes one after another (``dataset.repeat()``), so Keras keeps a single
    iterator for the whole ``fit`` and the data position is just the number of elements read. Before the
    first epoch ``e0`` of a ``fit`` (``initial_epoch``, or the epoch ``BackupAndRestore`` restored), it puts
    the stream at element ``e0 * steps_per_epoch``: with ``N`` elements per pass, it creates and discards
    ``(e0 * steps_per_epoch) // N`` iterators of ``dataset`` (this advances the seed generators of seeded
    ``shuffle(..., reshuffle_each_iteration=True)`` ops exactly as the passes of the uninterrupted run did,
    without reading data), then skips the remaining ``(e0 * steps_per_epoch) % N`` elements. The skip count
    is a variable read when the stream's iterator starts, which happens after the restore.

    The position is relative to a freshly built dataset (a new process, as when resuming after a crash):
    passing the same dataset object to a second ``fit`` with ``initial_epoch > 0`` in the same process
    advances its shuffles twice (still a valid shuffle, not the uninterrupted order).

    An infinite ``dataset`` (``repeat()``) is streamed as it is, and positioned by skipping (reading)
    ``e0 * steps_per_epoch`` elements.

    Args:
      dataset: a ``tf.data.Dataset`` with a known finite number of elements ``N`` (``cardinality() > 0``)
        or an infinite one (then ``steps_per_epoch`` is required).
      steps_per_epoch: ``fit`` steps per epoch (elements of ``dataset`` read per epoch); None for ``N``.

    Attributes:
      stream: the dataset to give ``fit`` (with ``steps_per_epoch=self.steps_per_epoch``).
      replayed_passes, skipped: how far the last resumption moved the stream.
    """

    def __init__(self, dataset, steps_per_epoch=None):
        super().__init__()
        import tensorflow as tf

        self.dataset = dataset
        cardinality = int(dataset.cardinality())
        infinite = cardinality == tf.data.INFINITE_CARDINALITY
        if cardinality < 1 and not infinite:
            raise ValueError(f"DataStream needs a non-empty dataset of known length or an infinite one; its "
                             f"cardinality is {cardinality}.")
        if infinite and not steps_per_epoch:
            raise ValueError("An infinite dataset (repeat()) needs steps_per_epoch in fit.")
        self.pass_length = None if infinite else cardinality
        self.steps_per_epoch = int(steps_per_epoch or cardinality)
        with tf.init_scope():
            self._skip = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_stream_skip")
        skip = self._skip
        source = dataset if infinite else dataset.repeat()
        self.stream = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64)).flat_map(
            lambda _: source.skip(skip.read_value()))
        self.replayed_passes = self.skipped = 0
        self._first_epoch = True

    def on_epoch_begin(self, epoch, logs=None):
        if not self._first_epoch:
            return
        self._first_epoch = False
        position = epoch * self.steps_per_epoch
        passes, offset = (0, position) if self.pass_length is None else divmod(position, self.pass_length)
        for _ in range(passes):
            iterator = iter(self.dataset)
            del iterator
        self._skip.assign(offset)
        self.replayed_passes, self.skipped = passes, offset
