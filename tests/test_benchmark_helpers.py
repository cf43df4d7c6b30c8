"""The benchmarks' own bookkeeping (benchmarks/_common.py and the scripts' summaries over seeds), on hand-made runs
whose means, spreads and verdicts are worked out by hand."""
import json
import math
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

import _common  # noqa: E402
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


def _mnist_run(label, variant, seed, fid, classes=10, deviation=0.05, steps=1000):
    return {"label": label, "variant": variant, "seed": seed, "fid": fid, "kid": fid / 10, "is": 7.0,
            "precision": 0.5, "recall": 0.8, "max_class_deviation": deviation, "classes_present": classes,
            "generator_steps": steps, "train_cpu_seconds": 600.0}


def test_zoo_mnist_summary_averages_seeds_and_counts_the_seeds_that_meet_the_targets():
    baseline_fid = 1.6  # targets: 10 classes, max deviation <= 0.03, FID <= 3.2
    runs = [
        _mnist_run("wgangp", "wgangp", 0, 90.0, classes=9, steps=200),
        _mnist_run("gan", "gan", 0, 3.0, deviation=0.02, steps=1000),   # meets both targets
        _mnist_run("gan", "gan", 1, 5.0, deviation=0.02, steps=1200),   # FID too high
        _mnist_run("gan [lr=0.001]", "gan", 0, 2.0, deviation=0.01),   # a labelled row: after the defaults
        {"label": "gan", "variant": "gan", "seed": 2, "error": "Traceback ...\nFloatingPointError: nan"},
        _mnist_run("wgangp", "wgangp", 1, 70.0, classes=10, steps=220),
    ]
    rows = zoo_mnist.summarise(runs, baseline_fid)
    assert [row["label"] for row in rows] == ["gan", "wgangp", "gan [lr=0.001]"]  # ORDER, defaults first
    gan, wgangp, tuned = rows
    assert gan["seeds"] == [0, 1]  # the failed seed is left out
    assert gan["fid"] == {"mean": 4.0, "std": 1.0} and gan["generator_steps"] == {"mean": 1100.0, "std": 100.0}
    assert gan["seeds_meeting_targets"] == 1 and tuned["seeds_meeting_targets"] == 1
    assert wgangp["classes_present_min"] == 9 and wgangp["seeds_meeting_targets"] == 0
    assert wgangp["fid"] == {"mean": 80.0, "std": 10.0}
    table = zoo_mnist.summary_table(rows)
    assert gan["generator_steps_by_seed"] == [1000, 1200]
    assert table[2] == ("| gan | 2 | 1,000 / 1,200 | 4.00 ± 1.00 | 0.40 ± 0.10 | 7.00 ± 0.00 | 0.500 ± 0.000 | "
                        "0.800 ± 0.000 | 0.020 ± 0.000 | 10 | 1/2 |")


def test_zoo_mnist_markdown_leads_with_the_mean_over_seeds_of_the_default_rows():
    runs = [_mnist_run("gan", "gan", 0, 30.0), _mnist_run("gan", "gan", 1, 40.0),
            _mnist_run("gan [cpu_minutes=1.5]", "gan", 0, 130.0)]
    baseline = {"fid": 1.6, "kid": 0.0, "is": 9.6, "precision": 0.9, "recall": 0.9, "max_class_deviation": 0.007,
                "classes_present": 10}
    text = zoo_mnist.markdown(runs, baseline, {"batch_size": 64, "machine": "test", "tensorflow": "x", "keras": "y"})
    summary, every_run = text.split("## Every run")
    assert "| gan | 2 | 1,000 / 1,000 | 35.00 ± 5.00 |" in summary and "cpu_minutes=1.5" not in summary
    assert "seeds 0, 1" in text
    assert every_run.count("| gan | ") == 2 and "| gan [cpu_minutes=1.5] | 0 |" in every_run


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
    assert toy_coverage.run_label("gan", {"model": {"n_critic": 2}, "steps": 10}) == "gan [model.n_critic=2, steps=10]"


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


def test_zoo_mnist_report_keeps_the_settings_the_runs_were_made_with_and_names_all_their_seeds(tmp_path):
    baseline = {"fid": 1.6, "kid": 0.0, "is": 9.6, "precision": 0.9, "recall": 0.9, "max_class_deviation": 0.007,
                "classes_present": 10}
    settings = {"cpu_minutes": 10.0, "seeds": [0], "batch_size": 64, "machine": "the runs' machine",
                "tensorflow": "x", "keras": "y"}
    runs = [_mnist_run("gan", "gan", 0, 30.0), _mnist_run("gan", "gan", 1, 40.0)]
    (tmp_path / "zoo_mnist.json").write_text(json.dumps({"settings": settings, "baseline": baseline, "runs": runs}))
    zoo_mnist.main(["--report", "--out", str(tmp_path)])  # no --seeds, --cpu-minutes: the defaults must not win
    written = json.loads((tmp_path / "zoo_mnist.json").read_text())
    assert written["settings"]["machine"] == "the runs' machine" and written["settings"]["seeds"] == [0, 1]
    assert written["runs"] == runs and written["summary"][0]["fid"] == {"mean": 35.0, "std": 5.0}
    assert "seeds 0, 1" in (tmp_path / "zoo_mnist.md").read_text()
