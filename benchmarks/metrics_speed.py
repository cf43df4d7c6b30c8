"""Speed, accuracy and memory of tfgan_zoo.metrics' FID, and the MNIST real-vs-real baseline.

    python benchmarks/metrics_speed.py [--samples 10000] [--dim 2048] [--repeats 3] [--sections speed,memory,mnist]

1. FID on ``dim``-d random correlated Gaussian features (``samples`` per side), ours
   (:class:`FeatureStatistics` + :func:`frechet_distance`) against the numpy/scipy reference that
   pytorch-fid uses (``np.cov`` + ``scipy.linalg.sqrtm(Σ1 @ Σ2)``), interleaved in one run, median of
   ``repeats``: the distance alone (from the same mean/covariance) and end to end (from the features).
   Target: >= 5x faster at <= 1e-4 relative difference.
2. Peak memory of streaming FID statistics and the distance over 5,000 and 50,000 generated features of
   ``dim`` dimensions (a fresh process each; peak RSS reset after the imports). Target: within 10 %.
3. The MNIST baseline: FID / KID / IS / precision / recall between two disjoint random halves (2,500 each) of
   the 5,000 embedded digits with the offline classifier, over 5 random splits.

Writes ``benchmarks/results/metrics_speed.json`` and ``metrics_speed.png``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from _common import machine_record

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def random_features(n, dim, seed, shift=0.0):
    """``[n, dim]`` float32 Gaussian features with a random covariance (a random mixing matrix)."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(dim, dim)).astype(np.float32) / np.sqrt(dim)
    return (rng.standard_normal((n, dim), dtype=np.float32) @ mixing + shift).astype(np.float32)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def speed(samples, dim, repeats):
    from tfgan_zoo.metrics.scores import frechet_distance
    from tfgan_zoo.metrics.scores import sqrtm_frechet_distance as reference_fid  # pytorch-fid's formula
    from tfgan_zoo.metrics.statistics import FeatureStatistics

    real = random_features(samples, dim, 0)
    fake = random_features(samples, dim, 1, shift=0.05)
    ref_stats = [(f.astype(np.float64).mean(0), np.cov(f.astype(np.float64), rowvar=False)) for f in (real, fake)]
    rows = {"ours_distance": [], "reference_distance": [], "ours_end_to_end": [], "reference_end_to_end": []}
    values = {}
    for _ in range(repeats):  # interleaved, so load changes on the machine hit both sides alike
        t, values["ours"] = timed(lambda: frechet_distance(*ref_stats[0], *ref_stats[1]))
        rows["ours_distance"].append(t)
        t, values["reference"] = timed(lambda: reference_fid(*ref_stats[0], *ref_stats[1]))
        rows["reference_distance"].append(t)
        t, _ = timed(lambda: frechet_distance(FeatureStatistics.from_features(real, 1000),
                                              FeatureStatistics.from_features(fake, 1000)))
        rows["ours_end_to_end"].append(t)
        t, _ = timed(lambda: reference_fid(*[x for f in (real, fake) for x in
                                             (f.astype(np.float64).mean(0), np.cov(f.astype(np.float64), rowvar=False))]))
        rows["reference_end_to_end"].append(t)
    median = {k: statistics.median(v) for k, v in rows.items()}
    return {
        "samples_per_side": samples, "dim": dim, "repeats": repeats, "seconds": rows, "median_seconds": median,
        "speedup_distance": median["reference_distance"] / median["ours_distance"],
        "speedup_end_to_end": median["reference_end_to_end"] / median["ours_end_to_end"],
        "fid_ours": values["ours"], "fid_reference": values["reference"],
        "relative_difference": abs(values["ours"] - values["reference"]) / abs(values["reference"]),
    }


def _status_mib(field):
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024  # kB -> MiB


def memory_child(samples, dim, batch):
    """Runs in a fresh process: streams ``samples`` features per side and prints RSS figures in MiB.

    Importing TensorFlow sets a process-wide peak RSS that hides the streaming, so the peak (``VmHWM``) is
    reset to the current RSS just before streaming (Linux ``/proc/self/clear_refs``).
    """
    from tfgan_zoo.metrics.scores import frechet_distance
    from tfgan_zoo.metrics.statistics import FeatureStatistics

    rng = np.random.default_rng(0)
    real, fake = FeatureStatistics(dim), FeatureStatistics(dim)
    real.update(rng.standard_normal((2, dim), dtype=np.float32))  # warm up the kernels before the baseline
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")
    start = _status_mib("VmRSS")
    for begin in range(0, samples, batch):
        n = min(batch, samples - begin)
        real.update(rng.standard_normal((n, dim), dtype=np.float32))
        fake.update(rng.standard_normal((n, dim), dtype=np.float32) + 0.01)
    streamed_peak = _status_mib("VmHWM")
    fid = frechet_distance(real, fake)
    print(json.dumps({"samples": samples, "rss_mib_before_streaming": start,
                      "peak_rss_mib_while_streaming": streamed_peak, "peak_rss_mib": _status_mib("VmHWM"),
                      "peak_increase_mib": _status_mib("VmHWM") - start, "fid": fid}))


