"""What the benchmark scripts share: their resumable results files, ``--option KEY=JSON``, mean ± std over
seeds, the machine they ran on, the labels and fingerprints of recipe rows, and the driver of the recipe
benchmarks (:class:`RecipeBenchmark`: build through the catalogue, train and time, resume, merge, report, ship).
The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and they import it as
``_common``."""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import time
import traceback

import numpy as np


def load_results(json_path: pathlib.Path) -> dict:
    """The results a benchmark wrote earlier to ``json_path`` (``runs``, ``settings`` and whatever else it keeps),
    or empty ones: runs accumulate across invocations, so an interrupted benchmark resumes."""
    if not json_path.exists():
        return {"runs": [], "settings": {}}
    previous = json.loads(json_path.read_text())
    previous.setdefault("runs", [])
    previous.setdefault("settings", {})
    return previous


def merge_results(runs, samples, folder: pathlib.Path, stem: str, run_key, load_samples, adopt=None, sample_key=None):
    """``(runs, samples)`` with the runs of ``folder/<stem>.json`` that ``runs`` lacks (by ``run_key``; failed
    ones left out) and the samples of ``folder/<stem>_samples.npz`` (read by ``load_samples``, a path -> dict
    function); on a clash the runs and samples already here win. For a sweep run into another folder.

    ``adopt`` (record -> record) may re-key an incoming run first (e.g. a ``--set`` probe whose resolved recipe has
    since become the catalogue's); its samples then move to the new ``sample_key(record)``."""
    other = [run for run in load_results(folder / f"{stem}.json")["runs"] if "error" not in run]
    other_samples = load_samples(folder / f"{stem}_samples.npz")
    if adopt is not None:
        adopted = [(run, adopt(run)) for run in other]
        for before, after in adopted:
            if sample_key(before) in other_samples:
                other_samples[sample_key(after)] = other_samples.pop(sample_key(before))
        other = [after for _, after in adopted]
    keys = {run_key(run) for run in runs}
    merged = list(runs) + [run for run in other if run_key(run) not in keys]
    return merged, {**other_samples, **samples}


