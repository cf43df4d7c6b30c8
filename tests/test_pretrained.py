"""The shipped generators (weights/tfgan_zoo_weights, recorded in tfgan_zoo/pretrained/manifest.json): each loads offline and scores what its manifest records at the
same protocol (MNIST: the classifier-FID within 20 %; toy mixtures: modes captured within 1 and the high-quality
fraction within 20 % or 0.05, trained from today's recipe, and the recipes' bar); an unknown name lists the available ones; `tfgan-zoo sample --pretrained`."""
import json
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo import cli, pretrained, recipes, zoo

SHIPPED = pretrained.available()
WEIGHTS = pretrained.weights_dir()
MNIST_SHIPPED = tuple(name for name in SHIPPED if pretrained.info(name)["data"] == "mnist")
TOY_SHIPPED = tuple(name for name in SHIPPED if pretrained.info(name)["data"] in pretrained.TOY_SUFFIXES)
FID_TOLERANCE = 0.20
MODES_TOLERANCE = 1
HQ_RELATIVE_TOLERANCE, HQ_ABSOLUTE_TOLERANCE = 0.20, 0.05


def toy_scores_match(scores, recorded):
    """Whether toy scores agree with recorded ones: modes within 1, HQ fraction within max(20 %, 0.05)."""
    hq_tolerance = max(HQ_RELATIVE_TOLERANCE * recorded["high_quality_fraction"], HQ_ABSOLUTE_TOLERANCE)
    return (abs(scores["modes_captured"] - recorded["modes_captured"]) <= MODES_TOLERANCE
            and abs(scores["high_quality_fraction"] - recorded["high_quality_fraction"]) <= hq_tolerance)


@pytest.fixture(scope="module")
def evaluator():
    return pretrained.protocol_evaluator()  # the real digits' features, once for every generator


def _folder_bytes(path):
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# Size limits of the weights distribution (weights/tfgan_zoo_weights). Today: 20 MNIST generators of 0.65-0.94 MB
# and 34 toy ones of ~205 KB, about 19 MiB; the limits leave room for new variants and wider MNIST generators.
MAX_FILE_BYTES = 4 * 2**20
MAX_MNIST_GENERATOR_BYTES = 4 * 2**20
MAX_TOY_GENERATOR_BYTES = 400 * 2**10
MAX_WEIGHTS_BYTES = 48 * 2**20


def test_generators_are_shipped_within_the_size_budget():
    assert MNIST_SHIPPED, "no MNIST generator is shipped; run `python benchmarks/zoo_mnist.py`"
    assert TOY_SHIPPED, "no toy generator is shipped; run `python benchmarks/toy_coverage.py --ship`"
    assert set(SHIPPED) == set(MNIST_SHIPPED) | set(TOY_SHIPPED), "a manifest entry has an unknown 'data'"
    assert set(SHIPPED) == set(json.loads(pretrained.MANIFEST_PATH.read_text())["generators"]), (
        "the manifest lists a generator whose SavedModel is not in the weights folder")
    files = [f for f in WEIGHTS.rglob("*") if f.is_file() and f.suffix not in (".py", ".pyc")]
    largest = max(files, key=lambda f: f.stat().st_size)
    assert largest.stat().st_size <= MAX_FILE_BYTES, f"{largest} is over {MAX_FILE_BYTES / 2**20:g} MiB"
    for name in SHIPPED:
        limit = MAX_MNIST_GENERATOR_BYTES if name in MNIST_SHIPPED else MAX_TOY_GENERATOR_BYTES
        assert _folder_bytes(WEIGHTS / name) <= limit, f"{name} takes {_folder_bytes(WEIGHTS / name)} bytes"
    total = sum(f.stat().st_size for f in files)
    assert total <= MAX_WEIGHTS_BYTES, f"shipped generators take {total / 2**20:.1f} MiB; keep them under 48 MiB"


