"""The base training loop: critic batching, reproducibility, variants' steps, export, saving, bad inputs."""
import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_zoo
from tfgan_zoo.models.gan import group_critic_batches, pack_samples
from conftest import tiny_discriminator, tiny_generator


def _weights(model):
    return [w.numpy() for w in model.generator.weights + model.discriminator.weights]


def test_group_critic_batches_gives_each_critic_update_its_own_batch():
    batches = np.stack([np.full((4, 2), i, "float32") for i in range(6)])  # batch i is all i
    ds = tf.data.Dataset.from_tensor_slices(batches)
    groups = [g.numpy() for g in group_critic_batches(ds, n_critic=3)]
    assert len(groups) == 2 and groups[0].shape == (4, 3, 2)
    np.testing.assert_array_equal(groups[0][0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(groups[1][:, 2], np.full((4, 2), 5))


def test_group_critic_batches_drops_labels_and_a_short_last_batch():
    x = np.arange(20, dtype="float32").reshape(10, 2)
    ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(10))).batch(4)  # sizes 4, 4, 2
    groups = list(group_critic_batches(ds, n_critic=1))
    assert [g.shape for g in groups] == [(4, 1, 2), (4, 1, 2)]


def test_critic_updates_use_distinct_real_batches_closed_form():
    """Zero generator, linear critic f(x) = w.x, Wasserstein loss, SGD(lr=1): each critic update adds mean(real_i)."""
    gen = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="zeros")])
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model = tfgan_zoo.GAN(gen, critic, loss="wasserstein", n_critic=2, seed=0)
    model.compile(d_optimizer=keras.optimizers.SGD(1.0), g_optimizer=keras.optimizers.SGD(0.0))
    real = np.array([[[1.0, 2.0]] * 4, [[10.0, 20.0]] * 4], "float32")  # two batches of 4
    model.fit(tf.data.Dataset.from_tensor_slices(real), epochs=1, verbose=0)
    np.testing.assert_allclose(critic.weights[0].numpy().ravel(), [11.0, 22.0], rtol=1e-6)


def test_same_seed_same_weights_after_steps(toy_points):
    def run(seed):
        model = tfgan_zoo.WGANGP(tiny_generator(), tiny_discriminator(), seed=seed)
        model.compile()
        ds = tf.data.Dataset.from_tensor_slices(toy_points).batch(16, drop_remainder=True)
        model.fit(ds, epochs=1, steps_per_epoch=3, verbose=0)
        return _weights(model)

    a, b, c = run(7), run(7), run(8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, z) for x, z in zip(a, c))


_MAKERS = {
    "minimax": lambda g, d: tfgan_zoo.GAN(g, d, loss="minimax", seed=1),
    "non_saturating": lambda g, d: tfgan_zoo.GAN(g, d, seed=1),
    "wgan": lambda g, d: tfgan_zoo.WGAN(g, d, seed=1),
    "wgan_gp": lambda g, d: tfgan_zoo.WGANGP(g, d, seed=1),
}


# Without XLA, the standard GAN's two losses train as tests/test_contract.py checks for every catalogue entry; here
# their XLA step, and WGAN's clipping and WGAN-GP's penalty on both paths.
@pytest.mark.parametrize("name, jit", [("minimax", True), ("non_saturating", True), ("wgan", False), ("wgan", True),
                                       ("wgan_gp", False), ("wgan_gp", True)])
def test_variants_train_a_few_steps(name, jit, toy_points):
    make = _MAKERS[name]
    model = make(tiny_generator(), tiny_discriminator())
    model.compile(jit_compile=jit)
    before = _weights(model)
    history = model.fit(toy_points, batch_size=16, epochs=1, steps_per_epoch=2, verbose=0).history
    assert {"d_loss", "g_loss"} <= set(history)
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert all(not np.array_equal(a, b) for a, b in zip(before, _weights(model)) if a.size > 1)
    if isinstance(model, tfgan_zoo.WGAN):
        assert "wasserstein_estimate" in history
        assert max(np.abs(w.numpy()).max() for w in model.discriminator.trainable_weights) <= 0.01 + 1e-7
    if isinstance(model, tfgan_zoo.WGANGP):
        assert history["gp"][-1] > 0


def test_paper_defaults():
    wgan = tfgan_zoo.WGAN(tiny_generator(), tiny_discriminator())
    wgan.compile()
    assert wgan.n_critic == 5 and wgan.clip_value == 0.01
    assert isinstance(wgan.d_optimizer, keras.optimizers.RMSprop)
    assert np.isclose(float(wgan.d_optimizer.learning_rate), 5e-5)
    gp = tfgan_zoo.WGANGP(tiny_generator(), tiny_discriminator())
    gp.compile()
    assert gp.n_critic == 5 and gp.penalty.name == "gp" and gp.penalty_weight == 10.0
    assert (float(gp.d_optimizer.learning_rate), gp.d_optimizer.beta_1, gp.d_optimizer.beta_2) == (
        pytest.approx(1e-4), 0.0, 0.9)


def test_ema_generator_is_used_for_sampling():
    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), ema_decay=0.9, seed=0)
    assert model.sampling_generator is model.ema_generator


def test_generate_shapes_and_seeded_counts():
    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), seed=0)
    assert model.generate(5).shape == (5, 2)
    np.testing.assert_array_equal(model.generate(4, seed=3), model.generate(4, seed=3))
    with pytest.raises(ValueError, match="latent_dim=4"):
        model.generate(np.zeros((2, 3)))


