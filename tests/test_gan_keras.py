"""The GAN as a Keras model (tfgan_zoo/models/gan.py): ``load_model`` resumes training, ``model.optimizer`` and
the logs serve Keras's callbacks, the keras-io ``train_step`` contract, subclassed networks, regularisers."""
import glob
import pathlib
import re
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_zoo
from tfgan_zoo import nets
from tfgan_zoo.models.progan import ProGAN, ProgressiveDiscriminator, ProgressiveGenerator
from conftest import tiny_discriminator, tiny_generator

POINTS = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")  # 8 batches of 8
IMAGES = np.random.default_rng(1).uniform(-1, 1, size=(32, 8, 8, 1)).astype("float32")


def _quiet(make):
    """``make()`` without the variants' "no spectral normalisation / no attention" warnings on tiny nets."""
    def build():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return make()
    return build


def _progan():
    small = {"fmap_base": 16, "fmap_max": 4, "seed": 0}
    return ProGAN(ProgressiveGenerator(8, 1, latent_dim=4, **small), ProgressiveDiscriminator(8, 1, **small),
                  fade_images=16, stable_images=16, seed=3)  # grows to 8x8 (and resets Adam) in the first epoch


VARIANTS = {
    "gan": lambda: tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), seed=3),
    "wgan": lambda: tfgan_zoo.WGAN(tiny_generator(), tiny_discriminator(), n_critic=2, seed=3),
    "wgangp": lambda: tfgan_zoo.WGANGP(tiny_generator(), tiny_discriminator(), n_critic=2, seed=3),
    "sngan": lambda: tfgan_zoo.SNGAN(tiny_generator(), nets.mlp_discriminator(2, (8,), spectral_normalization=True),
                                     n_critic=2, seed=3),
    "gngan": lambda: tfgan_zoo.GNGAN(tiny_generator(), tiny_discriminator(), seed=3),
    "sphere": lambda: tfgan_zoo.SphereGAN(tiny_generator(), tiny_discriminator(output_units=4), seed=3),
    "realness": lambda: tfgan_zoo.RealnessGAN(tiny_generator(), tiny_discriminator(output_units=4), num_outcomes=4,
                                              seed=3),
    "unrolled": lambda: tfgan_zoo.UnrolledGAN(tiny_generator(), tiny_discriminator(), unroll_steps=2, seed=3),
    "sagan": lambda: tfgan_zoo.SAGAN(tiny_generator(), tiny_discriminator(), seed=3),
    "ema_noise": lambda: tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), ema_decay=0.9, instance_noise=0.1,
                                       seed=3),
    "progan": _progan,
}


def _state(model):
    """Every array of training state: weights (EMA, counters, noise included), both optimizers, the RNG."""
    return ([v.numpy() for v in model.weights + model.d_optimizer.variables + model.g_optimizer.variables]
            + [model.seed_generator.state.numpy()])


def _assert_same(a, b):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        np.testing.assert_array_equal(x, y, err_msg=f"state array {i}")


# --- 1. reload = resume -----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_load_model_continues_bit_identically(variant, tmp_path):
    make = _quiet(VARIANTS[variant])
    data = IMAGES if variant == "progan" else POINTS
    full = make()
    initial = full.get_weights()  # both runs start from the same weights (some layers draw theirs unseeded)
    full.compile()
    full.fit(data, batch_size=8, epochs=2, verbose=0)

    part = make()
    part.set_weights(initial)
    part.compile()
    part.fit(data, batch_size=8, epochs=1, verbose=0)
    part.save(tmp_path / "model.keras")
    loaded = _quiet(lambda: keras.saving.load_model(tmp_path / "model.keras"))()

    assert type(loaded) is type(part) and loaded.compiled
    for role in ("d_optimizer", "g_optimizer"):
        saved, restored = getattr(part, role), getattr(loaded, role)
        assert type(restored) is type(saved) and restored.get_config() == saved.get_config()
        _assert_same([v.numpy() for v in saved.variables], [v.numpy() for v in restored.variables])
    assert int(loaded.g_optimizer.iterations.numpy()) > 0
    loaded.fit(data, batch_size=8, epochs=2, initial_epoch=1, verbose=0)
    _assert_same(_state(full), _state(loaded))


def test_load_model_keeps_the_users_compile_arguments(tmp_path):
    model = tfgan_zoo.WGANGP(tiny_generator(), tiny_discriminator(), n_critic=2, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9, clipnorm=1.0),
                  g_optimizer=keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5)),
                  jit_compile=False, steps_per_execution=2)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(loaded.d_optimizer, keras.optimizers.Adam)
    assert isinstance(loaded.g_optimizer, keras.optimizers.SGD)
    assert loaded.d_optimizer.get_config() == model.d_optimizer.get_config()
    assert loaded.d_optimizer.clipnorm == 1.0 and float(loaded.d_optimizer.learning_rate) == pytest.approx(4e-4)
    assert isinstance(loaded.g_optimizer._learning_rate, keras.optimizers.schedules.ExponentialDecay)
    assert (loaded.jit_compile, loaded.steps_per_execution) == (False, 2)


