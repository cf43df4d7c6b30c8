"""Training throughput of tfgan_zoo's WGANGP against the reference WGAN-GP workloads, in one run.

    python benchmarks/throughput.py [--rounds 3] [--iters 12] [--warmup 2] [--mixed-iters 2 --mixed-rounds 1]
                                    [--no-onednn] [--sweep --sweep-policies float32 --sweep-iters 2]

The workload is fixed by ``../shared/bench/`` (beside the repository): the DCGAN-style 28x28x1 nets of
``reference_wgangp_keras.py`` (imported from that file, so the nets are identical), batch 64, ``n_critic = 5``,
gradient-penalty weight 10, Adam(1e-4, beta=(0, 0.9)), synthetic uniform data through ``tf.data``.

Each configuration runs in its own fresh process (this file's ``--worker`` mode; the PyTorch references as their
own scripts, reporting one JSON line), and the configurations are interleaved over
``rounds`` rounds so that the load of a shared machine hits every one alike; the median generator
iterations per second of each configuration is kept. Configurations:

* ``ref_keras_jit0`` / ``ref_keras_jit1``: the Keras-tutorial-style WGAN-GP without / with XLA (the script's
  ``WGANGP`` class, unchanged, timed by the same harness as ours: the training steps, not ``fit``'s tear-down,
  see ``_common.timed_fit``);
* ``ref_torch``: the same workload in PyTorch eager (skipped when torch is not installed: ``pip install
  .[bench]``);
* ``ours_<policy>_jit<0|1>``: ``tfgan_zoo.models.WGANGP`` on the same nets, for ``float32`` and the mixed
  policy that suits the device (``mixed_bfloat16`` on CPU, ``mixed_float16`` with loss scaling on GPU). The
  mixed policy runs ``--mixed-iters`` iterations in the first ``--mixed-rounds`` rounds only: on a CPU
  without ``avx512_bf16`` bfloat16 is emulated and an iteration takes about a minute;
* ``*_onednn``: ``ref_keras_jit0`` and ``ours_float32_jit0`` again with ``TF_ENABLE_ONEDNN_OPTS=1`` (TensorFlow
  turns oneDNN kernels on by default only on some Intel CPUs; on this project's AMD EPYC machines it is off).
  The environment is the same for the reference and for ours, so the same-environment ratio stays honest.

Achieved GFLOP/s use an analytic count (multiply-adds of the Dense/Conv/ConvTranspose layers, times 2, times
the passes listed in :func:`flops_per_generator_iteration`) and are quoted as a fraction of a 2048x2048
float32 matmul timed in the same run (once per round, median).

``--sweep`` additionally times every zoo variant with its default nets of each family (DCGAN 28x28x1,
ResNet 32x32x1) in one process (``--sweep-policies``, XLA off, ``--sweep-iters`` iterations after one warm-up),
and records whether the variant fuses its critic passes.

Two more workloads (``--workloads wgangp,sngan,toy``, all by default):

* ``sngan``: SNGAN ResNet-32 on 32x32x3 synthetic images (generator 256 channels, critic 128 with spectral
  normalisation, hinge loss, batch ``--sngan-batch`` (64 is the workload), n_critic 5), ours against the PyTorch
  reference of ``torch_references.py`` (StudioGAN-style modules; eager, plus ``torch.compile`` on CUDA);
* ``toy``: the toy recipe's standard GAN (3x128 MLPs, batch 512) on pre-batched points, milliseconds per step
  with ``steps_per_execution`` 1 and 50, XLA off and on, fused and unfused critic, and the same step in plain
  TensorFlow (``toy_plain_*``, :func:`run_plain_toy`) as the floor our training loop is measured against.

On a GPU the same command times ``mixed_float16`` (loss scaling) as the mixed policy, runs the XLA rows in every
round, and adds PyTorch eager and ``torch.compile`` rows on CUDA; without torch the PyTorch rows are left out.
``--fusion-probe`` times the critic path that ``fuse_critic_passes="auto"`` does not take on the device.

Writes ``throughput.json``, ``throughput.md`` and ``throughput.png`` into ``--results`` (default
``benchmarks/results/``).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import timed_fit

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "results"
BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
BATCH, N_CRITIC, GP_WEIGHT = 64, 5, 10.0


def load_reference_module():
    """The Keras reference script as a module (its nets and constants), without running its ``main``."""
    spec = importlib.util.spec_from_file_location("reference_wgangp_keras", BENCH / "reference_wgangp_keras.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mixed_policy():
    """``mixed_float16`` where a GPU is visible, else ``mixed_bfloat16``."""
    import tensorflow as tf

    return "mixed_float16" if tf.config.list_physical_devices("GPU") else "mixed_bfloat16"


# --- Our model on the reference workload (runs in a worker process) ----------------------------------------


def _synthetic_dataset(seed=0):
    import numpy as np
    import tensorflow as tf

    x = np.random.default_rng(seed).uniform(-1, 1, (BATCH * 8, 28, 28, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(BATCH, drop_remainder=True).repeat()


def run_ours(policy, jit, iters, warmup, steps_per_execution=1, fuse="auto"):
    """Generator iterations per second of WGANGP on the reference nets, timed as the reference times itself."""
    import keras

    from tfgan_zoo.models.wgan import WGANGP

    keras.mixed_precision.set_global_policy(policy)
    reference = load_reference_module()
    model = WGANGP(reference.generator(), reference.critic(), n_critic=N_CRITIC, penalty_weight=GP_WEIGHT, seed=0,
                   fuse_critic_passes=fuse)
    model.compile(jit_compile=bool(jit), steps_per_execution=steps_per_execution)
    iters, seconds, losses = _fit_timed(model, _synthetic_dataset(), iters, warmup, steps_per_execution)
    return {"impl": "tfgan_zoo", "workload": "wgangp", "iters": iters, "gen_iters_per_s": iters / seconds,
            **_path_record(model, policy, jit, steps_per_execution), "losses": losses}


def host_calls(steps, steps_per_execution):
    """Host calls of ``steps_per_execution`` steps that cover ``steps`` steps (at least one call)."""
    return -(-max(steps, 1) // steps_per_execution)


def _fit_timed(model, dataset, iters, warmup, steps_per_execution=1):
    """``(iters, seconds, losses)`` of ``fit`` over ``iters`` steps after a ``warmup``-step ``fit`` (compilation,
    first iterator). Both counts are rounded up to whole host calls of ``steps_per_execution`` steps, so that the
    timed ``fit`` runs only the calls the warm-up compiled. ``seconds`` covers the steps, not ``fit``'s set-up and
    tear-down (see :func:`_common.timed_fit`: the ``tf.data`` tear-down sometimes waits ~1.2 s)."""
    iters = host_calls(iters, steps_per_execution) * steps_per_execution
    model.fit(dataset, steps_per_epoch=host_calls(warmup, steps_per_execution) * steps_per_execution, epochs=1,
              verbose=0, shuffle=False)
    timing = timed_fit(model, dataset, iters)
    return iters, timing["step_seconds"], timing["losses"]


def run_reference(jit, iters, warmup):
    """Generator iterations per second of the Keras-tutorial WGAN-GP of ``reference_wgangp_keras.py`` (its
    ``WGANGP`` class and nets, unchanged), timed by the same harness as ours. The script's own timing divides the
    whole ``fit`` call by its steps, tear-down included, which made its figure flip between two values a factor
    of two apart on short runs."""
    reference = load_reference_module()
    model = reference.WGANGP()
    model.compile(jit_compile=bool(jit))
    iters, seconds, losses = _fit_timed(model, _synthetic_dataset(), iters, warmup)
    return {"impl": "keras-tutorial-style", "workload": "wgangp", "iters": iters, "gen_iters_per_s": iters / seconds,
            "jit": int(jit), "losses": losses}


def _path_record(model, policy, jit, steps_per_execution):
    return {"policy": policy, "jit": int(jit), "fused_critic_passes": model.fuses_critic_passes,
            "steps_per_execution": steps_per_execution, "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")}


SNGAN_SHAPE, SNGAN_G_FILTERS = (32, 32, 3), 256


def run_ours_sngan(policy, jit, iters, warmup, fuse="auto", batch=BATCH):
    """SNGAN ResNet-32 (``zoo.build("sngan", (32, 32, 3), family="resnet")``, generator 256 channels, critic 128),
    hinge loss, ``n_critic = 5``, generator batch = critic batch, Adam(2e-4, 0, 0.9): the workload of
    ``torch_references.py --workload sngan``."""
    import keras
    import numpy as np
    import tensorflow as tf

    from tfgan_zoo import zoo

    keras.mixed_precision.set_global_policy(policy)
    model = zoo.build("sngan", SNGAN_SHAPE, family="resnet", network_options={"generator": {"filters": SNGAN_G_FILTERS}},
                      n_critic=N_CRITIC, generator_batch_multiplier=1, seed=0, fuse_critic_passes=fuse)
    model.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.0, 0.9), g_optimizer=keras.optimizers.Adam(2e-4, 0.0, 0.9),
                  jit_compile=bool(jit))
    images = np.random.default_rng(0).uniform(-1, 1, (batch * N_CRITIC * 2,) + SNGAN_SHAPE).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(batch, drop_remainder=True).repeat()
    iters, seconds, losses = _fit_timed(model, dataset, iters, warmup)
    return {"impl": "tfgan_zoo", "workload": "sngan", "batch": batch, "gen_iters_per_s": iters / seconds,
            **_path_record(model, policy, jit, 1), "losses": losses}


TOY_BATCH = 512


def run_ours_toy(policy, jit, iters, warmup, steps_per_execution, fuse="auto"):
    """The toy recipe's standard GAN (``recipes.resolve("gan", "toy")``: MLPs 3x128, batch 512, lr 1e-3 with
    linear decay) on pre-batched 2-D points, one element per step, so that the step is timed and not the input
    pipeline."""
    import keras
    import numpy as np
    import tensorflow as tf

    from tfgan_zoo import zoo

    keras.mixed_precision.set_global_policy(policy)
    fuse_option = {} if fuse == "auto" else {"fuse_critic_passes": fuse}
    run = zoo.build_run("gan", (2,), {"steps_per_execution": steps_per_execution, "jit_compile": bool(jit),
                                      "point_scale": None, "model": fuse_option}, seed=0)
    points = np.random.default_rng(0).normal(size=(16, TOY_BATCH, 2)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(points).repeat()
    iters, seconds, losses = _fit_timed(run.model, dataset, iters, warmup, steps_per_execution)
    return {"impl": "tfgan_zoo", "workload": "toy", "iters": iters, "gen_iters_per_s": iters / seconds,
            "ms_per_step": 1000 * seconds / iters, **_path_record(run.model, policy, jit, steps_per_execution),
            "losses": losses}


def run_plain_toy(jit, iters, warmup, steps_per_execution):
    """The floor under ``run_ours_toy``: the same step written as plain TensorFlow, no GAN class and no Keras
    ``fit``. The toy recipe's own networks (built by the catalogue, so the same layers and sizes), a fresh
    Adam(1e-3, 0.5) each, the non-saturating loss, one critic and one generator update per step on a batch read
    from a ``tf.data`` iterator, a uniform 2-d latent; ``steps_per_execution`` steps per host call in a
    ``tf.function`` loop. No learning-rate schedule, trackers, finiteness check or seeded random stream: what is
    left is the arithmetic of the step and TensorFlow's per-op cost, so ``ours / plain`` is what our training
    loop adds and ``plain at 1 / plain at 50`` is the most that more steps per call can save."""
    import keras
    import numpy as np
    import tensorflow as tf

    from tfgan_zoo import zoo

    run = zoo.build_run("gan", (2,), {"point_scale": None}, seed=0)
    generator, critic = run.model.generator, run.model.discriminator
    g_optimizer, d_optimizer = keras.optimizers.Adam(1e-3, 0.5), keras.optimizers.Adam(1e-3, 0.5)

    def latent():
        return tf.random.uniform((TOY_BATCH, 2), -1.0, 1.0)

    def step(real):
        with tf.GradientTape() as tape:
            d_loss = (tf.reduce_mean(tf.nn.softplus(-critic(real, training=True)))
                      + tf.reduce_mean(tf.nn.softplus(critic(generator(latent(), training=True), training=True))))
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, critic.trainable_variables), critic.trainable_variables))
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(tf.nn.softplus(-critic(generator(latent(), training=True), training=True)))
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables),
                                        generator.trainable_variables))
        return d_loss, g_loss

    one_step = tf.function(step, jit_compile=bool(jit))

    @tf.function
    def host_call(iterator):
        d_loss = g_loss = tf.constant(0.0)
        for _ in tf.range(steps_per_execution):
            d_loss, g_loss = one_step(next(iterator))
        return d_loss, g_loss

    points = np.random.default_rng(0).normal(size=(16, TOY_BATCH, 2)).astype("float32")
    iterator = iter(tf.data.Dataset.from_tensor_slices(points).repeat())
    calls = host_calls(iters, steps_per_execution)
    for _ in range(host_calls(warmup, steps_per_execution)):
        host_call(iterator)
    start = time.perf_counter()
    for _ in range(calls):
        d_loss, g_loss = host_call(iterator)
    float(g_loss)  # waits for the last call
    seconds = time.perf_counter() - start
    iters = calls * steps_per_execution
    return {"impl": "plain_tf", "workload": "toy", "iters": iters, "gen_iters_per_s": iters / seconds,
            "ms_per_step": 1000 * seconds / iters, "jit": int(jit), "steps_per_execution": steps_per_execution,
            "losses": {"d_loss": float(d_loss), "g_loss": float(g_loss)}}


# --- FLOPs and the matmul ceiling --------------------------------------------------------------------------


def multiply_adds_per_sample(model):
    """Multiply-adds of one sample's forward pass through the Dense / Conv2D / Conv2DTranspose layers."""
    import numpy as np
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            total += int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Conv2DTranspose):  # every input position meets the whole kernel
            h, w = layer.input.shape[1:3]
            total += int(h * w * np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.Conv2D):  # every output position meets the whole kernel
            h, w = layer.output.shape[1:3]
            total += int(h * w * np.prod(layer.kernel.shape))
    return total


