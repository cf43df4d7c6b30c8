"""Training throughput of tfgan_zoo's WGANGP against the reference WGAN-GP workloads, in one run.

    python benchmarks/throughput.py [--rounds 3] [--iters 20] [--warmup 3] [--sweep]

The workload is fixed by ``../shared/bench/`` (beside the repository): the DCGAN-style 28x28x1 nets of
``reference_wgangp_keras.py`` (imported from that file, so the nets are identical), batch 64, ``n_critic = 5``,
gradient-penalty weight 10, Adam(1e-4, beta=(0, 0.9)), synthetic uniform data through ``tf.data``.

Each configuration runs in its own fresh process (the references are run as their own scripts and report one
JSON line; ours through this file's ``--worker`` mode), and the configurations are interleaved over
``rounds`` rounds so that the load of a shared machine hits every one alike; the median generator
iterations per second of each configuration is kept. Configurations:

* ``ref_keras_jit0`` / ``ref_keras_jit1``: the Keras-tutorial-style WGAN-GP without / with XLA;
* ``ref_torch``: the same workload in PyTorch eager (skipped when torch is not installed: ``pip install
  .[bench]``);
* ``ours_<policy>_jit<0|1>``: ``tfgan_zoo.models.WGANGP`` on the same nets, for ``float32`` and the mixed
  policy that suits the device (``mixed_bfloat16`` on CPU, ``mixed_float16`` with loss scaling on GPU).

Achieved GFLOP/s use an analytic count (multiply-adds of the Dense/Conv/ConvTranspose layers, times 2, times
the passes listed in :func:`flops_per_generator_iteration`) and are quoted as a fraction of a 2048x2048
float32 matmul timed in the same run (once per round, median).

``--sweep`` additionally times every zoo variant with its default DCGAN nets (28x28x1) in one process
(float32 and the mixed policy, XLA off), fewer iterations.

Writes ``benchmarks/results/throughput.json``, ``throughput.md`` and ``throughput.png``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

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


def run_ours(policy, jit, iters, warmup, steps_per_execution=1):
    """Generator iterations per second of WGANGP on the reference nets, timed as the reference times itself."""
    import keras

    from tfgan_zoo.models.wgan import WGANGP

    keras.mixed_precision.set_global_policy(policy)
    reference = load_reference_module()
    model = WGANGP(reference.generator(), reference.critic(), n_critic=N_CRITIC, penalty_weight=GP_WEIGHT, seed=0)
    model.compile(jit_compile=bool(jit), steps_per_execution=steps_per_execution)
    dataset = _synthetic_dataset()
    model.fit(dataset, steps_per_epoch=warmup, epochs=1, verbose=0)
    start = time.perf_counter()
    history = model.fit(dataset, steps_per_epoch=iters, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    losses = {k: float(v[-1]) for k, v in history.history.items()}
    return {"impl": "tfgan_zoo", "policy": policy, "jit": int(jit), "gen_iters_per_s": iters / seconds,
            "losses": losses}


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


def run_process(args, timeout=900):
    """Runs ``args`` in a fresh process and returns the JSON line it printed last (None on failure)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    if result.returncode != 0:
        print(f"FAILED: {' '.join(args)}\n{result.stderr[-3000:]}", file=sys.stderr)
        return None
    return _last_json_line(result.stdout)


def configurations(policies, iters, warmup, torch_available, extra):
    """``{name: argv}`` of every configuration, in the order of one round."""
    common = ["--iters", str(iters), "--warmup", str(warmup)]
    configs = {
        "ref_keras_jit0": [sys.executable, str(BENCH / "reference_wgangp_keras.py"), "--jit", "0", *common],
        "ref_keras_jit1": [sys.executable, str(BENCH / "reference_wgangp_keras.py"), "--jit", "1", *common],
    }
    if torch_available:
        configs["ref_torch"] = [sys.executable, str(BENCH / "reference_wgangp_torch.py"), *common]
    for p in policies:
        for jit in (0, 1):
            configs[f"ours_{p}_jit{jit}"] = [sys.executable, __file__, "--worker", "--policy", p, "--jit", str(jit),
                                            *common]
    for name, spe in extra:
        configs[name] = [sys.executable, __file__, "--worker", "--policy", "float32", "--jit", "0",
                         "--steps-per-execution", str(spe), *common]
    return configs


