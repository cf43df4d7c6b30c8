"""The ``tfgan-zoo`` command line: ``train``, ``recipes``, ``sample``, ``evaluate``, ``export``, ``variants``,
``launch``.

    tfgan-zoo train gan --data mnist --minutes 8          # progress bar, grids, metrics, export
    tfgan-zoo recipes                                     # every variant's recipes; `recipes sngan --data ring8`
    tfgan-zoo train sngan --data ring8 --set steps=20000  # the toy recipe with one field changed
    tfgan-zoo train sngan --data ring8 --recipe runs/sngan-ring8/recipe.json --out runs/again   # re-run a run
    tfgan-zoo sample runs/gan-mnist/generator --num 64 --out grid.png
    tfgan-zoo sample --pretrained gan_mnist --out grid.png  # a generator shipped with tfgan_zoo
    tfgan-zoo sample --pretrained gan_ring --num 2500 --out ring.png  # a toy one: a scatter plot of 2-D points
    tfgan-zoo evaluate runs/gan-mnist/generator --data mnist --metrics fid kid is --out scores.json
    tfgan-zoo export runs/gan-mnist/model.keras --out exported/
    tfgan-zoo launch --workers 2 -- train wgangp --data ring8   # 2 local workers (MultiWorkerMirroredStrategy)
"""
from __future__ import annotations

