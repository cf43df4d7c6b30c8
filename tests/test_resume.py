"""Resuming interrupted runs bit-exactly (tfgan_zoo.callbacks.DataStream, GAN.save_own_variables, `train --resume`).

A training subprocess is killed with ``os._exit`` in the middle of an epoch (no cleanup, like a pre-empted
job); a second subprocess resumes from the ``BackupAndRestore`` backup. The final weights, optimizer slots,
counters and random state must equal an uninterrupted run's exactly (``np.array_equal``), on CPU.
"""
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_zoo
from tfgan_zoo import data
from tfgan_zoo.callbacks import DataStream
from conftest import tiny_discriminator, tiny_generator

HERE = os.path.dirname(os.path.abspath(__file__))
KILL_ENV = "TFGAN_ZOO_KILL_AT_STEP"
KILLED = 17  # exit status of the killed run


class _KillAt(keras.callbacks.Callback):
    """``os._exit`` at a generator step: no cleanup, as if the machine went away mid-epoch."""

    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.generator_steps.numpy()) == self.step:
            os._exit(KILLED)


def _kill_callbacks():
    return [_KillAt(int(os.environ[KILL_ENV]))] if os.environ.get(KILL_ENV) else []


def _state(model):
    """Every array of training state: weights (incl. EMA, counters, noise), optimizer slots, the RNG."""
    return ([v.numpy() for v in model.weights + model.d_optimizer.variables + model.g_optimizer.variables]
            + [model.seed_generator.state.numpy()])


def fit_run(out):
    """n_critic > 1, a gradient penalty (random interpolates), scheduled instance noise, an EMA, Adam slots."""
    from tfgan_zoo.callbacks import InstanceNoiseSchedule

    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), loss="wasserstein", penalty="gp", n_critic=2,
                          instance_noise=0.2, ema_decay=0.9, seed=5)
    model.compile()
    dataset = data.toy_mixture("ring8", num_samples=96, batch_size=8, seed=3)  # 6 steps of 2 batches / epoch
    callbacks = [keras.callbacks.BackupAndRestore(os.path.join(out, "backup")), InstanceNoiseSchedule(20)]
    model.fit(dataset, epochs=4, callbacks=callbacks + _kill_callbacks(), verbose=0)
    return model


def cli_run(argv):
    """``tfgan-zoo train`` on a 96-point ring (the CLI's loader with a small training set)."""
    from tfgan_zoo import cli

    load, fit = data.load, tfgan_zoo.GAN.fit
    trained = []

    def fit_and_keep(self, *args, callbacks=(), **kwargs):  # the CLI's model, with its optimizers' state
        trained.append(self)
        return fit(self, *args, callbacks=list(callbacks) + _kill_callbacks(), **kwargs)

    # the CLI's training set (loaded with the run's batch size and seed) is small; the real reference the CLI's
    # final scoring loads (no options) stays the full mixture
    data.load = lambda name, **options: (data.toy_mixture(name, num_samples=96, **options) if options
                                         else load(name))
    tfgan_zoo.GAN.fit = fit_and_keep
    try:
        assert cli.main([str(a) for a in argv]) == 0
    finally:
        data.load, tfgan_zoo.GAN.fit = load, fit
    return trained[0]


def _subprocess(call, dump_to, kill_at=None):
    """Runs ``test_resume.<call>`` in a fresh Python, which dumps the model's state to ``dump_to``, or is
    killed at generator step ``kill_at``. Every run is a new process, as in real use (a fit's numerics may
    depend on what the process ran before)."""
    script = (f"import sys, numpy as np; sys.path.insert(0, {HERE!r}); import test_resume as t; "
              f"np.savez({str(dump_to)!r}, *t._state(t.{call}))")
    env = {k: v for k, v in os.environ.items() if k != KILL_ENV}
    if kill_at is not None:
        env[KILL_ENV] = str(kill_at)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == (0 if kill_at is None else KILLED), result.stderr[-3000:]
    return None if kill_at is not None else [array for _, array in sorted(np.load(dump_to).items(),
                                                                          key=lambda item: int(item[0][4:]))]


