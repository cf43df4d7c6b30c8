"""Training on several machines: the model's own ``train_step`` under ``tf.distribute.MultiWorkerMirroredStrategy``.

Keras 3.15's ``fit`` cannot run under ``MultiWorkerMirroredStrategy`` (its ``reduce_per_replica`` reduces the
scalar logs with ``axis=0``: ``Invalid reduction dimension 0 for input with 0 dimensions``; upstream
tensorflow/tensorflow#72388). :func:`fit_distributed` is the loop ``fit`` would run, written for that strategy:

* the data: the dataset :meth:`tfgan_zoo.models.GAN.prepare_dataset` makes (global batches of the size the user
  asked for, ``n_critic`` of them per step), streamed by :class:`tfgan_zoo.callbacks.DataStream` so that a
  restarted run reads what the uninterrupted one read. Every worker builds the same global batches; replica
  ``k`` of the ``R`` replicas in the cluster (worker ``w``, local device ``l``: ``k = w * L + l``) keeps rows
  ``[k * B / R, (k + 1) * B / R)`` of each, the split ``MirroredStrategy`` makes on one machine;
* the step: ``strategy.run(model.train_step)``, so a variant does not know which path runs it. The model scales
  losses by ``num_replicas_in_sync`` (the global count), the optimizers sum gradients across every replica of
  every worker, and noise is drawn as the global ``[B, ...]`` tensor from the shared seed state and sliced by
  replica id (``GAN._random``): the noise each sample gets is the single-process run's, so 2 workers take the
  step one process takes on the same global batch (to float round-off of the cross-worker sum);
* the logs: each figure reduced with ``strategy.reduce(MEAN)`` (every replica's running mean over its equal
  share of the samples), then passed to the usual Keras callbacks (``CallbackList`` with ``History`` and, on the
  chief, the progress bar); ``stop_training`` set by a callback on any worker stops every worker after the
  same step.

Side effects: :func:`is_chief` says which worker owns the run's files; :func:`worker_output_dir` gives the
others a temporary folder (as TensorFlow's multi-worker guide recommends: every worker runs the same saving
code, whose reads of synchronised variables are collective operations, and only the chief's files are kept);
:class:`MultiWorkerBackup` is ``keras.callbacks.BackupAndRestore`` for a cluster.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings

import keras
import numpy as np
import tensorflow as tf

from .callbacks import DataStream

__all__ = ["fit_distributed", "needs_own_loop", "is_chief", "is_chief_task", "worker_index", "worker_output_dir",
           "MultiWorkerBackup"]


def needs_own_loop(strategy) -> bool:
    """True for strategies whose training ``keras.Model.fit`` cannot run (``MultiWorkerMirroredStrategy``)."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _cluster_role(strategy):
    """``(task_type, task_id, has_chief_task)`` of this process in ``strategy``'s cluster (None outside one)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return None, 0, False
    return resolver.task_type, int(resolver.task_id or 0), "chief" in resolver.cluster_spec().as_dict()


def worker_index(strategy=None) -> int:
    """This worker's index among the workers that train (0 for the chief and outside a cluster)."""
    task_type, task_id, has_chief = _cluster_role(strategy or tf.distribute.get_strategy())
    if task_type is None or task_type == "chief":
        return 0
    return task_id + 1 if has_chief else task_id


def is_chief_task(task_type, task_id, has_chief_task) -> bool:
    """Whether a task writes the run's files: the ``chief`` task, else ``worker`` 0 (as TensorFlow picks it), or a
    process outside any cluster (``task_type`` None)."""
    if task_type is None:
        return True
    return task_type == "chief" or (task_type == "worker" and int(task_id) == 0 and not has_chief_task)


def is_chief(strategy=None) -> bool:
    """Whether this process writes the run's files (:func:`is_chief_task` of its task in ``strategy``'s cluster)."""
    return is_chief_task(*_cluster_role(strategy or tf.distribute.get_strategy()))


def worker_output_dir(path, strategy=None):
    """``path`` on the chief; on another worker a new temporary folder to write the same files into and delete.

    Every worker runs the same saving code (TensorFlow's multi-worker guide: reading a variable synchronised on
    read is a collective operation, so a save that only the chief ran would wait for the others forever).
    """
    if is_chief(strategy):
        return path
    return tempfile.mkdtemp(prefix=f"tfgan_zoo-worker{worker_index(strategy)}-")


