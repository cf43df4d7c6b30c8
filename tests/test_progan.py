"""ProGAN (Karras et al. 2018): its layers against numpy, the growing networks phase by phase, the fade-in, the
schedule, and a resume in the middle of a phase that continues across a growth exactly like an uninterrupted run."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_zoo
from tfgan_zoo.layers.progan import (EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStandardDeviation,
                                     PixelNormalization, downscale2d, upscale2d)
from tfgan_zoo.models.progan import (ProGAN, ProgressiveDiscriminator, ProgressiveGenerator, fade_real_images,
                                     progressive_filters, progressive_schedule)

RNG = np.random.default_rng(0)
SMALL = {"fmap_base": 32, "fmap_max": 8, "seed": 0}


def _nets(resolution, latent_dim=8):
    return (ProgressiveGenerator(resolution, 1, latent_dim=latent_dim, **SMALL),
            ProgressiveDiscriminator(resolution, 1, **SMALL))


# --- layers against numpy ------------------------------------------------------------------------------


def test_pixel_normalization_against_numpy():
    x = RNG.normal(size=(3, 4, 5, 6)).astype("float32") * 3
    expected = x / np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(PixelNormalization()(x).numpy(), expected, rtol=1e-5)
    assert np.allclose(np.mean(expected ** 2, axis=-1), 1.0, atol=1e-5)  # unit average square per pixel


@pytest.mark.parametrize("batch,group_size", [(8, 4), (6, 2), (3, 4)])
def test_minibatch_standard_deviation_against_numpy(batch, group_size):
    x = RNG.normal(size=(batch, 4, 4, 3)).astype("float32") * RNG.uniform(0.5, 2, size=(batch, 1, 1, 1)).astype(
        "float32")
    out = MinibatchStandardDeviation(group_size)(x).numpy()
    group = min(group_size, batch)
    groups = batch // group
    expected = np.empty(batch)
    for i in range(batch):
        members = x[i % groups::groups]  # the official [G, M, ...] reshape: sample i is in group i mod M
        assert len(members) == group
        expected[i] = np.mean(np.sqrt(np.var(members, axis=0) + 1e-8))
    np.testing.assert_array_equal(out[..., :3], x)
    np.testing.assert_allclose(out[..., 3], np.broadcast_to(expected[:, None, None], (batch, 4, 4)), rtol=1e-5)


def test_minibatch_standard_deviation_rejects_a_batch_not_divisible_by_the_group():
    with pytest.raises(ValueError, match="group_size"):
        MinibatchStandardDeviation(4)(np.zeros((6, 4, 4, 2), "float32"))


def test_equalized_learning_rate_scales_at_run_time_by_he_constant():
    dense = EqualizedDense(5, seed=1)
    x = RNG.normal(size=(4, 7)).astype("float32")
    y = dense(x).numpy()
    assert dense.runtime_scale == pytest.approx(math.sqrt(2 / 7))
    np.testing.assert_allclose(y, x @ (dense.kernel.numpy() * math.sqrt(2 / 7)), rtol=1e-5, atol=1e-6)

    conv = EqualizedConv2D(64, 3, seed=2)
    images = RNG.normal(size=(2, 6, 6, 32)).astype("float32")
    out = conv(images).numpy()
    fan_in = 3 * 3 * 32
    assert conv.runtime_scale == pytest.approx(math.sqrt(2 / fan_in))
    expected = tf.nn.conv2d(images, conv.kernel.numpy() * math.sqrt(2 / fan_in), 1, "SAME").numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    # The stored weights are N(0, 1) (not N(0, c^2)): the scale lives in the forward pass only.
    kernel = conv.kernel.numpy()
    assert abs(kernel.std() - 1.0) < 0.03 and abs(kernel.mean()) < 0.03
    assert EqualizedConv2D(3, 1, gain=1.0)(images).shape == (2, 6, 6, 3)
    linear = EqualizedConv2D(3, 1, gain=1.0)
    linear.build((None, 6, 6, 32))
    assert linear.runtime_scale == pytest.approx(1 / math.sqrt(32))


def test_networks_use_the_official_gains():
    generator, discriminator = _nets(16, latent_dim=8)
    assert generator.project.runtime_scale == pytest.approx(math.sqrt(2) / 4 / math.sqrt(8))
    assert generator.to_rgb[1].runtime_scale == pytest.approx(1 / math.sqrt(generator.filters[1]))
    assert generator.convs[2][0].runtime_scale == pytest.approx(math.sqrt(2 / (9 * generator.filters[1])))
    assert discriminator.score.runtime_scale == pytest.approx(1 / math.sqrt(discriminator.filters[0]))
    assert progressive_filters(32) == 512 and progressive_filters(64) == 256 and progressive_filters(128) == 128


def test_fade_in_equals_the_closed_form():
    old, new = RNG.normal(size=(2, 3, 3, 2)).astype("float32"), RNG.normal(size=(2, 3, 3, 2)).astype("float32")
    for alpha in (0.0, 0.5, 1.0):
        np.testing.assert_allclose(FadeIn()([old, new], alpha=alpha).numpy(), (1 - alpha) * old + alpha * new,
                                   rtol=1e-6, atol=1e-6)


# --- the growing networks ------------------------------------------------------------------------------


def _blocks_constant(images, size):
    factor = images.shape[1] // size
    return np.allclose(images, np.asarray(upscale2d(downscale2d(images, factor), factor)), rtol=0, atol=1e-5)


def test_each_phase_output_shapes_and_effective_resolution():
    generator, discriminator = _nets(32)
    z = RNG.normal(size=(4, 8)).astype("float32")
    assert generator.resolutions == [4, 8, 16, 32]
    for phase, size in enumerate(generator.resolutions):
        generator.set_phase(phase, 1.0)
        discriminator.set_phase(phase, 1.0)
        features = generator._features(tf.constant(z), phase)
        assert [f.shape[1] for f in features] == generator.resolutions[:phase + 1]
        assert features[-1].shape == (4, size, size, generator.filters[phase])
        images = generator(z).numpy()
        assert images.shape == (4, 32, 32, 1) and generator.current_resolution == size
        # the image holds size x size distinct pixels, upsampled by nearest neighbour to 32 px
        assert _blocks_constant(images, size) and (size == 4 or not _blocks_constant(images, size // 2))
        scores = discriminator(images).numpy()
        assert scores.shape == (4, 1)
        # the critic only sees the input average-pooled to the active resolution
        x = RNG.normal(size=(4, 32, 32, 1)).astype("float32")
        factor = 32 // size
        np.testing.assert_allclose(discriminator(x).numpy(),
                                   discriminator(upscale2d(downscale2d(x, factor), factor)).numpy(), rtol=1e-4,
                                   atol=1e-5)


def test_generator_fade_in_blends_the_two_resolutions():
    generator, discriminator = _nets(16)
    z = RNG.normal(size=(4, 8)).astype("float32")
    generator.set_phase(0)
    low = generator(z).numpy()
    generator.set_phase(1, 1.0)
    high = generator(z).numpy()
    for alpha in (0.0, 0.5, 1.0):
        generator.set_phase(1, alpha)
        np.testing.assert_allclose(generator(z).numpy(), (1 - alpha) * low + alpha * high, rtol=1e-5, atol=1e-6)
    # the critic: at alpha = 0 the new block is ignored, so phase 1 scores like phase 0
    x = RNG.normal(size=(4, 16, 16, 1)).astype("float32")
    discriminator.set_phase(0)
    before = discriminator(x).numpy()
    discriminator.set_phase(1, 0.0)
    np.testing.assert_allclose(discriminator(x).numpy(), before, rtol=1e-4, atol=1e-5)
    discriminator.set_phase(1, 1.0)
    assert not np.allclose(discriminator(x).numpy(), before, atol=1e-3)


def test_real_images_are_pooled_to_the_phase_and_faded():
    x = RNG.normal(size=(2, 16, 16, 1)).astype("float32")
    at_8 = upscale2d(downscale2d(x, 2), 2).numpy()
    at_4 = upscale2d(downscale2d(x, 4), 4).numpy()
    for alpha in (0.0, 0.5, 1.0):
        np.testing.assert_allclose(fade_real_images(x, tf.constant(1), alpha, 3).numpy(),
                                   (1 - alpha) * at_4 + alpha * at_8, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fade_real_images(x, 2, 0.3, 3).numpy(), (0.7 * at_8 + 0.3 * x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fade_real_images(x, 0, 1.0, 3).numpy(), at_4, rtol=1e-6)


@pytest.mark.parametrize("seen,expected", [(0, (0, 1.0)), (99, (0, 1.0)), (100, (1, 0.0)), (125, (1, 0.5)),
                                           (150, (1, 1.0)), (249, (1, 1.0)), (250, (2, 0.0)), (290, (2, 0.8)),
                                           (10 ** 6, (2, 1.0))])
def test_schedule_python_and_graph_agree(seen, expected):
    assert progressive_schedule(seen, 3, fade_images=50, stable_images=100) == (expected[0], pytest.approx(expected[1]))
    phase, alpha = progressive_schedule(tf.constant(seen, tf.int64), 3, fade_images=50, stable_images=100)
    assert (int(phase), float(alpha)) == (expected[0], pytest.approx(expected[1]))


def test_paper_defaults_and_bad_arguments():
    generator, discriminator = _nets(8)
    model = ProGAN(generator, discriminator)
    model.compile()
    assert (model.n_critic, model.penalty.name, model.penalty_weight, model.drift_weight) == (1, "gp", 10.0, 1e-3)
    assert (model.fade_images, model.stable_images, model.ema_decay) == (800_000, 800_000, 0.999)
    config = model.d_optimizer.get_config()
    assert (config["learning_rate"], config["beta_1"], config["beta_2"]) == (pytest.approx(1e-3), 0.0, 0.99)
    assert model.schedule_length() == 800_000 * 3
    with pytest.raises(ValueError, match="resolution"):
        ProgressiveGenerator(28)
    with pytest.raises(ValueError, match="fade_images"):
        ProGAN(generator, discriminator, fade_images=-1)
    with pytest.raises(ValueError, match="generator must be"):
        ProGAN(keras.Sequential([keras.Input((8,)), keras.layers.Dense(64)]), discriminator)
    with pytest.raises(ValueError, match="phase"):
        generator.set_phase(2)


# --- training through fit, saving, resuming ------------------------------------------------------------


def _model(**kwargs):
    generator, discriminator = _nets(8, latent_dim=8)
    model = ProGAN(generator, discriminator, fade_images=64, stable_images=80, ema_decay=0.9, seed=4, **kwargs)
    model.compile()
    return model


def _state(model):
    return ([v.numpy() for v in model.weights + model.d_optimizer.variables + model.g_optimizer.variables]
            + [model.seed_generator.state.numpy()])


class _SaveAt(keras.callbacks.Callback):
    def __init__(self, directory, epochs):
        super().__init__()
        self.directory, self.epochs, self.seen = directory, epochs, {}

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            self.model.save_weights(self.directory / f"epoch{epoch + 1}.weights.h5")
            self.seen[epoch + 1] = (int(self.model.images_seen.numpy()), *self.model.schedule())


def test_resume_mid_phase_continues_across_the_growth_like_an_uninterrupted_run(tmp_path):
    images = RNG.uniform(-1, 1, size=(48, 8, 8, 1)).astype("float32")  # 6 steps of 8 per epoch
    full = _model()
    saver = _SaveAt(tmp_path, (1, 2))
    history = full.fit(images, batch_size=8, epochs=4, callbacks=[saver], verbose=0)
    # 80 images of 4x4, fade-in of 8x8 over images 80..143, then stable
    assert saver.seen == {1: (48, 0, 1.0), 2: (96, 1, 0.25)}
    assert int(full.images_seen.numpy()) == 192 and full.schedule() == (1, 1.0)
    assert int(full.generator.phase.numpy()) == int(full.ema_generator.phase.numpy()) == 1
    assert float(full.discriminator.alpha.numpy()) == 1.0
    assert history.history["alpha"][1] == pytest.approx((4 * 1.0 + 0.0 + 8 / 64) / 6)  # images 48..88
    # the optimisers were reset when 8x8 started (step 10, at 80 images): 14 steps since
    assert int(full.d_optimizer.iterations.numpy()) == int(full.g_optimizer.iterations.numpy()) == 24 - 10
    expected = _state(full)

    # Rewind the same model (its traced step is reused, which keeps the test fast) to each checkpoint: the file
    # must hold every piece of state, since anything it missed would keep its end-of-run value and diverge.
    # Mid-phase 0 (the resumed part grows to 8x8 and resets the optimisers), and mid-fade of phase 1.
    for epoch in (1, 2):
        full.load_weights(tmp_path / f"epoch{epoch}.weights.h5")
        assert (int(full.images_seen.numpy()), *full.schedule()) == saver.seen[epoch]
        assert int(full.discriminator.phase.numpy()) == saver.seen[epoch][1]
        assert not all(np.array_equal(a, b) for a, b in zip(expected, _state(full)))
        full.fit(images, batch_size=8, epochs=4, initial_epoch=epoch, verbose=0)
        for i, (a, b) in enumerate(zip(expected, _state(full))):
            assert np.array_equal(a, b), f"state array {i} differs after resuming from epoch {epoch}"


def test_keras_file_round_trip_keeps_the_phase_and_exports(tmp_path):
    generator, discriminator = _nets(8)
    model = ProGAN(generator, discriminator, fade_images=10, stable_images=10, seed=1)
    model.compile()
    model.images_seen.assign(15)
    for net in (generator, discriminator, model.ema_generator):
        net.set_phase(1, 0.5)
    z = RNG.normal(size=(3, 8)).astype("float32")
    model.save(tmp_path / "progan.keras")
    restored = keras.saving.load_model(tmp_path / "progan.keras")
    assert type(restored) is ProGAN and int(restored.images_seen.numpy()) == 15
    assert float(restored.generator.alpha.numpy()) == 0.5 and int(restored.generator.phase.numpy()) == 1
    np.testing.assert_array_equal(restored.generate(z), model.generate(z))
    model.export_generator(tmp_path / "exported")
    served = tf.saved_model.load(str(tmp_path / "exported")).signatures["serving_default"](z=tf.constant(z))
    np.testing.assert_array_equal(served["images"].numpy(), model.generate(z))
    assert tfgan_zoo.ProGAN is ProGAN