def flops_per_generator_iteration():
    """Analytic FLOPs of one generator iteration (``n_critic`` critic updates + one generator update).

    With ``G`` and ``D`` the forward multiply-adds per sample, a backward pass counted as twice its forward:
    a critic update costs ``G`` (fakes) + ``2D`` (critic on real and fake) + ``4D`` (their weight gradients)
    + ``D + D`` (critic on the interpolates and its input gradient) + ``4D`` (differentiating that gradient
    again, double back-propagation) = ``G + 12D``; the generator update ``G + D`` forward, ``D`` (input
    gradient of the critic) and ``2G`` backward = ``3G + 2D``. FLOPs = 2 x multiply-adds x batch.
    """
    reference = load_reference_module()
    g, d = multiply_adds_per_sample(reference.generator()), multiply_adds_per_sample(reference.critic())
    per_sample = N_CRITIC * (g + 12 * d) + 3 * g + 2 * d
    return {"generator_mac_per_sample": g, "critic_mac_per_sample": d,
            "flops_per_generator_iteration": 2 * per_sample * BATCH}


def matmul_gflops(size=2048, repeats=10):
    """GFLOP/s of a ``size x size`` float32 matmul (median of ``repeats``), the ceiling quoted beside throughput."""
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    (a @ b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        (a @ b).numpy()
        times.append(time.perf_counter() - start)
    return 2 * size ** 3 / statistics.median(times) / 1e9


# --- The driver --------------------------------------------------------------------------------------------


def _last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON line in the output:\n{text[-2000:]}")


def run_process(args, timeout=900, env_extra=None):
    """Runs ``args`` in a fresh process and returns the JSON line it printed last (None on failure)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env_extra or {}))
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    if result.returncode != 0:
        print(f"FAILED: {' '.join(args)}\n{result.stderr[-3000:]}", file=sys.stderr)
        return None
    return _last_json_line(result.stdout)


ONEDNN = {"TF_ENABLE_ONEDNN_OPTS": "1"}
# PyTorch's OpenMP threads spin while they wait; on a shared, oversubscribed machine that made the references 7-9x
# slower (SNGAN batch 2: 0.07 it/s spinning, 0.49 passive). Passive waiting is the references' best case.
TORCH_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


def configurations(policies, iters, warmup, mixed_iters, torch_iters, torch_available, onednn, extra):
    """``{name: (argv, extra environment, kind)}`` of every configuration, in a round's order.

    ``kind`` is ``"main"``, ``"jit1"`` or ``"mixed"``: the last two run only in the first rounds (see ``main``).
    """
    def common(n, w=warmup):
        return ["--iters", str(n), "--warmup", str(w)]

    ref = [sys.executable, __file__, "--worker", "--impl", "reference"]
    configs = {
        "ref_keras_jit0": (ref + ["--jit", "0", *common(iters)], {}, "main"),
        "ref_keras_jit1": (ref + ["--jit", "1", *common(iters)], {}, "jit1"),
    }
    if torch_available:
        configs["ref_torch"] = ([sys.executable, str(BENCH / "reference_wgangp_torch.py"), *common(torch_iters)],
                                TORCH_ENV, "main")
    if torch_available == "cuda":  # the shared script runs on the CPU only; ours runs the same step on the GPU
        for compiled in (0, 1):
            configs[f"ref_torch_cuda_{'compile' if compiled else 'eager'}"] = (
                [sys.executable, str(TORCH_REFERENCES), "--workload", "wgangp", "--device", "cuda", "--compile",
                 str(compiled), *common(iters)], TORCH_ENV, "main")
    for p in policies:
        mixed = p != "float32"
        for jit in (0, 1):
            configs[f"ours_{p}_jit{jit}"] = (
                [sys.executable, __file__, "--worker", "--policy", p, "--jit", str(jit),
                 *(common(mixed_iters, 1) if mixed else common(iters))], {},
                "mixed" if mixed else ("jit1" if jit else "main"))
    if onednn:
        configs["ref_keras_jit0_onednn"] = (ref + ["--jit", "0", *common(iters)], ONEDNN, "main")
        configs["ours_float32_jit0_onednn"] = ([sys.executable, __file__, "--worker", "--policy", "float32", "--jit",
                                                "0", *common(iters)], ONEDNN, "main")
    for name, flags in extra:
        configs[name] = ([sys.executable, __file__, "--worker", "--policy", "float32", "--jit", "0", *flags,
                          *common(iters)], {}, "main")
    return configs


TORCH_REFERENCES = Path(__file__).resolve().parent / "torch_references.py"


def torch_device():
    """``None`` without torch, else ``"cuda"`` or ``"cpu"`` (asked in a subprocess: importing torch here would
    load its CPU thread pool into the driver)."""
    if importlib.util.find_spec("torch") is None:
        return None
    probe = subprocess.run([sys.executable, "-c", "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')"],
                           capture_output=True, text=True, timeout=300)
    return probe.stdout.strip().splitlines()[-1] if probe.returncode == 0 and probe.stdout.strip() else None


def workload_configurations(workloads, policy, torch, sngan_iters, sngan_batch, toy_iters, sngan_xla=True):
    """``{name: (argv, env, workload)}`` of the SNGAN ResNet-32 and toy-MLP configurations.

    SNGAN: ours float32 and ``policy`` with XLA off and on, against PyTorch eager (and ``torch.compile`` on CUDA)
    of ``torch_references.py``. Toy: ours with ``steps_per_execution`` 1 and 50, XLA off and on, fused and unfused
    critic (float32, XLA, 50 steps per execution), ``policy`` at 50 steps per execution, and the plain-TensorFlow
    floor (``run_plain_toy``) at 1 and 50 steps per call. ``sngan_xla=False`` leaves out ours with XLA on
    SNGAN (on a CPU an iteration takes minutes and XLA's convolutions are the slower ones there).
    """
    worker = [sys.executable, __file__, "--worker"]
    configs = {}
    if "sngan" in workloads:
        common = ["--workload", "sngan", "--iters", str(sngan_iters), "--warmup", "1", "--batch", str(sngan_batch)]
        for p in dict.fromkeys(["float32", policy]):
            for jit in (0, 1) if sngan_xla else (0,):
                configs[f"sngan_ours_{p}_jit{jit}"] = (worker + ["--policy", p, "--jit", str(jit), *common], {}, "sngan")
        if torch:
            reference = [sys.executable, str(TORCH_REFERENCES), "--workload", "sngan", "--device", torch,
                         "--iters", str(sngan_iters), "--warmup", "1"]
            reference += ["--batch", str(sngan_batch)]
            configs[f"sngan_torch_{torch}_eager"] = (reference + ["--compile", "0"], TORCH_ENV, "sngan")
            if torch == "cuda":
                configs["sngan_torch_cuda_compile"] = (reference + ["--compile", "1"], TORCH_ENV, "sngan")
    if "toy" in workloads:
        common = ["--workload", "toy", "--iters", str(toy_iters), "--warmup", "100"]
        for spe in (1, 50):
            for jit in (0, 1):
                configs[f"toy_float32_jit{jit}_spe{spe}"] = (
                    worker + ["--policy", "float32", "--jit", str(jit), "--steps-per-execution", str(spe), *common],
                    {}, "toy")
        for fuse, name in (("1", "fused"), ("0", "unfused")):  # both paths, whichever auto picks here
            configs[f"toy_float32_jit1_spe50_{name}"] = (
                worker + ["--policy", "float32", "--jit", "1", "--steps-per-execution", "50", "--fuse", fuse, *common],
                {}, "toy")
        for spe in (1, 50):  # the floor: the same step in plain TensorFlow (run_plain_toy)
            configs[f"toy_plain_jit0_spe{spe}"] = (
                worker + ["--impl", "reference", "--jit", "0", "--steps-per-execution", str(spe), *common], {}, "toy")
        if policy != "float32":
            for jit in (0, 1):
                configs[f"toy_{policy}_jit{jit}_spe50"] = (
                    worker + ["--policy", policy, "--jit", str(jit), "--steps-per-execution", "50", *common], {}, "toy")
    return configs


def summarise_workloads(samples, kinds):
    """Medians of the SNGAN and toy configurations and the ratios the README quotes."""
    medians = {name: statistics.median(v) for name, v in samples.items() if v and kinds.get(name) in ("sngan", "toy")}
    out = {"median_gen_iters_per_s": medians}
    sngan_ref = {k: v for k, v in medians.items() if k.startswith("sngan_torch")}
    if sngan_ref:
        best = max(sngan_ref, key=sngan_ref.get)
        out["sngan_best_reference"] = best
        out["sngan_ratio_to_best_reference"] = {k: v / sngan_ref[best] for k, v in medians.items()
                                                if k.startswith("sngan_ours")}
    toy = {k: v for k, v in medians.items() if k.startswith("toy_")}
    if toy:
        out["toy_ms_per_step"] = {k: 1000 / v for k, v in toy.items()}
        out["toy_spe50_speedup_over_spe1"] = {
            k[:-len("_spe1")]: toy[k[:-1] + "50"] / v for k, v in toy.items() if k.endswith("_spe1") and k[:-1] + "50" in toy}
        plain = {spe: toy.get(f"toy_plain_jit0_spe{spe}") for spe in (1, 50)}
        out["toy_ours_over_plain"] = {  # ours' time per step over the plain floor's (> 1: ours is slower)
            f"toy_float32_jit0_spe{spe}": plain[spe] / toy[f"toy_float32_jit0_spe{spe}"]
            for spe in (1, 50) if plain[spe] and f"toy_float32_jit0_spe{spe}" in toy}
        ours = {k: v for k, v in toy.items() if not k.startswith("toy_plain")}
        fastest = max(ours, key=ours.get)
        out["toy_fastest"], out["toy_fastest_ms_per_step"] = fastest, 1000 / ours[fastest]
    return out


SWEEP_SHAPES = {"dcgan": (28, 28, 1), "resnet": (32, 32, 1)}


def sweep(policies, families, iters, warmup=1):
    """Generator it/s of every zoo variant with its default nets of each family, per policy, XLA off."""
    import numpy as np
    import keras
    import tensorflow as tf

    from tfgan_zoo import zoo

    rows = []
    for p in policies:
        for family in families:
            shape = SWEEP_SHAPES[family]
            images = np.random.default_rng(0).uniform(-1, 1, (BATCH * 8,) + shape).astype("float32")
            for name in zoo.available_variants():
                keras.mixed_precision.set_global_policy(p)
                try:
                    model = zoo.build(name, shape, family=family, seed=0)
                    model.compile(jit_compile=False)
                    dataset = tf.data.Dataset.from_tensor_slices(images).batch(BATCH, drop_remainder=True).repeat()
                    model.fit(dataset, steps_per_epoch=warmup, epochs=1, verbose=0)
                    start = time.perf_counter()
                    history = model.fit(dataset, steps_per_epoch=iters, epochs=1, verbose=0)
                    rate = iters / (time.perf_counter() - start)
                    finite = all(all(map(lambda v: v == v, values)) for values in history.history.values())
                    rows.append({"variant": name, "family": family, "policy": p, "n_critic": model.n_critic,
                                 "gen_iters_per_s": rate, "fused_critic_passes": model.fuses_critic_passes,
                                 "finite_losses": finite})
                except Exception as error:  # report, keep sweeping
                    rows.append({"variant": name, "family": family, "policy": p,
                                 "error": f"{type(error).__name__}: {error}"[:300]})
                print(json.dumps(rows[-1]), flush=True)
    keras.mixed_precision.set_global_policy("float32")
    return rows


def _onednn_state():
    """``TF_ENABLE_ONEDNN_OPTS`` as set, or what TensorFlow's log said it picked by default."""
    if "TF_ENABLE_ONEDNN_OPTS" in os.environ:
        return f"TF_ENABLE_ONEDNN_OPTS={os.environ['TF_ENABLE_ONEDNN_OPTS']}"
    probe = subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True, text=True,
                           env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="0"), timeout=300)
    return "on by default" if "oneDNN custom operations are on" in probe.stderr else "off by default"


