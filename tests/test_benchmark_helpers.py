"""The benchmarks' own bookkeeping (benchmarks/_common.py and the scripts' summaries over seeds), on hand-made runs
whose means, spreads and verdicts are worked out by hand."""
import json
import math
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

import _common  # noqa: E402
from tfgan_zoo import recipes  # noqa: E402
import toy_coverage  # noqa: E402
import zoo_mnist  # noqa: E402


def test_mean_and_std_skips_non_finite_values_and_is_nan_when_none_is_left():
    assert _common.mean_and_std([1.0, 3.0, float("nan"), float("inf")]) == {"mean": 2.0, "std": 1.0}
    assert _common.mean_and_std(iter([5])) == {"mean": 5.0, "std": 0.0}
    empty = _common.mean_and_std([float("nan")])
    assert math.isnan(empty["mean"]) and math.isnan(empty["std"])


def test_parse_option_reads_json_values_and_keeps_other_text():
    assert _common.parse_option("n_critic=2") == ("n_critic", 2)
    assert _common.parse_option("gp_weight=0.5") == ("gp_weight", 0.5)
    assert _common.parse_option("pack=[2, 3]") == ("pack", [2, 3])
    assert _common.parse_option("loss=hinge") == ("loss", "hinge")
    for text in ("n_critic", "=2"):
        with pytest.raises(SystemExit, match="--option .*use KEY=JSON"):
            _common.parse_option(text)


def test_load_results_resumes_what_was_written_and_starts_empty_otherwise(tmp_path):
    assert _common.load_results(tmp_path / "missing.json") == {"runs": [], "settings": {}}
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"runs": [{"label": "gan", "seed": 0}], "baseline": {"fid": 1.5}}))
    loaded = _common.load_results(path)
    assert loaded["runs"] == [{"label": "gan", "seed": 0}] and loaded["baseline"] == {"fid": 1.5}
    assert loaded["settings"] == {}


def _mnist_run(label, variant, seed, confident, independent=0.85, deviation=0.02, precision=0.8, steps=1000,
               overrides=None, rid="r1"):
    return {"label": label, "variant": variant, "seed": seed, "overrides": overrides or {}, "recipe_id": rid,
            "recipe": {"steps": steps, "augment": "none"}, "generator_steps": steps, "train_cpu_seconds": 600.0,
            "fid": 10.0 * seed + 5, "kid": 0.01, "is": 9.0, "precision": precision, "recall": 0.8,
            "confident_fraction": confident, "independent_confident_fraction": independent,
            "max_class_deviation": deviation, "classes_present": 10}


MNIST_BASELINE = {"fid": 1.6, "kid": 0.0, "is": 9.6, "precision": 0.894, "recall": 0.898, "max_class_deviation": 0.007,
                  "classes_present": 10, "confident_fraction": 0.983, "independent_confident_fraction": 0.891}


def test_zoo_mnist_summary_judges_the_bar_on_the_means_over_seeds():
    current = {"gan": "r1", "wgangp": "r1"}
    runs = [
        _mnist_run("wgangp", "wgangp", 0, 0.70),
        _mnist_run("gan", "gan", 0, 0.86, independent=0.83),
        _mnist_run("gan", "gan", 1, 0.80, independent=0.85),   # alone below 0.82; the mean 0.83 meets the bar
        _mnist_run("gan [steps=9]", "gan", 0, 0.95, overrides={"steps": 9}, rid="r9"),  # a --set row: after
        {"label": "gan", "variant": "gan", "seed": 2, "recipe_id": "r1", "error": "Traceback ...\nFloatingPointError"},
        _mnist_run("wgangp", "wgangp", 1, 0.90, rid="old"),    # a recipe that has changed since
    ]
    rows = zoo_mnist.summarise(runs, current_ids=current)
    assert [row["label"] for row in rows] == ["gan", "wgangp", "gan [steps=9]", "wgangp (recipe old)"]
    gan, wgangp, tuned, old = rows
    assert gan["seeds"] == [0, 1] and gan["recipe_row"] and not tuned["recipe_row"] and not old["recipe_row"]
    assert gan["confident_fraction"]["mean"] == pytest.approx(0.83)
    assert gan["confident_fraction"]["std"] == pytest.approx(0.03)
    assert gan["meets_target"] and not wgangp["meets_target"] and tuned["meets_target"]
    for change in ({"independent": 0.81}, {"deviation": 0.031}, {"precision": 0.74}):
        (row,) = zoo_mnist.summarise([_mnist_run("gan", "gan", 0, 0.9, **change)], current_ids=current)
        assert not row["meets_target"], change
    table = zoo_mnist.summary_table([gan], MNIST_BASELINE)
    assert table[2].startswith("| *real digits* | — | — | — | — | 0.983 | 0.891 | 0.894 |")
    assert table[3] == ("| gan | none | 2 | 1,000 | 10.0 | 0.830 ± 0.030 | 0.840 ± 0.010 | 0.800 ± 0.000 | "
                        "0.800 ± 0.000 | 0.020 ± 0.000 | 10 | 10.0 ± 5.0 | 9.00 ± 0.00 | **yes** |")


