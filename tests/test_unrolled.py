"""UnrolledGAN (Metz et al. 2017): closed form, k = 0 = plain GAN, finite differences, Adam replay, XLA, saving."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo.models.gan import GAN
from tfgan_zoo.nets import mlp_discriminator
from tfgan_zoo.models.unrolled import UnrolledGAN
from conftest import run_on_two_logical_cpus, tiny_discriminator, tiny_generator


def _dense_net(units, activation, seed, latent, outputs=1):
    """Seeded MLP: hidden layers with ``activation``, linear output."""
    def init(i):
        return keras.initializers.GlorotUniform(seed + i)

    hidden = [keras.layers.Dense(n, activation=activation, kernel_initializer=init(i)) for i, n in enumerate(units)]
    output = keras.layers.Dense(outputs, kernel_initializer=init(len(hidden)))
    return keras.Sequential([keras.Input((latent,)), *hidden, output])


def _smooth_model(**kwargs):
    """Tanh nets (smooth, so that finite differences are accurate): G: 3 -> 2, D: 2 -> 1."""
    return UnrolledGAN(_dense_net([8], "tanh", 0, latent=3, outputs=2), _dense_net([8], "tanh", 5, latent=2),
                       seed=0, **kwargs)


def _generator_gradient(model, real, latent):
    with tf.GradientTape() as tape:
        loss, _ = model.generator_objective(real, latent)
    return loss, tape.gradient(loss, model.generator.trainable_variables)


def _all_weights(model):
    return [w.numpy() for w in model.generator.weights + model.discriminator.weights]


# --- the maths --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("zero_sum", [True, False], ids=["zero_sum", "generator_loss"])
@pytest.mark.parametrize("stop_gradient", [False, True], ids=["unrolled", "shortcut"])
def test_closed_form_linear_critic_one_sgd_step(stop_gradient, zero_sum):
    """G(z) = w z + c with w = 0, critic D(x) = a x + b, Wasserstein loss, one SGD unroll step of size η.

    L_D = a (c - μ)  ->  a1 = a - η (c - μ).
    zero_sum: L_G = -L_D(a1) = -a1 (c - μ);  dL_G/dc = -a1 + η (c - μ), the shortcut keeps -a1.
    generator loss: L_G = -(a1 c + b);        dL_G/dc = -a1 + η c,       the shortcut keeps -a1.
    The extra terms are the second term of the unrolled gradient. dL_G/dw = mean(z) * dL_G/dc.
    """
    c, a, b, eta, mu = 0.7, 0.3, -0.2, 0.1, 2.0
    generator = keras.Sequential([keras.Input((1,)), keras.layers.Dense(
        1, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(c))])
    critic = keras.Sequential([keras.Input((1,)), keras.layers.Dense(
        1, kernel_initializer=keras.initializers.Constant(a), bias_initializer=keras.initializers.Constant(b))])
    model = UnrolledGAN(generator, critic, loss="wasserstein", unroll_steps=1, unroll_optimizer="sgd",
                        unroll_learning_rate=eta, stop_gradient_unroll=stop_gradient, zero_sum=zero_sum)
    model.compile()
    latent = tf.constant([[0.5], [-1.0], [2.0], [0.1]])
    loss, (grad_w, grad_c) = _generator_gradient(model, tf.fill([4, 1], mu), latent)
    a1 = a - eta * (c - mu)
    if zero_sum:
        expected_loss, expected_c = -a1 * (c - mu), -a1 + (0.0 if stop_gradient else eta * (c - mu))
    else:
        expected_loss, expected_c = -(a1 * c + b), -a1 + (0.0 if stop_gradient else eta * c)
    np.testing.assert_allclose(float(loss), expected_loss, rtol=1e-6)
    np.testing.assert_allclose(grad_c.numpy(), [expected_c], rtol=1e-5)
    np.testing.assert_allclose(grad_w.numpy(), [[np.mean(latent.numpy()) * expected_c]], rtol=1e-5)


def _flat(tensors):
    return np.concatenate([np.ravel(t) for t in tensors])


@pytest.mark.parametrize("unroll_optimizer,learning_rate", [("sgd", 0.5), ("adam", 0.05), ("adam", 0.2)])
def test_unrolled_gradient_matches_finite_differences_and_differs_from_the_shortcut(unroll_optimizer, learning_rate):
    model = _smooth_model(unroll_steps=3, unroll_optimizer=unroll_optimizer, unroll_learning_rate=learning_rate)
    model.compile(d_optimizer=keras.optimizers.Adam(0.05, beta_1=0.5))
    rng = np.random.default_rng(0)
    real = tf.constant(rng.normal(size=(16, 2)) + [1.0, 0.0], tf.float32)
    latent = tf.constant(rng.normal(size=(16, 3)), tf.float32)
    for _ in range(2):  # non-zero Adam moments, so that the unrolled Adam steps are smooth in the fakes
        model.critic_update(real)
    variables = model.generator.trainable_variables
    gradient = _flat(_generator_gradient(model, real, latent)[1])
    start = _flat(variables)

    def loss_at(point):
        offset = 0
        for v in variables:
            v.assign(point[offset:offset + v.numpy().size].reshape(v.shape))
            offset += v.numpy().size
        return float(model.generator_objective(real, latent)[0])

    h = 3e-3
    random_direction = rng.normal(size=gradient.shape)
    for direction in (gradient, random_direction):
        direction = direction / np.linalg.norm(direction)
        numeric = (loss_at(start + h * direction) - loss_at(start - h * direction)) / (2 * h)
        np.testing.assert_allclose(gradient @ direction, numeric, atol=2e-3 * np.linalg.norm(gradient))
    loss_at(start)

    model.stop_gradient_unroll = True
    shortcut = _flat(_generator_gradient(model, real, latent)[1])
    # The second-order term is far larger than the finite-difference tolerance: the two algorithms differ.
    assert np.linalg.norm(shortcut - gradient) > 0.05 * np.linalg.norm(gradient)


@pytest.mark.parametrize("unroll_optimizer", ["adam", "sgd"])
def test_unrolled_weights_replay_the_critic_optimizer(unroll_optimizer):
    """θ_D^K equals K real steps of the critic's optimizer on the same real batch and the same fakes."""
    model = UnrolledGAN(tiny_generator(), tiny_discriminator(), unroll_steps=4, unroll_optimizer=unroll_optimizer,
                        penalty="gp", seed=2)
    optimizer = keras.optimizers.Adam(3e-3, beta_1=0.5) if unroll_optimizer == "adam" else keras.optimizers.SGD(0.1)
    model.compile(d_optimizer=optimizer)
    rng = np.random.default_rng(1)
    real = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    model.critic_update(real)  # Adam: start the replay from a non-zero state and step count
    fakes = model.generator(tf.constant(rng.normal(size=(8, 4)), tf.float32))
    seed_state = model.seed_generator.state.numpy()
    unrolled = model.unrolled_critic_weights(real, fakes)
    # The penalty's interpolation draws advanced the model's seed; replay them from the same seed state.
    model.seed_generator.state.assign(seed_state)
    variables = model.discriminator.trainable_variables
    for _ in range(4):
        model._minimize(model.d_optimizer, variables, lambda: model.discriminator_objective(real, fakes))
    for u, v in zip(unrolled, variables):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("spectral", [False, True], ids=["plain", "spectral_norm"])