def machine():
    """:func:`_common.machine_record` (CPU, cores, vector flags, platform, load) plus what this benchmark depends
    on: torch's version, the oneDNN state, the GPUs and TensorFlow's version."""
    import tensorflow as tf

    from _common import machine_record

    torch_version = "absent"
    if importlib.util.find_spec("torch") is not None:
        from importlib.metadata import version

        torch_version = version("torch")
    gpus = tf.config.list_physical_devices("GPU")
    return {**machine_record(), "torch": torch_version, "onednn": _onednn_state(), "gpus": [g.name for g in gpus],
            "tensorflow": tf.__version__}


def summarise(samples, matmul, flops, policy):
    """Medians, the ratios to the best reference, achieved GFLOP/s and their fraction of the matmul.

    ``best_reference`` is the fastest reference configuration in any environment (oneDNN on or off), so that
    ``ratio_fastest_to_best_reference`` never compares ours in a faster environment with a slower reference;
    the same-environment ratios are listed as well.
    """
    medians = {name: statistics.median(v) for name, v in samples.items() if v}
    references = {k: v for k, v in medians.items() if k.startswith("ref_")}
    best_ref_name = max(references, key=references.get)
    best_ref = references[best_ref_name]
    default_refs = {k: v for k, v in references.items() if not k.endswith("_onednn")}
    best_default_ref = max(default_refs, key=default_refs.get)
    ours = {k: v for k, v in medians.items() if k.startswith("ours_")}
    f32 = max((k for k in ours if "float32" in k and not k.endswith("_onednn")), key=ours.get)
    fastest = max(ours, key=ours.get)
    ceiling = statistics.median(matmul)
    achieved = {k: v * flops["flops_per_generator_iteration"] / 1e9 for k, v in medians.items()}
    same_env = {}
    for k, v in ours.items():
        if k.endswith("_onednn"):
            if "ref_keras_jit0_onednn" in medians:
                same_env[k] = {"reference": "ref_keras_jit0_onednn", "ratio": v / medians["ref_keras_jit0_onednn"]}
        else:
            same_env[k] = {"reference": best_default_ref, "ratio": v / medians[best_default_ref]}
    return {
        "median_gen_iters_per_s": medians,
        "best_reference": best_ref_name,
        "best_reference_default_env": best_default_ref,
        "ratio_float32_to_best_reference": ours[f32] / medians[best_default_ref], "best_float32": f32,
        "ratio_fastest_to_best_reference": ours[fastest] / best_ref, "fastest": fastest,
        "ratio_same_environment": same_env,
        "ratio_to_ref_keras_same_jit": {k: v / medians[f"ref_keras_jit{k.split('_jit')[1][0]}"] for k, v in ours.items()
                                        if not k.endswith("_onednn") and f"ref_keras_jit{k.split('_jit')[1][0]}" in medians},
        "matmul_2048_float32_gflops": ceiling,
        "achieved_gflops": achieved,
        "fraction_of_matmul": {k: v / ceiling for k, v in achieved.items()},
        "mixed_policy": policy,
    }