def test_zoo_mnist_markdown_puts_the_recipe_rows_first_and_counts_those_meeting_the_bar():
    runs = [_mnist_run("gan", "gan", 0, 0.9), _mnist_run("gan [steps=9]", "gan", 0, 0.5, overrides={"steps": 9},
                                                         rid="r9")]
    rows = zoo_mnist.summarise(runs, current_ids={"gan": "r1"})
    text = zoo_mnist.markdown(rows, MNIST_BASELINE, {"machine": "test", "tensorflow": "x", "keras": "y"})
    recipes_part, tuning = text.split("## Settings tried while tuning")
    assert "## Recipes: 1 of 1 variants meet the bar" in recipes_part and "| gan | none | 1 |" in recipes_part
    assert "gan [steps=9]" not in recipes_part and "| gan [steps=9] | none | 1 |" in tuning


def test_toy_summary_meets_the_bar_on_the_means_over_seeds():
    def run(seed, modes, hq, mixture="ring_of_8"):
        return {"label": "gan", "variant": "gan", "mixture": mixture, "seed": seed,
                "num_modes": {"ring_of_8": 8, "grid_of_25": 25}[mixture], "overrides": {}, "recipe": {"steps": 100},
                "recipe_id": "r1",
                "modes_captured": modes, "high_quality_fraction": hq,
                "reverse_kl": float("nan") if modes == 0 else 0.1, "train_cpu_seconds": 10.0,
                "train_wall_seconds": 12.0, "generator_steps_per_second": 500.0}

    def summarise(runs):
        return toy_coverage.summarise(runs, current_ids={"gan": "r1"})

    (row,) = summarise([run(0, 8, 0.97), run(1, 7, 0.99)])
    assert row["modes_captured"] == {"mean": 7.5, "std": 0.5} and row["seeds"] == 2 and row["recipe_row"]
    assert row["high_quality_fraction"]["mean"] == pytest.approx(0.98) and not row["meets_target"]
    (row,) = summarise([run(0, 8, 0.91), run(1, 8, 0.90)])
    assert row["meets_target"]
    (row,) = summarise([run(0, 8, 0.91), run(1, 8, 0.88)])  # mean HQ 89.5 % < 90 %
    assert not row["meets_target"]
    (row,) = summarise([run(0, 24, 0.81, "grid_of_25"), run(1, 24, 0.80, "grid_of_25")])
    assert row["meets_target"]  # the grid's bar: 24/25 and 80 %
    (row,) = summarise([run(0, 0, 0.0), run(1, 8, 0.5)])  # no modes: its KL is NaN, left out
    assert row["reverse_kl"] == {"mean": 0.1, "std": 0.0}
    (row,) = toy_coverage.summarise([run(0, 8, 0.97)], current_ids={"gan": "r2"})  # the recipe changed since
    assert row["label"] == "gan (recipe r1)" and not row["recipe_row"]
    assert _common.run_label("gan", {"model": {"n_critic": 2}, "steps": 10}) == "gan [model.n_critic=2, steps=10]"


