"""Tests for tfgan_zoo/nets.py."""
import numpy as np
import pytest

import keras

from tfgan_zoo import nets
from tfgan_zoo.layers.attention import SelfAttention
from tfgan_zoo.layers.spectral_normalization import SpectralNormalization


def _layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def _weighted_layers(model):
    return _layers_of(model, (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose))


def test_mlp_shapes_and_linear_output():
    generator = nets.mlp_generator(latent_dim=3, output_dim=2, hidden_units=(8, 8))
    discriminator = nets.mlp_discriminator(input_dim=2, hidden_units=(8,), output_units=2, input_channels_multiplier=3)
    assert generator.input_shape == (None, 3) and generator.output_shape == (None, 2)
    assert discriminator.input_shape == (None, 6) and discriminator.output_shape == (None, 2)
    assert len(_layers_of(generator, keras.layers.Dense)) == 3
    # Linear output: scaling the last layer's weights scales the output exactly.
    z = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    last = generator.layers[-2]
    before = generator(z).numpy()
    last.set_weights([3.0 * w for w in last.get_weights()])
    np.testing.assert_allclose(generator(z).numpy(), 3.0 * before, rtol=1e-5, atol=1e-6)


def test_mlp_discriminator_spectral_normalization_wraps_every_dense():
    discriminator = nets.mlp_discriminator(hidden_units=(8, 8), spectral_normalization=True)
    assert len(_layers_of(discriminator, SpectralNormalization)) == 3
    assert not _layers_of(discriminator, keras.layers.Dense)


@pytest.mark.parametrize("image_size, base_size", [(28, 7), (32, 4), (48, 6), (64, 4)])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes(image_size, base_size, channels):
    generator = nets.dcgan_generator(image_size, channels, latent_dim=8, base_filters=4)
    discriminator = nets.dcgan_discriminator(image_size, channels, base_filters=4, output_units=2)
    assert generator.output_shape == (None, image_size, image_size, channels)
    assert discriminator.input_shape == (None, image_size, image_size, channels)
    assert discriminator.output_shape == (None, 2)
    assert _layers_of(generator, keras.layers.Reshape)[0].target_shape[:2] == (base_size, base_size)
    assert discriminator.layers[-4].output.shape[1:3] == (base_size, base_size)  # before Flatten
    images = generator(np.random.default_rng(0).normal(size=(2, 8)).astype("float32"), training=True)
    assert np.all(np.abs(images.numpy()) <= 1.0)
    assert discriminator(images).shape == (2, 2)


def test_dcgan_28_follows_the_mnist_layout():
    generator = nets.dcgan_generator(28, 1, base_filters=32)
    assert _layers_of(generator, keras.layers.Reshape)[0].target_shape == (7, 7, 64)
    assert [l.filters for l in _layers_of(generator, keras.layers.Conv2DTranspose)] == [32, 1]
    assert len(_layers_of(generator, keras.layers.BatchNormalization)) == 2
    discriminator = nets.dcgan_discriminator(28, 1, base_filters=32)
    assert [l.filters for l in _layers_of(discriminator, keras.layers.Conv2D)] == [32, 64]
    assert not _layers_of(discriminator, keras.layers.BatchNormalization)  # WGAN-GP-safe default


@pytest.mark.parametrize("normalization, layer_class", [
    ("batch", keras.layers.BatchNormalization), ("layer", keras.layers.LayerNormalization), ("none", None)])
def test_dcgan_normalization_options(normalization, layer_class):
    generator = nets.dcgan_generator(32, 3, base_filters=4, normalization=normalization)
    discriminator = nets.dcgan_discriminator(32, 3, base_filters=4, normalization=normalization)
    norms = (keras.layers.BatchNormalization, keras.layers.LayerNormalization)
    expected = 0 if layer_class is None else 1
    assert len(_layers_of(generator, norms)) == 3 * expected  # after the projection and each hidden upsampling
    assert len(_layers_of(discriminator, norms)) == 2 * expected  # not after the first convolution
    if layer_class is not None:
        assert all(isinstance(l, layer_class) for l in _layers_of(generator, norms) + _layers_of(discriminator, norms))