def test_generator_update_changes_neither_the_critic_nor_its_optimizer(spectral, toy_points):
    """Nor its non-trainable state: the spectral-norm power-iteration vectors stay as the critic step left them."""
    critic = mlp_discriminator(hidden_units=(8,), spectral_normalization=True) if spectral else tiny_discriminator()
    model = UnrolledGAN(tiny_generator(), critic, instance_noise=0.1, seed=0)
    model.compile()
    model.critic_update(tf.constant(toy_points[:16]))
    critic_state = [v.numpy() for v in model.discriminator.weights + model.d_optimizer.variables]
    seed_state = model.seed_generator.state.numpy()
    model.generator_update(tf.constant(toy_points[:16]))
    for before, after in zip(critic_state, model.discriminator.weights + model.d_optimizer.variables):
        np.testing.assert_array_equal(before, after.numpy())
    # 5 unrolled critic objectives + the final critic each drew instance noise from the model's stream.
    assert not np.array_equal(seed_state, model.seed_generator.state.numpy())


# --- the loop ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {"zero_sum": False, "loss": "non_saturating"},
    {"zero_sum": False, "instance_noise": 0.1, "loss": "hinge"},
    {"zero_sum": True, "loss": "minimax"},
], ids=["generator_loss", "generator_loss_noise_hinge", "zero_sum_minimax"])
def test_zero_unroll_steps_is_the_plain_gan_step(options, toy_points):
    """With K = 0 the weights after 3 steps are bit-identical to the base GAN's (zero-sum minimax: the real term
    E[log D(x)] is constant in the generator, so only the reported g_loss differs)."""
    gan_options = {k: v for k, v in options.items() if k != "zero_sum"}

    def train(model_class, **extra):
        model = model_class(tiny_generator(), tiny_discriminator(), seed=5, **gan_options, **extra)
        model.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                      g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
        history = model.fit(toy_points, batch_size=16, epochs=1, steps_per_epoch=3, verbose=0).history
        return _all_weights(model), history

    plain, plain_history = train(GAN)
    unrolled, unrolled_history = train(UnrolledGAN, unroll_steps=0, zero_sum=options["zero_sum"])
    for a, b in zip(plain, unrolled):
        np.testing.assert_array_equal(a, b)
    assert plain_history["d_loss"] == unrolled_history["d_loss"]
    assert (plain_history["g_loss"] == unrolled_history["g_loss"]) != options["zero_sum"]
    if not options["zero_sum"]:  # ... and unrolling does change the step
        different, _ = train(UnrolledGAN, unroll_steps=2, zero_sum=False)
        assert any(not np.array_equal(a, b) for a, b in zip(plain[:4], different[:4]))


