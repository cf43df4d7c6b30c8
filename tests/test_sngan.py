"""SNGAN: official defaults, the spectral-normalisation check, sigma(W_SN) = 1 per critic layer, training,
saving, and the linear learning-rate decay of the ResNet setting."""
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo import nets
from tfgan_zoo.layers.spectral_normalization import SpectralNormalization
from tfgan_zoo.models.gan import GAN
from tfgan_zoo.inspection import layers_without_spectral_normalization
from tfgan_zoo.models.sngan import SNGAN
from tfgan_zoo.callbacks import LinearLearningRateDecay, linear_decay
from conftest import assert_fit_moves_every_kernel, tiny_discriminator, tiny_generator


def _sn_mlp_critic():
    return nets.mlp_discriminator(hidden_units=(16, 16), spectral_normalization=True)


def _spectral_layers(network):
    return [layer for layer in network._flatten_layers() if isinstance(layer, SpectralNormalization)]


def _largest_singular_value(layer):
    """numpy SVD of W_SN reshaped to [-1, out_channels], the matrix Miyato et al. normalise."""
    kernel = keras.ops.convert_to_numpy(layer.normalized_kernel())
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


@pytest.mark.parametrize("setting,n_critic,multiplier,betas", [
    ("resnet", 5, 2, (0.0, 0.9)), ("cnn", 1, 1, (0.5, 0.999))])
def test_official_defaults(setting, n_critic, multiplier, betas):
    model = SNGAN(tiny_generator(), _sn_mlp_critic(), setting=None if setting == "resnet" else setting)
    model.compile()
    assert (model.setting, model.n_critic, model.generator_batch_multiplier, model.loss_pair.name) == (
        setting, n_critic, multiplier, "hinge")
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert (float(optimizer.learning_rate), optimizer.beta_1, optimizer.beta_2) == (pytest.approx(2e-4), *betas)


def test_explicit_arguments_win_over_the_setting():
    model = SNGAN(tiny_generator(), _sn_mlp_critic(), setting="cnn", n_critic=3, loss="non_saturating",
                  generator_batch_multiplier=4)
    assert (model.n_critic, model.loss_pair.name, model.generator_batch_multiplier) == (3, "non_saturating", 4)
    model.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.2))
    assert isinstance(model.d_optimizer, keras.optimizers.SGD)
    with pytest.raises(ValueError, match=r"setting='dcgan'.*\['cnn', 'resnet'\]"):
        SNGAN(tiny_generator(), _sn_mlp_critic(), setting="dcgan")


