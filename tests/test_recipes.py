"""The recipe catalogue (tfgan_zoo.recipes) and the runs built from it (tfgan_zoo.zoo.build_run)."""
import json
import pathlib
import sys

import keras
import numpy as np
import pytest

from tfgan_zoo import cli, losses, recipes, zoo
from tfgan_zoo.inspection import layers_without_spectral_normalization
from tfgan_zoo.models.sphere import SphereGAN
from tfgan_zoo.callbacks import InstanceNoiseSchedule

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
import toy_coverage  # noqa: E402
import zoo_mnist  # noqa: E402

# Small and quick: a recipe with these changes trains in well under a second per step.
TINY = {"networks": {"generator": {"hidden_units": [8]}, "discriminator": {"hidden_units": [8]}},
        "batch_size": 16, "steps": 4, "steps_per_epoch": 2, "steps_per_execution": 1, "jit_compile": False}


def _tiny(extra=None):
    return recipes.merge(TINY, extra or {})


def test_every_variant_has_a_valid_recipe_in_every_family_it_builds_for():
    available = recipes.available_recipes()
    assert set(available) == set(zoo.available_variants())
    for variant, families in available.items():
        expected = [f for f in recipes.FAMILIES if not (f == "toy" and variant in zoo.IMAGE_ONLY_VARIANTS)]
        assert families == expected, variant
        for family in families:
            resolved = recipes.resolve(variant, family)
            assert set(resolved) == set(recipes.FIELDS) | {"variant", "family"}
            assert resolved["d_optimizer"]["class_name"] and resolved["g_optimizer"]["class_name"]


def test_a_recipe_states_only_what_differs_and_resolves_over_the_paper_optimizer():
    sngan = recipes.resolve("sngan", "toy")
    # SNGAN's ResNet setting: Adam(beta 0, 0.9), the toy family's learning rate on top
    assert sngan["d_optimizer"] == {"class_name": "Adam", "config": {"learning_rate": 1e-3, "beta_1": 0.0,
                                                                     "beta_2": 0.9}}
    assert recipes.recipe_diff(sngan) == {"model": {"setting": "resnet"}, "point_scale": 10.0, "steps": 10000,
                                          "notes": sngan["notes"]}
    assert not sngan["jit_compile"]  # every toy recipe runs without XLA, the faster path on a CPU
    hinge = recipes.resolve("hinge", "toy")
    assert recipes.recipe_diff(hinge) == {"latent_dim": 2, "latent_distribution": "uniform", "notes": hinge["notes"]}
    assert not hinge["jit_compile"]  # the toy family's default: faster without XLA on a CPU
    wgan = recipes.resolve("wgan", "toy")
    assert wgan["d_optimizer"] == {"class_name": "RMSprop", "config": {"learning_rate": 1e-3}}
    assert recipes.resolve("wgan", "28px")["d_optimizer"] == {"class_name": "RMSprop",
                                                              "config": {"learning_rate": 5e-5}}
    assert recipes.resolve("sngan", "32px")["lr_schedule"] == "linear_decay"


@pytest.mark.parametrize("variant", ["sngan", "sphere", "realness", "wgangp", "hinge", "pacgan"])
def test_toy_recipes_keep_the_variants_defining_objective(variant):
    model = zoo.build_run(variant, "ring8", TINY).model
    if variant == "sngan":
        unnormalised, normalised = layers_without_spectral_normalization(model.discriminator)
        assert not unnormalised and normalised
        assert model.loss_pair == losses.get_loss("hinge")
    if variant == "sphere":
        assert isinstance(model, SphereGAN)
    if variant == "wgangp":
        assert model.penalty.name == "gp" and model.penalty_weight == pytest.approx(0.1)
    if variant == "hinge":
        assert model.loss_pair == losses.get_loss("hinge")
    if variant == "pacgan":
        assert model.pack_degree == 2 and model.discriminator.input_shape == (None, 4)


@pytest.mark.parametrize("overrides, message", [
    ({"stepz": 10}, r"recipe key 'stepz' is unknown\. Did you mean 'steps'\?"),
    ({"model": {"n_critc": 2}}, r"model\.'n_critc' is unknown\. Did you mean 'n_critic'\?"),
    ({"networks": {"generator": {"hidden_unit": [8]}}}, r"networks\.generator\.'hidden_unit' is unknown"),
    ({"networks": {"kind": "dcgan"}}, r"networks\.kind='dcgan' does not fit the 'toy' family"),
    ({"steps": 0}, r"recipe steps=0 must be an integer >= 1"),
    ({"steps": 1001}, r"steps=1001 is not a multiple of steps_per_epoch=1000"),
    ({"batch_size": 2.5}, r"batch_size=2\.5 must be an integer"),
    ({"lr_schedule": "cosine"}, r"lr_schedule='cosine' must be 'constant' or 'linear_decay'"),
    ({"instance_noise_anneal": 0}, r"instance_noise_anneal=0 must be a fraction"),
    ({"d_optimizer": "adam"}, r"d_optimizer must be \{'class_name'"),
    ({"model": {"setting": "big"}}, r"model\.setting='big' is not a setting of SNGAN"),
    ({"networks": 3}, r"recipe networks=3 must be a dict of fields"),
    ({"model": "hinge"}, r"recipe model='hinge' must be a dict of fields"),
    ({"networks": {"generator": [64]}}, r"networks\.generator=\[64\] must be a dict of network options"),
])
def test_a_bad_recipe_key_or_value_is_named_in_one_clear_error(overrides, message):
    with pytest.raises(recipes.RecipeError, match=message):
        recipes.resolve("sngan", "toy", overrides)


