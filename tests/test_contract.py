"""The contract every entry of the catalogue (tfgan_zoo.zoo) keeps, checked on each one with tiny networks.

A variant added to ``zoo.VARIANTS`` is picked up here without a change: it builds from its recipe
(``zoo.build_run``), trains two steps with finite figures that move both networks, comes back from a ``.keras``
file with the same configuration, samples and critic values, and exports a SavedModel that samples like the model.
``test_every_catalogue_entry_has_a_recipe_a_test_and_a_readme_row`` fails when an entry lacks one of those.
"""
import json
import pathlib
import re

import keras
import numpy as np
import pytest

import tfgan_zoo
from tfgan_zoo import recipes, zoo

ROOT = pathlib.Path(__file__).resolve().parents[1]
VARIANTS = zoo.available_variants()
# Two steps of the variant's own recipe, one critic update per step, without XLA (compiling doubles the cost; the
# XLA step is tested per variant family in test_gan, test_sphere, test_realness, ...), with nets small enough for a
# few seconds per variant on 2 CPU cores.
STEPS = {"steps": 2, "steps_per_epoch": 2, "steps_per_execution": 1, "batch_size": 16, "jit_compile": False,
         "model": {"n_critic": 1}}
TINY_NETS = {
    "toy": {"generator": {"hidden_units": [8]}, "discriminator": {"hidden_units": [8]}},
    "28px": {"generator": {"base_filters": 4}, "discriminator": {"base_filters": 4}},
}


def _num_classes(model):
    conditioning = getattr(model, "conditioning", None)
    return None if conditioning is None else conditioning.num_classes


def _data_for(variant):
    """Toy points where the variant has a toy recipe and needs no labels, else the embedded digits (labelled,
    28 px: the dataset registry's training size)."""
    conditional = zoo.get_variant(variant).model_options.get("conditioning")
    if "toy" in recipes.available_recipes()[variant] and not conditional:
        return "ring8", "toy"
    return "digits", "28px"


def _labels(model, n):
    """Labels for the critic of a conditional model (self-conditioned ones too: their critic reads clusters)."""
    k = _num_classes(model)
    return {} if k is None else {"labels": keras.ops.convert_to_tensor(np.arange(n) % k, "int32")}


def _generator_labels(model, n):
    """Labels for the generator: none when it reads its classes off z (a self-conditioned model)."""
    return _labels(model, n) if getattr(model, "takes_labels", True) else {}


def _normalised(config):
    return json.loads(json.dumps(config, sort_keys=True, default=repr))


def _trained_run(variant):
    data, family = _data_for(variant)
    run = zoo.build_run(variant, data, recipes.merge(STEPS, {"networks": TINY_NETS[family]}), seed=0)
    return run, data


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_builds_trains_round_trips_and_exports(variant, tmp_path):
    run, data = _trained_run(variant)
    model = run.model
    networks = [model.generator, model.discriminator]
    before = [[w.numpy().copy() for w in net.trainable_weights] for net in networks]
    history = run.fit(verbose=0).history
    assert {"d_loss", "g_loss"} <= set(history) and set(history) == set(model.figure_names), sorted(history)
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    for net, old in zip(networks, before):
        unchanged = [w.name for w, b in zip(net.trainable_weights, old) if w.numpy().size > 1
                     and np.array_equal(w.numpy(), b)]
        assert not unchanged, f"{net.name}: {unchanged} did not move in two steps"

    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert type(loaded) is type(model)
    assert _normalised(loaded.get_config()) == _normalised(model.get_config())
    z = np.random.default_rng(0).normal(size=(6, model.latent_dim)).astype("float32")
    samples = model.generate(z, **_generator_labels(model, 6))
    np.testing.assert_array_equal(loaded.generate(z, **_generator_labels(loaded, 6)), samples)
    real = next(iter(run.dataset))
    real = real[0] if isinstance(real, (tuple, list)) else real
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.critic(real[:8], False, **_labels(model, 8))),
                               keras.ops.convert_to_numpy(model.critic(real[:8], False, **_labels(model, 8))),
                               rtol=1e-6, atol=1e-6)

    model.export_generator(tmp_path / "generator")
    exported = tfgan_zoo.load_generator(tmp_path / "generator")
    np.testing.assert_allclose(exported(z, **_generator_labels(model, 6)), samples, rtol=1e-5, atol=1e-6)


def _readme_catalogue_names():
    """The variant names in the first column of the README's catalogue table (``| name | class / options |``)."""
    names, in_table = set(), False
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| name | class / options |"):
            in_table = True
        elif in_table and not line.startswith("|"):
            break
        elif in_table:
            names.update(re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]))
    return names


def _catalogue_gaps(variants, available, readme_names, tests_text):
    """``{variant: [what it lacks]}`` over ``variants``: a recipe that resolves, a test of its own (its quoted name
    in a test file other than this one), a row in the README's catalogue table."""
    gaps = {}
    for variant in variants:
        lacks = []
        if not available.get(variant):
            lacks.append("a recipe")
        else:
            recipes.resolve(variant, available[variant][0])  # raises if the recipe does not resolve
        if f'"{variant}"' not in tests_text and f"'{variant}'" not in tests_text:
            lacks.append("a test of its own in tests/ (beside this contract)")
        if variant not in readme_names:
            lacks.append("a row in the README's catalogue table")
        if lacks:
            gaps[variant] = lacks
    return gaps


def test_every_catalogue_entry_has_a_recipe_a_test_and_a_readme_row():
    available = recipes.available_recipes()
    assert set(available) == set(VARIANTS)
    tests = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("test_*.py")
                      if path.name != "test_contract.py")
    readme = _readme_catalogue_names()
    assert {"gan", "wgangp", "sagan"} <= readme  # the table was found
    assert _catalogue_gaps(VARIANTS, available, readme, tests) == {}


def test_a_catalogue_entry_without_recipe_test_or_readme_row_is_named():
    gaps = _catalogue_gaps(["gan", "fancy"], {"gan": ["toy"], "fancy": []}, {"gan"}, 'build("gan")')
    assert gaps == {"fancy": ["a recipe", "a test of its own in tests/ (beside this contract)",
                              "a row in the README's catalogue table"]}