def test_merge_results_adds_the_other_folders_new_runs_and_keeps_its_own_on_a_clash(tmp_path):
    other = [{"label": "gan", "seed": 0, "fid": 99.0}, {"label": "gan", "seed": 1, "fid": 40.0},
             {"label": "wgan", "seed": 0, "error": "Traceback ..."}]
    (tmp_path / "bench.json").write_text(json.dumps({"runs": other}))

    def load_samples(path):
        assert path == tmp_path / "bench_samples.npz"
        return {"gan|0": "theirs", "gan|1": "theirs"}

    runs, samples = _common.merge_results([{"label": "gan", "seed": 0, "fid": 30.0}], {"gan|0": "ours"}, tmp_path,
                                          "bench", zoo_mnist._run_key, load_samples)
    assert runs == [{"label": "gan", "seed": 0, "fid": 30.0}, {"label": "gan", "seed": 1, "fid": 40.0}]
    assert samples == {"gan|0": "ours", "gan|1": "theirs"}


def test_zoo_mnist_report_keeps_the_settings_and_baseline_the_runs_were_made_with(tmp_path):
    settings = {"machine": "the runs' machine", "tensorflow": "x", "keras": "y"}
    runs = [_mnist_run("gan", "gan", 0, 0.9, rid=zoo_mnist.recipe_id(recipes.resolve("gan", "28px")))]
    (tmp_path / "zoo_mnist.json").write_text(json.dumps({"settings": settings, "baseline": MNIST_BASELINE,
                                                         "runs": runs}))
    zoo_mnist.main(["--report", "--out", str(tmp_path)])
    written = json.loads((tmp_path / "zoo_mnist.json").read_text())
    assert written["settings"]["machine"] == "the runs' machine" and written["baseline"] == MNIST_BASELINE
    assert written["runs"] == runs and written["summary"][0]["recipe_row"]
    assert "## Recipes: 1 of 1 variants meet the bar" in (tmp_path / "zoo_mnist.md").read_text()


class _FakeTraining:
    """A stand-in for a benchmark's ``train_and_score``: records its calls, scores a run ``10 * seed + 1`` and
    raises for the (variant, mixture, seed) in ``failing``; no TensorFlow training."""

    def __init__(self, failing=()):
        self.calls, self.failing = [], set(failing)

    def __call__(self, variant, mixture, seed, overrides):
        self.calls.append((variant, mixture, seed, overrides))
        if (variant, mixture, seed) in self.failing:
            raise FloatingPointError("non-finite figures")
        record = {"variant": variant, "label": _common.run_label(variant, overrides), "mixture": mixture,
                  "seed": seed, "overrides": overrides, "score": 10.0 * seed + 1,
                  "recipe": recipes.resolve(variant, "toy", overrides),
                  "recipe_id": _common.recipe_id(recipes.resolve(variant, "toy", overrides))}
        return record, np.full((5, 2), float(seed)), f"model of {variant}"


def _fake_benchmark(training, shipped=None, extras_calls=None):
    """A :class:`_common.RecipeBenchmark` over the toy recipes whose hooks are plain bookkeeping."""

    def summarise(runs):
        good = [run for run in runs if "error" not in run]
        return [{"runs": len(good), "failed": len(runs) - len(good),
                 "mean_score": _common.mean_and_std(run["score"] for run in good)["mean"]}]

    def extras(previous, samples, training):
        if extras_calls is not None:
            extras_calls.append(training)
        return {"baseline": previous.get("baseline") or {"score": 0.5}}

    def ship(model, record):
        shipped.append((model, record["seed"]))
        return {"scores": {"score": record["score"]}}

    return _common.RecipeBenchmark(
        stem="fake", family="toy", description="fake benchmark", results_dir=None, data=("ring_of_8", "grid_of_25"),
        data_field="mixture", seeds=(0, 1), quick_variants=("gan",), quick_steps=7, train_and_score=training,
        summarise=summarise, describe=lambda record: f"{record['label']} done", ship=ship,
        shipped_name=lambda record: f"{record['variant']}_fake", settings={"eval_seed": 1234},
        markdown=lambda rows, results: f"{rows[0]['runs']} runs, {rows[0]['failed']} failed\n",
        plot=lambda rows, results, path: path.write_text(",".join(sorted(results["samples"]))), extras=extras)


def _written(folder, stem="fake"):
    return json.loads((folder / f"{stem}.json").read_text())