class _AnyWorker:
    """Called with a flag, returns True on every worker when the flag is true on any of them (one collective sum,
    traced once). Every worker must call it, so it is also a barrier."""

    def __init__(self, strategy):
        @tf.function
        def total(flag):
            return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: tf.identity(flag)), axis=None)

        self._total = total

    def __call__(self, flag: bool) -> bool:
        return float(self._total(tf.constant(1.0 if flag else 0.0))) > 0.0


class MultiWorkerBackup(keras.callbacks.Callback):
    """``keras.callbacks.BackupAndRestore`` for a cluster: one backup, written by the chief, read by every worker.

    At the end of every epoch each worker saves the model's weights (``model.save_weights``: both networks, the
    EMA, both optimizers, the step counter and the model's random stream) — the chief into ``backup_dir``, the
    others into a temporary folder they then delete — and all wait until the chief has finished. The chief
    writes ``epoch-NNNNNN.weights.h5`` first and then ``training_metadata.json`` naming it (each through a
    temporary file and an atomic rename), and deletes the previous weights file last, so a worker killed at any
    moment leaves a complete backup of the last finished epoch. When a (re)started run begins, every worker
    loads that backup and sets ``model._initial_epoch`` (the convention of ``keras.callbacks.BackupAndRestore``,
    which :func:`fit_distributed` and ``keras.Model.fit`` both read), so the restarted cluster carries on where
    the last epoch ended. ``backup_dir`` must be visible to every worker (a shared file system).

    Args:
      backup_dir: the run's backup folder (not shared with another run or callback).
      strategy: the model's strategy (the current one when None).
      delete_checkpoint: remove ``backup_dir`` (on the chief) when training ends normally.
    """

    METADATA = "training_metadata.json"

    def __init__(self, backup_dir, strategy=None, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("backup_dir must name a folder, e.g. 'runs/my-run/backup'.")
        self.backup_dir = backup_dir
        self.strategy = strategy
        self.delete_checkpoint = delete_checkpoint
        self.restored_epoch = None
        self._barrier = None

    def _strategy(self):
        return self.strategy or self.model.distribute_strategy

    def on_train_begin(self, logs=None):
        self._barrier = _AnyWorker(self._strategy())
        if is_chief(self._strategy()) and os.path.isdir(self.backup_dir):  # writes a killed chief left unfinished
            for name in os.listdir(self.backup_dir):
                if name.startswith("partial-"):
                    os.remove(os.path.join(self.backup_dir, name))
        path = os.path.join(self.backup_dir, self.METADATA)
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            metadata = json.load(f)
        self.model.load_weights(os.path.join(self.backup_dir, metadata["weights"]))
        self.restored_epoch = self.model._initial_epoch = int(metadata["epoch"])

    def on_epoch_end(self, epoch, logs=None):
        strategy = self._strategy()
        folder = worker_output_dir(self.backup_dir, strategy)
        os.makedirs(folder, exist_ok=True)
        name = f"epoch-{epoch + 1:06d}.weights.h5"
        previous = self._recorded_weights(folder)
        self._write_atomically(os.path.join(folder, name), lambda path: self.model.save_weights(path))
        self._write_atomically(os.path.join(folder, self.METADATA), lambda path: self._write_metadata(
            path, {"epoch": epoch + 1, "weights": name}))
        if previous and previous != name:
            os.remove(os.path.join(folder, previous))
        if folder != self.backup_dir:
            shutil.rmtree(folder, ignore_errors=True)
        self._barrier(False)  # nobody starts the next epoch before the chief's backup is complete

    def on_train_end(self, logs=None):
        self._barrier(False)  # nobody may still be reading the backup
        if self.delete_checkpoint and is_chief(self._strategy()):
            shutil.rmtree(self.backup_dir, ignore_errors=True)

    def _recorded_weights(self, folder):
        try:
            with open(os.path.join(folder, self.METADATA), encoding="utf-8") as f:
                return json.load(f)["weights"]
        except (OSError, ValueError, KeyError):
            return None

    @staticmethod
    def _write_metadata(path, metadata):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(metadata, f)

    @staticmethod
    def _write_atomically(path, write):
        folder, name = os.path.split(path)
        partial = os.path.join(folder, "partial-" + name)  # keeps the suffix that save_weights requires
        write(partial)
        os.replace(partial, path)


def _replica_slices(element, worker, local_replicas, global_batch, replicas):
    """The rows of one global batch that ``worker``'s ``local_replicas`` train on, one slice per replica."""
    per_replica = global_batch // replicas

    def take(tensor):
        rows = tensor[worker * local_replicas * per_replica:(worker + 1) * local_replicas * per_replica]
        return tf.reshape(rows, tf.concat([[local_replicas, per_replica], tf.shape(tensor)[1:]], 0))

    return tf.nest.map_structure(take, element)


def _global_batch_size(dataset):
    spec = tf.nest.flatten(dataset.element_spec)[0]
    return spec.shape[0] if spec.shape.rank else None


def fit_distributed(model, x, *, epochs=1, steps_per_epoch=None, initial_epoch=0, callbacks=None, verbose="auto",
                    **unsupported):
    """``model.fit(x, ...)`` for a :class:`tfgan_zoo.models.GAN` built and compiled under a multi-worker strategy.

    Every worker calls it with the same arguments and data; see the module docstring for what each does.

    Args:
      model: a compiled GAN whose variables were created in ``strategy.scope()``.
      x: a ``tf.data.Dataset`` of global batches (or a numpy array, batched as ``GAN.fit`` batches it).
      epochs, steps_per_epoch, initial_epoch, callbacks, verbose: as ``keras.Model.fit``
        (``steps_per_epoch`` is required for an infinite dataset). ``steps_per_execution`` and ``jit_compile``
        of ``compile`` are not used here: one step per call, not XLA-compiled.
    Returns:
      The ``keras.callbacks.History`` of the run (also ``model.history`` once an epoch has ended).
    """
    if unsupported:
        raise ValueError(f"fit_distributed does not take {sorted(unsupported)}; it trains on x for epochs of "
                         "steps_per_epoch steps with callbacks (no validation, class weights or shuffling).")
    if model.jit_compile is True or model.steps_per_execution > 1:
        warnings.warn(f"fit_distributed runs one step per call without XLA; the model's jit_compile="
                      f"{model.jit_compile} and steps_per_execution={model.steps_per_execution} are not used. "
                      "Compile with jit_compile=False, steps_per_execution=1 to say so.", UserWarning, stacklevel=2)
    strategy = model.distribute_strategy
    if getattr(model, "d_optimizer", None) is None:
        raise RuntimeError("Compile the model (inside strategy.scope()) before fit_distributed.")
    dataset = model.prepare_dataset(x)
    global_batch = _global_batch_size(dataset)
    replicas = strategy.num_replicas_in_sync
    if global_batch is None or global_batch % replicas:
        raise ValueError(f"The global batch ({global_batch}) must be a multiple of the {replicas} replicas of the "
                         f"cluster (workers x devices per worker), so that each gets an equal share; use a batch "
                         f"size that is a multiple of {replicas}.")
    stream = DataStream(dataset, steps_per_epoch)
    workers = strategy.extended._num_workers if hasattr(strategy.extended, "_num_workers") else 1

    def replica_dataset(context):
        local = context.num_replicas_in_sync // context.num_input_pipelines
        return stream.stream.map(lambda *element: _replica_slices(
            element[0] if len(element) == 1 else element, context.input_pipeline_id, local, global_batch,
            replicas)).unbatch()

    @tf.function
    def train_function(iterator):
        logs = strategy.run(model.train_step, args=(next(iterator),))
        return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None) for name, value in logs.items()}

    chief = is_chief(strategy)
    any_worker = _AnyWorker(strategy) if workers > 1 else None
    callbacks = keras.callbacks.CallbackList(
        list(callbacks or []) + [stream], add_history=True, add_progbar=verbose != 0 and chief, model=model,
        verbose=1 if verbose == "auto" else verbose, epochs=epochs, steps=stream.steps_per_epoch)
    model.stop_training = False
    model._initial_epoch = None
    callbacks.on_train_begin()
    initial_epoch = model._initial_epoch or initial_epoch
    iterator, logs, epoch_logs = None, {}, None
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        if iterator is None:  # after the stream's first on_epoch_begin, which positions it
            iterator = iter(strategy.distribute_datasets_from_function(replica_dataset))
        for step in range(stream.steps_per_epoch):
            callbacks.on_train_batch_begin(step)
            logs = {name: float(value) for name, value in train_function(iterator).items()}
            callbacks.on_train_batch_end(step, logs)
            if workers > 1:
                model.stop_training = any_worker(model.stop_training)
            if model.stop_training:
                break
        epoch_logs = dict(logs)
        callbacks.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callbacks.on_train_end(logs=epoch_logs)
    return next(c for c in callbacks.callbacks if isinstance(c, keras.callbacks.History))
