"""evaluate() / Evaluator and the EvaluationCallback, checked against the score functions called directly."""
import json
import math

import keras
import numpy as np
import pytest

from conftest import tiny_discriminator, tiny_generator
from tfgan_zoo.data import mnist_arrays, ring_of_8
from tfgan_zoo.callbacks import EvaluationCallback
from tfgan_zoo.metrics.evaluate import Evaluator, evaluate, score_for_cli
from tfgan_zoo.metrics.scores import (frechet_distance, inception_score, kernel_inception_distance,
                                      precision_recall)
from tfgan_zoo.metrics.statistics import FeatureStatistics
from tfgan_zoo.models.gan import GAN


@pytest.fixture
def points():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 2)).astype(np.float32), (rng.normal(size=(300, 2)) * 1.3 + 0.2).astype(np.float32)


def test_evaluate_equals_the_scores_on_the_same_features(points):
    real, fake = points
    result = evaluate(fake, real, metrics=("fid", "kid", "precision_recall"), num_samples=300, batch_size=64,
                      kid_subsets=5, kid_subset_size=100, seed=3)
    real = real[:300]  # at most num_samples real rows are used
    assert result["fid"] == pytest.approx(frechet_distance(FeatureStatistics.from_features(real),
                                                           FeatureStatistics.from_features(fake)), rel=1e-6)
    assert (result["kid"], result["kid_std"]) == pytest.approx(kernel_inception_distance(real, fake, 5, 100, 3),
                                                               rel=1e-6)
    assert (result["precision"], result["recall"]) == precision_recall(real, fake)
    assert (result["num_real"], result["num_generated"], result["extractor"]) == (300, 300, "identity")


def test_generators_are_sampled_reproducibly_from_their_latent_distribution(points):
    real, _ = points
    generator = tiny_generator(latent_dim=4)
    z = np.random.default_rng(7).standard_normal((250, 4)).astype(np.float32)
    direct = evaluate(generator(z).numpy(), real, ("fid",), num_samples=250)
    assert evaluate(generator, real, ("fid",), num_samples=250, batch_size=100, seed=7)["fid"] == pytest.approx(
        direct["fid"], rel=1e-5)
    gan = GAN(generator, tiny_discriminator(), seed=0, ema_decay=0.9)
    drawn = np.concatenate([gan.generate(100, seed=11), gan.generate(100, seed=12)])
    assert evaluate(gan, real, ("fid",), num_samples=200, batch_size=100, seed=11)["fid"] == pytest.approx(
        evaluate(drawn, real, ("fid",), num_samples=200)["fid"], rel=1e-6)


def test_toy_modes_need_no_real_data_and_json_is_strict(tmp_path):
    result = evaluate(ring_of_8(2500, rng=0), "ring_of_8", metrics=("modes",), num_samples=2500)
    assert (result["modes_captured"], result["num_modes"], result["num_real"]) == (8, 8, 0)
    assert result["high_quality_fraction"] > 0.99 and result["reverse_kl"] < 0.01
    path = tmp_path / "scores" / "toy.json"
    off_mode = np.zeros((100, 2), np.float32)  # the ring's centre: no sample is high quality
    nan_result = evaluate(off_mode, None, metrics=("modes",), num_samples=100, toy_mixture="ring_of_8",
                          json_path=str(path))
    assert math.isnan(nan_result["reverse_kl"])
    assert json.loads(path.read_text())["reverse_kl"] is None and "NaN" not in path.read_text()


def test_default_extractor_on_mnist_digits():
    digits, _ = mnist_arrays()
    digits = digits[np.random.default_rng(0).permutation(len(digits))]  # the embedded digits are sorted by class
    real_vs_real = evaluate(digits[:500], digits[500:1000], ("fid", "is"), num_samples=500)
    noise = np.random.default_rng(1).uniform(-1, 1, size=(500, 28, 28, 1)).astype(np.float32)
    noise_vs_real = evaluate(noise, digits[500:1000], ("fid", "is"), num_samples=500)
    assert real_vs_real["extractor"] == "mnist"
    assert real_vs_real["is"] > 8.0 and noise_vs_real["is"] < 2.0
    assert noise_vs_real["fid"] > 50 * real_vs_real["fid"]


def test_argument_errors_list_what_is_accepted(points):
    real, fake = points
    with pytest.raises(ValueError, match="accepted names: fid, kid, is, precision_recall, modes"):
        evaluate(fake, real, metrics=("fid", "lpips"))
    with pytest.raises(ValueError, match="class probabilities"):
        evaluate(fake, real, metrics=("is",), num_samples=100)
    with pytest.raises(ValueError, match="toy_mixture"):
        Evaluator(real, metrics=("modes",))