import argparse
import json
import math
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

    train = commands.add_parser("train", help="train a variant on a dataset with its recipe")
    train.add_argument("variant", nargs="?", default=None,
                       help="variant name (see `tfgan-zoo variants`); default: the dataset's best measured one "
                       "(cgan on mnist, gan elsewhere: tfgan_zoo.zoo.DEFAULT_VARIANTS)")
    train.add_argument("--data", default="mnist", help="ring8, grid25, mnist, digits, folder:PATH, tfds:NAME")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                       help="change a field of the recipe, e.g. --set steps=20000 --set model.n_critic=2 "
                       "--set d_optimizer.config.learning_rate=1e-3 (repeatable; `tfgan-zoo recipes VARIANT` lists "
                       "the fields)")
    train.add_argument("--recipe", default=None, metavar="PATH",
                       help="train from a recipe.json that an earlier run wrote (its variant and data kind)")
    train.add_argument("--image-size", type=int, default=None, help="resize images to this side (digits: 28)")
    train.add_argument("--steps", type=int, default=None, help="generator steps (the recipe's `steps`)")
    train.add_argument("--batch-size", type=int, default=None, help="critic batch (the recipe's `batch_size`)")
    train.add_argument("--epochs", type=int, default=None,
                       help="epochs of `steps_per_epoch` steps (default: the recipe's steps / steps_per_epoch)")
    train.add_argument("--minutes", type=float, default=None, help="wall-clock budget; stops training after it")
    train.add_argument("--steps-per-epoch", type=int, default=None, help="the recipe's `steps_per_epoch`")
    train.add_argument("--latent-dim", type=int, default=None, help="the recipe's `latent_dim`")
    train.add_argument("--family", choices=["dcgan", "resnet"], default=None,
                       help="network family for images (the recipe's `networks.kind`)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--jit", nargs="?", const="on", choices=["auto", "on", "off"], default=None,
                       help="XLA-compile the step: on (a bare --jit), off (also --no-jit), or auto (on for a GPU or "
                       "TPU, the recipe's on a CPU); default the recipe's `jit_compile`")
    train.add_argument("--no-jit", dest="jit", action="store_const", const="off", help=argparse.SUPPRESS)
    train.add_argument("--ema", type=float, default=None, help="generator EMA decay, e.g. 0.999 (`model.ema_decay`)")
    train.add_argument("--devices", type=int, default=1,
                       help="data-parallel replicas (tf.distribute.MirroredStrategy): the first N GPUs, or N logical "
                       "CPU devices when no GPU is visible; the batch size stays the global batch, split across "
                       "replicas, and losses and penalties are scaled to the global-batch mean; the recipe's "
                       "jit_compile and steps_per_execution become false and 1 unless --jit/--set give them "
                       "(default 1)")
    train.add_argument("--multi-worker", action="store_true",
                       help="train on the cluster that the TF_CONFIG environment variable describes "
                       "(tf.distribute.MultiWorkerMirroredStrategy; start every worker with the same command); the "
                       "chief (worker 0) writes the run folder, which must be on a file system every worker sees")
    train.add_argument("--mixed-precision", choices=["off", "auto", "mixed_bfloat16", "mixed_float16"], default="off",
                       help="Keras policy; auto: mixed_float16 on a GPU, mixed_bfloat16 on a TPU or a CPU with native "
                       "bfloat16 (avx512_bf16 / AMX), float32 elsewhere (default off: float32)")
    train.add_argument("--grid-every", type=int, default=1, help="epochs between sample grids")
    train.add_argument("--out", default=None, help="output directory (default runs/VARIANT-DATA)")
    train.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")

    recipes = commands.add_parser("recipes", help="list the recipes, or print one resolved (JSON)")
    recipes.add_argument("variant", nargs="?", help="a variant: print its recipe for --data, resolved")
    recipes.add_argument("--data", default=None, help="the data (ring8, mnist, ...) or a family (toy, 28px, 32px, "
                         "64px); default: every family of the variant")
    recipes.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                         help="show the recipe with these changes (as `train --set`)")

    sample = commands.add_parser("sample", help="draw samples from an exported generator")
    sample.add_argument("generator", nargs="?", help="SavedModel directory written by train/export")
    sample.add_argument("--pretrained", metavar="NAME", help="a generator shipped with tfgan_zoo instead, e.g. "
                        "gan_mnist, or gan_ring / gan_grid for the toy mixtures (a scatter plot) (the names: "
                        "python -c 'import tfgan_zoo.pretrained as p; print(p.available())')")
    sample.add_argument("--num", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", default="samples.png")
    sample.add_argument("--label", type=int, metavar="CLASS", help="class-conditional generators (cgan, acgan): draw "
                        "every sample of this class, e.g. --label 7")
    sample.add_argument("--per-class", type=int, metavar="K", help="class-conditional generators: a grid of K "
                        "samples of each class, one row per class (instead of --num)")

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

    launch = commands.add_parser("launch", help="run a command as N local workers of one cluster (loopback)",
                                 description="Starts N copies of `tfgan-zoo COMMAND ...` on this machine, each with "
                                 "a TF_CONFIG naming free 127.0.0.1 ports (adds --multi-worker to train); stops all "
                                 "of them when one fails; exits with the chief's status.")
    launch.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    launch.add_argument("--timeout", type=float, default=None, help="seconds before every worker is stopped")
    launch.add_argument("worker_command", nargs=argparse.REMAINDER, metavar="-- COMMAND ...",
                        help="the tfgan-zoo command each worker runs, e.g. -- train wgangp --data ring8")
    return parser


def _strategy(devices, multi_worker=False):
    """The ``tf.distribute`` strategy of ``train``: one device, ``devices`` local replicas, or the cluster that
    ``TF_CONFIG`` describes.

    Splitting the CPU into logical devices is only possible before TensorFlow initialises its devices, which
    listing *logical* devices does; so only physical devices are listed before the split.
    """
    import tensorflow as tf

    if devices < 1:
        raise UsageError(f"--devices={devices} must be >= 1.")
    if multi_worker:
        return _multi_worker_strategy(devices)
    if devices == 1:
        return tf.distribute.get_strategy()
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        if len(gpus) < devices:
            raise UsageError(f"--devices {devices}: only {len(gpus)} GPU(s) are visible; use --devices "
                             f"{len(gpus)} or fewer.")
        return tf.distribute.MirroredStrategy([f"/gpu:{i}" for i in range(devices)])
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
    except RuntimeError:  # TensorFlow already initialised in this process (the CLI called from Python)
        if len(tf.config.list_logical_devices("CPU")) < devices:
            raise UsageError(f"--devices {devices}: TensorFlow has already set up its devices in this process; "
                             "run `tfgan-zoo train` in a new process.") from None
    return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")[:devices]])


def _multi_worker_strategy(devices):
    """``MultiWorkerMirroredStrategy`` over the cluster in ``TF_CONFIG`` (each worker: all its GPUs, or its CPU)."""
    import tensorflow as tf

    if devices != 1:
        raise UsageError(f"--devices {devices} with --multi-worker: each worker trains on all of its GPUs (or its "
                         "CPU); drop --devices.")
    _cluster_task()
    return tf.distribute.MultiWorkerMirroredStrategy()


def _cluster_task():
    """``(task_type, task_index, has_chief_task)`` of this worker, read from ``TF_CONFIG``."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise UsageError("--multi-worker reads the cluster from the TF_CONFIG environment variable, which is not set; "
                         "set it on each worker (README, 'Scaling out'), or try it locally with "
                         "`tfgan-zoo launch --workers 2 -- train ...`.")
    try:
        config = json.loads(raw)
        cluster, task = config["cluster"], config["task"]
        if task["type"] not in cluster or not 0 <= int(task["index"]) < len(cluster[task["type"]]):
            raise KeyError(task["type"])
    except (ValueError, TypeError, KeyError) as error:
        raise UsageError(f"TF_CONFIG is not a cluster description ({type(error).__name__}: {error}); it must be "
                         'JSON like {"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": '
                         '"worker", "index": 0}}, with this task in the cluster.') from None
    return task["type"], int(task["index"]), "chief" in cluster


def _train_in_cluster(args):
    """``train`` on one worker of a cluster: the chief trains into the run folder; any other worker runs the same
    code (the collective operations must match) writing into a temporary folder that it deletes, and restores from
    the chief's backup in the run folder."""
    import shutil
    import tempfile

    from .distributed import is_chief_task

    args.cluster_out = args.out = args.out or _default_run_folder(args)
    if is_chief_task(*_cluster_task()):
        return _train_here(args)
    own = tempfile.mkdtemp(prefix="tfgan_zoo-worker-")
    try:
        if args.resume:
            shared_recipe = os.path.join(args.cluster_out, "recipe.json")
            if not os.path.exists(shared_recipe):
                raise UsageError(f"--resume: {shared_recipe} is not visible on this worker; the run folder must be on "
                                 "a file system that every worker sees.")
            shutil.copy(shared_recipe, own)
        args.out = own
        return _train_here(args)
    finally:
        shutil.rmtree(own, ignore_errors=True)


def _backup(out, run, args):
    """The run's backup callback: Keras's ``BackupAndRestore`` in ``out``, or in a cluster the chief's backup that
    every worker restores from (:class:`tfgan_zoo.distributed.MultiWorkerBackup`)."""
    import keras

    if not args.multi_worker:
        return keras.callbacks.BackupAndRestore(os.path.join(out, "backup"))
    from .distributed import MultiWorkerBackup

    return MultiWorkerBackup(os.path.join(args.cluster_out, "backup"), run.model.distribute_strategy)


_POSITIVE_TRAIN_OPTIONS = ("steps", "batch_size", "epochs", "steps_per_epoch", "latent_dim", "image_size",
                           "grid_every")


def _recipe_overrides(args):
    """The recipe fields that ``train``'s options change: ``--set`` first, then the named shortcuts."""
    from . import recipes

    for option in _POSITIVE_TRAIN_OPTIONS:
        value = getattr(args, option)
        if value is not None and value < 1:
            raise UsageError(f"--{option.replace('_', '-')} {value}: must be at least 1.")
    if args.minutes is not None and not args.minutes > 0:
        raise UsageError(f"--minutes {args.minutes}: the budget must be more than 0 minutes.")
    try:
        overrides = recipes.parse_overrides(args.overrides)
    except recipes.RecipeError as error:
        raise UsageError(str(error)) from None
    shortcuts = {"steps": args.steps, "batch_size": args.batch_size, "steps_per_epoch": args.steps_per_epoch,
                 "latent_dim": args.latent_dim, "jit_compile": _JIT_CHOICES[args.jit],
                 "networks": {"kind": args.family} if args.family else None,
                 "model": {"ema_decay": args.ema} if args.ema is not None else None}
    chosen = recipes.merge(overrides, {key: value for key, value in shortcuts.items() if value is not None})
    if args.devices > 1 or args.multi_worker:
        return recipes.merge(_REPLICATED_STEP, chosen)
    return chosen


# What a replicated run uses unless --jit / --set say otherwise: in Keras 3.15 + TF 2.21 under MirroredStrategy on
# logical CPU devices XLA fails (a replica's variable sits on another device) and steps_per_execution > 1 fails
# (`You must feed a value for placeholder tensor`); fit_distributed runs one step per call without XLA anyway.
_REPLICATED_STEP = {"jit_compile": False, "steps_per_execution": 1}


def _read_recipe(path):
    try:
        with open(path, encoding="utf-8") as f:
            recipe = json.load(f)
    except FileNotFoundError:
        raise UsageError(f"--recipe {path}: no such file; pass the recipe.json of an earlier run.") from None
    except (OSError, json.JSONDecodeError) as error:
        raise UsageError(f"--recipe {path}: not a readable JSON recipe ({error}).") from None
    if not isinstance(recipe, dict) or "variant" not in recipe:
        raise UsageError(f"--recipe {path}: not a recipe (a JSON object with a 'variant'), as train writes them.")
    return recipe


def _holds_points(data_name):
    from .data import registry

    spec = registry.find(data_name)  # None for an unknown name (the loader reports it) and folder:/tfds:
    return spec is not None and spec.kind == "points"


def build_training(args, strategy=None):
    """The :class:`tfgan_zoo.zoo.TrainingRun` that ``tfgan-zoo train`` runs for ``args`` (built by
    :func:`tfgan_zoo.zoo.build_run` from the variant's recipe, as the benchmarks build theirs)."""
    from . import data, recipes, zoo

    _name_default_variant(args)
    try:
        zoo.get_variant(args.variant)
    except ValueError as error:
        raise UsageError(str(error)) from None
    data_options = {}
    if args.image_size and _holds_points(args.data):
        raise UsageError(f"--image-size {args.image_size}: {args.data} holds 2-D points, not images; drop "
                         "--image-size.")
    if args.image_size:
        data_options["image_size"] = args.image_size
    recipe = _read_recipe(args.recipe) if args.recipe else None
    try:
        return zoo.build_run(args.variant, args.data, _recipe_overrides(args), seed=args.seed, recipe=recipe,
                             strategy=strategy, data_options=data_options)
    except (recipes.RecipeError, ValueError, FileNotFoundError, data.DatasetNotAvailableError) as error:
        raise UsageError(str(error)) from None


def _fit_in(out, run, args):
    """Trains ``run`` for ``train`` with the CLI's callbacks, writing into the run folder ``out``; returns
    ``(history, sample-grid callback, seconds, time budget or None)``."""
    import keras

    from .callbacks import NonFiniteLossError, NonFiniteLossGuard, SampleGrid, TimeBudget

    with open(os.path.join(out, "recipe.json"), "w", encoding="utf-8") as f:
        json.dump(run.recipe, f, indent=2)
    grids = SampleGrid(os.path.join(out, "samples"), every_n_epochs=args.grid_every, seed=args.seed,
                       log_dir=os.path.join(out, "logs"))
    callbacks = [
        # First, so that a NaN/Inf step raises before any callback writes the broken state (NonFiniteLossError).
        NonFiniteLossGuard(),
        grids,
        keras.callbacks.CSVLogger(os.path.join(out, "metrics.csv"), append=args.resume),
        _backup(out, run, args),
    ]
    budget = TimeBudget(args.minutes) if args.minutes else None
    if budget is not None:
        callbacks.append(budget)
    start = time.perf_counter()
    try:
        history = run.fit(epochs=args.epochs or run.fit_kwargs["epochs"], callbacks=callbacks, verbose=1)
    except NonFiniteLossError as error:
        raise TrainingDiverged(f"{error} The backup in {os.path.join(out, 'backup')} holds the last good epoch.") \
            from None
    return history, grids, time.perf_counter() - start, budget


def _default_run_folder(args):
    return os.path.join("runs", f"{args.variant}-{args.data.replace(':', '_').replace('/', '_')}")


# --jit as the recipe's jit_compile; "auto" stays the recipe's until _resolve_auto_paths has seen the devices
_JIT_CHOICES = {None: None, "auto": None, "on": True, "off": False}


def _resolve_auto_paths(args):
    """``--mixed-precision auto`` and ``--jit auto`` for the devices TensorFlow sees (:mod:`tfgan_zoo.precision`)."""
    from . import precision

    kind = None
    if args.mixed_precision == "auto":
        kind = precision.accelerator_kind()
        policy = precision.auto_policy(kind)
        args.mixed_precision = "off" if policy == "float32" else policy
    if args.jit == "auto":
        kind = kind or precision.accelerator_kind()
        args.jit = "on" if precision.auto_jit(False, kind) else None  # on a CPU: the recipe's


def _numeric_path(model, recipe):
    """What ran, for metrics.json: the policy, XLA, the fused critic pass and the steps per host call."""
    import keras

    return {"policy": keras.mixed_precision.global_policy().name, "jit_compile": bool(recipe["jit_compile"]),
            "fused_critic_passes": bool(model.fuses_critic_passes),
            "steps_per_execution": int(recipe["steps_per_execution"]),
            "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")}


