"""GN-GAN: the gradient-normalised critic against closed forms, its bounds, zero-critic finiteness, the model."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo.layers.gradient_normalization import GradientNormalization, gradient_normalize
from tfgan_zoo.models.gan import GAN, pack_samples
from tfgan_zoo.models.gngan import GNGAN
from conftest import assert_fit_moves_every_kernel, tiny_discriminator, tiny_generator

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 3))


def _dense(units, kernel, bias, activation=None):
    return keras.layers.Dense(units, activation=activation, kernel_initializer=keras.initializers.Constant(kernel),
                              bias_initializer=keras.initializers.Constant(bias))


def _tanh_critic(w1, b1, v, b):
    """f(x) = v . tanh(W1^T x + b1) + b as a keras model."""
    return keras.Sequential([keras.Input((w1.shape[0],)), _dense(w1.shape[1], w1, b1, "tanh"),
                             _dense(1, v.reshape(-1, 1), b)])


def _tanh_critic_reference(x, w1, b1, v, b):
    """f and grad_x f in numpy: grad = W1 (v * (1 - tanh^2))."""
    h = np.tanh(x @ w1 + b1)
    f = h @ v + b
    grad = ((1 - h ** 2) * v) @ w1.T
    return f, grad


def test_linear_critic_closed_form():
    """f(x) = w.x + c: f_hat = f / (||w|| + |f|)."""
    w, c = np.array([1.0, -2.0, 2.0]), 0.7  # ||w|| = 3
    critic = keras.Sequential([keras.Input((3,)), _dense(1, w.reshape(3, 1), c)])
    f = X @ w + c
    out = GradientNormalization(critic)(tf.constant(X, tf.float32))
    assert out.shape == (6, 1) and out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy().ravel(), f / (3.0 + np.abs(f)), rtol=1e-5)


def test_nonlinear_critic_per_sample_closed_form():
    """Each sample is divided by its own gradient norm (the blog code's [B, 1] / [B] broadcast would not)."""
    w1, b1, v, b = RNG.normal(size=(3, 5)), RNG.normal(size=5), RNG.normal(size=5), 0.3
    f, grad = _tanh_critic_reference(X, w1, b1, v, b)
    expected = f / (np.linalg.norm(grad, axis=1) + np.abs(f))
    out = gradient_normalize(_tanh_critic(w1, b1, v, b), tf.constant(X, tf.float32))
    assert out.shape == (6, 1)
    np.testing.assert_allclose(out.numpy().ravel(), expected, rtol=1e-4, atol=1e-6)
    assert np.ptp(np.linalg.norm(grad, axis=1)) > 0.1  # the norms really differ between samples


def test_image_critic_uses_the_norm_over_the_flattened_image():
    images = RNG.normal(size=(4, 2, 2, 3))
    weights = RNG.normal(size=12)
    critic = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.Flatten(), _dense(1, weights.reshape(12, 1), 0.0)])
    f = images.reshape(4, -1) @ weights
    out = gradient_normalize(critic, tf.constant(images, tf.float32)).numpy().ravel()
    np.testing.assert_allclose(out, f / (np.linalg.norm(weights) + np.abs(f)), rtol=1e-5)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_outputs_are_bounded_by_one(scale):
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(32, activation="relu"),
                               keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)])
    critic.set_weights([w * scale for w in critic.get_weights()])
    x = tf.constant(RNG.normal(size=(64, 3)) * 100, tf.float32)
    out = gradient_normalize(critic, x).numpy()
    assert np.all(np.abs(out) <= 1.0) and np.all(np.isfinite(out))
    if scale >= 1.0:  # zero biases: f(x) = g.x on each linear piece, so |f_hat| = |g.x| / (||g|| + |g.x|) ~ 1
        assert np.abs(out).max() > 0.9


@pytest.mark.parametrize("jit", [False, True])
def test_zero_critic_gives_zero_and_finite_double_backprop_gradients(jit):
    """f = 0 and grad f = 0 everywhere: f_hat = 0 (not 0/0), and d(loss)/d(weights) is finite under XLA."""
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu", kernel_initializer="zeros"),
                               keras.layers.Dense(1, kernel_initializer="zeros")])
    wrapped = GradientNormalization(critic)
    x = tf.constant(X, tf.float32)

    @tf.function(jit_compile=jit)
    def loss_and_gradients(x):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            out = wrapped(x, training=True)
            loss = tf.reduce_mean(tf.nn.relu(1.0 - out)) + tf.reduce_mean(tf.nn.softplus(-out))
        return out, tape.gradient(loss, critic.trainable_variables), tape.gradient(loss, x)

    out, weight_grads, input_grad = loss_and_gradients(x)
    np.testing.assert_array_equal(out.numpy(), np.zeros((6, 1)))
    for g in weight_grads + [input_grad]:
        assert np.all(np.isfinite(g.numpy()))


