"""The shipped generators (tfgan_zoo/pretrained): each loads offline and scores the classifier-FID its manifest
records (within 20 %, same protocol); an unknown name lists the available ones; `tfgan-zoo sample --pretrained`."""
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo import cli, pretrained

SHIPPED = pretrained.available()
FID_TOLERANCE = 0.20


@pytest.fixture(scope="module")
def evaluator():
    return pretrained.protocol_evaluator()  # the real digits' features, once for every generator


def test_generators_are_shipped_within_the_size_budget():
    assert SHIPPED, "no pretrained generator is shipped; run `python benchmarks/zoo_mnist.py`"
    total = sum(f.stat().st_size for f in pretrained.PRETRAINED_DIR.rglob("*") if f.is_file())
    assert total < 15.5 * 2**20, f"shipped generators take {total / 2**20:.1f} MiB; keep them under ~15 MB"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_generator_scores_its_recorded_fid(name, evaluator):
    generator = pretrained.load(name)
    recorded = pretrained.info(name)["fid"]
    fid = pretrained.fid_at_protocol(generator, evaluator)
    assert abs(fid - recorded) <= FID_TOLERANCE * recorded, f"{name}: FID {fid:.2f}, manifest records {recorded:.2f}"


def test_loaded_generator_is_the_savedmodel_and_draws_like_its_sample_signature():
    name = SHIPPED[0]
    generator = pretrained.load(name)
    images = generator.generate(8, seed=3)
    assert images.shape == (8, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    raw = tf.saved_model.load(str(pretrained.PRETRAINED_DIR / name))  # TensorFlow alone reads it
    sampled = raw.signatures["sample"](count=tf.constant(8), seed=tf.constant(3, tf.int64))
    np.testing.assert_array_equal(images, sampled["images"].numpy())
    np.testing.assert_array_equal(generator(sampled["z"].numpy()), images)
    assert pretrained.load(name.removesuffix("_mnist")).name == name  # a bare variant name means its MNIST model


def test_unknown_name_lists_the_available_generators():
    with pytest.raises(ValueError, match="is not a shipped pretrained generator") as error:
        pretrained.load("gan_cifar10")
    assert "name='gan_cifar10'" in str(error.value)
    assert all(name in str(error.value) for name in SHIPPED)


def test_cli_sample_pretrained_writes_a_png(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert cli.main(["sample", "--pretrained", SHIPPED[0], "--num", "16", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_sample_unknown_pretrained_is_a_one_line_usage_error(tmp_path, capsys):
    assert cli.main(["sample", "--pretrained", "nope", "--out", str(tmp_path / "x.png")]) == 2
    message = capsys.readouterr().err
    assert "--pretrained" in message and SHIPPED[0] in message


def test_cli_sample_needs_exactly_one_source(tmp_path, capsys):
    assert cli.main(["sample", "--out", str(tmp_path / "x.png")]) == 2
    assert "--pretrained NAME" in capsys.readouterr().err