def test_evaluation_callback_logs_into_history_and_tensorboard(points, tmp_path):
    real, _ = points
    gan = GAN(tiny_generator(latent_dim=4), tiny_discriminator(), seed=0, ema_decay=0.5)
    gan.compile()
    callback = EvaluationCallback(real, metrics=("fid", "modes"), every_n_epochs=2, num_samples=200,
                                  batch_size=100, toy_mixture="ring_of_8", log_dir=str(tmp_path / "tb"))
    history = gan.fit(real, batch_size=50, epochs=4, verbose=0, callbacks=[callback])
    assert len(history.history["fid"]) == 2 and len(history.history["modes_captured"]) == 2
    assert len(history.history["d_loss"]) == 4 and callback.history["epoch"] == [1, 3]
    # the last score is the EMA generator's, on the callback's fixed latent draws
    assert history.history["fid"][-1] == pytest.approx(
        evaluate(gan, real, ("fid",), num_samples=200, batch_size=100)["fid"], rel=1e-6)
    import tensorflow as tf

    tags = {value.tag for event_file in (tmp_path / "tb").iterdir()
            for event in tf.compat.v1.train.summary_iterator(str(event_file)) for value in event.summary.value}
    assert {"evaluation/fid", "evaluation/reverse_kl"} <= tags
    with pytest.raises(ValueError, match="every_n_epochs"):
        EvaluationCallback(real, every_n_epochs=0)


def test_real_and_generated_images_may_differ_in_size():
    digits28, _ = mnist_arrays(limit=300)
    digits32, _ = mnist_arrays(image_size=32, limit=300)
    same_digits = evaluate(digits32, digits28, ("fid",), num_samples=300)["fid"]
    noise = np.random.default_rng(2).uniform(-1, 1, size=(300, 32, 32, 1)).astype(np.float32)
    assert same_digits < evaluate(noise, digits28, ("fid",), num_samples=300)["fid"] / 20


def test_score_for_cli_picks_metrics_by_data_name():
    gan = GAN(tiny_generator(latent_dim=4), tiny_discriminator(), seed=0)
    toy = score_for_cli(gan, "ring8", num_samples=500)
    assert {"modes_captured", "reverse_kl", "fid"} <= set(toy) and toy["num_generated"] == 500
    assert score_for_cli(gan, "folder:/somewhere") == {}


def test_exported_generator_samples_like_its_signature_and_scores_through_the_cli(tmp_path, capsys):
    import tensorflow as tf

    from tfgan_zoo import cli
    from tfgan_zoo.export import load_generator

    gan = GAN(tiny_generator(latent_dim=4), tiny_discriminator(), seed=0)
    gan.export_generator(str(tmp_path / "generator"))
    exported = load_generator(tmp_path / "generator")
    assert exported.latent_dim == 4
    z = tf.random.stateless_normal([300, 4], seed=[7, 0]).numpy()
    # the same z (bit for bit); the images to float32 rounding (the sample graph fuses its ops differently)
    np.testing.assert_allclose(exported.generate(300, batch_size=300, seed=7), gan.generate(z), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(exported(z[:5]), gan.generate(z[:5]))
    # two batches: seeds 7 and 8
    second = gan.generate(tf.random.stateless_normal([100, 4], seed=[8, 0]).numpy())
    np.testing.assert_allclose(exported.generate(400, batch_size=300, seed=7)[300:], second, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match=r"z has shape \(3, 5\); this generator takes \[n, 4\]"):
        exported(np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match="count=0 must be a positive integer"):
        exported.generate(0)

    out = tmp_path / "scores.json"
    status = cli.main(["evaluate", str(tmp_path / "generator"), "--data", "ring8", "--metrics", "fid", "modes",
                       "--num-samples", "500", "--seed", "7", "--out", str(out)])
    assert status == 0
    written = json.loads(out.read_text())
    samples = exported.generate(500, batch_size=250, seed=7)
    direct = evaluate(samples, "ring8", ("fid", "modes"), num_samples=500, toy_mixture="ring8")
    assert written["fid"] == pytest.approx(direct["fid"], rel=1e-9)
    assert written["modes_captured"] == direct["modes_captured"]
    capsys.readouterr()
    assert cli.main(["evaluate", str(tmp_path / "generator"), "--metrics", "fidd"]) == 2
    assert "unknown metric(s) fidd; choose from" in capsys.readouterr().err
