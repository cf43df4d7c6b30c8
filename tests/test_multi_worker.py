"""Multi-worker training on loopback (tfgan_zoo.distributed, tfgan_zoo.launcher) and the CLI's --devices on CPU.

Each cluster is 2 worker processes with 1 CPU each on 127.0.0.1, started by ``launch_local_workers`` with a
timeout, running the worker script below on tiny nets and toy points (global batch 8, 3 generator steps).
"""
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_discriminator, tiny_generator
from tfgan_zoo import cli, nets
from tfgan_zoo.launcher import launch_local_workers
from tfgan_zoo.models import SNGAN, WGANGP

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
STEPS = 3
CLUSTER_TIMEOUT = 150  # seconds for one 2-worker launch; each takes ~20-40 s on 2 busy cores


def build_model(variant):
    """The model every process builds: same seeds, so the same initial weights and random stream."""
    keras.utils.set_random_seed(0)
    if variant == "wgangp":
        model = WGANGP(tiny_generator(), tiny_discriminator(), seed=3, n_critic=2)
    else:
        critic = nets.mlp_discriminator(input_dim=2, hidden_units=(16,), spectral_normalization=True)
        model = SNGAN(tiny_generator(), critic, seed=3, n_critic=2)  # the paper's generator batch of 2x the critic's
    model.compile(jit_compile=False)
    return model


def toy_dataset():
    """64 points, shuffled with a seed every pass, in global batches of 8 (4 per worker)."""
    points = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(points).shuffle(64, seed=1).batch(8, drop_remainder=True)


def state_of(model):
    """Every number a resumed run must restore: weights, both optimizers' slots and counters, the random stream."""
    variables = (model.generator.weights + model.discriminator.weights + model.d_optimizer.variables
                 + model.g_optimizer.variables + [model.seed_generator.state, model.generator_steps])
    return [np.asarray(v.numpy()) for v in variables]


WORKER_SCRIPT = """
import json, os, signal, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path[:0] = [sys.argv[1], os.path.dirname(sys.argv[1])]
import keras, numpy as np, tensorflow as tf
from test_multi_worker import build_model, state_of, toy_dataset, STEPS
from tfgan_zoo import distributed

out, runs, kill_at_epoch = sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
strategy = tf.distribute.MultiWorkerMirroredStrategy()
worker = distributed.worker_index(strategy)


class KillWorkerOne(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == kill_at_epoch and worker == 1:
            os.kill(os.getpid(), signal.SIGKILL)


with strategy.scope():
    model = build_model("wgangp")
try:  # 7 rows cannot be split between 2 replicas
    distributed.fit_distributed(model, toy_dataset().unbatch().batch(7, drop_remainder=True), verbose=0)
except ValueError as error:
    with open(os.path.join(out, f"odd-batch-worker{worker}.txt"), "w") as f:
        f.write(str(error))

for run in runs:  # a run "VARIANT-resumed" is the one whose worker 1 is killed
    with strategy.scope():
        model = build_model(run.split("-")[0])
    backup = distributed.MultiWorkerBackup(os.path.join(out, run + "-backup"), strategy)
    killer = [KillWorkerOne()] if run.endswith("-resumed") else []
    history = distributed.fit_distributed(model, toy_dataset(), epochs=STEPS, steps_per_epoch=1, verbose=0,
                                          callbacks=[backup] + killer)
    np.savez(os.path.join(out, f"{run}-worker{worker}.npz"), *state_of(model))
    with open(os.path.join(out, f"{run}-worker{worker}.json"), "w") as f:
        json.dump({"history": history.history, "restored_epoch": backup.restored_epoch,
                   "replicas": strategy.num_replicas_in_sync, "chief": distributed.is_chief(strategy)}, f)
"""