def test_recipe_benchmark_records_a_failed_run_goes_on_and_retrains_only_what_is_missing(tmp_path):
    training = _FakeTraining(failing={("hinge", "ring_of_8", 1)})
    benchmark = _fake_benchmark(training)
    benchmark.main(["--variants", "gan", "hinge", "--seeds", "0", "1", "--out", str(tmp_path)])
    # variants x mixtures x seeds, in that order; the failure did not end the loop
    assert [call[:3] for call in training.calls] == [
        (v, m, s) for v in ("gan", "hinge") for m in ("ring_of_8", "grid_of_25") for s in (0, 1)]
    written = _written(tmp_path)
    assert list(written) == ["settings", "baseline", "runs", "summary"]
    assert written["summary"] == [{"runs": 7, "failed": 1, "mean_score": (4 * 1 + 3 * 11) / 7}]
    (failed,) = [run for run in written["runs"] if "error" in run]
    assert (failed["label"], failed["mixture"], failed["seed"]) == ("hinge", "ring_of_8", 1)
    assert "FloatingPointError: non-finite figures" in failed["error"]
    assert written["settings"]["eval_seed"] == 1234 and written["settings"]["machine"] == _common.machine_description()
    assert (tmp_path / "fake.md").read_text() == "7 runs, 1 failed\n"
    # the first seed's samples only, keyed label|recipe id|mixture|seed
    gan_id = _common.recipe_id(recipes.resolve("gan", "toy"))
    assert f"gan|{gan_id}|grid_of_25|0" in (tmp_path / "fake.png").read_text()
    samples = np.load(tmp_path / "fake_samples.npz")
    assert len(samples) == 4 and not any(key.endswith("|1") for key in samples)

    again = _FakeTraining()
    _fake_benchmark(again).main(["--variants", "gan", "hinge", "--seeds", "0", "1", "--out", str(tmp_path)])
    assert again.calls == [("hinge", "ring_of_8", 1, {})]  # resumes: only the failed run trains again
    written = _written(tmp_path)
    assert written["summary"][0] == {"runs": 8, "failed": 0, "mean_score": 6.0}
    assert len(written["runs"]) == 8


def test_recipe_benchmark_ship_retrains_seed_zero_and_a_failed_rerun_keeps_the_good_record(tmp_path, capsys):
    _fake_benchmark(_FakeTraining()).main(["--variants", "gan", "--mixtures", "ring_of_8", "--out", str(tmp_path)])
    before = _written(tmp_path)["runs"]
    shipped, training = [], _FakeTraining(failing={("gan", "ring_of_8", 0)})
    _fake_benchmark(training, shipped).main(["--variants", "gan", "--mixtures", "ring_of_8", "--ship",
                                             "--out", str(tmp_path)])
    assert [call[:3] for call in training.calls] == [("gan", "ring_of_8", 0)]  # seed 1 is done and not shipped
    assert shipped == [] and _written(tmp_path)["runs"] == before
    assert "gan ring_of_8 seed 0: FAILED FloatingPointError" in capsys.readouterr().out
    _fake_benchmark(_FakeTraining(), shipped).main(["--variants", "gan", "--mixtures", "ring_of_8", "--ship",
                                                    "--out", str(tmp_path)])
    assert shipped == [("model of gan", 0)] and "shipped gan_fake: {'score': 1.0}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        _fake_benchmark(_FakeTraining()).main(["--ship", "--set", "steps=10", "--out", str(tmp_path)])
    assert "--ship ships recipe rows only" in capsys.readouterr().err


def test_recipe_benchmark_quick_runs_the_quick_variants_briefly_into_their_own_files(tmp_path, capsys):
    training = _FakeTraining()
    _fake_benchmark(training).main(["--quick", "--out", str(tmp_path)])
    quick = {"steps": 7, "steps_per_epoch": 7}
    assert training.calls == [("gan", "ring_of_8", 0, quick), ("gan", "grid_of_25", 0, quick)]
    assert (tmp_path / "fake_quick.json").exists() and not (tmp_path / "fake.json").exists()
    assert _written(tmp_path, "fake_quick")["runs"][0]["label"] == "gan [steps=7, steps_per_epoch=7]"
    with pytest.raises(SystemExit):
        _fake_benchmark(training).main(["--variants", "no_such_gan", "--out", str(tmp_path)])
    assert "error: --variants no_such_gan: no toy recipe; use names from " in capsys.readouterr().err