def sweep(policy, iters, warmup):
    """Generator it/s of every zoo variant with default 28x28x1 DCGAN nets, float32 and ``policy``, XLA off."""
    import keras

    from tfgan_zoo import zoo

    rows = []
    for p in ("float32", policy):
        for name in zoo.available_variants():
            keras.mixed_precision.set_global_policy(p)
            try:
                model = zoo.build(name, (28, 28, 1), seed=0)
                model.compile(jit_compile=False)
                dataset = _synthetic_dataset()
                model.fit(dataset, steps_per_epoch=warmup, epochs=1, verbose=0)
                start = time.perf_counter()
                history = model.fit(dataset, steps_per_epoch=iters, epochs=1, verbose=0)
                rate = iters / (time.perf_counter() - start)
                finite = all(all(map(lambda v: v == v, values)) for values in history.history.values())
                rows.append({"variant": name, "policy": p, "gen_iters_per_s": rate, "finite_losses": finite})
            except Exception as error:  # report, keep sweeping
                rows.append({"variant": name, "policy": p, "error": f"{type(error).__name__}: {error}"[:300]})
            print(json.dumps(rows[-1]), flush=True)
    keras.mixed_precision.set_global_policy("float32")
    return rows


def machine():
    import tensorflow as tf

    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = tf.config.list_physical_devices("GPU")
    return {"cpu": cpu, "cores": os.cpu_count(), "gpus": [g.name for g in gpus], "platform": platform.platform(),
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "load_average_at_start": os.getloadavg()}


def summarise(samples, matmul, flops, policy):
    medians = {name: statistics.median(v) for name, v in samples.items() if v}
    references = {k: v for k, v in medians.items() if k.startswith("ref_")}
    best_ref_name = max(references, key=references.get)
    best_ref = references[best_ref_name]
    ours = {k: v for k, v in medians.items() if k.startswith("ours_")}
    f32 = max((k for k in ours if "float32" in k), key=ours.get)
    fastest = max(ours, key=ours.get)
    ceiling = statistics.median(matmul)
    achieved = {k: v * flops["flops_per_generator_iteration"] / 1e9 for k, v in medians.items()}
    return {
        "median_gen_iters_per_s": medians,
        "best_reference": best_ref_name,
        "ratio_float32_to_best_reference": ours[f32] / best_ref, "best_float32": f32,
        "ratio_fastest_to_best_reference": ours[fastest] / best_ref, "fastest": fastest,
        "ratio_to_ref_keras_same_jit": {k: v / medians[f"ref_keras_jit{k.split('_jit')[1][0]}"] for k, v in ours.items()
                                        if f"ref_keras_jit{k.split('_jit')[1][0]}" in medians},
        "matmul_2048_float32_gflops": ceiling,
        "achieved_gflops": achieved,
        "fraction_of_matmul": {k: v / ceiling for k, v in achieved.items()},
        "mixed_policy": policy,
    }