def test_the_variants_defining_options_cannot_be_overridden():
    with pytest.raises(recipes.RecipeError, match=r"model\.loss='hinge': loss='least_squares' defines the variant "
                                                  r"'lsgan'"):
        recipes.resolve("lsgan", "toy", {"model": {"loss": "hinge"}})
    with pytest.raises(recipes.RecipeError, match="sagan has no toy recipe"):
        recipes.resolve("sagan", "toy")


def test_parse_override_nests_dotted_keys_and_reads_json_values():
    assert recipes.parse_override("model.n_critic=2") == {"model": {"n_critic": 2}}
    assert recipes.parse_override("networks.generator.hidden_units=[64, 64]") == {
        "networks": {"generator": {"hidden_units": [64, 64]}}}
    assert recipes.parse_override("lr_schedule=constant") == {"lr_schedule": "constant"}
    assert recipes.parse_override("jit_compile=false") == {"jit_compile": False}
    for bad in ("steps", "=3", "model..n_critic=2", "steps=NaN"):
        with pytest.raises(recipes.RecipeError, match="--set"):
            recipes.parse_override(bad)


def test_family_follows_the_data_shape():
    assert [recipes.family_for_shape(s) for s in [(2,), (28, 28, 1), (32, 32, 3), (48, 48, 3), (64, 64, 3)]] == [
        "toy", "28px", "32px", "64px", "64px"]
    with pytest.raises(recipes.RecipeError, match="side 28, 32, 48 or 64"):
        recipes.family_for_shape((16, 16, 1))


def test_point_scale_puts_the_data_at_the_recipes_rms_norm_inside_the_nets():
    from tfgan_zoo import data

    run = zoo.build_run("gan", "grid25", _tiny({"point_scale": 2.0}), seed=4)
    first = next(iter(data.toy_mixture("grid25", batch_size=16, seed=4, repeat=True))).numpy()
    factor = 2.0 / np.sqrt(np.mean(np.sum(first.astype(np.float64) ** 2, axis=1)))
    assert factor == pytest.approx(2.0 / 4.0, rel=0.2)  # the grid's RMS norm is 4
    into_critic = [layer for layer in run.model.discriminator.layers if isinstance(layer, keras.layers.Rescaling)]
    out_of_generator = [layer for layer in run.model.generator.layers if isinstance(layer, keras.layers.Rescaling)]
    assert into_critic[0].scale == pytest.approx(factor, rel=1e-6)
    assert out_of_generator[0].scale == pytest.approx(1 / factor, rel=1e-6)
    raw = zoo.build_run("gan", "grid25", _tiny({"point_scale": None}), seed=4).model
    assert not any(isinstance(layer, keras.layers.Rescaling) for layer in raw.discriminator.layers)
    with pytest.raises(recipes.RecipeError, match="point_scale scales the nets to the data"):
        zoo.build_run("gan", (2,), TINY)
    with pytest.raises(recipes.RecipeError, match="point_scale=0 must be a number > 0"):
        recipes.resolve("gan", "toy", {"point_scale": 0})


def test_linear_decay_runs_in_graph_on_each_optimizers_own_iterations():
    run = zoo.build_run("wgangp", "ring8", _tiny({"steps": 8, "steps_per_epoch": 4, "steps_per_execution": 4}))
    run.fit(verbose=0)
    model = run.model
    # after 8 generator steps: the critic made 5 * 8 of its 5 * 8 updates, the generator 8 of 8
    assert int(model.d_optimizer.iterations.numpy()) == 40 and int(model.g_optimizer.iterations.numpy()) == 8
    lr0 = run.recipe["d_optimizer"]["config"]["learning_rate"]
    schedule = model.d_optimizer._learning_rate
    assert float(schedule(20)) == pytest.approx(lr0 * 0.5) and float(schedule(40)) == 0.0
    assert float(model.g_optimizer._learning_rate(6)) == pytest.approx(lr0 * 0.25)


def test_instance_noise_is_annealed_over_the_recipes_fraction_of_the_steps():
    run = zoo.build_run("instance_noise", "ring8", _tiny({"steps": 8, "instance_noise_anneal": 0.25}))
    (schedule,) = run.callbacks
    assert isinstance(schedule, InstanceNoiseSchedule) and schedule.duration == 2
    assert zoo.build_run("gan", "ring8", TINY).callbacks == []
    assert run.fit_kwargs == {"epochs": 4, "steps_per_epoch": 2}


