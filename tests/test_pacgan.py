"""PacGAN packing (Lin et al. 2018) through the base GAN: what the critic sees, training steps, batch checks."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo import zoo
from tfgan_zoo.models.gan import GAN
from conftest import tiny_discriminator, tiny_generator


def test_critic_scores_m_consecutive_samples_concatenated():
    """critic(x)[i] = D([x_{mi}, x_{mi+1}, ..., x_{mi+m-1}]) for a hand-made batch and a linear D."""
    m = 3
    critic = keras.Sequential([keras.Input((2 * m,)), keras.layers.Dense(1, use_bias=False)])
    weights = np.arange(1, 2 * m + 1, dtype="float32")[:, None]  # D(p) = sum_j (j + 1) p_j
    critic.layers[0].kernel.assign(weights)
    model = GAN(tiny_generator(), critic, pack_degree=m)
    x = np.arange(2 * 6, dtype="float32").reshape(6, 2)
    expected = np.stack([x[0:3].ravel(), x[3:6].ravel()]) @ weights
    np.testing.assert_array_equal(model.critic(tf.constant(x)).numpy(), expected)


@pytest.mark.parametrize("pack_degree", [2, 4])
def test_zoo_pacgan_trains_on_toy_points(pack_degree, toy_points):
    model = zoo.build("pacgan", (2,), pack_degree=pack_degree, seed=0,
                      network_options={"generator": {"hidden_units": (16,)},
                                       "discriminator": {"hidden_units": (16,)}})
    assert model.pack_degree == pack_degree and model.discriminator.input_shape == (None, 2 * pack_degree)
    assert model.critic(tf.constant(toy_points[:8])).shape == (8 // pack_degree, 1)
    model.compile()
    before = [w.numpy() for w in model.discriminator.trainable_weights]
    history = model.fit(toy_points, batch_size=16, epochs=1, steps_per_epoch=2, verbose=0).history
    assert np.isfinite(history["d_loss"][-1]) and np.isfinite(history["g_loss"][-1])
    assert all(not np.array_equal(a, b.numpy()) for a, b in zip(before, model.discriminator.trainable_weights))


def test_zoo_pacgan_trains_a_dcgan_critic_on_28_px():
    model = zoo.build("pacgan", (28, 28, 1), latent_dim=8, seed=0,
                      network_options={"generator": {"base_filters": 4}, "discriminator": {"base_filters": 4}})
    assert model.discriminator.input_shape == (None, 28, 28, 2)
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, size=(16, 28, 28, 1)).astype("float32")
    history = model.fit(images, batch_size=8, epochs=1, steps_per_epoch=1, verbose=0).history
    assert np.isfinite(history["d_loss"][-1]) and np.isfinite(history["g_loss"][-1])


def test_packing_composes_with_a_penalty_and_n_critic(toy_points):
    model = GAN(tiny_generator(), tiny_discriminator(input_dim=4), pack_degree=2, penalty="gp", n_critic=2, seed=1)
    model.compile()
    history = model.fit(toy_points, batch_size=8, epochs=1, steps_per_epoch=2, verbose=0).history
    assert np.isfinite(history[model.penalty.name][-1]) and np.isfinite(history["d_loss"][-1])


def _pacgan(pack_degree=4):
    model = GAN(tiny_generator(), tiny_discriminator(input_dim=2 * pack_degree), pack_degree=pack_degree)
    model.compile()
    return model


@pytest.mark.parametrize("make_data", [
    lambda x: dict(x=x, batch_size=6),
    lambda x: dict(x=tf.data.Dataset.from_tensor_slices(x).batch(6, drop_remainder=True)),
], ids=["numpy", "dataset"])
def test_batch_not_divisible_by_pack_degree_is_a_clear_error(make_data, toy_points):
    with pytest.raises(ValueError, match=r"batch size 6 is not divisible by pack_degree=4"):
        _pacgan().fit(**make_data(toy_points), epochs=1, verbose=0)


def test_batch_not_divisible_is_a_clear_error_for_a_dataset_of_unknown_batch_size(toy_points):
    dataset = tf.data.Dataset.from_tensor_slices(toy_points).batch(6)  # element_spec batch size None
    with pytest.raises(ValueError, match=r"batch size 6 is not divisible by pack_degree=4"):
        _pacgan().fit(dataset, epochs=1, verbose=0)


def test_divisible_batches_train(toy_points):
    history = _pacgan().fit(toy_points, batch_size=8, epochs=1, steps_per_epoch=1, verbose=0).history
    assert np.isfinite(history["d_loss"][-1])