def test_an_uncompiled_model_loads_uncompiled(tmp_path):
    tfgan_zoo.GAN(tiny_generator(), tiny_discriminator()).save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.d_optimizer is None
    with pytest.raises(RuntimeError, match=r"compile\("):
        loaded.fit(POINTS, batch_size=8)


def test_a_dataset_of_unknown_length_trains_exactly_its_batches():
    """Keras ends such an epoch by calling the step on the exhausted iterator; no update may run then."""
    model = _quiet(VARIANTS["ema_noise"])()
    model.compile()
    unknown = tf.data.Dataset.from_tensor_slices(POINTS).batch(8).filter(lambda x: True)  # 8 batches, length unknown
    model.fit(unknown, epochs=2, verbose=0)
    assert int(model.generator_steps.numpy()) == int(model.d_optimizer.iterations.numpy()) == 16
    assert int(model.g_optimizer.iterations.numpy()) == 16


# --- 2. one optimizer story ------------------------------------------------------------------------------


def _ttur(**kwargs):
    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), seed=0, **kwargs)
    model.compile(d_optimizer=keras.optimizers.Adam(4e-4), g_optimizer=keras.optimizers.Adam(1e-4))
    return model


def _rates(model):
    return float(model.d_optimizer.learning_rate), float(model.g_optimizer.learning_rate)


def test_model_optimizer_is_the_two_optimizers_not_a_phantom():
    model = _ttur()
    assert model.optimizer.optimizers == [model.d_optimizer, model.g_optimizer]
    assert [o.name for o in model.optimizer.optimizers] == ["d_optimizer", "g_optimizer"]
    assert model.optimizer.iterations is model.generator_steps
    assert len(model.optimizer.variables) == len(model.d_optimizer.variables) + len(model.g_optimizer.variables)
    with pytest.raises(AttributeError, match="two learning rates"):
        model.optimizer.learning_rate


def test_learning_rate_scheduler_drives_both_optimizers_and_logs_both():
    model = _ttur()
    history = model.fit(POINTS, batch_size=8, epochs=3, verbose=0, callbacks=[
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)]).history
    np.testing.assert_allclose(_rates(model), (4e-4 / 8, 1e-4 / 8), rtol=1e-6)  # halved at each epoch's start
    np.testing.assert_allclose(history["learning_rate_d_optimizer"], [2e-4, 1e-4, 5e-5], rtol=1e-6)
    np.testing.assert_allclose(history["learning_rate_g_optimizer"], [5e-5, 2.5e-5, 1.25e-5], rtol=1e-6)


def test_reduce_lr_on_plateau_reduces_both_optimizers():
    model = _ttur()
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.1, patience=0, min_delta=1e9)
    model.fit(POINTS, batch_size=8, epochs=2, verbose=0, callbacks=[reduce])  # never "improves": reduced at epoch 2
    np.testing.assert_allclose(_rates(model), (4e-5, 1e-5), rtol=1e-6)


def test_tensorboard_logs_both_learning_rates_and_the_loss(tmp_path):
    model = _ttur()
    model.fit(POINTS, batch_size=8, epochs=1, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(str(tmp_path), write_steps_per_second=True)])
    scalars = {}
    for path in glob.glob(str(tmp_path / "train" / "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                scalars[value.tag] = float(tf.make_ndarray(value.tensor))
    assert scalars["epoch_learning_rate_d_optimizer"] == pytest.approx(4e-4)
    assert scalars["epoch_learning_rate_g_optimizer"] == pytest.approx(1e-4)
    assert "epoch_learning_rate" not in scalars  # the phantom optimizer's 0.001 is gone
    assert scalars["epoch_steps_per_second"] > 0  # counted on generator_steps
    assert scalars["epoch_loss"] == pytest.approx(scalars["epoch_d_loss"] + scalars["epoch_g_loss"], rel=1e-5)


def test_logs_loss_is_d_loss_plus_g_loss():
    history = _ttur().fit(POINTS, batch_size=8, epochs=2, verbose=0).history
    np.testing.assert_allclose(history["loss"], np.add(history["d_loss"], history["g_loss"]), rtol=1e-6)


def test_terminate_on_nan_stops_at_the_first_nan_step():
    points = POINTS.copy()
    points[8 * 3] = np.nan  # batch 3 (unshuffled)
    model = _ttur()
    model.fit(tf.data.Dataset.from_tensor_slices(points).batch(8), epochs=3, verbose=0,
              callbacks=[keras.callbacks.TerminateOnNaN()])
    assert int(model.generator_steps.numpy()) == 4  # stopped after the 4th step, not after 24


# --- 3. the train_step contract, subclassed networks, regularisers -------------------------------------------


def _readme_example():
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("### A keras-io style `train_step`"):]
    return re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)