def test_recipe_benchmark_merge_and_report_rewrite_the_outputs_without_training(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    _fake_benchmark(_FakeTraining()).main(["--variants", "gan", "--mixtures", "ring_of_8", "--seeds", "0",
                                           "--out", str(ours)])
    _fake_benchmark(_FakeTraining(failing={("hinge", "ring_of_8", 1)})).main(
        ["--variants", "gan", "hinge", "--mixtures", "ring_of_8", "--seeds", "0", "1", "--out", str(theirs)])
    settings = _written(ours)["settings"]
    path = ours / "fake.json"
    path.write_text(json.dumps({**_written(ours), "settings": {**settings, "machine": "the runs' machine"},
                                "baseline": {"score": 0.25}}))
    training, extras_calls = _FakeTraining(), []
    _fake_benchmark(training, extras_calls=extras_calls).main(["--merge", str(theirs), "--out", str(ours)])
    assert training.calls == [] and extras_calls == [False]
    written = _written(ours)
    # ours (gan 0) + theirs' new good runs (gan 1, hinge 0); their failed hinge 1 is left out
    assert [(run["label"], run["seed"]) for run in written["runs"]] == [("gan", 0), ("gan", 1), ("hinge", 0)]
    assert written["settings"]["machine"] == "the runs' machine" and written["baseline"] == {"score": 0.25}
    assert len(np.load(ours / "fake_samples.npz")) == 2  # gan 0 (ours) and hinge 0 (theirs)
    (ours / "fake.md").unlink()
    _fake_benchmark(training).main(["--report", "--out", str(ours)])
    assert training.calls == [] and (ours / "fake.md").read_text() == "3 runs, 0 failed\n"
    assert _written(ours) == written


def test_merge_adopts_a_set_probe_whose_recipe_is_todays_and_keeps_others_as_tuning_rows(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    today = recipes.resolve("gan", "toy")
    # a probe that set the gan recipe's own latent size and data scale (so it trained today's recipe; its 1 is the
    # recipe's 1.0, though the two fingerprints differ) and one that changed the recipe
    assert today["point_scale"] == 1.0
    _fake_benchmark(_FakeTraining()).main(["--variants", "gan", "--mixtures", "ring_of_8", "--seeds", "0",
                                           "--set", f"latent_dim={today['latent_dim']}", "--set", "point_scale=1",
                                           "--out", str(theirs)])
    assert _written(theirs)["runs"][0]["recipe_id"] != _common.recipe_id(today)
    _fake_benchmark(_FakeTraining()).main(["--variants", "gan", "--mixtures", "ring_of_8", "--seeds", "1",
                                           "--set", "latent_dim=64", "--out", str(theirs)])
    _fake_benchmark(_FakeTraining()).main(["--merge", str(theirs), "--out", str(ours)])
    adopted, probe = _written(ours)["runs"]
    assert (adopted["label"], adopted["overrides"], adopted["seed"]) == ("gan", {}, 0)
    assert adopted["made_with_set"] == {"latent_dim": today["latent_dim"], "point_scale": 1}
    assert adopted["recipe_id"] == _common.recipe_id(today) and adopted["recipe"] == today
    assert (probe["label"], probe["overrides"]) == ("gan [latent_dim=64]", {"latent_dim": 64})
    assert "made_with_set" not in probe
    # the adopted run's samples moved to the recipe row's key, so the figure finds them
    assert set(np.load(ours / "fake_samples.npz")) == {f"gan|{adopted['recipe_id']}|ring_of_8|0",
                                                       f"gan [latent_dim=64]|{probe['recipe_id']}|ring_of_8|1"}
    # and a later recipe run of that seed is not trained again
    training = _FakeTraining()
    _fake_benchmark(training).main(["--variants", "gan", "--mixtures", "ring_of_8", "--seeds", "0",
                                    "--out", str(ours)])
    assert training.calls == []


def test_recipe_step_time_rejects_a_pair_without_data(capsys):
    import recipe_step_time

    with pytest.raises(SystemExit):
        recipe_step_time.main(["--pairs", "gan"])
    assert "--pairs 'gan': use VARIANT:DATA" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        recipe_step_time.main(["--pairs", "nope:mnist"])
    assert "--pairs 'nope:mnist': variant='nope' is not in the zoo" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        recipe_step_time.main(["--pairs", "gan:mnist", "--threads", "0"])
    assert "--threads 0: must be at least 1." in capsys.readouterr().err


def test_recipe_step_time_times_both_paths_and_keeps_earlier_runs(tmp_path):
    import recipe_step_time

    earlier = {"runs": [{"date": "earlier", "rows": []}], "settings": {}}
    (tmp_path / "recipe_step_time.json").write_text(json.dumps(earlier))
    recipe_step_time.main(["--pairs", "gan:ring8", "--steps", "50", "--rounds", "1", "--warmup", "1", "--out", str(tmp_path)])
    runs = json.loads((tmp_path / "recipe_step_time.json").read_text())["runs"]
    assert runs[0] == earlier["runs"][0] and len(runs) == 2  # a rerun appends; nothing recorded is lost
    (row,) = runs[1]["rows"]
    assert (row["variant"], row["data"], row["family"], row["steps_per_execution"]) == ("gan", "ring8", "toy", 50)
    assert set(row["ms_per_step"]) == {"no XLA", "XLA"} and all(v > 0 for v in row["ms_per_step"].values())
    assert "| gan | ring8 | toy | 512 | 50 |" in (tmp_path / "recipe_step_time.md").read_text()
    assert (tmp_path / "recipe_step_time.png").stat().st_size > 0


def test_zoo_mnist_shipped_table_lists_mnist_generators_best_first_from_the_manifest(tmp_path):
    def scores(ours, theirs):
        return {"confident_fraction": ours, "independent_confident_fraction": theirs, "precision": 0.8,
                "max_class_deviation": 0.01, "fid": 5.0}
    manifest = {"generators": {
        "gan_ring": {"data": "ring_of_8"},  # not MNIST: left out
        "lsgan_mnist": {"data": "mnist", "fid": 30.0, "generator_steps": 12000},  # before the recipes
        "gan_mnist": {"data": "mnist", "recipe": {"variant": "gan"}, "generator_steps": 12000,
                      "scores": scores(0.95, 0.70), "meets_target": False},  # ranked by its weaker judge: 0.70
        "hinge_mnist": {"data": "mnist", "recipe": {"variant": "hinge"}, "generator_steps": 12000,
                        "scores": scores(0.85, 0.84), "meets_target": True}}}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    table = [line for line in zoo_mnist.shipped_table(path) if line.startswith("| `")]
    assert [line.split("`")[1] for line in table] == ["hinge_mnist", "gan_mnist", "lsgan_mnist"]
    assert table[0].endswith("| 0.850 | 0.840 | 0.800 | 0.010 | 5.0 | **yes** |")
    assert f"recipe {_common.recipe_id({'variant': 'hinge'})}" in table[0]
    assert "| older protocol | 12,000 | — |" in table[2]


def test_timed_fit_times_the_steps_and_not_what_fit_does_after_them():
    # A callback that sleeps 0.3 s when training ends stands in for fit's tf.data tear-down: the whole call
    # contains it, the step time does not, and the losses are the last logged values.
    import time

    import keras
    import tensorflow as tf

    class SlowEnd(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            time.sleep(0.3)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    keras_fit = model.fit
    model.fit = lambda *args, callbacks=(), **kwargs: keras_fit(*args, callbacks=[*callbacks, SlowEnd()], **kwargs)
    model.compile(optimizer="sgd", loss="mse")
    data = tf.data.Dataset.from_tensors((tf.ones((4, 2)), tf.zeros((4, 1)))).repeat()
    timing = _common.timed_fit(model, data, steps=3)
    assert timing["fit_seconds"] - timing["step_seconds"] >= 0.3
    assert 0 < timing["step_seconds"] < 0.3
    assert set(timing["losses"]) == {"loss"} and math.isfinite(timing["losses"]["loss"])