def test_xla_compiled_unrolled_gradient_equals_the_eager_one(toy_points):
    model = UnrolledGAN(tiny_generator(), tiny_discriminator(input_dim=4), unroll_steps=2, pack_degree=2,
                        seed=3)  # packed pairs: the critic reads 2 x 2 features
    model.compile(jit_compile=True)
    real = tf.constant(toy_points[:16])
    model.critic_update(real)
    latent = model.sample_latent(16)
    eager = _generator_gradient(model, real, latent)
    compiled = tf.function(_generator_gradient, jit_compile=True)(model, real, latent)
    np.testing.assert_allclose(eager[0], compiled[0], rtol=1e-5)
    for a, b in zip(eager[1], compiled[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    history = model.fit(toy_points, batch_size=16, epochs=1, steps_per_epoch=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())


def test_keras_round_trip(tmp_path, toy_points):
    model = UnrolledGAN(tiny_generator(), tiny_discriminator(), unroll_steps=3, stop_gradient_unroll=True,
                        zero_sum=False, unroll_optimizer="sgd", unroll_learning_rate=0.01, seed=1)
    model.compile()
    model.fit(toy_points, batch_size=16, steps_per_epoch=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded, UnrolledGAN)
    assert (loaded.unroll_steps, loaded.stop_gradient_unroll, loaded.zero_sum, loaded.unroll_optimizer,
            loaded.unroll_learning_rate) == (3, True, False, "sgd", 0.01)
    z = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_array_equal(model.generate(z), loaded.generate(z))


def test_paper_defaults():
    model = UnrolledGAN(tiny_generator(), tiny_discriminator())
    model.compile()
    assert (model.unroll_steps, model.stop_gradient_unroll, model.zero_sum, model.unroll_optimizer) == (
        5, False, True, "adam")
    assert model.n_critic == 1 and model.loss_pair.name == "minimax"
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        np.testing.assert_allclose([float(optimizer.learning_rate), optimizer.beta_1], [1e-4, 0.5])


@pytest.mark.parametrize("kwargs,match", [
    ({"unroll_steps": -1}, "unroll_steps=-1"),
    ({"unroll_steps": 2.0}, "unroll_steps=2.0"),
    ({"unroll_optimizer": "rmsprop"}, "unroll_optimizer='rmsprop'"),
    ({"stop_gradient_unroll": "yes"}, "stop_gradient_unroll='yes'"),
    ({"zero_sum": 1}, "zero_sum=1"),
    ({"unroll_learning_rate": 0.0}, "unroll_learning_rate=0.0"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        UnrolledGAN(tiny_generator(), tiny_discriminator(), **kwargs)


def test_adam_unroll_needs_an_adam_critic_optimizer():
    model = UnrolledGAN(tiny_generator(), tiny_discriminator())
    with pytest.raises(ValueError, match="unroll_optimizer='sgd'"):
        model.compile(d_optimizer=keras.optimizers.RMSprop(1e-4))
    UnrolledGAN(tiny_generator(), tiny_discriminator(), unroll_optimizer="sgd").compile(
        d_optimizer=keras.optimizers.RMSprop(1e-4))


PARITY_SCRIPT = """
    from tfgan_zoo.models.unrolled import UnrolledGAN
    from conftest import tiny_discriminator, tiny_generator

    def run(devices):
        with tf.distribute.MirroredStrategy(devices).scope():
            model = UnrolledGAN(tiny_generator(), tiny_discriminator(), unroll_steps=2, unroll_optimizer="sgd",
                                unroll_learning_rate=0.5, instance_noise=0.1, seed=4)
            model.compile(g_optimizer=keras.optimizers.SGD(0.1))
        x = np.random.default_rng(0).normal(size=(128, 2)).astype("float32")
        model.fit(tf.data.Dataset.from_tensor_slices(x).batch(32, drop_remainder=True), epochs=1, verbose=0)
        return [w.numpy().tolist() for w in model.generator.weights + model.discriminator.weights]

    print(json.dumps([run(["/cpu:0"]), run(["/cpu:0", "/cpu:1"])]))
"""


def test_two_replicas_unroll_the_same_critic_as_one():
    """Each replica's unrolled step uses the global batch's critic gradient (an all-reduce inside the unroll);
    without it the two replicas' generator steps differ by about 2.5e-3 here."""
    one, two = run_on_two_logical_cpus(PARITY_SCRIPT)
    for a, b in zip(one, two):
        np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-6, rtol=1e-5)