def _name_default_variant(args):
    """``train`` without a variant trains the dataset's default one (:func:`tfgan_zoo.zoo.default_variant`)."""
    if args.variant is None:
        from . import zoo

        args.variant = zoo.default_variant(args.data)


def train(args):
    _name_default_variant(args)  # before the run folder is named after it
    if args.multi_worker:
        return _train_in_cluster(args)
    return _train_here(args)


def _train_here(args):
    import keras

    out = args.out or _default_run_folder(args)
    finished = os.path.exists(os.path.join(out, "model.keras"))
    if finished and args.resume:
        print(f"{out} holds a finished run (model.keras); nothing to resume. Train longer in a new folder, e.g. "
              f"`tfgan-zoo train {args.variant} --data {args.data} --recipe {os.path.join(out, 'recipe.json')} "
              "--steps N --out NEW_DIR`.")
        return 0
    if finished:
        raise UsageError(f"{out} already holds a finished run; pass --out NEW_DIR to train another.")
    if os.path.isdir(out) and os.listdir(out) and not args.resume:
        raise UsageError(f"{out} holds an interrupted run; pass --resume to continue it, or --out NEW_DIR to start "
                         "another (nothing in it is overwritten).")
    recipe_path = os.path.join(out, "recipe.json")
    if args.resume and not os.path.exists(recipe_path):
        raise UsageError(f"--resume: {out} holds no run to resume (no recipe.json); drop --resume to start one.")
    saved = None
    if args.resume:
        from . import zoo

        saved = _read_recipe(recipe_path)
        if saved["variant"] != zoo.canonical_variant_name(args.variant):
            raise UsageError(f"--resume: {out} holds a {saved['variant']!r} run, not {args.variant!r}; resume it as "
                             f"`tfgan-zoo train {saved['variant']} --resume --out {out}`.")
        if args.recipe and os.path.abspath(args.recipe) != os.path.abspath(recipe_path):
            raise UsageError(f"--resume continues the recipe in {recipe_path}; drop --recipe {args.recipe}.")
        args.recipe = recipe_path
    _recipe_overrides(args)  # bad options fail before the strategy, the data or a run folder exist
    strategy = _strategy(args.devices, args.multi_worker)
    _resolve_auto_paths(args)  # after the strategy: the device query must not precede a logical-device setup
    if args.mixed_precision != "off":
        keras.mixed_precision.set_global_policy(args.mixed_precision)
    run = build_training(args, strategy)
    model, recipe = run.model, run.recipe
    if saved is not None and recipe != saved:
        changed = sorted(k for k in recipe if recipe[k] != saved.get(k))
        raise UsageError(f"--resume: the options change the run's recipe ({', '.join(changed)}), which "
                         f"{recipe_path} fixes; resume without them, or start a new run with --out NEW_DIR.")
    created = not os.path.exists(out)
    os.makedirs(out, exist_ok=True)
    try:
        history, grids, seconds, budget = _fit_in(out, run, args)
    except BaseException:
        if created and not os.path.exists(os.path.join(out, "backup")):  # nothing to keep: no folder left behind
            import shutil

            shutil.rmtree(out, ignore_errors=True)
        raise
    model.save(os.path.join(out, "model.keras"))
    model.export_generator(os.path.join(out, "generator"))
    summary = {"variant": recipe["variant"], "data": args.data, "seed": args.seed, "recipe": recipe,
               "seconds": round(seconds, 1), "generator_steps": int(model.generator_steps.numpy()),
               "final": {k: float(v[-1]) for k, v in history.history.items()},
               "history": _history_of_every_epoch(os.path.join(out, "metrics.csv"), history),
               "sample_grid": grids.last_path, "numeric_path": _numeric_path(model, recipe)}
    summary["epochs_run"] = len(next(iter(summary["history"].values()), []))
    stopped_early = budget is not None and budget.stopped_at_step is not None
    summary["stopped_by"] = f"time budget (--minutes {args.minutes:g})" if stopped_early else "steps"
    if stopped_early:
        print(f"The --minutes {args.minutes:g} budget stopped the run after {summary['generator_steps']} of the "
              f"recipe's {recipe['steps']} generator steps.")
    summary.update(_score(model, args))
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(_json_safe(summary), f, indent=2, allow_nan=False)
    print(f"Done in {seconds / 60:.1f} min: {summary['generator_steps']} generator steps. Samples: "
          f"{grids.last_path}; metrics: {os.path.join(out, 'metrics.json')}; recipe: {recipe_path}; generator: "
          f"{os.path.join(out, 'generator')}")
    return 0