def test_readme_keras_io_train_step_override_runs():
    namespace = {}
    exec(compile(_readme_example(), "README.md", "exec"), namespace)
    model, history = namespace["model"], namespace["history"].history
    assert int(model.d_optimizer.iterations.numpy()) == 3 * 16 and int(model.g_optimizer.iterations.numpy()) == 16
    assert np.isfinite(history["d_loss"][-1]) and np.isfinite(history["g_loss"][-1])

    class Recording(namespace["KerasIOWGAN"]):
        def train_step(self, real_images):
            self.seen = tuple(real_images.shape)
            return super().train_step(real_images)

    recording = Recording(tiny_generator(), tiny_discriminator(), seed=0)
    recording.compile()
    recording.fit(POINTS, batch_size=16, epochs=1, verbose=0)
    assert recording.seen == (16, 2)  # plain [batch, ...] real images


class _CountingGAN(tfgan_zoo.WGANGP):
    """Wraps the library step and records the shapes ``train_step`` receives."""

    def train_step(self, data):
        self.seen = tuple(data.shape)
        return super().train_step(data)


def test_an_override_calling_super_gets_plain_batches_and_reuses_them_for_every_critic_update():
    model = _CountingGAN(tiny_generator(), tiny_discriminator(), n_critic=3, seed=0)
    model.compile()
    with pytest.warns(UserWarning, match=r"n_critic=3 critic updates; override train_iteration"):
        model.fit(POINTS, batch_size=8, epochs=1, verbose=0)
    assert model.seen == (8, 2)
    assert int(model.generator_steps.numpy()) == 8  # one batch per step, not n_critic
    assert int(model.d_optimizer.iterations.numpy()) == 24


class SubclassedGenerator(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(2)

    def call(self, z, training=False):
        return self.out(self.hidden(z))


class SubclassedCritic(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, x, training=False):
        return self.out(self.hidden(x))


@pytest.mark.parametrize("variant", ["GAN", "WGANGP", "SAGAN"])
def test_subclassed_generator_and_discriminator_train(variant):
    model = _quiet(lambda: getattr(tfgan_zoo, variant)(SubclassedGenerator(), SubclassedCritic(), latent_dim=3,
                                                       ema_decay=0.9, seed=0))()
    model.compile()
    before = [w.numpy() for w in model.generator.weights + model.discriminator.weights]
    assert model.sample_shape == (2,) and len(before) == 8
    history = model.fit(POINTS, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][-1])
    after = [w.numpy() for w in model.generator.weights + model.discriminator.weights]
    # (a Wasserstein critic's output bias gets no gradient: its loss is a difference of means)
    assert all(not np.array_equal(a, b) for a, b in zip(before, after) if a.size > 1)
    assert model.generate(5).shape == (5, 2)  # from the EMA copy of the subclassed generator


def _one_step_weights(l2_critic=0.0, l2_generator=0.0):
    def dense(units, l2, seed):
        return keras.layers.Dense(units, kernel_initializer=keras.initializers.GlorotUniform(seed),
                                  kernel_regularizer=keras.regularizers.L2(l2) if l2 else None)

    generator = keras.Sequential([keras.Input((3,)), dense(2, l2_generator, 1)])
    critic = keras.Sequential([keras.Input((2,)), dense(4, l2_critic, 2), keras.layers.Activation("tanh"),
                               dense(1, 0.0, 3)])
    model = tfgan_zoo.GAN(generator, critic, seed=0)
    model.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1))
    initial = (critic.layers[0].kernel.numpy(), generator.layers[0].kernel.numpy())
    history = model.fit(POINTS[:8], batch_size=8, epochs=1, verbose=0).history
    return initial, (critic.layers[0].kernel.numpy(), generator.layers[0].kernel.numpy()), history


def test_regularization_losses_join_the_right_objective():
    (d0, g0), (d_plain, g_plain), plain = _one_step_weights()
    _, (d_reg, _), critic_reg = _one_step_weights(l2_critic=0.5)
    # one SGD step on loss + 0.5 * |W|^2 moves the critic's kernel by a further -0.1 * 2 * 0.5 * W0
    np.testing.assert_allclose(d_reg - d_plain, -0.1 * d0, atol=1e-6)
    np.testing.assert_allclose(critic_reg["d_loss"][0] - plain["d_loss"][0], 0.5 * np.sum(d0 ** 2), rtol=1e-5)
    _, (d_same, g_reg), generator_reg = _one_step_weights(l2_generator=0.5)
    np.testing.assert_allclose(g_reg - g_plain, -0.1 * g0, atol=1e-6)
    np.testing.assert_allclose(generator_reg["g_loss"][0] - plain["g_loss"][0], 0.5 * np.sum(g0 ** 2), rtol=1e-5)
    np.testing.assert_array_equal(d_same, d_plain)  # the generator's regulariser stays out of the critic's step
    assert generator_reg["d_loss"][0] == plain["d_loss"][0]  # and out of its loss