def parse_option(text: str) -> tuple[str, object]:
    """``KEY=JSON`` of ``--option`` as (key, value); a value that is not JSON is kept as a string
    (``loss=hinge``). Raises SystemExit with the expected form when there is no ``=`` or no key."""
    key, equals, value = text.partition("=")
    if not key or not equals:
        raise SystemExit(f"--option {text!r}: use KEY=JSON, e.g. --option n_critic=2")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def mean_and_std(values) -> dict:
    """``{"mean", "std"}`` (population std) of the finite ``values``; NaN for both when none is finite."""
    values = np.asarray(list(values), dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return {"mean": float("nan"), "std": float("nan")}
    return {"mean": float(finite.mean()), "std": float(finite.std())}


def _cpuinfo() -> dict:
    """The first value of every field of ``/proc/cpuinfo`` (``model name``, ``flags``, ...); empty elsewhere."""
    fields = {}
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields


# The vector extensions that decide which kernels TensorFlow and oneDNN can use (bf16 matmuls in particular).
VECTOR_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def machine_description() -> str:
    """The machine a benchmark ran on, e.g. ``x86_64, 2 CPU cores, AMD EPYC (family 25 model 1), avx2``: a CPU-time
    budget buys different numbers of steps on different CPUs, so every run records it."""
    fields = _cpuinfo()
    description = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    if "model name" in fields:
        family, model = fields.get("cpu family", "?"), fields.get("model", "?")
        description += f", {fields['model name']} (family {family} model {model})"
    flags = set(fields.get("flags", "").split())
    vector = [name for name in ("avx512f", "avx512_bf16", "avx2") if name in flags]
    return description + (f", {' '.join(vector)}" if vector else "")


def machine_record() -> dict:
    """The machine as a dict, for benchmarks that keep more than :func:`machine_description`: ``description``,
    ``cpu`` (the model name, ``unknown`` without ``/proc/cpuinfo``), ``cores``, ``lscpu_flags`` (``"avx2 yes,
    avx512f no, ..."`` for :data:`VECTOR_FLAGS`), ``platform``, ``python`` and ``load_average_at_start``. A benchmark
    adds what it alone measures (oneDNN state, GPUs, library versions)."""
    fields = _cpuinfo()
    flags = set(fields.get("flags", "").split())
    return {"description": machine_description(), "cpu": fields.get("model name", "unknown"),
            "cores": os.cpu_count(),
            "lscpu_flags": ", ".join(f"{name} {'yes' if name in flags else 'no'}" for name in VECTOR_FLAGS)
            if fields else "", "platform": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()}


def add_threads_argument(parser):
    """``--threads N``: the TensorFlow threads of the process (see :func:`apply_threads`)."""
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads of this process (e.g. 1 each for two processes on two cores)")


def apply_threads(parser, threads):
    """Sets TensorFlow's intra- and inter-op threads to ``threads`` (nothing when None), before TensorFlow runs
    anything; a count below 1 is a usage error naming ``--threads``."""
    if threads is None:
        return
    if threads < 1:
        parser.error(f"--threads {threads}: must be at least 1.")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def timed_fit(model, dataset, steps: int) -> dict:
    """``model.fit(dataset, steps_per_epoch=steps)`` once, timed two ways: ``step_seconds`` from the start of
    the first host call to the end of the last one (the training steps), and ``fit_seconds`` for the whole call.
    Also ``losses``, the last logged value of each figure.

    The difference is ``fit``'s set-up and tear-down, and the tear-down is not small: destroying the ``tf.data``
    iterator of a dataset with autotuning on (every ``AUTOTUNE`` ``map``/``prefetch``, and Keras's own prefetch)
    sometimes waits about 1.2 s on this project's CPUs (measured on the toy workload: a 500-step ``fit`` of
    1.33 s returned after 2.57 s in about half the calls; in none of 8 with
    ``tf.data.Options().autotune.enabled = False``). A benchmark of short ``fit`` calls that divides the whole
    call by its steps reads that wait as a step twice as slow, at random; ``step_seconds`` does not contain it."""
    import keras

    marks = {}

    class _StepClock(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            marks.setdefault("first", time.perf_counter())

        def on_train_batch_end(self, batch, logs=None):
            marks["last"] = time.perf_counter()

    started = time.perf_counter()
    history = model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False,  # a dataset shuffles itself
                        callbacks=[_StepClock()])
    fit_seconds = time.perf_counter() - started
    return {"step_seconds": marks["last"] - marks["first"], "fit_seconds": fit_seconds,
            "losses": {k: float(v[-1]) for k, v in history.history.items()}}


def run_label(variant: str, overrides=None) -> str:
    """Row label of a recipe run: the variant, plus the ``--set`` overrides of its recipe in brackets."""
    if not overrides:
        return variant
    flat = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in sorted(value.items()):
                walk(f"{prefix}{key}.", inner)
        else:
            flat.append(f"{prefix[:-1]}={json.dumps(value)}")

    walk("", overrides)
    return f"{variant} [{', '.join(flat)}]"


def recipe_id(recipe: dict) -> str:
    """A short fingerprint of what a resolved recipe trains (:func:`tfgan_zoo.recipes.training_view`: no notes,
    no later field at its 'as before' value): runs of a recipe that has changed since are kept, but no longer stand
    for the recipe's row."""
    import hashlib

    from tfgan_zoo.recipes import training_view

    text = json.dumps(training_view(recipe), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def build_recipe_run(variant, data, seed, overrides=None):
    """The run of ``variant``'s recipe for ``data`` (:func:`tfgan_zoo.zoo.build_run`), as ``tfgan-zoo train``
    builds it, in a fresh Keras session (the same automatic layer names as the CLI's)."""
    import keras

    from tfgan_zoo import zoo

    keras.backend.clear_session()
    return zoo.build_run(variant, data, overrides, seed=seed)


def train_recipe_run(variant, data, seed, overrides=None):
    """Builds (:func:`build_recipe_run`) and trains one recipe run, timing its ``fit`` in wall and process CPU
    seconds. Returns ``(run, history, record)``; ``record`` holds what every recipe benchmark keeps of a run:
    variant, label (:func:`run_label`), seed, overrides, resolved recipe and its :func:`recipe_id`, generator
    steps, ``n_critic``, ``train_wall_seconds`` and ``train_cpu_seconds``."""
    run = build_recipe_run(variant, data, seed, overrides)
    wall, cpu = time.perf_counter(), time.process_time()
    history = run.fit(verbose=0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    record = {"variant": variant, "label": run_label(variant, overrides), "seed": seed, "overrides": overrides or {},
              "recipe": run.recipe, "recipe_id": recipe_id(run.recipe),
              "generator_steps": int(run.model.generator_steps.numpy()), "n_critic": run.model.n_critic,
              "train_wall_seconds": wall, "train_cpu_seconds": cpu}
    return run, history, record


class RecipeBenchmark:
    """The driver every recipe benchmark shares (``toy_coverage.py``, ``zoo_mnist.py``): for every variant with a
    recipe of ``family``, every dataset and every seed, train and score one run (``train_and_score``), skipping the
    runs already in ``<out>/<stem>.json``; after every run rewrite the JSON, the Markdown table, the figure and the
    samples, so an interrupted benchmark resumes. A run that raises is recorded with its traceback (``error``) and
    the loop goes on; a failed re-run keeps the good record. ``--report`` only rewrites the outputs from the JSON,
    ``--merge DIR`` first adds another results folder's runs, ``--ship`` also ships the ``ship_seed`` recipe runs.

    A benchmark keeps only what is its own, given here as hooks:

    - ``train_and_score(variant, data, seed, overrides)`` -> ``(record, samples, model)``; ``record`` a dict with
      at least label, variant, seed, recipe_id (and ``data_field`` when there is one) and the scores;
    - ``summarise(runs)`` -> rows; ``markdown(rows, results)`` -> text; ``plot(rows, results, path)``: the figure;
    - ``describe(record)`` -> the line printed after a run; ``ship(model, record)`` -> the manifest entry (with
      ``scores``) of the generator shipped as ``shipped_name(record)``;
    - ``load_samples(path)`` / ``save_samples(samples)`` -> arrays for ``np.savez_compressed``;
    - ``extras(previous, samples, training)`` -> the JSON's top-level entries besides settings, runs and summary
      (e.g. a real-data baseline; it may add fixed panels to ``samples`` when ``training``).

    ``results`` handed to the hooks is ``{"settings", "runs", "samples", **extras}``.

    Args:
      stem: the outputs' file stem (``<stem>_quick`` under ``--quick``).
      family: the recipe family (``toy``, ``28px``) of :mod:`tfgan_zoo.recipes`.
      description: the first line of ``--help``.
      data: the datasets a run trains on; with ``data_field`` (e.g. ``mixture``) they are chosen by ``--<data_field>s``
        and recorded in each run under that field; without it there is one (e.g. ``mnist``).
      seeds: the default ``--seeds``.
      quick_variants, quick_steps: what ``--quick`` trains (first seed only).
      set_example: the example of ``--set``'s help.
      settings: the benchmark's entries of the JSON's ``settings`` (machine and library versions are added).
      grid_samples: how many of a run's samples are kept for the figure (all when None).
      order: the variants that run (and are listed) first, in this order; the others follow in catalogue order.
      results_dir: the default ``--out``.
    """

    ship_seed = 0

    def __init__(self, *, stem, family, description, data, train_and_score, summarise, markdown, plot, describe,
                 ship, shipped_name, results_dir, data_field=None, seeds=(0,), quick_variants=("gan",), quick_steps=100,
                 set_example="--set steps=20000", settings=None, grid_samples=None, load_samples=None,
                 save_samples=None, extras=None, order=()):
        self.stem, self.family, self.description = stem, family, description
        self.data, self.data_field, self.seeds = tuple(data), data_field, list(seeds)
        self.train_and_score, self.summarise, self.markdown, self.plot = train_and_score, summarise, markdown, plot
        self.describe, self.ship, self.shipped_name = describe, ship, shipped_name
        self.quick_variants, self.quick_steps, self.set_example = tuple(quick_variants), quick_steps, set_example
        self.settings, self.grid_samples, self.results_dir = dict(settings or {}), grid_samples, results_dir
        self.load_samples = load_samples or (lambda path: dict(np.load(path)) if path.exists() else {})
        self.save_samples = save_samples or (lambda samples: samples)
        self.extras = extras or (lambda previous, samples, training: {})
        self.order = tuple(order)

    def variants(self):
        """The variants with a recipe of :attr:`family`: those of :attr:`order` first, in its order, then the
        others in catalogue order."""
        from tfgan_zoo import recipes

        names = [name for name, families in recipes.available_recipes().items() if self.family in families]
        return sorted(names, key=lambda name: (self.order + tuple(names)).index(name))

    def key_fields(self):
        return ("label",) + ((self.data_field,) if self.data_field else ()) + ("seed", "recipe_id")

    def run_key(self, record) -> str:
        """What identifies a run in the results: label, dataset (when there are several), seed and recipe id."""
        return json.dumps([record.get(field) if field == "recipe_id" else record[field] for field in self.key_fields()])

    def as_recipe_run(self, record) -> dict:
        """``record`` as a run of its variant's recipe when it is one: a ``--set`` probe whose resolved recipe
        trains what today's recipe trains (:func:`tfgan_zoo.recipes.same_training`, so ``point_scale=1`` and 1.0
        agree) trained exactly that recipe, so it joins the recipe's row with today's recipe and id (its overrides
        kept under ``made_with_set``); any other record unchanged."""
        from tfgan_zoo import recipes

        if not record.get("overrides") or "recipe" not in record or record["variant"] not in self.variants():
            return record
        today = recipes.resolve(record["variant"], self.family)
        if not recipes.same_training(record["recipe"], today):
            return record
        return {**record, "label": run_label(record["variant"]), "overrides": {}, "recipe": today,
                "recipe_id": recipe_id(today), "made_with_set": record["overrides"]}

    def sample_key(self, record) -> str:
        """The key of a run's samples in ``<stem>_samples.npz``: label|recipe id|[dataset|]seed."""
        fields = ["label", "recipe_id"] + ([self.data_field] if self.data_field else []) + ["seed"]
        return "|".join(str(record[field]) for field in fields)

    def write(self, out: pathlib.Path, stem: str, results: dict):
        """Rewrites ``<stem>.json`` (settings, extras, runs, summary), ``.md``, ``_samples.npz`` and ``.png`` from
        ``results``; returns the summary rows."""
        rows = self.summarise(results["runs"])
        extras = {k: v for k, v in results.items() if k not in ("settings", "runs", "samples")}
        (out / f"{stem}.json").write_text(json.dumps({"settings": results["settings"], **extras,
                                                      "runs": results["runs"], "summary": rows}, indent=1))
        (out / f"{stem}.md").write_text(self.markdown(rows, results))
        np.savez_compressed(out / f"{stem}_samples.npz", **self.save_samples(results["samples"]))
        self.plot(rows, results, out / f"{stem}.png")
        return rows

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(description=self.description)
        parser.add_argument("--variants", nargs="+",
                            help=f"zoo variant names (default: every variant with a {self.family} recipe)")
        if self.data_field:
            parser.add_argument(f"--{self.data_field}s", nargs="+", default=list(self.data), choices=self.data)
        parser.add_argument("--seeds", type=int, nargs="+", default=list(self.seeds))
        parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                            help="override a recipe field for these runs (a labelled tuning row), e.g. "
                            f"{self.set_example}")
        parser.add_argument("--quick", action="store_true", help=f"smoke run: {' and '.join(self.quick_variants)}, "
                            f"1 seed, {self.quick_steps} steps, *_quick")
        parser.add_argument("--report", action="store_true", help="only rewrite the table and figure from the JSON")
        parser.add_argument("--merge", type=pathlib.Path, metavar="DIR",
                            help="add the runs (and samples) of another results folder, then rewrite the report")
        parser.add_argument("--ship", action="store_true", help=f"ship the seed-{self.ship_seed} recipe runs (no "
                            "--set) to weights/tfgan_zoo_weights, recorded in tfgan_zoo/pretrained/manifest.json; one "
                            "already in the JSON is trained again")
        add_threads_argument(parser)
        parser.add_argument("--out", type=pathlib.Path, default=self.results_dir)
        return parser

    def main(self, argv=None):
        """The benchmark's command line (see the class docstring)."""
        import keras
        import tensorflow as tf

        from tfgan_zoo import recipes

        parser = self.parser()
        args = parser.parse_args(argv)
        apply_threads(parser, args.threads)
        try:
            overrides = recipes.parse_overrides(args.overrides)
            unknown = sorted(set(args.variants or ()) - set(self.variants()))
            if unknown:
                raise recipes.RecipeError(f"--variants {' '.join(unknown)}: no {self.family} recipe; use names from "
                                          f"{', '.join(self.variants())}.")
            for variant in args.variants or self.variants():  # every override is checked before any training
                recipes.resolve(variant, self.family, overrides)
        except (recipes.RecipeError, ValueError) as error:
            parser.error(str(error))
        if args.ship and overrides:
            parser.error("--ship ships recipe rows only; change the recipe in tfgan_zoo/recipes.py instead of --set.")
        if args.quick:
            overrides = recipes.merge(overrides, {"steps": self.quick_steps, "steps_per_epoch": self.quick_steps})
            args.seeds, args.variants = args.seeds[:1], args.variants or list(self.quick_variants)
        stem = f"{self.stem}_quick" if args.quick else self.stem
        args.out.mkdir(parents=True, exist_ok=True)
        previous = load_results(args.out / f"{stem}.json")
        results = {"settings": {**previous.get("settings", {}), **self.settings, "machine": machine_description(),
                                "tensorflow": tf.__version__, "keras": keras.__version__},
                   "runs": previous["runs"], "samples": self.load_samples(args.out / f"{stem}_samples.npz")}
        if args.merge:
            results["runs"], results["samples"] = merge_results(results["runs"], results["samples"], args.merge,
                                                                stem, self.run_key, self.load_samples,
                                                                adopt=self.as_recipe_run, sample_key=self.sample_key)
        if args.report or args.merge:
            results["settings"]["machine"] = previous["settings"].get("machine", "?")  # a report runs nothing here
            results.update(self.extras(previous, results["samples"], training=False))
            print(self.markdown(self.write(args.out, stem, results), results))
            return
        results.update(self.extras(previous, results["samples"], training=True))
        datasets = getattr(args, f"{self.data_field}s") if self.data_field else self.data
        for variant in args.variants or self.variants():
            for data in datasets:
                for seed in args.seeds:
                    self._run_once(args, stem, results, variant, data, seed, overrides)
        print(self.markdown(self.summarise(results["runs"]), results))

    def _run_once(self, args, stem, results, variant, data, seed, overrides):
        from tfgan_zoo import recipes

        probe = {"label": run_label(variant, overrides), **({self.data_field: data} if self.data_field else {}),
                 "seed": seed, "recipe_id": recipe_id(recipes.resolve(variant, self.family, overrides))}
        done = {self.run_key(r) for r in results["runs"] if "error" not in r}
        shipping = args.ship and seed == self.ship_seed
        if self.run_key(probe) in done and not shipping:
            return
        where = f" {data}" if self.data_field else ""
        try:
            record, points, model = self.train_and_score(variant, data, seed, overrides)
        except Exception as error:  # noqa: BLE001 - one failing variant must not end a long benchmark
            record, points = {**probe, "variant": variant, "error": traceback.format_exc()}, None
            print(f"{probe['label']}{where} seed {seed}: FAILED {type(error).__name__}: {error}", flush=True)
        if points is not None:
            if shipping:
                entry = self.ship(model, record)
                print(f"shipped {self.shipped_name(record)}: {entry['scores']}", flush=True)
            if seed == min(args.seeds):
                results["samples"][self.sample_key(record)] = points[:self.grid_samples]
            print(self.describe(record), flush=True)
        if points is not None or self.run_key(record) not in done:  # a failed re-run keeps the good record
            results["runs"] = [r for r in results["runs"] if self.run_key(r) != self.run_key(record)] + [record]
        self.write(args.out, stem, results)  # after every run: resumable, inspectable