def write_outputs(report):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "throughput.json").write_text(json.dumps(report, indent=2))
    s, m = report.get("summary"), report["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores (`lscpu`: {m.get('lscpu_flags', '')}), GPUs: {m['gpus'] or 'none'}, "
             f"TF {m['tensorflow']}, torch {m.get('torch', 'absent')}; load average at start "
             f"{m['load_average_at_start'][0]:.1f}, at end {report.get('load_average_at_end', [float('nan')])[0]:.1f} "
             f"(the machine is shared with other jobs: compare ratios within this run only); oneDNN "
             f"{m.get('onednn', 'default')}.", ""]
    if s is not None:
        lines += _wgangp_lines(report, s)
    lines += _workload_lines(report)
    (RESULTS / "throughput.md").write_text("\n".join(lines) + "\n")
    if s is not None:
        _plot(report, s)


def _workload_lines(report):
    """The SNGAN ResNet-32 and toy-MLP tables of throughput.md."""
    w = report.get("workload_summary") or {}
    medians = w.get("median_gen_iters_per_s", {})
    lines = []
    sngan = {k: v for k, v in medians.items() if k.startswith("sngan_")}
    if sngan:
        ratios = w.get("sngan_ratio_to_best_reference", {})
        lines += ["", f"SNGAN ResNet-32 (32x32x3, generator 256 / critic 128 channels, spectral norm, hinge, batch "
                  f"{report.get('sngan_batch', BATCH)}, n_critic {N_CRITIC}; {report.get('sngan_iters')} iterations "
                  f"after 1 warm-up, {report.get('sngan_rounds')} round(s)); PyTorch reference: "
                  "`benchmarks/torch_references.py --workload sngan` (StudioGAN-style modules):", "",
                  "| configuration | gen it/s (median) | runs | vs best PyTorch |", "|---|---|---|---|"]
        for name, value in sngan.items():
            runs = ", ".join(f"{v:.4f}" for v in report["samples"][name])
            ratio = f"{ratios[name]:.2f}x" if name in ratios else ""
            lines.append(f"| {name} | {value:.4f} | {runs} | {ratio} |")
    toy = {k: v for k, v in medians.items() if k.startswith("toy_")}
    if toy:
        lines += ["", f"Toy MLP steps (`recipes.resolve(\"gan\", \"toy\")`: 3x128 MLPs, batch {TOY_BATCH}, pre-batched "
                  f"points; {report.get('toy_iters')} steps after warm-up, {report['rounds']} round(s)):", "",
                  "| configuration | ms per step (median) | runs (ms) |", "|---|---|---|"]
        for name, value in toy.items():
            runs = ", ".join(f"{1000 / v:.2f}" for v in report["samples"][name])
            lines.append(f"| {name} | {1000 / value:.2f} | {runs} |")
        speedups = "; ".join(f"{k}: {v:.2f}x" for k, v in w.get("toy_spe50_speedup_over_spe1", {}).items())
        floor = "; ".join(f"{k}: {v:.2f}x the plain step's time" for k, v in w.get("toy_ours_over_plain", {}).items())
        lines += ["", f"steps_per_execution 50 over 1, per step: {speedups}. Fastest of ours: {w.get('toy_fastest')} "
                  f"({w.get('toy_fastest_ms_per_step', float('nan')):.2f} ms per step)."
                  + (f" Against the same step in plain TensorFlow (`toy_plain_*`, `run_plain_toy`): {floor}." if floor
                     else "")]
    return lines