def test_dcgan_spectral_normalization_attention_and_packing():
    generator = nets.dcgan_generator(32, 3, base_filters=8, attention_resolution=16, spectral_normalization=True)
    discriminator = nets.dcgan_discriminator(
        32, 3, base_filters=8, attention_resolution=8, spectral_normalization=True, input_channels_multiplier=4
    )
    assert not _weighted_layers(generator) and not _weighted_layers(discriminator)
    assert len(_layers_of(generator, SpectralNormalization)) == 4
    assert len(_layers_of(discriminator, SpectralNormalization)) == 4
    (attention,) = _layers_of(generator, SelfAttention)
    assert attention.input.shape[1:] == (16, 16, 8)
    (attention,) = _layers_of(discriminator, SelfAttention)
    assert attention.input.shape[1:] == (8, 8, 16)
    assert isinstance(attention.query, SpectralNormalization)
    assert discriminator.input_shape == (None, 32, 32, 12)


@pytest.mark.parametrize("image_size, final_size, blocks", [(32, 8, 4), (48, 12, 4), (64, 8, 5)])
def test_resnet_shapes(image_size, final_size, blocks):
    generator = nets.resnet_generator(image_size, 3, latent_dim=8, filters=8)
    discriminator = nets.resnet_discriminator(image_size, 3, filters=8, output_units=3, input_channels_multiplier=2)
    assert generator.output_shape == (None, image_size, image_size, 3)
    assert discriminator.input_shape == (None, image_size, image_size, 6)
    assert discriminator.output_shape == (None, 3)
    # Global sum pooling over the final map: mean times its number of positions.
    assert _layers_of(discriminator, keras.layers.Rescaling)[0].scale == final_size**2
    assert len(_layers_of(discriminator, keras.layers.Add)) == blocks
    assert len(_layers_of(generator, keras.layers.Add)) == int(np.log2(image_size // (final_size // 2)))
    z = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")
    images = generator(z, training=True).numpy()
    assert np.all(np.abs(images) <= 1.0)
    assert discriminator(np.concatenate([images, images], axis=-1)).shape == (2, 3)


def test_resnet_discriminator_is_the_sngan_cifar_critic_by_default():
    discriminator = nets.resnet_discriminator(filters=8)
    assert not _weighted_layers(discriminator)  # spectral normalisation everywhere by default
    # 3 convolutions in each of the two resizing blocks, 2 in each of the two others (identity shortcut), 1 dense.
    assert len(_layers_of(discriminator, SpectralNormalization)) == 3 + 3 + 2 + 2 + 1
    assert len(_layers_of(discriminator, keras.layers.AveragePooling2D)) == 4
    plain = nets.resnet_discriminator(filters=8, spectral_normalization=False)
    assert not _layers_of(plain, SpectralNormalization)


def test_resnet_attention_positions():
    generator = nets.resnet_generator(32, filters=8, attention_resolution=16)
    (attention,) = _layers_of(generator, SelfAttention)
    assert attention.input.shape[1:] == (16, 16, 8) and not attention.spectral_normalization
    discriminator = nets.resnet_discriminator(32, filters=8, attention_resolution=16)
    (attention,) = _layers_of(discriminator, SelfAttention)
    assert attention.input.shape[1:] == (16, 16, 8) and attention.spectral_normalization


@pytest.mark.parametrize("build, kwargs, message", [
    (nets.dcgan_generator, dict(image_size=30),
     r"image_size=30 is not supported by dcgan_generator; use one of \(28, 32, 48, 64\)"),
    (nets.dcgan_discriminator, dict(output_units=0), r"output_units=0 is not valid for dcgan_discriminator"),
    (nets.dcgan_discriminator, dict(channels=0), r"channels=0 .* integer >= 1"),
    (nets.dcgan_generator, dict(normalization="instance"), r"normalization='instance' .* \('batch', 'layer', 'none'\)"),
    (nets.dcgan_generator, dict(image_size=28, attention_resolution=28),
     r"attention_resolution=28 .* dcgan_generator\(image_size=28\); use None or one of \(7, 14\)"),
    (nets.resnet_generator, dict(image_size=28), r"image_size=28 .* use one of \(32, 48, 64\)"),
    (nets.resnet_discriminator, dict(attention_resolution=8, image_size=48), r"one of \(12, 24\)"),
    (nets.resnet_discriminator, dict(input_channels_multiplier=0), r"input_channels_multiplier=0"),
    (nets.mlp_generator, dict(hidden_units=()), r"hidden_units=\(\) .* non-empty sequence"),
    (nets.mlp_discriminator, dict(output_units=1.5), r"output_units=1.5"),
])
def test_argument_errors_name_the_argument_and_the_fix(build, kwargs, message):
    with pytest.raises(ValueError, match=message):
        build(**kwargs)


@pytest.mark.parametrize("build", [
    lambda: nets.resnet_discriminator(32, 3, filters=8, attention_resolution=16),
    lambda: nets.resnet_generator(32, 3, latent_dim=8, filters=8, spectral_normalization=True),
    lambda: nets.dcgan_generator(28, 1, latent_dim=8, base_filters=4, attention_resolution=14),
    lambda: nets.mlp_discriminator(hidden_units=(8,), spectral_normalization=True),
    lambda: nets.dcgan_generator(28, 1, latent_dim=8, base_filters=4, latent_classes=3),
])
def test_keras_file_round_trip(build, tmp_path):
    keras.utils.set_random_seed(3)
    model = build()
    x = np.random.default_rng(3).normal(size=(2,) + model.input_shape[1:]).astype("float32")
    model(x, training=True)  # moves batch-norm statistics and the u vectors away from their initial values
    for layer in _layers_of(model, SelfAttention):
        layer.gamma.assign(0.5)
    path = str(tmp_path / f"{model.name}.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.name == model.name
    np.testing.assert_array_equal(restored(x).numpy(), model(x).numpy())


def test_outputs_are_float32_under_mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        generator = nets.dcgan_generator(28, 1, latent_dim=8, base_filters=4)
        discriminator = nets.resnet_discriminator(32, 3, filters=8, attention_resolution=16)
        images = generator(np.zeros((2, 8), "float32"))
        scores = discriminator(np.zeros((2, 32, 32, 3), "float32"))
        hidden = _layers_of(discriminator, SelfAttention)[0]
    finally:
        keras.config.set_dtype_policy(previous)
    assert keras.backend.standardize_dtype(images.dtype) == "float32"
    assert keras.backend.standardize_dtype(scores.dtype) == "float32"
    assert hidden.compute_dtype == "bfloat16"


def test_dcgan_extra_convs_per_stage_deepen_both_nets_at_every_resolution():
    generator = nets.dcgan_generator(28, 1, latent_dim=8, base_filters=8, extra_convs_per_stage=2)
    extra = [(layer.filters, layer.kernel_size, layer.strides, layer.output.shape[1])
             for layer in _layers_of(generator, keras.layers.Conv2D)
             if not isinstance(layer, keras.layers.Conv2DTranspose)]
    # two 3x3 stride-1 convolutions at 7x7 (16 channels) and at 14x14 (8), each normalised: 2 + 4 batch norms
    assert extra == [(16, (3, 3), (1, 1), 7)] * 2 + [(8, (3, 3), (1, 1), 14)] * 2
    assert len(_layers_of(generator, keras.layers.BatchNormalization)) == 6
    assert [l.filters for l in _layers_of(generator, keras.layers.Conv2DTranspose)] == [8, 1]
    discriminator = nets.dcgan_discriminator(28, 1, base_filters=8, extra_convs_per_stage=1)
    convs = [(l.filters, l.kernel_size, l.strides, l.output.shape[1]) for l in _layers_of(discriminator, keras.layers.Conv2D)]
    assert convs == [(8, (4, 4), (2, 2), 14), (8, (3, 3), (1, 1), 14), (16, (4, 4), (2, 2), 7), (16, (3, 3), (1, 1), 7)]
    plain = nets.dcgan_discriminator(28, 1, base_filters=8, extra_convs_per_stage=0)
    assert len(_layers_of(plain, keras.layers.Conv2D)) == 2  # 0 is the paper's layout
    images = generator(np.random.default_rng(0).normal(size=(2, 8)).astype("float32"), training=True)
    assert images.shape == (2, 28, 28, 1) and discriminator(images).shape == (2, 1)
    with pytest.raises(ValueError, match=r"extra_convs_per_stage=-1 is not valid for dcgan_generator; use an integer >= 0"):
        nets.dcgan_generator(28, 1, extra_convs_per_stage=-1)


def test_latent_class_is_the_normal_cdf_of_the_first_coordinate_cut_into_equal_parts():
    from scipy.stats import norm

    from tfgan_zoo.layers import LatentClass

    z = np.random.default_rng(0).standard_normal((40000, 3)).astype("float32")
    classes = np.asarray(LatentClass(10)(z))
    np.testing.assert_array_equal(classes, np.minimum(np.floor(10 * norm.cdf(z[:, 0])), 9).astype(int))
    assert classes.dtype == np.int32
    # uniform: 4,000 expected per class, binomial std 60; a cut at the wrong quantiles (e.g. of a uniform latent,
    # floor(10 * z)) would put most of the mass in a few classes
    assert np.abs(np.bincount(classes, minlength=10) - 4000).max() < 300
    # just past each interior cut Phi^-1(k / 10) the class is k; just before it, k - 1
    cuts = norm.ppf(np.arange(1, 10) / 10).astype("float32")
    above = np.stack([cuts + 1e-4, np.zeros(9, "float32")], 1)
    below = np.stack([cuts - 1e-4, np.zeros(9, "float32")], 1)
    np.testing.assert_array_equal(np.asarray(LatentClass(10)(above)), np.arange(1, 10))
    np.testing.assert_array_equal(np.asarray(LatentClass(10)(below)), np.arange(0, 9))
    with pytest.raises(ValueError, match=r"num_classes=1 must be an integer >= 2"):
        LatentClass(1)


def test_dcgan_latent_classes_give_each_class_its_own_batch_norm_scale_and_shift():
    from tfgan_zoo.layers import ConditionalBatchNormalization, LatentClass

    keras.utils.set_random_seed(0)
    generator = nets.dcgan_generator(28, 1, latent_dim=6, base_filters=4, latent_classes=5)
    assert generator.input_shape == (None, 6)  # still a function of z alone
    norms = _layers_of(generator, ConditionalBatchNormalization)
    assert len(norms) == 2 and not _layers_of(generator, keras.layers.BatchNormalization)
    assert len(_layers_of(generator, LatentClass)) == 1
    for layer in norms:  # a distinct scale per class, so that the classes draw different images
        layer.gamma.assign(np.random.default_rng(1).normal(1.0, 0.5, size=layer.gamma.shape).astype("float32"))
    rest = np.random.default_rng(2).standard_normal((1, 5)).astype("float32")
    # the same z[:, 1:] under two first coordinates in the same class (inference: per-sample batch norm) ...
    same = generator(np.concatenate([[[0.05], [0.10]], np.repeat(rest, 2, 0)], 1).astype("float32")).numpy()
    # ... and in two classes (Phi(-1.5) = 0.07 -> class 0, Phi(1.5) = 0.93 -> class 4)
    other = generator(np.concatenate([[[-1.5], [1.5]], np.repeat(rest, 2, 0)], 1).astype("float32")).numpy()
    within, between = np.abs(same[0] - same[1]).mean(), np.abs(other[0] - other[1]).mean()
    assert between > 5 * within > 0
    with pytest.raises(ValueError, match=r"latent_classes=3 .* needs normalization='batch' \(got 'layer'\)"):
        nets.dcgan_generator(28, 1, normalization="layer", latent_classes=3)
    with pytest.raises(ValueError, match=r"latent_classes=3 .* no num_classes \(got 10\)"):
        nets.dcgan_generator(28, 1, num_classes=10, latent_classes=3)
    with pytest.raises(ValueError, match=r"latent_classes=1 is not valid for dcgan_generator; use an integer >= 2"):
        nets.dcgan_generator(28, 1, latent_classes=1)
