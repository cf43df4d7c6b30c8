"""CPU cost per batch of the in-memory input pipeline (:func:`tfgan_zoo.data.pipeline.in_memory_dataset`) against
the element-wise reference it replaced (``Dataset.range(n).shuffle(n).repeat().batch()`` then a gather), in one
run, interleaved, median of ``--repeats``.

    python benchmarks/input_pipeline.py [--batches 3000] [--repeats 5]

Workloads: the toy recipe's (100,000 two-d points, batch 512) and the 28px recipe's (5,000 MNIST digits, batch 64).
A toy step costs a few milliseconds, so an input pipeline that spends half a millisecond of CPU per batch on the
same two cores is a tenth of the step. Writes ``benchmarks/results/input_pipeline.json`` and ``.png``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import tensorflow as tf

from _common import machine_record
from tfgan_zoo.data import pipeline

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
WORKLOADS = {"toy (100,000 x 2, batch 512)": ((100_000, 2), 512), "28px (5,000 x 28 x 28 x 1, batch 64)": ((5000, 28, 28, 1), 64)}


def elementwise_reference(array, batch_size, seed):
    """The pipeline before: indices shuffled one element at a time, batched, gathered."""
    table = tf.constant(array)
    ds = tf.data.Dataset.range(len(array)).shuffle(len(array), seed=seed, reshuffle_each_iteration=True).repeat()
    return ds.batch(batch_size, drop_remainder=True).map(lambda i: tf.gather(table, i),
                                                         num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def cost_per_batch(dataset, batches):
    """(wall ms, process CPU ms) per batch drawn from ``dataset``, after a warm-up of 50 batches."""
    iterator = iter(dataset)
    for _ in range(50):
        next(iterator)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(batches):
        next(iterator)
    return (time.perf_counter() - wall) / batches * 1e3, (time.process_time() - cpu) / batches * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rows = []
    for label, (shape, batch_size) in WORKLOADS.items():
        array = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        runs = {"ours": [], "reference": []}
        for _ in range(args.repeats):  # interleaved, so load changes on the machine hit both alike
            runs["ours"].append(cost_per_batch(pipeline.in_memory_dataset(array, batch_size, 0, True), args.batches))
            runs["reference"].append(cost_per_batch(elementwise_reference(array, batch_size, 0), args.batches))
        row = {"workload": label, "batch_size": batch_size}
        for side, measured in runs.items():
            row[f"{side}_wall_ms"] = statistics.median(m[0] for m in measured)
            row[f"{side}_cpu_ms"] = statistics.median(m[1] for m in measured)
        row["cpu_ratio_reference_over_ours"] = row["reference_cpu_ms"] / row["ours_cpu_ms"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {"settings": {"batches": args.batches, "repeats": args.repeats, "machine": machine_record()}, "rows": rows}
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "input_pipeline.json"), "w") as f:
        json.dump(result, f, indent=1)
    plot(rows, os.path.join(RESULTS, "input_pipeline.png"))


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    y = np.arange(len(rows))
    ax.barh(y + 0.2, [r["reference_cpu_ms"] for r in rows], 0.4, label="reference: element-wise shuffle")
    ax.barh(y - 0.2, [r["ours_cpu_ms"] for r in rows], 0.4, label="ours: one permutation per pass")
    ax.set_yticks(y, [r["workload"] for r in rows])
    ax.set_xlabel("process CPU ms per batch (median)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
