"""tfgan_zoo.penalties against closed forms.

Linear critic D(x) = w.x: the input gradient is w everywhere, so ||grad D|| = ||w||, WGAN-GP and DRAGAN are
(||w|| - 1)^2 at any point and R1 is ||w||^2 / 2. Quadratic critic D(x) = ||x||^2: grad D = 2x, so each
penalty depends on where it is evaluated (interpolates, perturbed points, real data), checked in numpy.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo import penalties
from tfgan_zoo.models.gan import GAN
from conftest import tiny_generator

W = np.array([3.0, 4.0])  # ||w|| = 5
RNG = np.random.default_rng(0)
REAL = RNG.normal(size=(6, 2))
FAKE = RNG.normal(size=(6, 2)) + 2.0
ALPHA = RNG.uniform(size=6)
NOISE = RNG.uniform(size=(6, 2))


def _linear_critic(w=W):
    w = tf.constant(np.reshape(w, [-1, 1]), tf.float32)
    return lambda x: tf.matmul(tf.reshape(x, [tf.shape(x)[0], -1]), w)


def _quadratic_critic(x):
    return tf.reduce_sum(tf.square(tf.reshape(x, [tf.shape(x)[0], -1])), axis=1, keepdims=True)


def _t(x):
    return tf.constant(x, tf.float32)


def test_gradient_norm_of_a_linear_critic_is_norm_w_everywhere():
    norm, outputs = penalties.gradient_norm(_linear_critic(), _t(REAL), return_outputs=True)
    np.testing.assert_allclose(norm.numpy(), np.full(6, 5.0), rtol=1e-6)
    np.testing.assert_allclose(outputs.numpy(), REAL @ W[:, None], rtol=1e-5)
    assert norm.dtype == tf.float32 and norm.shape == (6,)


def test_gradient_norm_is_per_sample_over_the_flattened_image():
    images = RNG.normal(size=(3, 2, 2, 3))
    weights = RNG.normal(size=12)
    norm = penalties.gradient_norm(_linear_critic(weights), _t(images))
    np.testing.assert_allclose(norm.numpy(), np.full(3, np.linalg.norm(weights)), rtol=1e-5)
    norm = penalties.gradient_norm(_quadratic_critic, _t(images))
    np.testing.assert_allclose(norm.numpy(), 2 * np.linalg.norm(images.reshape(3, -1), axis=1), rtol=1e-5)


def test_linear_critic_closed_forms():
    critic = _linear_critic()
    assert float(penalties.wgan_gradient_penalty(critic, _t(REAL), _t(FAKE), _t(ALPHA))) == pytest.approx(16.0)
    assert float(penalties.dragan_penalty(critic, _t(REAL), _t(NOISE), _t(ALPHA))) == pytest.approx(16.0)
    assert float(penalties.r1_penalty(critic, _t(REAL))) == pytest.approx(12.5)
    assert float(penalties.wgan_gradient_penalty(critic, _t(REAL), _t(FAKE), _t(ALPHA), target=5.0)) == \
        pytest.approx(0.0, abs=1e-5)


def test_quadratic_critic_wgan_gp_at_the_interpolates():
    x_hat = ALPHA[:, None] * REAL + (1 - ALPHA[:, None]) * FAKE
    expected = np.mean((2 * np.linalg.norm(x_hat, axis=1) - 1) ** 2)
    value = penalties.wgan_gradient_penalty(_quadratic_critic, _t(REAL), _t(FAKE), _t(ALPHA))
    assert float(value) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(penalties.interpolate(_t(REAL), _t(FAKE), _t(ALPHA)).numpy(), x_hat, rtol=1e-5)


def test_quadratic_critic_dragan_at_perturbed_real_points():
    # Kodali et al.'s code: x_p = x + 0.5 * std(x) * U(0, 1) noise (std over the whole batch), x_hat on [x, x_p]
    perturbed = REAL + 0.5 * np.std(REAL) * NOISE
    x_hat = REAL + ALPHA[:, None] * (perturbed - REAL)
    expected = np.mean((2 * np.linalg.norm(x_hat, axis=1) - 1) ** 2)
    value = penalties.dragan_penalty(_quadratic_critic, _t(REAL), _t(NOISE), _t(ALPHA))
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_quadratic_critic_r1_on_real_data():
    expected = 0.5 * np.mean(4 * np.sum(REAL ** 2, axis=1))
    assert float(penalties.r1_penalty(_quadratic_critic, _t(REAL))) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(penalties.squared_gradient_norm(_quadratic_critic, _t(REAL)).numpy(),
                               4 * np.sum(REAL ** 2, axis=1), rtol=1e-5)


@pytest.mark.parametrize("jit", [False, True])
def test_penalty_gradients_with_respect_to_the_critic_weights(jit):
    """Double back-propagation: d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w|| = [4.8, 6.4]; d/dw ||w||^2/2 = w."""
    w = tf.Variable(np.reshape(W, [2, 1]), dtype=tf.float32)
    critic = lambda x: tf.matmul(x, w)  # noqa: E731

    @tf.function(jit_compile=jit)
    def gradients(real, fake, alpha, noise):
        with tf.GradientTape(persistent=True) as tape:
            gp = penalties.wgan_gradient_penalty(critic, real, fake, alpha)
            dragan = penalties.dragan_penalty(critic, real, noise, alpha)
            r1 = penalties.r1_penalty(critic, real)
        return [tape.gradient(p, w) for p in (gp, dragan, r1)]

    gp, dragan, r1 = gradients(_t(REAL), _t(FAKE), _t(ALPHA), _t(NOISE))
    np.testing.assert_allclose(gp.numpy().ravel(), [4.8, 6.4], rtol=1e-5)
    np.testing.assert_allclose(dragan.numpy().ravel(), [4.8, 6.4], rtol=1e-5)
    np.testing.assert_allclose(r1.numpy().ravel(), W, rtol=1e-5)


def test_gradient_norm_is_differentiable_where_the_gradient_is_zero():
    x = tf.zeros([2, 3])
    w = tf.Variable(tf.zeros([3, 1]))
    with tf.GradientTape() as tape:
        norm = penalties.gradient_norm(lambda v: tf.matmul(v, w), x)
        loss = tf.reduce_sum(norm)
    grad = tape.gradient(loss, w)
    assert np.all(np.isfinite(grad.numpy())) and np.all(norm.numpy() <= 1e-5)


@pytest.mark.parametrize("name,key", [("gp", "gp"), ("wgan_gp", "gp"), ("gradient_penalty", "gp"),
                                      ("DRAGAN", "dragan"), ("r1", "r1")])
def test_get_penalty_by_name(name, key):
    penalty = penalties.get_penalty(name)
    assert penalty.name == key and penalty.default_weight == 10.0
    assert penalties.get_penalty(penalty) is penalty and penalties.get_penalty(None) is None


def test_get_penalty_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"\['dragan', 'gp', 'r1'\]"):
        penalties.get_penalty("r2")


@pytest.mark.parametrize("penalty,weight,closed_form", [("gp", None, 16.0), ("dragan", 2.0, 16.0),
                                                         ("r1", 0.5, 12.5)])
def test_gan_adds_the_weighted_penalty_to_the_critic_loss(penalty, weight, closed_form):
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, use_bias=False, kernel_initializer=keras.initializers.Constant(W.reshape(2, 1)))])
    model = GAN(tiny_generator(), critic, loss="wasserstein", penalty=penalty, penalty_weight=weight, seed=0)
    value, figures = model.discriminator_objective(_t(REAL), _t(FAKE))
    wasserstein = np.mean(FAKE @ W) - np.mean(REAL @ W)
    expected_weight = 10.0 if weight is None else weight
    assert model.penalty_weight == expected_weight
    assert float(figures[penalty]) == pytest.approx(closed_form, rel=1e-5)
    assert float(value) == pytest.approx(wasserstein + expected_weight * closed_form, rel=1e-5)
    assert penalty in model.figure_names