def _wgangp_lines(report, s):
    """The reference-workload table of throughput.md."""
    lines = [f"Workload: WGAN-GP, the reference DCGAN-style 28x28x1 nets, batch {BATCH}, n_critic {N_CRITIC}, "
             f"lambda {GP_WEIGHT:g}, Adam(1e-4, 0, 0.9). Each configuration runs in a fresh process; "
             f"{report['rounds']} interleaved rounds; median kept. Iterations per run after warm-up: "
             f"{report['iters']} (warm-up {report['warmup']}); PyTorch {report.get('torch_iters', report['iters'])}; the "
             f"XLA (jit1) runs in {report.get('jit1_rounds', report['rounds'])} round(s) and the mixed policy "
             f"({report['mixed_iters']} iterations, warm-up 1) in {report['mixed_rounds']} round(s) only, to fit "
             f"the run in its time (both are far slower on this CPU). Wall time {report.get('wall_minutes', 0):.0f} "
             "min.", "",
             "| configuration | gen it/s (median) | runs | vs best reference | GFLOP/s | of 2048² matmul |",
             "|---|---|---|---|---|---|"]
    best = s["median_gen_iters_per_s"][s["best_reference"]]
    for name, value in s["median_gen_iters_per_s"].items():
        runs = ", ".join(f"{v:.3f}" for v in report["samples"][name])
        lines.append(f"| {name} | {value:.3f} | {runs} | {value / best:.2f}x | {s['achieved_gflops'][name]:.1f} | "
                     f"{100 * s['fraction_of_matmul'][name]:.0f} % |")
    same = "; ".join(f"{k} / {v['reference']} = {v['ratio']:.2f}x" for k, v in s["ratio_same_environment"].items())
    lines += ["", f"Best reference: {s['best_reference']} (default environment: {s['best_reference_default_env']}).",
              f"Ours / best reference: float32 ({s['best_float32']}) {s['ratio_float32_to_best_reference']:.2f}x "
              f"(target 1.1x); fastest configuration ({s['fastest']}) / best reference in any environment "
              f"{s['ratio_fastest_to_best_reference']:.2f}x (target 1.5x).",
              f"Same environment: {same}.",
              f"2048² float32 matmul (TensorFlow, default environment, median over rounds): "
              f"{s['matmul_2048_float32_gflops']:.0f} GFLOP/s; "
              f"{report['flops']['flops_per_generator_iteration'] / 1e9:.1f} GFLOP per generator iteration "
              "(analytic count of the useful convolution and dense work, see flops_per_generator_iteration)."]
    if report.get("sweep"):
        opts = report["sweep_options"]
        lines += ["", f"Sweep ({report.get('sweep_minutes', 0):.0f} min; reduced: policies {', '.join(opts['policies'])}, families {', '.join(opts['families'])}, "
                  f"{opts['iters']} iteration(s) after 1 warm-up, XLA off, one process; indicative only):", "",
                  "| variant | family | policy | n_critic | gen it/s | fused critic passes | finite |",
                  "|---|---|---|---|---|---|---|"]
        for row in report["sweep"]:
            value = f"{row['gen_iters_per_s']:.3f}" if "gen_iters_per_s" in row else row["error"]
            lines.append(f"| {row['variant']} | {row['family']} | {row['policy']} | {row.get('n_critic', '')} | {value} | "
                         f"{row.get('fused_critic_passes', '')} | {row.get('finite_losses', '')} |")
    return lines