def _weights(model):
    return [np.array(w) for w in model.generator.get_weights() + model.discriminator.get_weights()]


def test_a_resolved_recipe_reproduces_its_run_bit_for_bit():
    first = zoo.build_run("r1", "ring8", TINY, seed=3)
    first.fit(verbose=0)
    keras.backend.clear_session()
    again = zoo.build_run("r1", "ring8", recipe=json.loads(json.dumps(first.recipe)), seed=3)
    assert again.recipe == first.recipe
    again.fit(verbose=0)
    for a, b in zip(_weights(first.model), _weights(again.model)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(recipes.RecipeError, match="the recipe is for variant 'r1', not 'gan'"):
        zoo.build_run("gan", "ring8", recipe=first.recipe)


def _fingerprint(run):
    model = run.model
    return {"class": type(model).__name__, "config": json.dumps(model.get_config(), sort_keys=True, default=str),
            "d_optimizer": json.dumps(keras.optimizers.serialize(model.d_optimizer), sort_keys=True, default=str),
            "g_optimizer": json.dumps(keras.optimizers.serialize(model.g_optimizer), sort_keys=True, default=str),
            "callbacks": [(type(c).__name__, getattr(c, "duration", None)) for c in run.callbacks],
            "recipe": run.recipe, "fit": run.fit_kwargs, "weights": [w.tolist() for w in _weights(model)]}


@pytest.mark.parametrize("variant", ["instance_noise", "sngan"])
def test_the_cli_and_the_benchmark_build_the_same_run(variant):
    args = cli.build_parser().parse_args(["train", variant, "--data", "ring_of_8", "--seed", "1"])
    keras.backend.clear_session()  # the same automatic layer names on both sides
    from_cli = _fingerprint(cli.build_training(args))
    keras.backend.clear_session()
    from_benchmark = _fingerprint(toy_coverage.build_run(variant, "ring_of_8", 1))
    assert from_cli == from_benchmark


def test_the_cli_and_the_mnist_benchmark_build_the_same_run_for_the_same_overrides():
    overrides = {"model": {"ema_decay": 0.995, "ema_start": 200}, "batch_size": 32, "jit_compile": False,
                 "d_optimizer": {"config": {"learning_rate": 5e-4}}}
    sets = ["--set=model.ema_decay=0.995", "--set=model.ema_start=200", "--set=batch_size=32",
            "--set=jit_compile=false", "--set=d_optimizer.config.learning_rate=5e-4"]
    args = cli.build_parser().parse_args(["train", "instance_noise", "--data", "mnist", "--seed", "2", *sets])
    keras.backend.clear_session()
    from_cli = _fingerprint(cli.build_training(args))
    from_benchmark = _fingerprint(zoo_mnist.build_run("instance_noise", 2, overrides))
    assert from_cli == from_benchmark
    assert from_cli["recipe"]["model"] == {"ema_decay": 0.995, "ema_start": 200}
    assert from_cli["recipe"]["d_optimizer"]["config"]["learning_rate"] == 5e-4


def test_cli_recipes_lists_every_variant_and_prints_one_resolved(capsys):
    assert cli.main(["recipes"]) == 0
    listing = capsys.readouterr().out
    for variant in zoo.available_variants():
        assert f"\n{variant} " in listing
    assert cli.main(["recipes", "sngan", "--data", "ring8", "--set", "model.n_critic=3"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == recipes.resolve("sngan", "toy", {"model": {"n_critic": 3}})
    assert cli.main(["recipes", "sngan", "--data", "ring8", "--set", "modle.n_critic=3"]) == 2
    assert "Did you mean 'model'?" in capsys.readouterr().err


def test_cli_train_writes_the_recipe_and_reruns_it(tmp_path, capsys):
    sets = [f"--set={key}={json.dumps(value)}" for key, value in
            [("networks", TINY["networks"]), ("batch_size", 16), ("steps", 4), ("steps_per_epoch", 2),
             ("steps_per_execution", 1), ("jit_compile", False)]]
    first = tmp_path / "first"
    assert cli.main(["train", "lsgan", "--data", "ring8", "--seed", "2", "--out", str(first), *sets]) == 0
    recipe = json.loads((first / "recipe.json").read_text())
    assert recipe == recipes.resolve("lsgan", "toy", TINY)
    again = tmp_path / "again"
    assert cli.main(["train", "lsgan", "--data", "ring8", "--seed", "2", "--out", str(again), "--recipe",
                     str(first / "recipe.json")]) == 0
    a, b = (keras.saving.load_model(p / "model.keras") for p in (first, again))
    for x, y in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(x, y)
    assert json.loads((first / "metrics.json").read_text())["recipe"] == recipe
    capsys.readouterr()
    assert cli.main(["train", "lsgan", "--data", "ring8", "--out", str(tmp_path / "bad"), "--set", "steps=0"]) == 2
    assert "steps=0 must be an integer >= 1" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
