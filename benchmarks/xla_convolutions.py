"""Where XLA loses on this CPU: each convolution of the reference WGAN-GP nets, timed with and without XLA.

    python benchmarks/xla_convolutions.py [--rounds 5] [--repeats 20]

The reference workload (``../shared/bench/reference_wgangp_keras.py``: DCGAN-style 28x28x1 nets, batch 64) runs
slower with XLA than without on these CPUs, for the tutorial's step and ours alike. A step is mostly
convolutions, and each convolution of a training step appears in three forms: the forward pass, the gradient
with respect to its input (for a strided convolution, a convolution of the dilated output gradient; a
``Conv2DTranspose``'s forward pass is this form too) and the gradient with respect to its kernel. This script
times the three forms of every convolution of the two nets at the workload's shapes, as a ``tf.function`` with
``jit_compile`` False (TensorFlow's kernels, oneDNN where TensorFlow enables it) and True (XLA's CPU
convolutions), interleaved over ``--rounds`` rounds, medians of ``--repeats`` calls per round.

Writes ``benchmarks/results/xla_convolutions.{json,md,png}``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _common import machine_record  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 64

# (name, input shape without batch, kernel size, input channels, output channels, stride): the convolutions of
# the reference nets as the forward convolution whose three forms a training step computes. A Conv2DTranspose
# from a to b channels is the input gradient of the convolution from b to a channels, so it is listed as that
# convolution (its forward pass is the "input gradient" row, its input gradient the "forward" row). The
# generator's last deconvolution (14x14x64 -> 28x28x1, stride 2) has the shapes of critic conv 1.
CONVOLUTIONS = (
    ("critic conv 1 (28x28x1 -> 14x14x64, stride 2)", (28, 28, 1), 5, 1, 64, 2),
    ("critic conv 2 (14x14x64 -> 7x7x128, stride 2)", (14, 14, 64), 5, 64, 128, 2),
    ("generator deconv 1 (7x7x256 <-> 7x7x128, stride 1)", (7, 7, 128), 5, 128, 256, 1),
    ("generator deconv 2 (7x7x128 <-> 14x14x64, stride 2)", (14, 14, 64), 5, 64, 128, 2),
)
FORMS = ("forward", "input gradient", "kernel gradient")


def convolution_forms(shape, size, channels_in, channels_out, stride, jit):
    """``{form: (function, arguments)}`` for one convolution, compiled with XLA when ``jit``."""
    import tensorflow as tf

    rng = tf.random.Generator.from_seed(0)
    images = rng.normal((BATCH, *shape))
    kernel = rng.normal((size, size, channels_in, channels_out))
    outputs = tf.nn.conv2d(images, kernel, stride, "SAME")
    output_gradient = rng.normal(outputs.shape)
    input_shape = [BATCH, *shape]
    kernel_shape = [size, size, channels_in, channels_out]
    return {
        "forward": (tf.function(lambda x, k: tf.nn.conv2d(x, k, stride, "SAME"), jit_compile=jit),
                    (images, kernel)),
        "input gradient": (tf.function(lambda g, k: tf.nn.conv2d_transpose(g, k, input_shape, stride, "SAME"),
                                       jit_compile=jit), (output_gradient, kernel)),
        "kernel gradient": (tf.function(lambda x, g: tf.raw_ops.Conv2DBackpropFilter(
            input=x, filter_sizes=kernel_shape, out_backprop=g, strides=[1, stride, stride, 1], padding="SAME"),
            jit_compile=jit), (images, output_gradient)),
    }


def median_ms(function, arguments, repeats):
    function(*arguments).numpy()  # compiles
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function(*arguments).numpy()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    import tensorflow as tf

    forms = {(name, jit): convolution_forms(*spec, jit) for name, *spec in CONVOLUTIONS for jit in (False, True)}
    samples = {(name, form, jit): [] for name, *_ in CONVOLUTIONS for form in FORMS for jit in (False, True)}
    for round_index in range(args.rounds):
        order = list(samples)
        if round_index % 2:
            order.reverse()
        for name, form, jit in order:
            samples[name, form, jit].append(median_ms(*forms[name, jit][form], args.repeats))
    rows = []
    for name, *_ in CONVOLUTIONS:
        for form in FORMS:
            without, with_xla = (statistics.median(samples[name, form, jit]) for jit in (False, True))
            rows.append({"convolution": name, "form": form, "tensorflow_ms": without, "xla_ms": with_xla,
                         "xla_over_tensorflow": with_xla / without})
    totals = {jit: sum(statistics.median(v) for (_, _, j), v in samples.items() if j == jit) for jit in (False, True)}
    report = {"machine": {**machine_record(), "tensorflow": tf.__version__,
                          "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")},
              "rounds": args.rounds, "repeats": args.repeats, "batch": BATCH, "rows": rows,
              "total_tensorflow_ms": totals[False], "total_xla_ms": totals[True],
              "load_average_at_end": os.getloadavg()}
    folder = Path(args.results)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "xla_convolutions.json").write_text(json.dumps(report, indent=1))
    lines = [f"Machine: {report['machine']['description']}; TF {tf.__version__}; batch {BATCH}; medians of "
             f"{args.repeats} calls, median over {args.rounds} interleaved rounds "
             "(`python benchmarks/xla_convolutions.py`).", "",
             "| convolution | form | TensorFlow ms | XLA ms | XLA / TensorFlow |", "|---|---|---|---|---|"]
    lines += [f"| {r['convolution']} | {r['form']} | {r['tensorflow_ms']:.2f} | {r['xla_ms']:.2f} | "
              f"{r['xla_over_tensorflow']:.2f}x |" for r in rows]
    lines += ["", f"Sum of the rows: TensorFlow {totals[False]:.1f} ms, XLA {totals[True]:.1f} ms "
              f"({totals[True] / totals[False]:.2f}x)."]
    (folder / "xla_convolutions.md").write_text("\n".join(lines) + "\n")
    plot(rows, folder / "xla_convolutions.png")
    print("\n".join(lines))


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4.5))
    labels = [f"{r['convolution'].split(' (')[0]}\n{r['form']}" for r in rows]
    positions = range(len(rows))
    axis.barh([p + 0.2 for p in positions], [r["tensorflow_ms"] for r in rows], 0.4, label="TensorFlow (no XLA)")
    axis.barh([p - 0.2 for p in positions], [r["xla_ms"] for r in rows], 0.4, label="XLA")
    axis.set_yticks(list(positions), labels, fontsize=6)
    axis.invert_yaxis()
    axis.set_xlabel("ms per call (batch 64)")
    axis.set_title("Convolutions of the reference WGAN-GP nets, with and without XLA")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


if __name__ == "__main__":
    main()
