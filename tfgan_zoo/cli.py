"""The ``tfgan-zoo`` command line: ``train``, ``sample``, ``evaluate``, ``export``, ``variants``.

    tfgan-zoo train gan --data mnist --minutes 8          # progress bar, grids, metrics, export
    tfgan-zoo sample runs/gan-mnist/generator --num 64 --out grid.png
    tfgan-zoo sample --pretrained gan_mnist --out grid.png  # a generator shipped with tfgan_zoo
    tfgan-zoo sample --pretrained gan_ring --num 2500 --out ring.png  # a toy one: a scatter plot of 2-D points
    tfgan-zoo evaluate runs/gan-mnist/generator --data mnist --metrics fid kid is --out scores.json
    tfgan-zoo export runs/gan-mnist/model.keras --out exported/
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["main", "build_parser"]


class UsageError(Exception):
    """A user error the CLI reports in one line (exit status 2)."""


class TrainingDiverged(Exception):
    """A NaN/Inf loss stopped training; reported in one line (exit status 1). The last good backup is kept."""


def build_parser():
    parser = argparse.ArgumentParser(prog="tfgan-zoo", description="Train, sample and export GANs of the tfgan_zoo.")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a variant on a dataset")
    train.add_argument("variant", nargs="?", default="gan", help="variant name (see `tfgan-zoo variants`); default gan")
    train.add_argument("--data", default="mnist", help="ring8, grid25, mnist, digits, folder:PATH, tfds:NAME")
    train.add_argument("--image-size", type=int, default=None, help="resize images to this side (digits: 28)")
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--epochs", type=int, default=None, help="epochs (default: 1000 under --minutes, else 10)")
    train.add_argument("--minutes", type=float, default=None, help="wall-clock budget; stops training after it")
    train.add_argument("--steps-per-epoch", type=int, default=None)
    train.add_argument("--latent-dim", type=int, default=None)
    train.add_argument("--family", choices=["dcgan", "resnet"], default=None, help="network family for images")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--jit", action=argparse.BooleanOptionalAction, default=False, help="XLA-compile the step")
    train.add_argument("--ema", type=float, default=None, help="generator EMA decay, e.g. 0.999")
    train.add_argument("--devices", type=int, default=1,
                       help="data-parallel replicas (tf.distribute.MirroredStrategy): the first N GPUs, or N logical "
                       "CPU devices when fewer GPUs are visible; --batch-size stays the global batch, split across "
                       "replicas, and losses and penalties are scaled to the global-batch mean (default 1)")
    train.add_argument("--mixed-precision", choices=["off", "mixed_bfloat16", "mixed_float16"], default="off")
    train.add_argument("--grid-every", type=int, default=1, help="epochs between sample grids")
    train.add_argument("--out", default=None, help="output directory (default runs/VARIANT-DATA)")
    train.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")

    sample = commands.add_parser("sample", help="draw samples from an exported generator")
    sample.add_argument("generator", nargs="?", help="SavedModel directory written by train/export")
    sample.add_argument("--pretrained", metavar="NAME", help="a generator shipped with tfgan_zoo instead, e.g. "
                        "gan_mnist, or gan_ring / gan_grid for the toy mixtures (a scatter plot) (the names: "
                        "python -c 'import tfgan_zoo.pretrained as p; print(p.available())')")
    sample.add_argument("--num", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", default="samples.png")

    evaluate = commands.add_parser("evaluate", help="score an exported generator against real data (JSON)")
    evaluate.add_argument("generator", help="SavedModel directory written by train/export")
    evaluate.add_argument("--data", default="mnist", help="real data: mnist, digits, ring8, grid25, folder:PATH, "
                          "tfds:NAME")
    evaluate.add_argument("--metrics", nargs="+", default=["fid", "kid"],
                          help="fid kid is precision_recall modes (default: fid kid)")
    evaluate.add_argument("--num-samples", type=int, default=5000, help="generated and real samples (default 5000)")
    evaluate.add_argument("--extractor", default="auto", help="auto (points: identity; images: the shipped MNIST "
                          "classifier), mnist, identity, inception_v3 (needs --inception-weights)")
    evaluate.add_argument("--inception-weights", default=None, help="local InceptionV3 .h5 weights (no download)")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--out", default="scores.json", help="JSON file to write (default scores.json)")

    export = commands.add_parser("export", help="export the generator of a saved .keras GAN as a SavedModel")
    export.add_argument("model", help="a .keras file written by train")
    export.add_argument("--out", required=True)

    commands.add_parser("variants", help="list the variants of the zoo")
    return parser


def _load_data(args):
    from . import data

    options = {"batch_size": args.batch_size, "seed": args.seed}
    if args.image_size:
        options["image_size"] = args.image_size
    elif args.data == "digits":
        options["image_size"] = 28  # 8x8 digits upsampled to the smallest DCGAN size
    try:
        return data.load(args.data, **options)
    except (ValueError, FileNotFoundError, data.DatasetNotAvailableError) as error:
        raise UsageError(str(error)) from None


def _strategy(devices):
    import tensorflow as tf

    if devices < 1:
        raise UsageError(f"--devices={devices} must be >= 1.")
    if devices == 1:
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) >= devices:
        return tf.distribute.MirroredStrategy([d.name for d in gpus[:devices]])
    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * devices)
    return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")[:devices]])


def train(args):
    import keras

    from . import zoo
    from .callbacks import SampleGrid, TimeBudget
    from .checkpointing import NonFiniteLossError, NonFiniteLossGuard

    try:
        zoo.get_variant(args.variant)
    except ValueError as error:
        raise UsageError(str(error)) from None
    out = args.out or os.path.join("runs", f"{args.variant}-{args.data.replace(':', '_').replace('/', '_')}")
    if os.path.exists(os.path.join(out, "model.keras")) and not args.resume:
        raise UsageError(f"{out} already holds a finished run; pass --out NEW_DIR, or --resume to continue it.")
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)  # the networks' initial weights too: a run is a function of --seed
    strategy = _strategy(args.devices)
    if args.mixed_precision != "off":
        keras.mixed_precision.set_global_policy(args.mixed_precision)
    dataset = _load_data(args)
    data_shape = dataset.element_spec.shape[1:]
    with strategy.scope():
        model = zoo.build(args.variant, data_shape, latent_dim=args.latent_dim, family=args.family, seed=args.seed,
                          ema_decay=args.ema)
        model.compile(jit_compile=args.jit)
    epochs = args.epochs or (1000 if args.minutes else 10)
    callbacks = [
        SampleGrid(os.path.join(out, "samples"), every_n_epochs=args.grid_every, seed=args.seed,
                   log_dir=os.path.join(out, "logs")),
        keras.callbacks.CSVLogger(os.path.join(out, "metrics.csv"), append=args.resume),
        keras.callbacks.BackupAndRestore(os.path.join(out, "backup")),
    ]
    # First, so that a NaN/Inf step raises before any callback writes the broken state (NonFiniteLossError).
    callbacks.insert(0, NonFiniteLossGuard())
    budget = TimeBudget(args.minutes) if args.minutes else None
    if budget:
        callbacks.append(budget)
    start = time.perf_counter()
    try:
        history = model.fit(dataset, epochs=epochs, steps_per_epoch=args.steps_per_epoch, callbacks=callbacks,
                            verbose=1)
    except NonFiniteLossError as error:
        raise TrainingDiverged(f"{error} The backup in {os.path.join(out, 'backup')} holds the last good epoch.") \
            from None
    seconds = time.perf_counter() - start
    model.save(os.path.join(out, "model.keras"))
    model.export_generator(os.path.join(out, "generator"))
    summary = {"variant": args.variant, "data": args.data, "seed": args.seed, "seconds": round(seconds, 1),
               "generator_steps": int(model.generator_steps.numpy()), "epochs_run": len(history.epoch),
               "final": {k: float(v[-1]) for k, v in history.history.items()},
               "history": {k: [float(x) for x in v] for k, v in history.history.items()},
               "sample_grid": callbacks[1].last_path}
    summary.update(_score(model, args))
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"Done in {seconds / 60:.1f} min: {summary['generator_steps']} generator steps. Samples: "
          f"{callbacks[1].last_path}; metrics: {os.path.join(out, 'metrics.json')}; generator: "
          f"{os.path.join(out, 'generator')}")
    return 0


def _score(model, args):
    """Offline scores of the trained generator where the project has an evaluator for the data."""
    from . import metrics

    return {"scores": metrics.score_for_cli(model, args.data, seed=args.seed)}


def sample(args):
    from .export import load_generator
    from .visualization import save_samples_png, save_toy_samples_png

    if (args.generator is None) == (args.pretrained is None):
        raise UsageError("pass either GENERATOR_DIR (a SavedModel written by train/export) or --pretrained NAME, "
                         "not both and not neither.")
    if args.num < 1:
        raise UsageError(f"--num {args.num}: the number of samples must be at least 1.")
    mixture = None
    if args.pretrained is not None:
        from . import pretrained

        try:
            generator = pretrained.load(args.pretrained)
        except ValueError as error:
            raise UsageError(f"--pretrained {args.pretrained}: {error}") from None
        mixture = generator.info.get("data") if generator.info.get("data") in pretrained.TOY_SUFFIXES else None
    else:
        generator = _load_exported(args.generator, load_generator)
    samples = generator.generate(args.num, batch_size=args.num, seed=args.seed)
    if mixture is not None:  # 2-D points of a shipped toy generator: a scatter plot over the real mixture
        save_toy_samples_png(samples, mixture, args.out, title=f"{generator.name}: {args.num} samples on {mixture}")
        print(f"Wrote a scatter plot of {args.num} points of {generator.name} over {mixture} to {args.out}")
    else:
        save_samples_png(samples, args.out)
        print(f"Wrote {args.num} samples to {args.out}")
    return 0


def _load_exported(path, load_generator):
    try:
        return load_generator(path)
    except ValueError as error:
        raise UsageError(str(error).removeprefix("path ")) from None


def evaluate(args):
    from . import metrics
    from .export import load_generator

    unknown = sorted(set(args.metrics) - set(metrics.available_metrics()))
    if unknown:
        raise UsageError(f"unknown metric(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(metrics.available_metrics())}.")
    generator = _load_exported(args.generator, load_generator)
    try:
        result = metrics.evaluate(generator, args.data, tuple(args.metrics), num_samples=args.num_samples,
                                  extractor=args.extractor, seed=args.seed, json_path=args.out,
                                  inception_weights=args.inception_weights)
    except (ValueError, TypeError, FileNotFoundError) as error:
        raise UsageError(str(error)) from None
    print(json.dumps(result, indent=2))
    print(f"Wrote {args.out}")
    return 0


def export(args):
    import keras

    from . import models  # noqa: F401  (registers the serialisable classes)

    if not os.path.isfile(args.model):
        raise UsageError(f"{args.model} does not exist; pass the model.keras file that `tfgan-zoo train` wrote.")
    try:
        model = keras.saving.load_model(args.model)
    except Exception as error:  # a truncated or foreign file: say so in one line
        raise UsageError(f"{args.model} could not be loaded as a tfgan_zoo GAN ({type(error).__name__}: "
                         f"{str(error).splitlines()[0][:200]}).") from None
    if not hasattr(model, "export_generator"):
        raise UsageError(f"{args.model} is a Keras model but not a tfgan_zoo GAN.")
    model.export_generator(args.out)
    print(f"Exported the generator to {args.out}")
    return 0


def variants(args):
    from . import zoo

    for name in zoo.available_variants():
        print(f"{name:16s} {zoo.VARIANTS[name].summary}")
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    command = {"train": train, "sample": sample, "evaluate": evaluate, "export": export,
               "variants": variants}[args.command]
    try:
        return command(args)
    except UsageError as error:
        print(f"tfgan-zoo {args.command}: error: {error}", file=sys.stderr)
        return 2
    except TrainingDiverged as error:
        print(f"tfgan-zoo {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