def test_keras_round_trip(tmp_path, toy_points):
    model = tfgan_zoo.WGAN(tiny_generator(), tiny_discriminator(), clip_value=0.02, seed=3)
    model.compile()
    model.fit(toy_points, batch_size=16, steps_per_epoch=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded, tfgan_zoo.WGAN)
    assert (loaded.clip_value, loaded.n_critic, loaded.loss_pair.name) == (0.02, 5, "wasserstein")
    z = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    np.testing.assert_array_equal(model.generate(z), loaded.generate(z))


def test_export_reloads_bit_identical_in_a_fresh_process(tmp_path, toy_points):
    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), seed=0)
    model.compile()
    model.fit(toy_points, batch_size=16, steps_per_epoch=2, verbose=0)
    model.export_generator(tmp_path / "gen")
    z = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    np.save(tmp_path / "z.npy", z)
    script = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({str(tmp_path / 'gen')!r})
        out = loaded.signatures["serving_default"](z=tf.constant(np.load({str(tmp_path / 'z.npy')!r})))["images"]
        np.save({str(tmp_path / 'out.npy')!r}, out.numpy())
        sample = loaded.signatures["sample"](count=tf.constant(3), seed=tf.constant(5, tf.int64))
        assert sample["images"].shape == (3, 2) and sample["z"].shape == (3, 4)
        assert "tfgan_zoo" not in sys.modules
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), model.generate(z))


PARITY_SCRIPT = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    sys.path.insert(0, sys.argv[2])
    import tfgan_zoo
    from conftest import tiny_discriminator, tiny_generator

    def run(devices):
        strategy = tf.distribute.MirroredStrategy(devices)
        with strategy.scope():
            model = getattr(tfgan_zoo, sys.argv[1])(tiny_generator(), tiny_discriminator(), n_critic=2, seed=4)
            model.compile()
        x = np.random.default_rng(0).normal(size=(192, 2)).astype("float32")
        model.fit(tf.data.Dataset.from_tensor_slices(x).batch(32, drop_remainder=True), epochs=1, verbose=0)
        return [w.numpy().tolist() for w in model.generator.weights + model.discriminator.weights]

    print(json.dumps([run(["/cpu:0"]), run(["/cpu:0", "/cpu:1"])]))
""")


DCGAN_PARITY_SCRIPT = PARITY_SCRIPT.replace(
    "getattr(tfgan_zoo, sys.argv[1])(tiny_generator(), tiny_discriminator(), n_critic=2, seed=4)",
    "keras.utils.set_random_seed(0) or tfgan_zoo.zoo.build('gan', (28, 28, 1), latent_dim=8, seed=4, network_options={'generator': {'base_filters': 4}, "
    "'discriminator': {'base_filters': 4}})").replace(
    "x = np.random.default_rng(0).normal(size=(192, 2))", "x = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1))")


def test_two_replicas_take_the_same_step_as_one_with_the_default_dcgan_batch_norm():
    # The default DCGAN generator normalises with batch statistics: synchronised over the replicas, so that two
    # replicas see the statistics of the global batch, as one device does.
    import os
    out = subprocess.run([sys.executable, "-c", DCGAN_PARITY_SCRIPT, "GAN", os.path.dirname(__file__)], check=True,
                         capture_output=True, text=True).stdout
    one, two = json.loads(out.strip().splitlines()[-1])
    for a, b in zip(one, two):
        np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("variant", ["WGANGP", "GAN"])
def test_two_replicas_take_the_same_step_as_one(variant, tmp_path):
    import os
    here = os.path.dirname(__file__)
    out = subprocess.run([sys.executable, "-c", PARITY_SCRIPT, variant, here], check=True, capture_output=True,
                         text=True).stdout
    one, two = json.loads(out.strip().splitlines()[-1])
    for a, b in zip(one, two):
        np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-5, rtol=1e-5)


def test_pack_samples_concatenates_consecutive_samples_on_channels():
    x = tf.reshape(tf.range(4 * 3 * 1 * 2, dtype=tf.float32), [4, 3, 1, 2])
    packed = pack_samples(x, 2).numpy()
    assert packed.shape == (2, 3, 1, 4)
    np.testing.assert_array_equal(packed[1, :, :, :2], x.numpy()[2])
    np.testing.assert_array_equal(packed[1, :, :, 2:], x.numpy()[3])


# --- bad inputs: one clear error each, naming the argument ------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    ({"n_critic": 0}, "n_critic=0"),
    ({"penalty_weight": -1.0, "penalty": "gp"}, "penalty_weight=-1.0"),
    ({"loss": "nope"}, "loss='nope'"),
    ({"penalty": "nope"}, "penalty='nope'"),
    ({"latent_dim": 5}, "latent_dim=5"),
    ({"pack_degree": 0}, "pack_degree=0"),
    ({"ema_decay": 1.5}, "ema_decay=1.5"),
    ({"latent_distribution": "cauchy"}, "latent_distribution='cauchy'"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), **kwargs)


def test_fit_before_compile(toy_points):
    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator())
    with pytest.raises(RuntimeError, match=r"compile\("):
        model.fit(toy_points)


@pytest.mark.parametrize("data,match", [
    (np.zeros((64, 3), "float32"), r"shape \(3,\).*generator makes \(2,\)"),
    (np.zeros((64, 2), "int32"), "int32.*floats in \\[-1, 1\\]"),
    (np.full((64, 2), np.nan, "float32"), "NaN"),
])
def test_bad_training_data(data, match):
    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator())
    model.compile()
    with pytest.raises(ValueError, match=match):
        model.fit(data, batch_size=16)


def test_non_model_networks_rejected():
    with pytest.raises(TypeError, match="generator must be a keras.Model"):
        tfgan_zoo.GAN(lambda z: z, tiny_discriminator())
