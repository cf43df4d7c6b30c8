"""RealnessGAN against the standard GAN, WGAN-GP, LSGAN and hinge GAN on the 2-D toy mixtures.

The spirit of the toy study of Xiangli et al. (ICLR 2020, section 5.1): each method, with its own paper
defaults (optimiser, critic updates; RealnessGAN: 5 outcomes as the paper's toy runs, generator objective 2),
trains the same MLP nets of :mod:`tfgan_zoo.nets` for the same number of generator
steps on ``ring_of_8`` and ``grid_of_25`` (:mod:`tfgan_zoo.data`), over several seeds. Scores, from
:func:`tfgan_zoo.metrics.toy.toy_mode_metrics` on 2,500 generated points (VEEGAN / PacGAN): modes captured
(a mode with at least one sample within 3 sigma of it), the high-quality fraction (samples within 3 sigma of
their nearest mode) and the reverse KL of the mode histogram of the high-quality samples against uniform.

RealnessGAN runs twice: with the plain MLP critic, as the official toy script (``train_toy.py``, a maxout MLP
without spectral normalisation), and with the model's default spectral normalisation ("RealnessGAN+SN", the
paper's setting for images), which on these mixtures learns much more slowly.

Writes ``benchmarks/results/realness_toy{,_quick}.{json,md,png}``: every run, a mean +- std table over
seeds, and the seed-0 samples of every (mixture, method) over the true centres.

Usage::

    python benchmarks/realness_toy.py            # 3 seeds x 2 mixtures x 5 methods, 2,000 generator steps
    python benchmarks/realness_toy.py --quick    # smoke run: 1 seed, 20 steps
    python benchmarks/realness_toy.py --steps 4000 --seeds 0 1 2 3 4 --models RealnessGAN WGAN-GP
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_zoo import data, nets  # noqa: E402
from tfgan_zoo.metrics.toy import toy_mode_metrics  # noqa: E402
from tfgan_zoo.models.gan import GAN  # noqa: E402
from tfgan_zoo.models.realness import RealnessGAN  # noqa: E402
from tfgan_zoo.models.wgan import WGANGP  # noqa: E402
from tfgan_zoo.visualization import draw_toy_samples  # noqa: E402
from _common import machine_description, mean_and_std  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
MIXTURES = data.toy_mixture_names()
TOY_OUTCOMES = 5  # the paper's toy runs (official scripts/run_MixGauss.sh)
EVAL_SAMPLES = 2500  # VEEGAN / PacGAN
EVAL_SEED = 1234


def _critic(output_units=1):
    return nets.mlp_discriminator(output_units=output_units)


# name -> (generator, seed) -> model; each method keeps its class's paper defaults.
METHODS = {
    "RealnessGAN": lambda g, seed: RealnessGAN(g, _critic(TOY_OUTCOMES), num_outcomes=TOY_OUTCOMES,
                                               spectral_normalization=False, seed=seed),
    "RealnessGAN+SN": lambda g, seed: RealnessGAN(g, _critic(TOY_OUTCOMES), num_outcomes=TOY_OUTCOMES, seed=seed),
    "GAN": lambda g, seed: GAN(g, _critic(), seed=seed),  # non-saturating
    "WGAN-GP": lambda g, seed: WGANGP(g, _critic(), seed=seed),
    "LSGAN": lambda g, seed: GAN(g, _critic(), loss="least_squares", seed=seed),
    "Hinge GAN": lambda g, seed: GAN(g, _critic(), loss="hinge", seed=seed),
}


def train_and_score(method, mixture, seed, steps, batch_size):
    """Trains one method on one mixture for ``steps`` generator steps; returns its scores and 2,500 samples."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)  # network initialisations
    model = METHODS[method](nets.mlp_generator(), seed)
    model.compile(jit_compile=True)
    dataset = data.toy_mixture(mixture, batch_size=batch_size, seed=seed, repeat=True)
    start = time.perf_counter()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    seconds = time.perf_counter() - start
    samples = model.generate(EVAL_SAMPLES, seed=EVAL_SEED)
    scores = toy_mode_metrics(samples, mixture)
    return {"method": method, "mixture": mixture, "seed": seed, "steps": steps, "train_seconds": seconds,
            **scores}, samples


