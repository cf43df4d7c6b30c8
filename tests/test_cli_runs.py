"""`tfgan-zoo train` run folders: a rerun never destroys a record (refuse, resume explicitly, or say it is done)."""
import json
import os

import pytest

from tfgan_zoo import cli

TINY_SETS = [f"--set={key}={json.dumps(value)}" for key, value in [
    ("networks", {"generator": {"hidden_units": [8]}, "discriminator": {"hidden_units": [8]}}), ("batch_size", 16),
    ("steps", 4), ("steps_per_epoch", 2), ("steps_per_execution", 1), ("jit_compile", False)]]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "gan"
    assert cli.main(["train", "gan", "--data", "ring8", "--out", str(out), *TINY_SETS]) == 0
    return out


def _snapshot(folder):
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_a_finished_run_is_neither_retrained_nor_overwritten(finished_run, capsys):
    before = _snapshot(finished_run)
    assert cli.main(["train", "gan", "--data", "ring8", "--out", str(finished_run), *TINY_SETS]) == 2
    assert "already holds a finished run" in capsys.readouterr().err
    assert cli.main(["train", "gan", "--data", "ring8", "--out", str(finished_run), "--resume"]) == 0
    assert "nothing to resume" in capsys.readouterr().out
    assert _snapshot(finished_run) == before


def test_metrics_json_is_valid_json_with_every_epoch(finished_run):
    text = (finished_run / "metrics.json").read_text()
    metrics = json.loads(text)  # no bare NaN either
    assert "NaN" not in text and metrics["epochs_run"] == 2 and len(metrics["history"]["d_loss"]) == 2
    assert metrics["recipe"]["variant"] == "gan"


def _interrupted(tmp_path, variant="gan"):
    """A run folder as a killed run leaves it: its recipe, logs and no model.keras."""
    out = tmp_path / "killed"
    out.mkdir()
    recipe = cli.build_training(cli.build_parser().parse_args(["train", variant, "--data", "ring8", *TINY_SETS])).recipe
    (out / "recipe.json").write_text(json.dumps(recipe))
    (out / "metrics.csv").write_text("epoch,d_loss,g_loss\n0,1.0,0.5\n")
    return out


def test_an_interrupted_run_is_resumed_only_when_asked(tmp_path, capsys):
    out = _interrupted(tmp_path)
    before = _snapshot(out)
    assert cli.main(["train", "gan", "--data", "ring8", "--out", str(out), *TINY_SETS]) == 2
    assert "holds an interrupted run; pass --resume" in capsys.readouterr().err
    assert _snapshot(out) == before


@pytest.mark.parametrize("argv, message", [
    (["train", "wgangp", "--resume"], "holds a 'gan' run, not 'wgangp'"),
    (["train", "gan", "--resume", "--set", "steps=8"], "change the run's recipe (steps)"),
    (["train", "gan", "--resume", "--recipe", "other.json"], "drop --recipe other.json"),
])
def test_a_resume_that_would_change_the_run_names_what_differs(tmp_path, capsys, argv, message):
    out = _interrupted(tmp_path)
    before = _snapshot(out)
    assert cli.main([*argv, "--data", "ring8", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert _snapshot(out) == before


def test_resume_of_a_folder_without_a_run_is_refused(tmp_path, capsys):
    assert cli.main(["train", "gan", "--data", "ring8", "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "holds no run to resume" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("option", ["--steps", "--epochs", "--latent-dim", "--steps-per-epoch", "--batch-size"])
def test_zero_is_an_error_not_the_default(tmp_path, capsys, option):
    assert cli.main(["train", "gan", "--data", "ring8", "--out", str(tmp_path / "x"), option, "0"]) == 2
    assert f"{option} 0: must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_zero_minutes_is_an_error(tmp_path, capsys):
    assert cli.main(["train", "gan", "--data", "ring8", "--out", str(tmp_path / "x"), "--minutes", "0"]) == 2
    assert "--minutes 0.0: the budget must be more than 0 minutes" in capsys.readouterr().err


def test_the_history_of_a_resumed_run_is_read_from_its_csv(tmp_path):
    csv_path = tmp_path / "metrics.csv"
    csv_path.write_text("epoch,d_loss,g_loss,lr\n0,1.5,0.5,NA\n1,1.25,nan,NA\n2,1.0,0.75,NA\n")

    class History:
        history = {"d_loss": [1.0], "g_loss": [0.75]}

    history = cli._history_of_every_epoch(str(csv_path), History())
    assert history["d_loss"] == [1.5, 1.25, 1.0] and history["g_loss"][0] == 0.5 and history["g_loss"][2] == 0.75
    assert cli._json_safe(history)["g_loss"][1] is None and history["lr"] == [None, None, None]
    assert cli._history_of_every_epoch(str(tmp_path / "missing.csv"), History()) == History.history


def test_an_mnist_run_ends_with_a_score_card_next_to_real_digits(tmp_path, capsys):
    out = tmp_path / "digits"
    argv = ["train", "gan", "--data", "mnist", "--out", str(out), "--set", "steps=4", "--set", "steps_per_epoch=2",
            "--set", "jit_compile=false", "--minutes", "0.0001"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "metrics.json").read_text())
    scores, real = summary["scores"], summary["scores"]["real_baseline"]
    assert "--minutes 0.0001 budget stopped the run after 1 of the recipe's 4 generator steps" in printed
    assert summary["stopped_by"] == "time budget (--minutes 0.0001)" and summary["generator_steps"] == 1
    for key in ("fid", "kid", "is", "precision", "recall", "confident_fraction", "class_frequencies"):
        assert key in scores and key in real
    assert len(scores["class_frequencies"]) == 10 and sum(scores["class_frequencies"]) == pytest.approx(1.0)
    assert real["confident_fraction"] > 0.95 and scores["confident_fraction"] < 0.2  # one step draws no digits
    assert real["fid"] < 3 < scores["fid"]
    assert "confident (p >= 0.9)" in printed and "real digits" in printed and "digit histogram" in printed


@pytest.mark.parametrize("data,variant", [("mnist", "cgan"), ("ring8", "gan"), ("digits", "gan")])
def test_train_without_a_variant_trains_the_datasets_best_measured_one(data, variant):
    from tfgan_zoo import zoo

    args = cli.build_parser().parse_args(["train", "--data", data, "--set", "jit_compile=false"])
    assert args.variant is None
    run = cli.build_training(args)
    assert run.recipe["variant"] == variant == zoo.default_variant(data) and args.variant == variant
