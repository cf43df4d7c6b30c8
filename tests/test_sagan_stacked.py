"""The SAGAN preset (tfgan_zoo/models/sagan.py, the zoo's "sagan") and stacked generators (models/stacked.py)."""
import warnings

import keras
import numpy as np
import pytest

import tfgan_zoo
from tfgan_zoo import nets, zoo
from tfgan_zoo.layers import SelfAttention, SpectralNormalization
from tfgan_zoo.models.sagan import SAGAN
from tfgan_zoo.inspection import layers_without_spectral_normalization
from tfgan_zoo.models.stacked import low_resolution_networks, refiner_generator, stack_generators

RNG = np.random.default_rng(0)


def _layers(network, kind):
    return [layer for layer in network._flatten_layers(include_self=False) if isinstance(layer, kind)]


# --- SAGAN ---------------------------------------------------------------------------------------------


def test_sagan_preset_trains_with_spectral_normalization_in_both_networks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the preset's nets satisfy SAGAN's own checks
        model = zoo.build("sagan", (28, 28, 1), latent_dim=16, seed=0,
                          network_options={"generator": {"base_filters": 8}, "discriminator": {"base_filters": 8}})
    assert type(model) is SAGAN and model.loss_pair.name == "hinge" and model.n_critic == 1
    for network in (model.generator, model.discriminator):
        unnormalised, normalised = layers_without_spectral_normalization(network)
        assert unnormalised == [] and len(normalised) >= 3 + 4  # the convs/dense and attention's f, g, h, v
        assert len(_layers(network, SelfAttention)) == 1
        attention = _layers(network, SelfAttention)[0]
        assert attention.spectral_normalization and attention.input.shape[1:3] == (14, 14)
    model.compile()
    rates = (float(model.d_optimizer.learning_rate.numpy()), float(model.g_optimizer.learning_rate.numpy()))
    assert rates == (pytest.approx(4e-4), pytest.approx(1e-4))
    assert (model.d_optimizer.beta_1, model.d_optimizer.beta_2, model.g_optimizer.beta_1) == (0.0, 0.9, 0.0)

    generator_sn = _layers(model.generator, SpectralNormalization)
    before = [layer.u.numpy().copy() for layer in generator_sn] if hasattr(generator_sn[0], "u") else None
    g_before = [w.numpy().copy() for w in model.generator.trainable_weights]
    images = RNG.uniform(-1, 1, size=(32, 28, 28, 1)).astype("float32")
    history = model.fit(images, batch_size=8, epochs=1, verbose=0)
    assert int(model.generator_steps.numpy()) == 4
    assert all(np.isfinite(history.history[name][0]) for name in ("d_loss", "g_loss"))
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(g_before, model.generator.trainable_weights))
    if before is not None:  # the generator's power iterations ran during its training calls
        assert any(not np.array_equal(a, layer.u.numpy()) for a, layer in zip(before, generator_sn))


def test_sagan_attention_sits_at_half_the_image_side_and_toy_data_still_builds():
    model = zoo.build("sagan", (32, 32, 1), latent_dim=8, family="resnet",
                      network_options={"generator": {"filters": 8}, "discriminator": {"filters": 8}})
    for network in (model.generator, model.discriminator):
        assert _layers(network, SelfAttention)[0].input.shape[1:3] == (16, 16)
        assert layers_without_spectral_normalization(network)[0] == []
    with pytest.warns(UserWarning, match="generator have none"):  # the toy MLP generator has no SN option
        toy = zoo.build("sagan", (2,), latent_dim=4, network_options={"generator": {"hidden_units": (8,)},
                                                                     "discriminator": {"hidden_units": (8,)}})
    assert layers_without_spectral_normalization(toy.discriminator)[0] == []


def test_sagan_warns_without_spectral_normalization_in_the_generator():
    generator = nets.dcgan_generator(28, latent_dim=8, base_filters=8, attention_resolution=14)
    discriminator = nets.dcgan_discriminator(28, base_filters=8, spectral_normalization=True, attention_resolution=14)
    with pytest.warns(UserWarning, match="generator"):
        SAGAN(generator, discriminator)