def test_training_steps_from_a_zero_critic_stay_finite():  # XLA at zero: see the test above
    critic = tiny_discriminator()
    critic.set_weights([np.zeros_like(w) for w in critic.get_weights()])
    model = GNGAN(tiny_generator(), critic, loss="hinge", seed=0)
    model.compile(jit_compile=False)
    history = model.fit(RNG.normal(size=(64, 2)).astype("float32"), batch_size=16, steps_per_epoch=2,
                        verbose=0).history
    assert np.isfinite(history["d_loss"][-1]) and np.isfinite(history["g_loss"][-1])
    assert all(np.all(np.isfinite(w.numpy())) for w in model.weights)


def test_critic_with_several_outputs_is_rejected():
    with pytest.raises(ValueError, match=r"one output per sample.*output_units=1"):
        gradient_normalize(tiny_discriminator(output_units=2), tf.constant(RNG.normal(size=(4, 2)), tf.float32))


# --- the model ------------------------------------------------------------------------------------------


def _random_tanh_critic():
    """A 2-input tanh critic with random weights, and its weights for the numpy reference."""
    w1, b1, v, b = RNG.normal(size=(2, 4)), RNG.normal(size=4), RNG.normal(size=4), -0.2
    return _tanh_critic(w1, b1, v, b), (w1, b1, v, b)


def test_both_updates_read_the_normalised_critic():
    critic, params = _random_tanh_critic()
    gen = tiny_generator()
    model = GNGAN(gen, critic, loss="hinge", seed=0)
    real = RNG.normal(size=(8, 2)).astype("float32")
    z = RNG.normal(size=(8, 4)).astype("float32")
    fake = gen(z).numpy()

    def f_hat(x):
        f, grad = _tanh_critic_reference(x.astype("float64"), *params)
        return f / (np.linalg.norm(grad, axis=1) + np.abs(f))

    d_loss, _ = model.discriminator_objective(tf.constant(real), tf.constant(fake))
    expected_d = np.mean(np.maximum(0, 1 - f_hat(real))) + np.mean(np.maximum(0, 1 + f_hat(fake)))
    assert float(d_loss) == pytest.approx(expected_d, rel=1e-4)
    g_loss, _ = model.generator_objective(tf.constant(real), tf.constant(z))
    assert float(g_loss) == pytest.approx(-np.mean(f_hat(fake)), rel=1e-4)