def summarise(runs):
    """Mean and std over seeds for every (mixture, method)."""
    summary = {}
    for run in runs:
        summary.setdefault((run["mixture"], run["method"]), []).append(run)
    table = []
    for (mixture, method), group in summary.items():
        row = {"mixture": mixture, "method": method, "seeds": len(group), "num_modes": group[0]["num_modes"]}
        for key in ("modes_captured", "high_quality_fraction", "reverse_kl", "train_seconds"):
            row[key] = mean_and_std(r[key] for r in group)
        table.append(row)
    return table


def markdown(table, settings):
    lines = [f"# RealnessGAN toy benchmark ({settings['steps']} generator steps, batch {settings['batch_size']}, "
             f"seeds {settings['seeds']})", "",
             "Mean ± std over seeds. Modes: modes with at least one of 2,500 samples within 3σ; HQ: fraction of "
             "samples within 3σ of their nearest mode; reverse KL of the high-quality samples' mode histogram "
             "against uniform (lower is better).", "",
             "| mixture | method | modes | HQ % | reverse KL | train s |", "|---|---|---|---|---|---|"]
    for row in table:
        m, hq, kl, s = (row[k] for k in ("modes_captured", "high_quality_fraction", "reverse_kl", "train_seconds"))
        lines.append(f"| {row['mixture']} | {row['method']} | {m['mean']:.1f} ± {m['std']:.1f} / {row['num_modes']} "
                     f"| {100 * hq['mean']:.1f} ± {100 * hq['std']:.1f} | {kl['mean']:.3f} ± {kl['std']:.3f} "
                     f"| {s['mean']:.0f} |")
    lines += ["", f"Machine: {settings['machine']}; TensorFlow {settings['tensorflow']}, Keras {settings['keras']}."]
    return "\n".join(lines) + "\n"


def plot(samples, runs, methods, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mixtures = [m for m in MIXTURES if any(key[0] == m for key in samples)]
    fig, axes = plt.subplots(len(mixtures), len(methods), figsize=(3 * len(methods), 3 * len(mixtures)),
                             squeeze=False)
    scores = {(r["mixture"], r["method"]): r for r in runs if r["seed"] == min(x["seed"] for x in runs)}
    for i, mixture in enumerate(mixtures):
        for j, method in enumerate(methods):
            run = scores[(mixture, method)]
            draw_toy_samples(axes[i, j], samples[(mixture, method)], mixture, fontsize=9,
                             title=f"{method}\n{run['modes_captured']}/{run['num_modes']} modes, "
                             f"HQ {100 * run['high_quality_fraction']:.0f}%")
        axes[i, 0].set_ylabel(mixture)
    fig.suptitle("Generated samples (blue) over the real mixture (grey) and its mode centres (red), first seed")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000, help="generator steps per run (default 2000)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--mixtures", nargs="+", default=list(MIXTURES), choices=MIXTURES)
    parser.add_argument("--models", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 20 steps, *_quick outputs")
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seeds = 20, args.seeds[:1]
    stem = "realness_toy_quick" if args.quick else "realness_toy"
    args.out.mkdir(parents=True, exist_ok=True)
    settings = {"steps": args.steps, "seeds": args.seeds, "batch_size": args.batch_size, "mixtures": args.mixtures,
                "methods": args.models, "eval_samples": EVAL_SAMPLES, "realness_outcomes": TOY_OUTCOMES,
                "machine": machine_description(), "tensorflow": tf.__version__,
                "keras": keras.__version__}
    runs, samples = [], {}
    for mixture in args.mixtures:
        for method in args.models:
            for seed in args.seeds:
                run, points = train_and_score(method, mixture, seed, args.steps, args.batch_size)
                runs.append(run)
                if seed == args.seeds[0]:
                    samples[(mixture, method)] = points
                print(f"{mixture:>10} {method:>14} seed {seed}: {run['modes_captured']:2d}/{run['num_modes']} modes, "
                      f"HQ {100 * run['high_quality_fraction']:5.1f}%, reverse KL {run['reverse_kl']:.3f}, "
                      f"{run['train_seconds']:.0f} s", flush=True)
    table = summarise(runs)
    (args.out / f"{stem}.json").write_text(json.dumps({"settings": settings, "runs": runs, "summary": table},
                                                      indent=1))
    (args.out / f"{stem}.md").write_text(markdown(table, settings))
    plot(samples, runs, args.models, args.out / f"{stem}.png")
    print(markdown(table, settings))


if __name__ == "__main__":
    main()