def write_outputs(report):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "throughput.json").write_text(json.dumps(report, indent=2))
    s = report["summary"]
    lines = [f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
             f"GPUs: {report['machine']['gpus'] or 'none'}, TF {report['machine']['tensorflow']}; "
             f"load average at start {report['machine']['load_average_at_start'][0]:.1f} (shared, noisy machine: "
             f"compare ratios within this run only).", "",
             f"Workload: WGAN-GP, reference DCGAN-style 28x28x1 nets, batch {BATCH}, n_critic {N_CRITIC}, "
             f"lambda {GP_WEIGHT:g}; median of {report['rounds']} interleaved rounds x {report['iters']} generator "
             "iterations.", "",
             "| configuration | gen it/s (median) | runs | vs best reference | GFLOP/s | of 2048² matmul |",
             "|---|---|---|---|---|---|"]
    best = s["median_gen_iters_per_s"][s["best_reference"]]
    for name, value in s["median_gen_iters_per_s"].items():
        runs = ", ".join(f"{v:.2f}" for v in report["samples"][name])
        lines.append(f"| {name} | {value:.2f} | {runs} | {value / best:.2f}x | {s['achieved_gflops'][name]:.0f} | "
                     f"{100 * s['fraction_of_matmul'][name]:.0f} % |")
    lines += ["", f"Best reference: {s['best_reference']}. Ours/best reference: float32 ({s['best_float32']}) "
              f"{s['ratio_float32_to_best_reference']:.2f}x (target 1.1x); fastest policy ({s['fastest']}) "
              f"{s['ratio_fastest_to_best_reference']:.2f}x (target 1.5x).",
              f"2048² float32 matmul: {s['matmul_2048_float32_gflops']:.0f} GFLOP/s; "
              f"{report['flops']['flops_per_generator_iteration'] / 1e9:.1f} GFLOP per generator iteration "
              "(analytic, see flops_per_generator_iteration)."]
    if report.get("sweep"):
        lines += ["", "| variant | policy | gen it/s | finite |", "|---|---|---|---|"]
        for row in report["sweep"]:
            value = f"{row['gen_iters_per_s']:.2f}" if "gen_iters_per_s" in row else row["error"]
            lines.append(f"| {row['variant']} | {row['policy']} | {value} | {row.get('finite_losses', '')} |")
    (RESULTS / "throughput.md").write_text("\n".join(lines) + "\n")

    names = list(s["median_gen_iters_per_s"])
    values = [s["median_gen_iters_per_s"][n] for n in names]
    fig, ax = plt.subplots(figsize=(9, 4))
    colors = ["tab:gray" if n.startswith("ref_") else "tab:blue" for n in names]
    ax.bar(names, values, color=colors)
    for i, name in enumerate(names):
        samples = report["samples"][name]
        ax.plot([i] * len(samples), samples, "k.", markersize=4)
    ax.axhline(best, color="tab:red", linestyle="--", linewidth=1, label=f"best reference ({s['best_reference']})")
    ax.set_ylabel("generator iterations / s")
    ax.set_title("WGAN-GP throughput, reference workload (median, dots = rounds)")
    ax.legend()
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(RESULTS / "throughput.png", dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sweep", action="store_true", help="also time every zoo variant (slow)")
    parser.add_argument("--no-mixed", action="store_true",
                        help="time ours in float32 only (bfloat16 on a CPU without avx512_bf16 is emulated, very slow)")
    parser.add_argument("--steps-per-execution-probe", action="store_true",
                        help="also time ours float32 with steps_per_execution=5 (host round trips)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--policy", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--jit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--steps-per-execution", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(run_ours(args.policy, args.jit, args.iters, args.warmup, args.steps_per_execution)))
        return

    torch_available = importlib.util.find_spec("torch") is not None
    policy = mixed_policy()
    extra = [("ours_float32_jit0_spe5", 5)] if args.steps_per_execution_probe else []
    policies = ["float32"] if args.no_mixed else ["float32", policy]
    configs = configurations(policies, args.iters, args.warmup, torch_available, extra)
    report = {"machine": machine(), "rounds": args.rounds, "iters": args.iters, "warmup": args.warmup,
              "flops": flops_per_generator_iteration(), "samples": {name: [] for name in configs}, "matmul": [],
              "raw": []}
    for round_index in range(args.rounds):
        report["matmul"].append(matmul_gflops())
        for name, command in configs.items():
            result = run_process(command)
            if result is not None:
                report["samples"][name].append(result["gen_iters_per_s"])
                report["raw"].append({"round": round_index, "config": name, **result})
            print(f"round {round_index} {name}: {result and round(result['gen_iters_per_s'], 3)}", flush=True)
    report["summary"] = summarise(report["samples"], report["matmul"], report["flops"], policy)
    if args.sweep:
        report["sweep"] = sweep(policy, max(2, args.iters // 4), 1)
    write_outputs(report)
    print(json.dumps(report["summary"], indent=2))


if __name__ == "__main__":
    main()
