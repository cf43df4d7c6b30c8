"""Training throughput of tfgan_zoo's WGANGP against the reference WGAN-GP workloads, in one run.

    python benchmarks/throughput.py [--rounds 3] [--iters 12] [--warmup 2] [--mixed-iters 2 --mixed-rounds 1]
                                    [--no-onednn] [--sweep --sweep-policies float32 --sweep-iters 2]

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


def run_ours(policy, jit, iters, warmup, steps_per_execution=1, fuse="auto"):
    """Generator iterations per second of WGANGP on the reference nets, timed as the reference times itself."""
    import keras

    from tfgan_zoo.models.wgan import WGANGP

    keras.mixed_precision.set_global_policy(policy)
    reference = load_reference_module()
    model = WGANGP(reference.generator(), reference.critic(), n_critic=N_CRITIC, penalty_weight=GP_WEIGHT, seed=0,
                   fuse_critic_passes=fuse)
    model.compile(jit_compile=bool(jit), steps_per_execution=steps_per_execution)
    dataset = _synthetic_dataset()
    model.fit(dataset, steps_per_epoch=warmup, epochs=1, verbose=0)
    start = time.perf_counter()
    history = model.fit(dataset, steps_per_epoch=iters, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    losses = {k: float(v[-1]) for k, v in history.history.items()}
    return {"impl": "tfgan_zoo", "policy": policy, "jit": int(jit), "gen_iters_per_s": iters / seconds,
            "fused_critic_passes": model.fuses_critic_passes, "steps_per_execution": steps_per_execution,
            "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"), "losses": losses}


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


def configurations(policies, iters, warmup, mixed_iters, torch_iters, torch_available, onednn, extra):
    """``{name: (argv, extra environment, kind)}`` of every configuration, in a round's order.

    ``kind`` is ``"main"``, ``"jit1"`` or ``"mixed"``: the last two run only in the first rounds (see ``main``).
    """
    def common(n, w=warmup):
        return ["--iters", str(n), "--warmup", str(w)]

    ref = [sys.executable, str(BENCH / "reference_wgangp_keras.py")]
    configs = {
        "ref_keras_jit0": (ref + ["--jit", "0", *common(iters)], {}, "main"),
        "ref_keras_jit1": (ref + ["--jit", "1", *common(iters)], {}, "jit1"),
    }
    if torch_available:
        configs["ref_torch"] = ([sys.executable, str(BENCH / "reference_wgangp_torch.py"), *common(torch_iters)], {},
                                "main")
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
    flags = ""
    try:
        text = open("/proc/cpuinfo").read()
        flags = ", ".join(f"{f} {'yes' if f' {f}' in text else 'no'}" for f in ("avx2", "avx512f", "avx512_bf16"))
    except OSError:
        pass
    torch_version = "absent"
    if importlib.util.find_spec("torch") is not None:
        from importlib.metadata import version

        torch_version = version("torch")
    gpus = tf.config.list_physical_devices("GPU")
    return {"cpu": cpu, "cores": os.cpu_count(), "lscpu_flags": flags, "torch": torch_version,
            "gpus": [g.name for g in gpus], "platform": platform.platform(),
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "load_average_at_start": os.getloadavg()}


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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "throughput.json").write_text(json.dumps(report, indent=2))
    s, m = report["summary"], report["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores (`lscpu`: {m.get('lscpu_flags', '')}), GPUs: {m['gpus'] or 'none'}, "
             f"TF {m['tensorflow']}, torch {m.get('torch', 'absent')}; load average at start "
             f"{m['load_average_at_start'][0]:.1f}, at end {report.get('load_average_at_end', [float('nan')])[0]:.1f} "
             "(the machine is shared with other jobs: compare ratios within this run only).", "",
             f"Workload: WGAN-GP, the reference DCGAN-style 28x28x1 nets, batch {BATCH}, n_critic {N_CRITIC}, "
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
    (RESULTS / "throughput.md").write_text("\n".join(lines) + "\n")

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iters", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--mixed-iters", type=int, default=2, help="iterations of the mixed-policy runs")
    parser.add_argument("--mixed-rounds", type=int, default=1, help="rounds that include the mixed policy")
    parser.add_argument("--jit1-rounds", type=int, default=1, help="rounds that include the XLA (jit1) runs")
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
    parser.add_argument("--sweep", action="store_true", help="also time every zoo variant x net family (slow)")
    parser.add_argument("--sweep-policies", default="float32", help="comma-separated, e.g. float32,mixed_bfloat16")
    parser.add_argument("--sweep-families", default="dcgan,resnet")
    parser.add_argument("--sweep-iters", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--policy", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--jit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--steps-per-execution", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--fuse", default="auto", choices=["auto", "0", "1"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        fuse = {"auto": "auto", "0": False, "1": True}[args.fuse]
        print(json.dumps(run_ours(args.policy, args.jit, args.iters, args.warmup, args.steps_per_execution, fuse)))
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
    torch_available = importlib.util.find_spec("torch") is not None
    policy = mixed_policy()
    extra = []
    if args.steps_per_execution_probe:
        extra.append(("ours_float32_jit0_spe5", ["--steps-per-execution", "5"]))
    if args.unfused_probe:
        extra.append(("ours_float32_jit0_unfused", ["--fuse", "0"]))
    policies = ["float32"] if args.no_mixed else ["float32", policy]
    configs = configurations(policies, args.iters, args.warmup, args.mixed_iters, args.torch_iters, torch_available,
                             not args.no_onednn, extra)
    rounds_of = {"main": args.rounds, "jit1": min(args.jit1_rounds, args.rounds),
                 "mixed": min(args.mixed_rounds, args.rounds)}
    report = {"machine": machine(), "rounds": args.rounds, "iters": args.iters, "warmup": args.warmup,
              "mixed_iters": args.mixed_iters, "mixed_rounds": rounds_of["mixed"], "jit1_rounds": rounds_of["jit1"],
              "torch_iters": args.torch_iters,
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
    report["summary"] = summarise(report["samples"], report["matmul"], report["flops"], policy)
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
    print(json.dumps(report["summary"], indent=2))


if __name__ == "__main__":
    main()