def _assert_same_state(a, b):
    assert len(a) == len(b) and len(a) > 20
    for i, (x, y) in enumerate(zip(a, b)):
        assert np.array_equal(x, y), f"state array {i} differs after resuming"


def test_killed_fit_resumes_bit_identical_with_backup_and_restore(tmp_path):
    full = _subprocess(f"fit_run({str(tmp_path / 'full')!r})", tmp_path / "full.npz")
    # Killed at generator step 15 = epoch 3 of 4 (6 steps each), batch 3: epochs 1-2 are backed up.
    cut = f"fit_run({str(tmp_path / 'cut')!r})"
    _subprocess(cut, tmp_path / "never.npz", kill_at=15)
    assert (tmp_path / "cut" / "backup").is_dir() and not (tmp_path / "never.npz").exists()
    resumed = _subprocess(cut, tmp_path / "cut.npz")
    assert resumed[1] == 24  # generator_steps
    _assert_same_state(full, resumed)


def test_cli_train_resume_after_kill_is_bit_identical(tmp_path):
    common = ["train", "gan", "--data", "ring8", "--batch-size", "16", "--steps", "18", "--steps-per-epoch", "6",
              "--seed", "1", "--ema", "0.9", "--grid-every", "100", "--set", "steps_per_execution=1"]
    full = _subprocess(f"cli_run({[str(a) for a in common + ['--out', tmp_path / 'full']]!r})", tmp_path / "full.npz")
    cut = common + ["--out", str(tmp_path / "cut")]
    _subprocess(f"cli_run({cut!r})", tmp_path / "never.npz", kill_at=9)  # epoch 2 of 3 (6 steps each), batch 3
    assert not (tmp_path / "cut" / "model.keras").exists()
    resumed = _subprocess(f"cli_run({cut + ['--resume']!r})", tmp_path / "cut.npz")
    _assert_same_state(full, resumed)


def _model(**kwargs):
    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), seed=3, **kwargs)
    model.compile()
    return model