def test_the_runtime_package_holds_no_weights():
    package = pathlib.Path(pretrained.__file__).resolve().parents[1]
    saved_models = sorted(str(f.relative_to(package)) for f in package.rglob("saved_model.pb"))
    assert not saved_models, f"SavedModels inside the runtime package: {saved_models[:3]}"
    size = sum(f.stat().st_size for f in package.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
    assert size < 3 * 2**20, f"the runtime package takes {size / 2**20:.1f} MiB of files"


def test_every_shipped_file_matches_the_manifests_sha256():
    for name in SHIPPED:
        recorded = pretrained.info(name)["sha256"]
        assert recorded == pretrained.file_digests(WEIGHTS / name), f"{name} changed since it was recorded"
        assert pretrained.path(name) == WEIGHTS / name


def _copy_weights(tmp_path, *names):
    import shutil

    for name in names:
        shutil.copytree(WEIGHTS / name, tmp_path / name)
    return tmp_path


def test_a_changed_weights_file_is_refused_with_its_name(tmp_path, monkeypatch):
    folder = _copy_weights(tmp_path, "gan_ring", "gan_grid")
    monkeypatch.setenv(pretrained.WEIGHTS_ENV, str(folder))
    assert pretrained.weights_dir() == folder and pretrained.load("gan_ring").name == "gan_ring"
    variables = folder / "gan_ring" / "variables" / "variables.data-00000-of-00001"
    payload = bytearray(variables.read_bytes())
    payload[len(payload) // 2] ^= 0x01  # one bit of one weight
    variables.write_bytes(bytes(payload))
    with pytest.raises(ValueError, match=r"weights of 'gan_ring' .* do not match the manifest.*"
                                         r"variables/variables.data-00000-of-00001 \(differs\)"):
        pretrained.load("gan_ring")
    (folder / "gan_grid" / "extra.txt").write_text("not part of the SavedModel")
    with pytest.raises(ValueError, match=r"extra.txt \(unexpected\)"):
        pretrained.load("gan_grid")


def test_weights_that_are_not_installed_say_how_to_install_them(tmp_path, monkeypatch):
    monkeypatch.setenv(pretrained.WEIGHTS_ENV, str(tmp_path))  # a folder without the generators
    assert pretrained.available() == ()
    assert pretrained.info("gan_ring")["variant"] == "gan"  # the manifest needs no weights
    with pytest.raises(ValueError, match=r"'gan_ring' is shipped, but .* holds no SavedModel.*pip install \./weights"):
        pretrained.load("gan_ring")
    monkeypatch.setenv(pretrained.WEIGHTS_ENV, str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=r"TFGAN_ZOO_WEIGHTS=.*missing' is not a folder"):
        pretrained.load("gan_ring")
    monkeypatch.setattr(pretrained, "weights_dir", lambda: None)
    with pytest.raises(ValueError, match=r"weights are not installed: install them with `pip install \./weights`"):
        pretrained.load("gan_ring")




def test_every_variant_of_the_zoo_is_shipped_on_mnist_and_on_both_toy_mixtures():
    variants = set(zoo.available_variants())
    assert {pretrained.info(name)["variant"] for name in MNIST_SHIPPED} == variants
    toy = {(pretrained.info(name)["variant"], pretrained.info(name)["data"]) for name in TOY_SHIPPED}
    expected = {(variant, mixture) for variant in variants - set(zoo.IMAGE_ONLY_VARIANTS)
                for mixture in pretrained.TOY_SUFFIXES}
    assert toy == expected, f"missing: {sorted(expected - toy)}; unexpected: {sorted(toy - expected)}"


@pytest.mark.parametrize("name", MNIST_SHIPPED)
def test_shipped_generator_scores_its_recorded_fid(name, evaluator):
    generator = pretrained.load(name)
    recorded = pretrained.info(name)["fid"]
    fid = pretrained.fid_at_protocol(generator, evaluator)
    assert abs(fid - recorded) <= FID_TOLERANCE * recorded, f"{name}: FID {fid:.2f}, manifest records {recorded:.2f}"


MNIST_FROM_RECIPES = tuple(name for name in MNIST_SHIPPED if "recipe" in pretrained.info(name))
# Shortfalls that do not draw every digit (at least 1 % of the samples), as recipes.MNIST_SHORTFALLS states
DIGITS_DRAWN = {"unrolled_mnist": 9}
CARD_TOLERANCE = 0.03  # confident fraction and precision of 2,500 samples: the same draw, another machine's rounding


@pytest.mark.parametrize("name", MNIST_FROM_RECIPES)
def test_shipped_mnist_generator_from_its_recipe_scores_its_card_and_meets_the_bar(name):
    from tfgan_zoo.metrics import score_card

    entry = pretrained.info(name)
    variant = entry["variant"]
    assert recipes.same_training(entry["recipe"], recipes.resolve(variant, "28px")), (
        f"{name} was trained from another recipe than today's; re-ship it: python benchmarks/zoo_mnist.py --ship "
        f"--variants {variant}")
    assert entry["size_bytes"] == _folder_bytes(WEIGHTS / name), f"{name} changed since recorded"
    card, recorded = score_card.score_card(pretrained.load(name)), entry["scores"]
    for key in ("confident_fraction", "precision", "max_class_deviation"):
        assert abs(card[key] - recorded[key]) <= CARD_TOLERANCE, f"{name}: {key} {card[key]:.3f}, recorded {recorded[key]:.3f}"
    assert entry["meets_target"] == pretrained.meets_mnist_bar(recorded)
    if variant in recipes.MNIST_SHORTFALLS:  # the best found, said so; still every digit drawn (but where said)
        assert not entry["meets_target"] and card["classes_present"] == DIGITS_DRAWN.get(name, 10), f"{name}: {card}"
    else:
        assert pretrained.meets_mnist_bar({**card, "independent_confident_fraction":
                                           recorded["independent_confident_fraction"]}), f"{name}: {card}"


def test_the_mnist_shortfalls_are_exactly_the_recipe_generators_below_the_bar():
    below = {pretrained.info(name)["variant"] for name in MNIST_FROM_RECIPES
             if not pretrained.meets_mnist_bar(pretrained.info(name)["scores"])}
    assert below == set(recipes.MNIST_SHORTFALLS) & {pretrained.info(n)["variant"] for n in MNIST_FROM_RECIPES}


@pytest.mark.parametrize("name", TOY_SHIPPED)
def test_shipped_toy_generator_meets_its_recipes_bar(name):
    entry = pretrained.info(name)
    variant, mixture = entry["variant"], entry["data"]
    generator = pretrained.load(name)
    assert name == pretrained.toy_name(variant, mixture)
    assert entry["protocol"] == pretrained.TOY_PROTOCOL, f"{name} was recorded under another protocol; re-ship it"
    assert entry["size_bytes"] == _folder_bytes(WEIGHTS / name), f"{name} changed since recorded"
    assert recipes.same_training(entry["recipe"], recipes.resolve(variant, "toy")), (
        f"{name} was trained from another recipe than today's; re-ship it: python benchmarks/toy_coverage.py --ship "
        f"--variants {variant} --seeds 0")
    points = generator.generate(4, seed=0)
    assert points.shape == (4, *entry["output_shape"]) == (4, 2) and points.dtype == np.float32
    scores = pretrained.toy_scores_at_protocol(generator)
    recorded = entry["scores"]
    assert scores["num_modes"] == recorded["num_modes"] == {"ring_of_8": 8, "grid_of_25": 25}[mixture]
    assert toy_scores_match(scores, recorded), (
        f"{name}: {scores['modes_captured']} modes, HQ {scores['high_quality_fraction']:.4f}; the manifest records "
        f"{recorded['modes_captured']} modes, HQ {recorded['high_quality_fraction']:.4f}")
    modes, quality = pretrained.TOY_BAR[mixture]
    if (variant, mixture) in recipes.TOY_SHORTFALLS:  # the best found, said so; still not a collapsed one
        assert scores["modes_captured"] >= 0.5 * scores["num_modes"], f"{name} has collapsed"
    else:
        assert scores["modes_captured"] >= modes and scores["high_quality_fraction"] >= quality, (
            f"{name}: {scores['modes_captured']}/{scores['num_modes']} modes at HQ "
            f"{scores['high_quality_fraction']:.3f}, below the bar of {modes} modes and HQ {quality}")


def test_the_shortfalls_are_exactly_the_shipped_generators_below_the_bar():
    below = set()
    for name in TOY_SHIPPED:
        entry = pretrained.info(name)
        modes, quality = pretrained.TOY_BAR[entry["data"]]
        scores = entry["scores"]
        if scores["modes_captured"] < modes or scores["high_quality_fraction"] < quality:
            below.add((entry["variant"], entry["data"]))
    assert below == set(recipes.TOY_SHORTFALLS), "update tfgan_zoo.recipes.TOY_SHORTFALLS to what is shipped"


def test_toy_tolerances_catch_a_wrong_generator():
    # The tolerances must tell a wrong generator from the shipped one. For the best-recorded generator of each
    # mixture, each of these fails the check: the best generator of the other mixture; its own samples blurred by
    # 2 sigma of extra noise (expected HQ about 1 - exp(-9/10) = 0.59, against >= 0.9 recorded); and its own samples
    # with every point of half the modes moved onto the other half (half the modes missing, same HQ).
    from tfgan_zoo.data import toy_modes
    from tfgan_zoo.metrics.toy import toy_mode_metrics

    by_mixture = {mixture: sorted((n for n in TOY_SHIPPED if pretrained.info(n)["data"] == mixture),
                                  key=lambda n: pretrained.info(n)["scores"]["high_quality_fraction"])
                  for mixture in pretrained.TOY_SUFFIXES}
    rng = np.random.default_rng(0)
    for mixture, names in by_mixture.items():
        assert names, f"no {mixture} generator is shipped"
        best = pretrained.info(names[-1])["scores"]
        other_best = by_mixture[next(m for m in by_mixture if m != mixture)][-1]
        scores = pretrained.toy_scores_at_protocol(pretrained.load(other_best), mixture)
        assert not toy_scores_match(scores, best), f"{other_best} passes as {names[-1]} on {mixture}"

        generator = pretrained.load(names[-1])
        samples = generator.generate(pretrained.TOY_PROTOCOL["num_samples"], seed=pretrained.TOY_PROTOCOL["seed"])
        assert toy_scores_match(toy_mode_metrics(samples, mixture), best)  # the undamaged samples match
        centres, sigma = toy_modes(mixture)
        blurred = samples + rng.normal(scale=2 * sigma, size=samples.shape)
        blurred_scores = toy_mode_metrics(blurred, mixture)
        assert blurred_scores["high_quality_fraction"] < 0.7, blurred_scores
        assert not toy_scores_match(blurred_scores, best), f"blurred {names[-1]} passes on {mixture}"
        nearest = np.argmin(np.linalg.norm(samples[:, None] - centres[None], axis=-1), axis=1)
        dropped = nearest % 2 == 1  # every other mode: its points move onto the mode before it
        halved = samples.copy()
        halved[dropped] += centres[nearest[dropped] - 1] - centres[nearest[dropped]]
        halved_scores = toy_mode_metrics(halved, mixture)
        assert halved_scores["modes_captured"] == (len(centres) + 1) // 2, halved_scores
        assert not toy_scores_match(halved_scores, best), f"{names[-1]} missing half its modes passes on {mixture}"


def test_loaded_generator_is_the_savedmodel_and_draws_like_its_sample_signature():
    name = "gan_mnist"
    generator = pretrained.load(name)
    images = generator.generate(8, seed=3)
    assert images.shape == (8, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    raw = tf.saved_model.load(str(pretrained.path(name)))  # TensorFlow alone reads it
    sampled = raw.signatures["sample"](count=tf.constant(8), seed=tf.constant(3, tf.int64))
    np.testing.assert_array_equal(images, sampled["images"].numpy())
    np.testing.assert_array_equal(generator(sampled["z"].numpy()), images)
    assert pretrained.load(name.removesuffix("_mnist")).name == name  # a bare variant name means its MNIST model


def test_toy_scores_need_a_toy_mixture():
    with pytest.raises(ValueError, match="mixture=None works only for a shipped toy generator"):
        pretrained.toy_scores_at_protocol(pretrained.load("gan_mnist"))
    with pytest.raises(ValueError, match="mixture='swiss_roll' is not a toy mixture"):
        pretrained.toy_name("gan", "swiss_roll")


def test_unknown_name_lists_the_available_generators():
    with pytest.raises(ValueError, match="is not a shipped pretrained generator") as error:
        pretrained.load("gan_cifar10")
    assert "name='gan_cifar10'" in str(error.value)
    assert all(name in str(error.value) for name in SHIPPED)


def test_cli_sample_pretrained_writes_a_png(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert cli.main(["sample", "--pretrained", SHIPPED[0], "--num", "16", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_sample_pretrained_toy_generator_writes_a_scatter_plot(tmp_path, capsys):
    name = TOY_SHIPPED[0]
    out = tmp_path / "points.png"
    assert cli.main(["sample", "--pretrained", name, "--num", "500", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(out) as image:  # a 4 x 4 inch scatter plot, not a grid of 500 single-pixel "images"
        assert min(image.size) > 200
    assert f"scatter plot of 500 points of {name} over {pretrained.info(name)['data']}" in capsys.readouterr().out


def test_cli_sample_needs_a_positive_num(tmp_path, capsys):
    assert cli.main(["sample", "--pretrained", TOY_SHIPPED[0], "--num", "0", "--out", str(tmp_path / "x.png")]) == 2
    assert "--num 0" in capsys.readouterr().err


def test_cli_sample_unknown_pretrained_is_a_one_line_usage_error(tmp_path, capsys):
    assert cli.main(["sample", "--pretrained", "nope", "--out", str(tmp_path / "x.png")]) == 2
    message = capsys.readouterr().err
    assert "--pretrained" in message and SHIPPED[0] in message


def test_cli_sample_needs_exactly_one_source(tmp_path, capsys):
    assert cli.main(["sample", "--out", str(tmp_path / "x.png")]) == 2
    assert "--pretrained NAME" in capsys.readouterr().err


SEVENS_PROGRAM = """
import sys
import numpy as np, tensorflow as tf
generator = tf.saved_model.load(sys.argv[2])
out = generator.signatures["sample"](count=tf.constant(100), seed=tf.constant(3, tf.int64), label=tf.constant(7))
np.save(sys.argv[3], out["images"].numpy())
"""


def test_the_shipped_cgan_draws_sevens_when_asked_even_without_the_package(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import WITHOUT_TFGAN_ZOO
    from tfgan_zoo.metrics import mnist_classifier

    repo = str(pathlib.Path(pretrained.__file__).resolve().parents[2])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run([sys.executable, "-I", "-c", WITHOUT_TFGAN_ZOO + SEVENS_PROGRAM, repo,
                             str(pretrained.path("cgan_mnist")), str(tmp_path / "sevens.npy")],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    exported = np.load(tmp_path / "sevens.npy")
    in_package = pretrained.load("cgan_mnist").generate(100, labels=7, seed=3)
    np.testing.assert_array_equal(exported, in_package)
    sevens = np.mean(np.argmax(mnist_classifier().predict(in_package, verbose=0), axis=1) == 7)
    assert sevens >= 0.9, f"{100 * sevens:.0f} of 100 digits asked to be sevens are sevens"


@pytest.mark.parametrize("name", ["cgan_mnist", "acgan_mnist"])
def test_shipped_conditional_generators_record_their_class_accuracy(name):
    from tfgan_zoo.metrics import class_conditional_accuracy

    entry = pretrained.info(name)
    recorded = entry["conditional_scores"]
    measured = class_conditional_accuracy(pretrained.load(name), per_class=recorded["per_class"], seed=1234)
    assert abs(measured["accuracy"] - recorded["accuracy"]) <= CARD_TOLERANCE
    if entry["variant"] in recipes.MNIST_SHORTFALLS:
        assert measured["accuracy"] > 0.5, f"{name}: {measured['accuracy']:.3f}"
    else:  # issue 23: 90 % classified as requested, by ours and by the independent judge
        assert measured["accuracy"] >= 0.9 and recorded["independent_accuracy"] >= 0.9