def _plot(report, s):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best = s["median_gen_iters_per_s"][s["best_reference"]]
    names = list(s["median_gen_iters_per_s"])
    if not names:
        return
    values = [s["median_gen_iters_per_s"][n] for n in names]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    colors = ["tab:gray" if n.startswith("ref_") else "tab:blue" for n in names]
    ax.bar(range(len(names)), values, color=colors)
    for i, name in enumerate(names):
        samples = report["samples"][name]
        ax.plot([i] * len(samples), samples, "k.", markersize=3)
    ax.axhline(best, color="tab:red", linestyle="--", linewidth=1, label=f"best reference ({s['best_reference']})")
    ax.set_xticks(range(len(names)), [n.replace("mixed_bfloat16", "bf16") for n in names], rotation=30, ha="right",
                  fontsize=7)
    ax.set_ylabel("generator it/s", fontsize=8)
    ax.set_title("WGAN-GP, reference workload (median; dots = rounds)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / "throughput.png", dpi=80)


def main(argv=None):
    global RESULTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iters", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--mixed-iters", type=int, default=2, help="iterations of the mixed-policy runs")
    parser.add_argument("--mixed-rounds", type=int, default=1, help="rounds that include the mixed policy")
    parser.add_argument("--jit1-rounds", type=int, default=None,
                        help="rounds that include the XLA (jit1) runs (default: all on a GPU, 1 on a CPU)")
    parser.add_argument("--workloads", default="wgangp,sngan,toy",
                        help="comma-separated: wgangp (the reference workload), sngan (ResNet-32), toy (MLP steps)")
    parser.add_argument("--sngan-iters", type=int, default=4)
    parser.add_argument("--sngan-rounds", type=int, default=None, help="rounds with SNGAN (default: all)")
    parser.add_argument("--sngan-batch", type=int, default=BATCH,
                        help="critic batch on SNGAN, ours and PyTorch (64 is the workload; less to fit a CPU run)")
    parser.add_argument("--toy-iters", type=int, default=1000)
    parser.add_argument("--results", default=str(RESULTS), help="folder for throughput.json/.md/.png")
    parser.add_argument("--sngan-xla", type=int, default=None, help="also ours with XLA on SNGAN (default: on a GPU)")
    parser.add_argument("--torch-iters", type=int, default=4, help="iterations of the PyTorch reference")
    parser.add_argument("--sweep-only", action="store_true",
                        help="run only the sweep and add it to an existing benchmarks/results/throughput.json")
    parser.add_argument("--no-mixed", action="store_true",
                        help="time ours in float32 only (bfloat16 on a CPU without avx512_bf16 is emulated, very slow)")
    parser.add_argument("--no-onednn", action="store_true", help="skip the TF_ENABLE_ONEDNN_OPTS=1 pair")
    parser.add_argument("--steps-per-execution-probe", action="store_true",
                        help="also time ours float32 with steps_per_execution=5 (host round trips)")
    parser.add_argument("--unfused-probe", action="store_true",
                        help="also time ours float32 with fuse_critic_passes=False")
    parser.add_argument("--fusion-probe", action="store_true",
                        help="also time ours float32 on the critic path that fuse_critic_passes='auto' does not take "
                        "here (fused on a CPU, unfused on a GPU), XLA off and on")
    parser.add_argument("--sweep", action="store_true", help="also time every zoo variant x net family (slow)")
    parser.add_argument("--sweep-policies", default="float32", help="comma-separated, e.g. float32,mixed_bfloat16")
    parser.add_argument("--sweep-families", default="dcgan,resnet")
    parser.add_argument("--sweep-iters", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--policy", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--jit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--steps-per-execution", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--fuse", default="auto", choices=["auto", "0", "1"], help=argparse.SUPPRESS)
    parser.add_argument("--impl", default="ours", choices=["ours", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--workload", default="wgangp", choices=["wgangp", "sngan", "toy"], help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=BATCH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    RESULTS = Path(args.results)

    if args.worker:
        fuse = {"auto": "auto", "0": False, "1": True}[args.fuse]
        if args.impl == "reference" and args.workload == "toy":
            result = run_plain_toy(args.jit, args.iters, args.warmup, args.steps_per_execution)
        elif args.impl == "reference":
            result = run_reference(args.jit, args.iters, args.warmup)
        elif args.workload == "sngan":
            result = run_ours_sngan(args.policy, args.jit, args.iters, args.warmup, fuse, args.batch)
        elif args.workload == "toy":
            result = run_ours_toy(args.policy, args.jit, args.iters, args.warmup, args.steps_per_execution, fuse)
        else:
            result = run_ours(args.policy, args.jit, args.iters, args.warmup, args.steps_per_execution, fuse)
        print(json.dumps(result))
        return

    began = time.perf_counter()
    if args.sweep_only:
        report = json.loads((RESULTS / "throughput.json").read_text())
        report["sweep_options"] = {"policies": args.sweep_policies.split(","),
                                   "families": args.sweep_families.split(","), "iters": args.sweep_iters}
        report["sweep"] = sweep(report["sweep_options"]["policies"], report["sweep_options"]["families"],
                                args.sweep_iters)
        report["sweep_minutes"] = (time.perf_counter() - began) / 60
        write_outputs(report)
        return
    torch = torch_device()
    policy = mixed_policy()
    gpu = policy == "mixed_float16"
    workloads = args.workloads.split(",")
    extra = []
    if args.steps_per_execution_probe:
        extra.append(("ours_float32_jit0_spe5", ["--steps-per-execution", "5"]))
    if args.unfused_probe:
        extra.append(("ours_float32_jit0_unfused", ["--fuse", "0"]))
    if args.fusion_probe:  # the path that fuse_critic_passes="auto" does not take on this device
        name, fuse = ("unfused", "0") if gpu else ("fused", "1")
        extra += [(f"ours_float32_jit{jit}_{name}", ["--fuse", fuse, "--jit", str(jit)]) for jit in (0, 1)
                  if jit == 0 or gpu]  # on a CPU the XLA pair measured equal (README)
    policies = ["float32"] if args.no_mixed else ["float32", policy]
    configs = {}
    if "wgangp" in workloads:
        configs = configurations(policies, args.iters, args.warmup, args.mixed_iters, args.torch_iters, torch,
                                 not args.no_onednn, extra)
    configs.update(workload_configurations(workloads, "float32" if args.no_mixed else policy, torch, args.sngan_iters,
                                           args.sngan_batch, args.toy_iters,
                                           gpu if args.sngan_xla is None else bool(args.sngan_xla)))
    jit1_rounds = args.jit1_rounds if args.jit1_rounds is not None else (args.rounds if gpu else 1)
    rounds_of = {"main": args.rounds, "jit1": min(jit1_rounds, args.rounds),
                 "mixed": min(args.mixed_rounds, args.rounds), "toy": args.rounds,
                 "sngan": min(args.sngan_rounds or args.rounds, args.rounds)}
    report = {"machine": machine(), "rounds": args.rounds, "iters": args.iters, "warmup": args.warmup,
              "mixed_iters": args.mixed_iters, "mixed_rounds": rounds_of["mixed"], "jit1_rounds": rounds_of["jit1"],
              "torch_iters": args.torch_iters, "torch_device": torch, "workloads": workloads,
              "sngan_iters": args.sngan_iters, "sngan_batch": args.sngan_batch, "sngan_rounds": rounds_of["sngan"],
              "toy_iters": args.toy_iters, "kinds": {name: kind for name, (_, _, kind) in configs.items()},
              "flops": flops_per_generator_iteration(), "samples": {name: [] for name in configs}, "matmul": [],
              "environments": {name: env for name, (_, env, _) in configs.items()}, "raw": []}
    for round_index in range(args.rounds):
        report["matmul"].append(matmul_gflops())
        order = list(configs.items())
        if round_index % 2:  # alternate the order so that no configuration always follows the same one
            order.reverse()
        for name, (command, env, kind) in order:
            if round_index >= rounds_of[kind]:
                continue
            started = time.perf_counter()
            result = run_process(command, env_extra=env)
            if result is not None:
                report["samples"][name].append(result["gen_iters_per_s"])
                report["raw"].append({"round": round_index, "config": name, "process_seconds":
                                      time.perf_counter() - started, **result})
            print(f"round {round_index} {name}: {result and round(result['gen_iters_per_s'], 4)} "
                  f"({time.perf_counter() - began:.0f} s elapsed)", flush=True)
    kinds = report["kinds"]
    wgangp = {k: v for k, v in report["samples"].items() if kinds[k] not in ("sngan", "toy")}
    if wgangp:
        report["summary"] = summarise(wgangp, report["matmul"], report["flops"], policy)
    report["workload_summary"] = summarise_workloads(report["samples"], kinds)
    if args.sweep:
        report["sweep_options"] = {"policies": args.sweep_policies.split(","),
                                   "families": args.sweep_families.split(","), "iters": args.sweep_iters}
        sweep_began = time.perf_counter()
        report["sweep"] = sweep(report["sweep_options"]["policies"], report["sweep_options"]["families"],
                                args.sweep_iters)
        report["sweep_minutes"] = (time.perf_counter() - sweep_began) / 60
    report["load_average_at_end"] = os.getloadavg()
    report["wall_minutes"] = (time.perf_counter() - began) / 60
    write_outputs(report)
    print(json.dumps({k: report.get(k) for k in ("summary", "workload_summary")}, indent=2))


if __name__ == "__main__":
    main()