def test_save_weights_keeps_seed_generator_ema_counters_and_optimizer_slots(tmp_path, toy_points):
    model = _model(ema_decay=0.5, instance_noise=0.1)
    model.fit(toy_points, batch_size=16, epochs=1, steps_per_epoch=3, verbose=0)
    model.instance_noise_stddev.assign(0.025)
    model.save_weights(tmp_path / "w.weights.h5")
    restored = _model(ema_decay=0.5, instance_noise=0.1)
    np.testing.assert_array_equal(restored.seed_generator.state.numpy(), [3, 0])  # fresh stream
    restored.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(restored.seed_generator.state.numpy(), model.seed_generator.state.numpy())
    assert int(restored.generator_steps.numpy()) == 3
    assert restored.instance_noise_stddev.numpy() == np.float32(0.025)
    for a, b in zip(model.ema_generator.weights + model.d_optimizer.variables + model.g_optimizer.variables,
                    restored.ema_generator.weights + restored.d_optimizer.variables + restored.g_optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the next random draws continue the same stream
    np.testing.assert_array_equal(model.sample_latent(4).numpy(), restored.sample_latent(4).numpy())


def test_weights_files_without_the_seed_state_still_load(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.weights.h5")
    import h5py

    with h5py.File(tmp_path / "w.weights.h5", "a") as f:  # as written before the seed state was saved
        del f["vars"]["seed_generator_state"]
    _model().load_weights(tmp_path / "w.weights.h5")


def _elements(iterator, n):
    return [next(iterator).numpy() for _ in range(n)]


@pytest.mark.parametrize("steps_per_epoch, epoch", [(None, 2), (3, 3), (5, 1)])
def test_data_stream_starts_where_the_uninterrupted_run_was(steps_per_epoch, epoch):
    """Passes of 4 elements; a fit resumed at ``epoch`` reads from element ``epoch * steps_per_epoch`` on."""
    def build():
        return data.toy_mixture("ring8", num_samples=32, batch_size=8, seed=1)

    reference = build()
    elements = [e.numpy() for _ in range(5) for e in reference]  # 5 passes, each its own order
    assert not np.array_equal(elements[0], elements[4])
    stream = DataStream(build(), steps_per_epoch)
    stream.on_epoch_begin(epoch)
    start = epoch * (steps_per_epoch or 4)
    assert (stream.replayed_passes, stream.skipped) == divmod(start, 4)
    for got, want in zip(_elements(iter(stream.stream), 6), elements[start:start + 6]):
        np.testing.assert_array_equal(got, want)


def test_data_stream_positions_an_infinite_dataset_by_skipping():
    dataset = data.toy_mixture("ring8", num_samples=32, batch_size=8, seed=1, repeat=True)
    elements = _elements(iter(dataset), 10)
    stream = DataStream(data.toy_mixture("ring8", num_samples=32, batch_size=8, seed=1, repeat=True), 3)
    stream.on_epoch_begin(2)
    np.testing.assert_array_equal(_elements(iter(stream.stream), 1)[0], elements[6])


def test_data_stream_rejects_unknown_length_and_infinite_without_steps():
    unknown = tf.data.Dataset.range(4).filter(lambda x: x > 0)
    with pytest.raises(ValueError, match="cardinality"):
        DataStream(unknown)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        DataStream(tf.data.Dataset.range(4).repeat())


# --- the NaN/Inf guard -------------------------------------------------------------------------------------


def _poisoned_batches(bad_batch=2, batches=6):
    """Batches of 8 points, unshuffled; batch ``bad_batch`` holds a NaN point.

    NaN rather than inf: an infinite input can reach the loss as a logit of +-inf, whose sigmoid cross-entropy
    is 0 on one side, so whether the loss turns non-finite would depend on the initial weights' signs."""
    points = np.random.default_rng(0).normal(size=(8 * batches, 2)).astype("float32")
    points[8 * bad_batch] = np.nan
    return tf.data.Dataset.from_tensor_slices(points).batch(8, drop_remainder=True)


def test_non_finite_loss_stops_at_its_step_and_keeps_the_last_good_backup(tmp_path):
    from tfgan_zoo.callbacks import NonFiniteLossError, NonFiniteLossGuard

    model = _model()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"), save_freq=1)  # saves after every step
    with pytest.raises(NonFiniteLossError, match=r"^Non-finite loss at generator step 3 \(epoch 1, batch 3\): "
                                                 r"d_loss=(nan|inf)") as info:
        model.fit(_poisoned_batches(), epochs=2, callbacks=[NonFiniteLossGuard(), backup], verbose=0)
    assert info.value.step == 3 and "d_loss" in info.value.values and len(str(info.value).splitlines()) == 1
    restored = _model()
    restored.load_weights(str(tmp_path / "backup" / "latest.weights.h5"))
    assert int(restored.generator_steps.numpy()) == 2  # the last good step, not the broken one
    assert all(np.isfinite(w).all() for w in _state(restored))


def test_guard_ignores_finite_logs_and_non_numeric_entries():
    from tfgan_zoo.callbacks import NonFiniteLossGuard

    guard = NonFiniteLossGuard()
    guard.set_model(_model())
    guard.on_train_batch_end(0, {"d_loss": 1.5, "g_loss": np.float32(-2.0), "note": "text"})
    guard = NonFiniteLossGuard(names=["g_loss"])
    guard.on_train_batch_end(0, {"d_loss": float("nan"), "g_loss": 0.0})  # d_loss not watched


def test_cli_exits_1_with_one_line_when_the_loss_diverges(tmp_path, capsys, monkeypatch):
    from tfgan_zoo import cli

    monkeypatch.setattr(data, "load", lambda name, **options: _poisoned_batches())
    status = cli.main(["train", "gan", "--data", "ring8", "--steps", "8", "--steps-per-epoch", "4", "--set",
                       "steps_per_execution=1", "--set", "point_scale=null", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert err[-1].startswith("tfgan-zoo train: error: Non-finite loss at generator step 3 (epoch 1, batch 3)")
    assert "backup" in err[-1]
    assert not (tmp_path / "run" / "model.keras").exists() and not (tmp_path / "run" / "generator").exists()