def _json_safe(value):
    """``value`` with every non-finite float as None: metrics.json stays valid JSON (no bare NaN)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _history_of_every_epoch(csv_path, history):
    """Every epoch's figures of the run, read from its metrics.csv (which a resumed run appends to), or the
    History of this ``fit`` where that file is missing."""
    import csv

    try:
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        rows = []
    if not rows:
        return {k: [float(x) for x in v] for k, v in history.history.items()}
    def number(text):
        try:
            return float(text)
        except (TypeError, ValueError):  # CSVLogger writes "NA" for a figure an epoch did not log
            return None

    return {key: [number(row.get(key)) for row in rows] for key in rows[0] if key != "epoch"}


def _score(model, args):
    """Offline scores of the trained generator where the project has an evaluator for the data."""
    from . import metrics

    scores = metrics.score_for_cli(model, args.data, seed=args.seed)
    if "real_baseline" in scores:  # digits: the score card, read against real digits on the same protocol
        from .metrics.score_card import PROTOCOL, format_score_card

        print(f"Score card: {PROTOCOL['num_samples']:,} generated digits (seed {PROTOCOL['seed']}) and 2,500 real "
              "ones, each against 2,500 other real digits, judged by the shipped classifier:")
        print(format_score_card(scores, scores["real_baseline"]))
    return {"scores": scores}


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
    samples, rows = _conditional_samples(generator, args)
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
    if mixture is not None:  # 2-D points of a shipped toy generator: a scatter plot over the real mixture
        save_toy_samples_png(samples, mixture, args.out, title=f"{generator.name}: {args.num} samples on {mixture}")
        print(f"Wrote a scatter plot of {args.num} points of {generator.name} over {mixture} to {args.out}")
    elif rows is not None:
        save_samples_png(samples, args.out, rows=rows)
        print(f"Wrote {args.per_class} samples of each of the {rows} classes (one row per class) to {args.out}")
    else:
        save_samples_png(samples, args.out)
        print(f"Wrote {args.num} samples{'' if args.label is None else f' of class {args.label}'} to {args.out}")
    return 0


def _conditional_samples(generator, args):
    """``(samples, grid rows)`` for `sample`: ``--num`` samples (of ``--label``), or ``--per-class`` of each class."""
    classes = getattr(generator, "num_classes", None)
    if (args.label is not None or args.per_class is not None) and classes is None:
        option = "--label" if args.label is not None else "--per-class"
        raise UsageError(f"{option}: this generator is not class-conditional (train cgan or acgan for classes).")
    if args.label is not None and not 0 <= args.label < classes:
        raise UsageError(f"--label {args.label}: the generator's classes are 0..{classes - 1}.")
    if args.per_class is not None:
        if args.per_class < 1:
            raise UsageError(f"--per-class {args.per_class}: give at least 1 sample per class.")
        if args.label is not None:
            raise UsageError("--label and --per-class do not combine: one class, or a row of each.")
        return generator.generate_per_class(args.per_class, seed=args.seed), classes
    return generator.generate(args.num, batch_size=args.num, seed=args.seed, labels=args.label), None


def _load_exported(path, load_generator):
    import tensorflow as tf

    try:
        return load_generator(path)
    except ValueError as error:
        raise UsageError(str(error).removeprefix("path ")) from None
    except (OSError, RuntimeError, tf.errors.OpError) as error:  # a truncated saved_model.pb, a missing variables file
        first = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise UsageError(f"{path} could not be loaded as a SavedModel ({first}); export the generator again "
                         "with `tfgan-zoo export` or GAN.export_generator.") from None


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


def _family_of(data_name):
    from . import recipes

    if data_name in recipes.FAMILIES:
        return data_name
    try:
        return recipes.family_for_data(data_name)
    except (ValueError, FileNotFoundError) as error:
        raise UsageError(f"--data {data_name}: {error}") from None


def show_recipes(args):
    from . import recipes, zoo

    try:
        overrides = recipes.parse_overrides(args.overrides)
        if args.variant is None:
            if overrides:
                raise UsageError("--set needs a VARIANT: `tfgan-zoo recipes VARIANT --data D --set KEY=VALUE`.")
            print("Recipes (variant: families; fields that differ from the family's defaults). "
                  "`tfgan-zoo recipes VARIANT --data D` prints one resolved.")
            for variant, families in recipes.available_recipes().items():
                if args.data and _family_of(args.data) not in families:
                    continue
                shown = [args.data and _family_of(args.data)] if args.data else families
                for family in shown:
                    diff = recipes.recipe_diff(recipes.resolve(variant, family))
                    diff.pop("notes", None)
                    print(f"{variant:16s} {family:5s} {json.dumps(diff) if diff else '(family defaults)'}")
            return 0
        variant = zoo.canonical_variant_name(args.variant)
        families = [_family_of(args.data)] if args.data else recipes.available_recipes()[variant]
        resolved = [recipes.resolve(variant, family, overrides) for family in families]
    except (recipes.RecipeError, ValueError) as error:
        raise UsageError(str(error)) from None
    print(json.dumps(resolved[0] if len(resolved) == 1 else resolved, indent=2))
    return 0


def launch(args):
    """``tfgan-zoo launch --workers N -- COMMAND ...``: N local workers of one cluster (see :mod:`tfgan_zoo.launcher`)."""
    from .launcher import launch_local_workers

    command = list(args.worker_command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("give the command each worker runs after --, e.g. "
                         "`tfgan-zoo launch --workers 2 -- train wgangp --data ring8`.")
    if command[0] == "launch":
        raise UsageError("the workers' command cannot be `launch` itself; give e.g. `-- train wgangp --data ring8`.")
    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be at least 1.")
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout {args.timeout}: must be more than 0 seconds.")
    if command[0] == "train" and "--multi-worker" not in command:
        command.append("--multi-worker")
    return launch_local_workers([sys.executable, "-m", "tfgan_zoo.cli", *command], args.workers,
                                timeout=args.timeout)


def variants(args):
    from . import zoo

    for name in zoo.available_variants():
        print(f"{name:16s} {zoo.VARIANTS[name].summary}")
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    command = {"train": train, "recipes": show_recipes, "sample": sample, "evaluate": evaluate, "export": export,
               "variants": variants, "launch": launch}[args.command]
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