def test_warns_naming_the_layers_without_spectral_normalization():
    with pytest.warns(UserWarning, match=r"have none: \['dense\w*', 'dense\w*'\]"):
        SNGAN(tiny_generator(), tiny_discriminator())
    partial = keras.Sequential([keras.Input((2,)), SpectralNormalization(keras.layers.Dense(4)),
                                keras.layers.Dense(1, name="plain_head")])
    with pytest.warns(UserWarning, match=r"\['plain_head'\]"):
        SNGAN(tiny_generator(), partial)
    keras_sn = keras.Sequential([keras.Input((2,)), keras.layers.SpectralNormalization(keras.layers.Dense(1))])
    for network in (_sn_mlp_critic(), keras_sn, nets.resnet_discriminator(image_size=32, filters=4)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            SNGAN(tiny_generator(), network)


def test_finds_the_layers_inside_residual_blocks():
    unnormalised, normalised = layers_without_spectral_normalization(
        nets.resnet_discriminator(image_size=32, filters=4, spectral_normalization=False))
    assert normalised == [] and len(unnormalised) >= 8  # 4 blocks of 2-3 convolutions and the linear head
    unnormalised, normalised = layers_without_spectral_normalization(
        nets.resnet_discriminator(image_size=32, filters=4, spectral_normalization=True))
    assert unnormalised == [] and len(normalised) >= 8


@pytest.mark.parametrize("critic_kind", ["mlp", "dcgan"])
def test_every_critic_layer_has_spectral_norm_one(critic_kind):
    """sigma_max(W / sigma(W)) -> 1 for each layer of SNGAN's critic, against numpy's SVD.

    One power iteration per training call of the critic (3 per step with n_critic = 1). While training,
    sigma is an estimate that trails the moving weights: small convolution kernels have close top singular
    values (e.g. 0.192 and 0.185), so it can be a few percent low. With the weights held, further power
    iterations make it exact.
    """
    if critic_kind == "mlp":
        generator, critic = tiny_generator(), _sn_mlp_critic()
        data = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    else:
        generator = nets.dcgan_generator(image_size=28, latent_dim=4, base_filters=4)
        critic = nets.dcgan_discriminator(image_size=28, base_filters=4, spectral_normalization=True)
        data = np.random.default_rng(0).uniform(-1, 1, size=(64, 28, 28, 1)).astype("float32")
    model = SNGAN(generator, critic, setting="cnn", seed=0)  # n_critic = 1 keeps the traced step small
    model.compile(jit_compile=False)
    model.fit(tf.data.Dataset.from_tensor_slices(data).repeat().batch(8), steps_per_epoch=5, verbose=0)
    layers = _spectral_layers(critic)
    assert len(layers) == 3  # mlp: 2 hidden + head; dcgan 28 px: 2 convolutions + head
    raw = [np.linalg.svd(keras.ops.convert_to_numpy(l.raw_kernel).reshape(-1, l.raw_kernel.shape[-1]),
                         compute_uv=False)[0] for l in layers]
    assert max(abs(s - 1) for s in raw) > 0.1  # the raw weights are not normalised themselves
    for layer in layers:
        assert _largest_singular_value(layer) == pytest.approx(1.0, abs=0.15), layer.name

    @tf.function
    def power_iterations(x, n):
        for _ in tf.range(n):
            critic(x, training=True)

    power_iterations(tf.constant(data[:2]), tf.constant(300))
    for layer in layers:
        assert _largest_singular_value(layer) == pytest.approx(1.0, abs=1e-3), layer.name


def test_training_steps_under_xla(toy_points):
    # (without XLA, SNGAN's default setting trains as tests/test_contract.py checks for every catalogue entry)
    model = SNGAN(tiny_generator(), _sn_mlp_critic(), n_critic=1, seed=1)
    model.compile(jit_compile=True)
    assert_fit_moves_every_kernel(model, toy_points)


def test_generator_batch_is_twice_the_critic_batch(toy_points):
    model = SNGAN(tiny_generator(), _sn_mlp_critic(), n_critic=2, seed=0)
    model.compile(run_eagerly=True)
    sizes = []
    sample_latent = model.sample_latent
    model.sample_latent = lambda n: sizes.append(int(n)) or sample_latent(n)
    model.fit(toy_points, batch_size=16, steps_per_epoch=1, verbose=0)
    assert sizes == [16, 16, 32]


def test_keras_round_trip(tmp_path, toy_points):
    model = SNGAN(tiny_generator(), _sn_mlp_critic(), setting="cnn", seed=3)
    model.compile()
    model.fit(toy_points, batch_size=16, steps_per_epoch=2, verbose=0)
    model.save(tmp_path / "sngan.keras")
    loaded = keras.saving.load_model(tmp_path / "sngan.keras")
    assert isinstance(loaded, SNGAN) and (loaded.setting, loaded.n_critic) == ("cnn", 1)
    x = toy_points[:5]
    np.testing.assert_allclose(loaded.discriminator(x).numpy(), model.discriminator(x).numpy(), rtol=1e-6)
    z = np.random.default_rng(0).normal(size=(4, 4)).astype("float32")
    np.testing.assert_array_equal(loaded.generate(z), model.generate(z))


# --- linear learning-rate decay (the ResNet setting's schedule) -----------------------------------------


def test_linear_decay_schedule_values():
    schedule = linear_decay(2e-4, 100)
    np.testing.assert_allclose([float(schedule(i)) for i in (0, 25, 50, 100, 150)],
                               [2e-4, 1.5e-4, 1e-4, 0.0, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="total_steps=0"):
        linear_decay(1e-3, 0)


@pytest.mark.parametrize("jit", [False, True])
def test_linear_learning_rate_decay_callback_closed_form(jit):
    """Linear critic f(x) = w.x, zero generator, Wasserstein loss, SGD(1): step t adds lr_t * mean(real) to w.

    Decay over 4 steps after 1 at the initial rate: lr = 1, 1, 2/3, 1/3, 0, 0 -> w = (1 + 1 + 2/3 + 1/3) * mean.
    """
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Rescaling(0.0)])  # G = 0
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model = GAN(generator, critic, loss="wasserstein", seed=0)
    model.compile(d_optimizer=keras.optimizers.SGD(1.0), g_optimizer=keras.optimizers.SGD(0.5), jit_compile=jit)
    rates = []
    recorder = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: rates.append(
        (float(model.d_optimizer.learning_rate), float(model.g_optimizer.learning_rate))))
    real = np.tile(np.array([[1.0, 2.0]], "float32"), (4 * 6, 1))
    decay = LinearLearningRateDecay(total_steps=4, start_step=1)
    model.fit(real, batch_size=4, epochs=2, steps_per_epoch=3, callbacks=[decay, recorder], verbose=0)
    expected = np.array([1, 1, 2 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(np.array(rates), np.stack([expected, 0.5 * expected], 1), atol=1e-6)
    np.testing.assert_allclose(critic.weights[0].numpy().ravel(), 3.0 * np.array([1.0, 2.0]), rtol=1e-5)
    # a later fit continues from the model's step counter: the rates stay at 0
    model.fit(real, batch_size=4, steps_per_epoch=1, callbacks=[decay, recorder], verbose=0)
    assert rates[-1] == (0.0, 0.0)


def test_linear_learning_rate_decay_rejects_bad_arguments():
    with pytest.raises(ValueError, match="total_steps=0"):
        LinearLearningRateDecay(0)
    with pytest.raises(ValueError, match="start_step=5"):
        LinearLearningRateDecay(5, start_step=5)