def memory(dim, batch):
    results = {}
    for samples in (5000, 50000):
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(samples), "--dim", str(dim),
                              "--batch", str(batch)], capture_output=True, text=True, check=True)
        results[samples] = json.loads(out.stdout.strip().splitlines()[-1])
    small, large = results[5000]["peak_rss_mib"], results[50000]["peak_rss_mib"]
    return {"dim": dim, "batch": batch, "peak_rss_mib": {"5000": small, "50000": large},
            "peak_increase_mib": {str(k): v["peak_increase_mib"] for k, v in results.items()}, "children": results,
            "ratio_50k_over_5k": large / small,
            "dense_50k_float64_features_mib": 50000 * dim * 8 / 2 ** 20}


def mnist_baseline(splits=5):
    from tfgan_zoo.data import mnist_arrays
    from tfgan_zoo.metrics.evaluate import evaluate
    from tfgan_zoo.metrics.features import mnist_classifier_info

    digits, _ = mnist_arrays()
    runs = []
    for seed in range(splits):
        order = np.random.default_rng(seed).permutation(len(digits))
        half = len(digits) // 2
        runs.append(evaluate(digits[order[:half]], digits[order[half:]], ("fid", "kid", "is", "precision_recall"),
                             num_samples=half, kid_subset_size=1000, seed=seed))
    keys = ("fid", "kid", "is", "precision", "recall")
    return {"extractor": "mnist (offline classifier, 128-d features)",
            "classifier_held_out_accuracy": mnist_classifier_info()["held_out_accuracy"],
            "samples_per_side": len(digits) // 2, "splits": splits,
            "mean": {k: float(np.mean([r[k] for r in runs])) for k in keys},
            "std": {k: float(np.std([r[k] for r in runs])) for k in keys},
            "runs": runs}


def plot(report, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    med = report["speed"]["median_seconds"]
    labels = ["distance only", "end to end"]
    x = np.arange(2)
    ax1.bar(x - 0.2, [med["reference_distance"], med["reference_end_to_end"]], 0.4, label="numpy/scipy sqrtm")
    ax1.bar(x + 0.2, [med["ours_distance"], med["ours_end_to_end"]], 0.4, label="tfgan_zoo")
    ax1.set_xticks(x, labels)
    ax1.set_ylabel("seconds (median)")
    ax1.set_title(f"FID, {report['speed']['dim']}-d, {report['speed']['samples_per_side']} samples/side")
    ax1.legend()
    mem = report["memory"]["peak_rss_mib"]
    ax2.bar(["5,000", "50,000"], [mem["5000"], mem["50000"]], color="tab:green")
    ax2.set_ylabel("peak RSS (MiB)")
    ax2.set_title("streamed FID statistics, peak memory")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--memory-child", type=int, default=None)
    parser.add_argument("--sections", default="speed,memory,mnist",
                        help="comma-separated subset of speed,memory,mnist; the others are kept from an earlier JSON")
    args = parser.parse_args(argv)
    if args.memory_child is not None:
        memory_child(args.memory_child, args.dim, args.batch)
        return None
    sections = set(args.sections.split(","))
    json_path = os.path.join(RESULTS, "metrics_speed.json")
    report = {}
    if sections != {"speed", "memory", "mnist"} and os.path.exists(json_path):
        with open(json_path, encoding="utf-8") as f:
            report = json.load(f)
        if "python" in report.get("machine", {}):  # a full run's machine block: key it by its sections
            report["machine"] = {"memory,mnist,speed": report["machine"]}
    machine = {**machine_record(), "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    if "speed" in sections:
        report["speed"] = speed(args.samples, args.dim, args.repeats)
        print(json.dumps(report["speed"]["median_seconds"]), "speedup", report["speed"]["speedup_distance"],
              "rel diff", report["speed"]["relative_difference"], flush=True)
    if "memory" in sections:
        report["memory"] = memory(args.dim, args.batch)
        print(json.dumps(report["memory"]), flush=True)
    if "mnist" in sections:
        report["mnist_real_vs_real"] = mnist_baseline()
        print(json.dumps({k: report["mnist_real_vs_real"][k] for k in ("mean", "std")}), flush=True)
    machine["load_average_at_end"] = os.getloadavg()
    report.setdefault("machine", {})[",".join(sorted(sections))] = machine
    os.makedirs(RESULTS, exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    plot(report, os.path.join(RESULTS, "metrics_speed.png"))
    return report


if __name__ == "__main__":
    main()