def launch(tmp_path, out, runs, kill_at_epoch=-1):
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    os.makedirs(out, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": ROOT, "CUDA_VISIBLE_DEVICES": ""}
    return launch_local_workers([sys.executable, str(script), TESTS, str(out), ",".join(runs),
                                 str(kill_at_epoch)], 2, timeout=CLUSTER_TIMEOUT, env=env, grace_seconds=5)


def saved(out, run, worker):
    with np.load(os.path.join(out, f"{run}-worker{worker}.npz")) as arrays:
        state = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    with open(os.path.join(out, f"{run}-worker{worker}.json")) as f:
        return state, json.load(f)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``(tmp, out)``: one 2-worker cluster that trains WGAN-GP, then SNGAN, for 3 steps each into ``out``, then
    starts WGAN-GP again and is stopped when worker 1 is SIGKILLed after step 2 (one cluster start for all)."""
    tmp = tmp_path_factory.mktemp("cluster")
    # -9 (worker 1's SIGKILL), or the chief's error status if it noticed the lost peer in the same instant
    assert launch(tmp, tmp / "out", ["wgangp", "sngan", "wgangp-resumed"], kill_at_epoch=2) != 0
    return tmp, tmp / "out"


@pytest.mark.parametrize("variant", ["wgangp", "sngan"])
def test_two_workers_agree_bitwise_and_take_the_single_process_steps(cluster, variant):
    _, out = cluster
    state0, info0 = saved(out, variant, 0)
    state1, info1 = saved(out, variant, 1)
    assert info0["replicas"] == info1["replicas"] == 2
    assert (info0["chief"], info1["chief"]) == (True, False)
    assert all(np.array_equal(a, b) for a, b in zip(state0, state1))  # bit for bit
    assert info0["history"] == info1["history"]
    with open(out / "odd-batch-worker0.txt") as f:
        assert "global batch (7) must be a multiple of the 2 replicas" in f.read()

    single = build_model(variant)  # one process, no strategy, the same global batch of 8
    initial = state_of(single)
    history = single.fit(toy_dataset(), epochs=STEPS, steps_per_epoch=1, verbose=0)
    reference = state_of(single)
    assert int(state0[-1]) == STEPS
    np.testing.assert_array_equal(state0[-2], reference[-2])  # the random stream advanced identically
    moved = max(float(np.max(np.abs(r - i))) for r, i in zip(reference, initial))
    assert moved > 1e-3  # training changed the weights, so the comparison below means something
    for got, want in zip(state0, reference):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    for name, values in history.history.items():
        np.testing.assert_allclose(info0["history"][name], values, rtol=0, atol=1e-5, err_msg=name)


def test_a_killed_worker_restarts_from_the_chiefs_backup_and_matches_the_uninterrupted_run(cluster):
    tmp, out = cluster
    backup = out / "wgangp-resumed-backup"  # the cluster fixture's last run: worker 1 killed after step 2
    with open(backup / "training_metadata.json") as f:
        assert json.load(f)["epoch"] == 2
    assert sorted(os.listdir(backup)) == ["epoch-000002.weights.h5", "training_metadata.json"]
    assert not os.path.exists(out / "wgangp-resumed-worker0.npz")

    assert launch(tmp, out, ["wgangp-resumed"]) == 0  # the whole cluster restarted with the same command
    want, _ = saved(out, "wgangp", 0)
    for worker in (0, 1):
        state, info = saved(out, "wgangp-resumed", worker)
        assert info["restored_epoch"] == 2
        assert len(info["history"]["d_loss"]) == 1  # only step 3 ran again
        assert all(np.array_equal(a, b) for a, b in zip(state, want))  # bit for bit
    assert not os.path.exists(backup)  # a finished run removes its backup


def run_cli(args, tmp_path, timeout=CLUSTER_TIMEOUT):
    env = {**os.environ, "PYTHONPATH": ROOT, "CUDA_VISIBLE_DEVICES": "", "TMPDIR": str(tmp_path),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "tfgan_zoo.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=tmp_path)


def test_cli_devices_two_splits_the_cpu_and_trains(tmp_path):
    result = run_cli(["train", "wgangp", "--data", "ring8", "--devices", "2", "--steps", "2", "--steps-per-epoch",
                      "1", "--out", "run"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "run" / "metrics.json") as f:
        metrics = json.load(f)
    assert metrics["generator_steps"] == 2
    assert (metrics["recipe"]["jit_compile"], metrics["recipe"]["steps_per_execution"]) == (False, 1)


def test_cli_launch_trains_two_workers_and_only_the_chief_keeps_files(tmp_path):
    result = run_cli(["launch", "--workers", "2", "--timeout", str(CLUSTER_TIMEOUT - 10), "--", "train", "sngan",
                      "--data", "ring8", "--steps", "2", "--steps-per-epoch", "1", "--set", "model.n_critic=1",
                      "--out", "run"], tmp_path)  # n_critic 1: a shorter step to trace
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "run" / "metrics.json") as f:
        assert json.load(f)["generator_steps"] == 2
    assert os.path.isdir(tmp_path / "run" / "generator")
    assert sorted(os.listdir(tmp_path / "run" / "samples")) == ["samples_epoch_0001.png", "samples_epoch_0002.png"]
    assert not os.path.exists(tmp_path / "run" / "backup")
    assert not [name for name in os.listdir(tmp_path) if name.startswith("tfgan_zoo-worker")]  # temp folders gone


def test_multi_worker_without_tf_config_is_one_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cli.main(["train", "wgangp", "--data", "ring8", "--multi-worker", "--out", str(tmp_path / "run")]) == 2
    assert "TF_CONFIG environment variable, which is not set" in capsys.readouterr().err
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 3}}')
    assert cli.main(["train", "wgangp", "--data", "ring8", "--multi-worker", "--out", str(tmp_path / "run")]) == 2
    assert "TF_CONFIG is not a cluster description" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "run")