# --- stacked generators --------------------------------------------------------------------------------


def _stack():
    stage1, _ = low_resolution_networks(14, latent_dim=8, filters=8)
    refiner = refiner_generator(14, latent_dim=4, filters=8)
    return stage1, refiner, stack_generators(stage1, refiner)


def test_stacked_chain_shapes_and_composition():
    stage1, refiner, chain = _stack()
    assert chain.input_shape == (None, 12) and chain.output_shape == (None, 28, 28, 1)
    assert stage1.output_shape == (None, 14, 14, 1)
    z = RNG.normal(size=(5, 12)).astype("float32")
    low = stage1(z[:, :8], training=False)
    expected = refiner([low, keras.ops.convert_to_tensor(z[:, 8:])], training=False)
    np.testing.assert_allclose(chain(z).numpy(), keras.ops.convert_to_numpy(expected), atol=1e-6)
    # stage 1 is a frozen copy: only the refiner trains, and training never touches the stage-1 model
    assert len(chain.trainable_weights) == len(refiner.trainable_weights)
    assert stage1.trainable and chain.get_layer(stage1.name) is not stage1


def test_stage_two_depends_on_stage_one_output():
    stage1, refiner, chain = _stack()
    z2 = keras.ops.convert_to_tensor(RNG.normal(size=(4, 4)).astype("float32"))
    low_a, low_b = (keras.ops.convert_to_tensor(RNG.uniform(-1, 1, size=(4, 14, 14, 1)).astype("float32"))
                    for _ in range(2))
    out_a = keras.ops.convert_to_numpy(refiner([low_a, z2], training=False))
    out_b = keras.ops.convert_to_numpy(refiner([low_b, z2], training=False))
    assert np.abs(out_a - out_b).mean() > 0.05
    # an untrained refiner is close to tanh(2 * bilinear upsampling of the stage-1 image)
    up = keras.ops.convert_to_numpy(keras.layers.UpSampling2D(2, interpolation="bilinear")(low_a))
    assert np.corrcoef(out_a.ravel(), np.tanh(2 * up).ravel())[0, 1] > 0.9
    # through the chain: same z2, different z1 -> different 28 px images
    z = RNG.normal(size=(2, 12)).astype("float32")
    z_other = z.copy()
    z_other[:, :8] = RNG.normal(size=(2, 8))
    assert not np.allclose(chain(z).numpy(), chain(z_other).numpy(), rtol=0, atol=1e-6)


def test_stacked_generator_trains_as_a_zoo_gan_and_round_trips(tmp_path):
    stage1, refiner, chain = _stack()
    frozen = [w.numpy().copy() for w in chain.get_layer(stage1.name).weights]
    model = tfgan_zoo.GAN(chain, nets.dcgan_discriminator(28, base_filters=8), seed=0)
    model.compile()
    model.fit(RNG.uniform(-1, 1, size=(32, 28, 28, 1)).astype("float32"), batch_size=8, epochs=1, verbose=0)
    for a, w in zip(frozen, chain.get_layer(stage1.name).weights):
        np.testing.assert_array_equal(a, w.numpy())
    z = RNG.normal(size=(3, 12)).astype("float32")
    model.save(tmp_path / "stacked.keras")
    restored = keras.saving.load_model(tmp_path / "stacked.keras")
    np.testing.assert_array_equal(restored.generate(z), model.generate(z))


def test_stacking_rejects_mismatched_stages():
    stage1, _ = low_resolution_networks(14, latent_dim=8, filters=8)
    with pytest.raises(ValueError, match="low_resolution=14"):
        stack_generators(stage1, refiner_generator(16, latent_dim=4, filters=8))
    with pytest.raises(ValueError, match="image_size"):
        low_resolution_networks(15)