def test_generator_gradient_includes_the_gradient_norm_term():
    """d f_hat(G(z)) / d theta_G differs from what a detached norm would give (double back-propagation)."""
    critic, _ = _random_tanh_critic()
    gen = tiny_generator()
    z = tf.constant(RNG.normal(size=(8, 4)), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        fake = gen(z)
        with tf.GradientTape() as inner:
            inner.watch(fake)
            f = critic(fake)
        norm = tf.norm(inner.gradient(f, fake), axis=1, keepdims=True)
        full = tf.reduce_mean(f / (norm + tf.abs(f)))
        detached = tf.reduce_mean(f / (tf.stop_gradient(norm) + tf.abs(f)))
        ours = tf.reduce_mean(gradient_normalize(critic, fake))
    assert float(ours) == pytest.approx(float(full), rel=1e-5)
    ours_grad = tape.gradient(ours, gen.trainable_variables)[0].numpy()
    np.testing.assert_allclose(ours_grad, tape.gradient(full, gen.trainable_variables)[0].numpy(), rtol=1e-4,
                               atol=1e-7)
    assert not np.allclose(ours_grad, tape.gradient(detached, gen.trainable_variables)[0].numpy(), rtol=1e-3)


def test_packing_normalises_each_packed_sample():
    critic = tiny_discriminator(input_dim=4)
    model = GNGAN(tiny_generator(), critic, pack_degree=2, seed=0)
    x = tf.constant(RNG.normal(size=(6, 2)), tf.float32)
    np.testing.assert_allclose(model.critic(x).numpy(), gradient_normalize(critic, pack_samples(x, 2)).numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("setting,n_critic,loss,d_lr,g_lr", [
    ("cnn", 1, "non_saturating", 2e-4, 2e-4), ("resnet", 5, "hinge", 4e-4, 2e-4)])
def test_official_defaults(setting, n_critic, loss, d_lr, g_lr):
    model = GNGAN(tiny_generator(), tiny_discriminator(), setting=None if setting == "cnn" else setting)
    model.compile()
    assert (model.setting, model.n_critic, model.loss_pair.name, model.generator_batch_multiplier) == (
        setting, n_critic, loss, 2)
    for optimizer, lr in ((model.d_optimizer, d_lr), (model.g_optimizer, g_lr)):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert (float(optimizer.learning_rate), optimizer.beta_1, optimizer.beta_2) == (pytest.approx(lr), 0.0, 0.9)


def test_explicit_arguments_win_and_bad_setting_is_named():
    model = GNGAN(tiny_generator(), tiny_discriminator(), setting="resnet", n_critic=2, loss="wasserstein")
    assert (model.n_critic, model.loss_pair.name) == (2, "wasserstein")
    with pytest.raises(ValueError, match=r"setting='big'.*\['cnn', 'resnet'\]"):
        GNGAN(tiny_generator(), tiny_discriminator(), setting="big")


# ("cnn", without XLA), GN-GAN's default, trains as tests/test_contract.py checks for every catalogue entry.
@pytest.mark.parametrize("setting,jit", [("cnn", True), ("resnet", False)])
def test_training_steps(setting, jit, toy_points):
    model = GNGAN(tiny_generator(), tiny_discriminator(), setting=setting, n_critic=2, seed=1)
    model.compile(jit_compile=jit)
    assert_fit_moves_every_kernel(model, toy_points)


def test_wrapper_works_with_any_gan_and_penalty(toy_points):
    model = GAN(tiny_generator(), GradientNormalization(tiny_discriminator()), loss="wasserstein", penalty="r1",
                seed=0)
    model.compile(jit_compile=False)
    history = model.fit(toy_points, batch_size=16, steps_per_epoch=2, verbose=0).history
    assert np.isfinite(history["r1"][-1]) and history["r1"][-1] > 0


def test_keras_round_trip(tmp_path, toy_points):
    model = GNGAN(tiny_generator(), tiny_discriminator(), setting="resnet", n_critic=2, seed=3)
    model.compile()
    model.fit(toy_points, batch_size=16, steps_per_epoch=1, verbose=0)
    model.save(tmp_path / "gngan.keras")
    loaded = keras.saving.load_model(tmp_path / "gngan.keras")
    assert isinstance(loaded, GNGAN) and loaded.setting == "resnet" and loaded.n_critic == 2
    assert isinstance(loaded.discriminator, GradientNormalization)
    assert not isinstance(loaded.discriminator.layer, GradientNormalization)  # not wrapped twice
    x = toy_points[:5]
    np.testing.assert_allclose(loaded.discriminator(x).numpy(), model.discriminator(x).numpy(), rtol=1e-6)
    z = RNG.normal(size=(4, 4)).astype("float32")
    np.testing.assert_array_equal(loaded.generate(z), model.generate(z))


def test_a_class_conditional_critic_is_normalised_by_its_gradient_in_the_images_at_the_images_label():
    # f(x, y) = w.x + b[y]: grad_x f = w whatever the label, so f_hat = (w.x + b[y]) / (||w|| + |w.x + b[y]|)
    w, b = np.array([[3.0], [-4.0]], "float32"), np.array([0.5, -2.0, 7.0], "float32")
    x_in, y_in = keras.Input((2,)), keras.Input((), dtype="int32")
    embedding = keras.layers.Embedding(3, 1, embeddings_initializer=keras.initializers.Constant(b[:, None]))
    dense = keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(w))
    critic = keras.Model([x_in, y_in], keras.layers.Add()([dense(x_in), embedding(y_in)]))
    x, y = np.array([[1.0, 2.0], [0.0, -1.0], [2.0, 0.5]], "float32"), np.array([2, 0, 1], "int32")
    f = x @ w[:, 0] + b[y]
    expected = f / (5.0 + np.abs(f))
    got = GradientNormalization(critic)([tf.constant(x), tf.constant(y)])
    np.testing.assert_allclose(np.asarray(got)[:, 0], expected, rtol=1e-5)
