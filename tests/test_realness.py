"""RealnessGAN: anchors, KL from logits, the critic loss and the paper's three generator objectives, the model."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import rel_entr, softmax

from tfgan_zoo.layers.spectral_normalization import SpectralNormalization
from tfgan_zoo.models.realness import (
    GENERATOR_OBJECTIVES,
    RealnessGAN,
    anchor_kl,
    check_anchors,
    expected_realness,
    logits_kl,
    normalized_histogram,
    realness_anchors,
    realness_discriminator_loss,
    realness_generator_objective1,
    realness_generator_objective2,
    realness_generator_objective3,
)
from conftest import tiny_discriminator, tiny_generator

# An anchor pair with empty bins, over 6 outcomes.
A0_SPARSE = np.array([0.0, 0.1, 0.4, 0.4, 0.1, 0.0])
A1_SPARSE = np.array([0.3, 0.0, 0.2, 0.0, 0.2, 0.3])


def _np_kl(p, q):
    return rel_entr(p, q).sum(axis=-1)  # 0 where p == 0


def _grad(fn, logits):
    logits = tf.constant(logits, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        value = fn(logits)
    return value.numpy(), tape.gradient(value, logits).numpy()


# --- anchors ---------------------------------------------------------------------------------------------


def test_normalized_histogram_is_np_histogram():
    samples = np.random.default_rng(0).normal(0.3, 0.7, size=1000)  # float64: binned in float64 as numpy
    for k in (5, 20, 51):
        np.testing.assert_allclose(normalized_histogram(samples, k).numpy(), np.histogram(samples, k)[0] / 1000,
                                   atol=1e-7)
    inside = np.random.default_rng(1).uniform(-0.9, 0.9, size=500)
    np.testing.assert_allclose(normalized_histogram(inside, 8, value_range=(-1, 1)).numpy(),
                               np.histogram(inside, 8, range=(-1, 1))[0] / 500, atol=1e-7)
    constant = np.full(10, 2.0)  # numpy widens the range to [v - 0.5, v + 0.5]
    np.testing.assert_array_equal(normalized_histogram(constant, 4).numpy(), np.histogram(constant, 4)[0] / 10)


@pytest.mark.parametrize("k", [5, 20, 51])
def test_realness_anchors_shapes_sums_and_shapes_of_the_distributions(k):
    a0, a1 = (a.numpy() for a in realness_anchors(k, seed=3))
    assert a0.shape == a1.shape == (k,) and a0.dtype == np.float32
    for a in (a0, a1):
        assert a.min() >= 0 and abs(a.sum() - 1) < 1e-6
        np.testing.assert_allclose(a * 1000, np.round(a * 1000), atol=1e-3)  # counts of 1000 draws
    assert np.abs(a0 - a1).sum() > 0.3  # A0 != A1
    assert a0[k // 2 - 1:k // 2 + 1].max() > 5 * max(a0[0], a0[-1])  # A0: a bell over the outcomes
    assert np.abs(a1 - 1 / k).max() < 0.05  # A1: nearly flat


def test_realness_anchors_default_and_shared_range():
    a0, a1 = realness_anchors(seed=0)
    assert a0.shape == (20,)  # the official default
    # Over one shared range (-1, 1) the N(0, 0.1) draws leave the outer outcomes empty (bin width 0.1).
    s0, s1 = (a.numpy() for a in realness_anchors(20, value_range=(-1, 1), seed=0))
    assert s0[:5].sum() + s0[15:].sum() < 0.01 and s1.min() > 0


def test_realness_anchors_seeding():
    first = [a.numpy() for a in realness_anchors(20, seed=5)]
    again = [a.numpy() for a in realness_anchors(20, seed=5)]
    np.testing.assert_array_equal(first[0], again[0])
    stream = keras.random.SeedGenerator(5)
    draw1 = realness_anchors(20, seed=stream)[0].numpy()
    draw2 = realness_anchors(20, seed=stream)[0].numpy()
    assert not np.array_equal(draw1, draw2)  # a SeedGenerator advances


@pytest.mark.parametrize("k", [1, 0, 2.5, True])
def test_num_outcomes_below_two_raises(k):
    with pytest.raises(ValueError, match="num_outcomes"):
        realness_anchors(k)
    with pytest.raises(ValueError, match="num_outcomes"):
        RealnessGAN(tiny_generator(), tiny_discriminator(output_units=1), num_outcomes=k)


@pytest.mark.parametrize("anchors, message", [
    ((A0_SPARSE[:5], A1_SPARSE), r"shape \(5,\).*\(6,\)"),
    ((A0_SPARSE - 0.05, A1_SPARSE), "non-negative"),
    ((A0_SPARSE * 1.01, A1_SPARSE), "sums to 1.01"),
    ((A0_SPARSE, A0_SPARSE), "equal"),
    ((A0_SPARSE,), "pair"),
])
def test_check_anchors_rejects_bad_anchors_naming_the_argument(anchors, message):
    with pytest.raises(ValueError, match=f"anchors.*{message}"):
        check_anchors(anchors, 6)
    with pytest.raises(ValueError, match=f"anchors.*{message}"):
        RealnessGAN(tiny_generator(), tiny_discriminator(output_units=6), num_outcomes=6, anchors=anchors)


def test_check_anchors_accepts_sum_within_tolerance():
    a0, a1 = check_anchors((A0_SPARSE + 1e-6 / 6, list(A1_SPARSE)), 6)
    assert a0.dtype == a1.dtype == np.float32


# --- KL from logits --------------------------------------------------------------------------------------


def test_anchor_kl_matches_numpy_with_empty_bins_and_extreme_logits():
    logits = np.random.default_rng(0).normal(size=(4, 6)) * 3
    logits[0] = [60.0, -60.0, 0.0, 5.0, -3.0, 80.0]  # q nearly 0 at an anchor's empty bins
    q = softmax(logits.astype(np.float64), axis=-1)
    np.testing.assert_allclose(anchor_kl(A0_SPARSE, logits).numpy(), _np_kl(A0_SPARSE, q), rtol=1e-5)
    np.testing.assert_allclose(anchor_kl(A1_SPARSE, logits).numpy(), _np_kl(A1_SPARSE, q), rtol=1e-5)
    per_row = np.stack([A0_SPARSE, A1_SPARSE, A1_SPARSE, A0_SPARSE])
    np.testing.assert_allclose(anchor_kl(per_row, logits).numpy(), _np_kl(per_row, q), rtol=1e-5)
    _, gradient = _grad(lambda l: tf.reduce_sum(anchor_kl(A0_SPARSE, l)), logits)
    np.testing.assert_allclose(gradient, q - A0_SPARSE, atol=1e-6)  # d KL(A || softmax) / d logits = q - A


def test_anchor_kl_is_zero_at_the_anchor_itself():
    anchor = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(anchor_kl(anchor, np.log(anchor)[None]).numpy(), [0.0], atol=1e-6)


def test_logits_kl_matches_numpy():
    rng = np.random.default_rng(1)
    p_logits, q_logits = rng.normal(size=(5, 7)) * 4, rng.normal(size=(5, 7)) * 4
    expected = _np_kl(softmax(p_logits, axis=-1), softmax(q_logits, axis=-1))
    np.testing.assert_allclose(logits_kl(p_logits, q_logits).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(logits_kl(p_logits, p_logits).numpy(), np.zeros(5), atol=1e-6)


def test_expected_realness_on_linspace_outcomes():
    logits = np.log(np.array([[0.5, 0.5, 0.0 + 1e-30], [0.0 + 1e-30, 0.0 + 1e-30, 1.0]]))
    # outcomes (-1, 0, 1): E = -0.5 for the first row, 1 for the second; mean 0.25
    np.testing.assert_allclose(expected_realness(logits).numpy(), 0.25, atol=1e-6)
    np.testing.assert_allclose(expected_realness(logits, outcomes=[0, 1, 2]).numpy(), (0.5 + 2) / 2, atol=1e-6)


# --- objectives --------------------------------------------------------------------------------------------


def test_discriminator_loss_matches_numpy():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(3, 6)), rng.normal(size=(5, 6))
    expected = (_np_kl(A1_SPARSE, softmax(real, axis=-1)).mean() + _np_kl(A0_SPARSE, softmax(fake, axis=-1)).mean())
    np.testing.assert_allclose(realness_discriminator_loss(real, fake, A0_SPARSE, A1_SPARSE).numpy(), expected,
                               rtol=1e-5)


def test_generator_objectives_hand_made_case():
    """K = 3, A0 = (0, 1, 0), A1 = (1/2, 0, 1/2), D(G(z)) uniform, D(x) = (0.4, 0.2, 0.4).

    KL(A0||u) = log 3, KL(A1||u) = log 1.5, KL(D(x)||u) = 0.8 log 1.2 + 0.2 log 0.6. Gradients w.r.t. the fake
    logits: objective 1: A0 - u; 2: A0 - D(x); 3: A0 - A1. Each is positive on A0's outcome: gradient descent
    lowers the fake's "fake" outcome.
    """
    a0, a1 = np.array([0.0, 1.0, 0.0]), np.array([0.5, 0.0, 0.5])
    fake = np.zeros((1, 3))
    real = np.log(np.array([[0.4, 0.2, 0.4]]))
    cases = {
        1: (lambda l: realness_generator_objective1(l, anchor0=a0), -np.log(3), [-1 / 3, 2 / 3, -1 / 3]),
        2: (lambda l: realness_generator_objective2(l, anchor0=a0, real_logits=real),
            0.8 * np.log(1.2) + 0.2 * np.log(0.6) - np.log(3), [-0.4, 0.8, -0.4]),
        3: (lambda l: realness_generator_objective3(l, anchor0=a0, anchor1=a1), -np.log(2), [-0.5, 1.0, -0.5]),
    }
    for number, (fn, value, gradient) in cases.items():
        got_value, got_gradient = _grad(fn, fake)
        np.testing.assert_allclose(got_value, value, rtol=1e-5, err_msg=f"objective {number}")
        np.testing.assert_allclose(got_gradient[0], gradient, atol=1e-6, err_msg=f"objective {number}")
        assert got_gradient[0, 1] > 0 > got_gradient[0, 0]


def test_generator_objective_gradients_closed_forms_on_a_batch():
    rng = np.random.default_rng(3)
    fake, real = rng.normal(size=(5, 6)) * 2, rng.normal(size=(5, 6)) * 2
    q, p = softmax(fake, axis=-1), softmax(real, axis=-1)
    kwargs = dict(anchor0=A0_SPARSE, anchor1=A1_SPARSE, real_logits=real)
    expected = {
        1: (-_np_kl(A0_SPARSE, q).mean(), (A0_SPARSE - q) / 5),
        2: (_np_kl(p, q).mean() - _np_kl(A0_SPARSE, q).mean(), (A0_SPARSE - p) / 5),  # pairs row i with row i
        3: (_np_kl(A1_SPARSE, q).mean() - _np_kl(A0_SPARSE, q).mean(), np.tile(A0_SPARSE - A1_SPARSE, (5, 1)) / 5),
    }
    for number, (value, gradient) in expected.items():
        got_value, got_gradient = _grad(lambda l: GENERATOR_OBJECTIVES[number](l, **kwargs), fake)
        np.testing.assert_allclose(got_value, value, rtol=1e-5, atol=1e-6, err_msg=f"objective {number}")
        np.testing.assert_allclose(got_gradient, gradient, atol=1e-6, err_msg=f"objective {number}")


# --- the model ----------------------------------------------------------------------------------------------


def _model(k=5, **kwargs):
    kwargs.setdefault("seed", 0)
    return RealnessGAN(tiny_generator(), tiny_discriminator(output_units=k), num_outcomes=k, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(generator_objective=0), "generator_objective"),
    (dict(generator_objective="2"), "generator_objective"),
    (dict(resample_anchors=True, anchors=(A0_SPARSE[:5] / A0_SPARSE[:5].sum(), np.full(5, 0.2))), "resample_anchors"),
    (dict(loss="hinge"), "generator_objective"),
])
def test_model_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _model(**kwargs)


def test_critic_width_must_equal_num_outcomes():
    with pytest.raises(ValueError, match=r"outputs 1 values.*num_outcomes=20.*output_units=20"):
        RealnessGAN(tiny_generator(), tiny_discriminator(output_units=1))


def test_default_anchors_come_from_the_model_seed():
    model = _model(k=7, seed=4)
    a0, a1 = realness_anchors(7, seed=keras.random.SeedGenerator(4))
    np.testing.assert_array_equal(model.anchor0.numpy(), a0.numpy())
    np.testing.assert_array_equal(model.anchor1.numpy(), a1.numpy())


def test_critic_is_spectrally_normalised_by_default_with_the_same_starting_weights():
    critic = tiny_discriminator(output_units=5)
    model = RealnessGAN(tiny_generator(), critic, num_outcomes=5)
    wrapped = [layer for layer in model.discriminator.layers if isinstance(layer, SpectralNormalization)]
    assert len(wrapped) == 2 and model.discriminator is not critic
    for layer, original in zip(wrapped, critic.layers):
        np.testing.assert_array_equal(layer.raw_kernel.numpy(), original.kernel.numpy())
        np.testing.assert_array_equal(layer.layer.bias.numpy(), original.bias.numpy())
    assert RealnessGAN(tiny_generator(), critic, num_outcomes=5, spectral_normalization=False).discriminator is critic
    assert RealnessGAN(tiny_generator(), model.discriminator, num_outcomes=5).discriminator is model.discriminator


def test_automatic_spectral_normalisation_covers_every_weight_layer_kind():
    """EinsumDense, DepthwiseConv2D and SeparableConv2D (both of its kernels) are wrapped too, with the same
    starting weights, and each normalised kernel has spectral norm 1 (numpy SVD) once the power iteration has
    converged."""
    from tfgan_zoo.inspection import layers_without_spectral_normalization

    keras.utils.set_random_seed(0)
    inputs = keras.Input((2,))
    x = keras.layers.EinsumDense("ab,bc->ac", output_shape=16, name="einsum")(inputs)
    x = keras.layers.Reshape((4, 4, 1))(x)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise")(x)
    x = keras.layers.SeparableConv2D(3, 3, name="separable")(x)
    outputs = keras.layers.Dense(5, name="head")(keras.layers.Flatten()(x))
    critic = keras.Model(inputs, outputs)
    model = RealnessGAN(tiny_generator(), critic, num_outcomes=5)
    unnormalised, normalised = layers_without_spectral_normalization(model.discriminator)
    assert unnormalised == [] and sorted(normalised) == ["depthwise", "einsum", "head", "separable"]
    points = tf.constant(np.random.default_rng(0).normal(size=(8, 2)), tf.float32)
    for _ in range(100):  # one power-iteration step per training call
        model.discriminator(points, training=True)
    wrappers = {layer.layer.name: layer for layer in model.discriminator.layers
                if isinstance(layer, SpectralNormalization)}
    original = {layer.name: layer for layer in critic.layers}
    kernels = {"einsum": ["kernel"], "depthwise": ["kernel"], "head": ["kernel"],
               "separable": ["depthwise_kernel", "pointwise_kernel"]}
    for name, attributes in kernels.items():
        wrapper = wrappers[name]
        sigmas = [float(sigma) for _, sigma in wrapper._normalize(training=False)]
        assert len(sigmas) == len(attributes)
        for attribute, sigma in zip(attributes, sigmas):
            raw = getattr(wrapper.layer, attribute).numpy()
            np.testing.assert_array_equal(raw, getattr(original[name], attribute).numpy())
            # a depthwise kernel [h, w, in, multiplier] is the matrix [h * w, in * multiplier]
            columns = raw.shape[-2] * raw.shape[-1] if attribute == "depthwise_kernel" or name == "depthwise" \
                else raw.shape[-1]
            largest = np.linalg.svd(raw.reshape(-1, columns), compute_uv=False)[0]
            np.testing.assert_allclose(sigma, largest, rtol=1e-3)
    x = np.random.default_rng(1).normal(size=(4, 2)).astype("float32")
    assert np.isfinite(model.critic(x, training=False).numpy()).all()


def test_subclassed_critic_without_spectral_normalisation_gets_a_clear_error():
    class Critic(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(5)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="spectral_normalization=False"):
        RealnessGAN(tiny_generator(), Critic(), num_outcomes=5)


def test_model_objectives_use_the_model_anchors():
    a0, a1 = A0_SPARSE[1:], np.array([0.3, 0.1, 0.2, 0.1, 0.3])  # 5 outcomes, A0 with an empty bin
    a0 = a0 / a0.sum()
    model = _model(anchors=(a0, a1), generator_objective=3, spectral_normalization=False)
    real, fake = np.random.default_rng(0).normal(size=(2, 8, 2)).astype("float32")
    loss, figures = model.discriminator_objective(real, fake)
    real_logits, fake_logits = model.critic(real), model.critic(fake)
    np.testing.assert_allclose(loss.numpy(), realness_discriminator_loss(real_logits, fake_logits, a0, a1).numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(figures["kl_real"].numpy(), anchor_kl(a1, real_logits).numpy().mean(), rtol=1e-6)
    z = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    g_loss, _ = model.generator_objective(real, z)
    expected = realness_generator_objective3(model.critic(model.generator(z)), anchor0=a0, anchor1=a1)
    np.testing.assert_allclose(g_loss.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("objective, jit, resample", [(1, False, False), (2, True, False), (2, False, False),
                                                      (3, True, True)])
def test_trains_a_few_steps_and_reports_consistent_figures(objective, jit, resample, toy_points):
    model = _model(generator_objective=objective, resample_anchors=resample)
    model.compile(jit_compile=jit)
    before = [w.numpy() for w in model.generator.weights + model.discriminator.trainable_weights]
    history = {k: v[-1] for k, v in model.fit(toy_points, batch_size=16, epochs=1, steps_per_epoch=3,
                                               verbose=0).history.items()}
    assert set(model.figure_names) == set(history) and all(np.isfinite(v) for v in history.values())
    assert all(not np.array_equal(a, w.numpy())
               for a, w in zip(before, model.generator.weights + model.discriminator.trainable_weights))
    # running means of sums are sums of running means
    np.testing.assert_allclose(history["d_loss"], history["kl_real"] + history["kl_fake"], rtol=1e-5)
    second_term = {1: 0.0, 2: history.get("g_kl_dx"), 3: history.get("g_kl_a1")}[objective]
    np.testing.assert_allclose(history["g_loss"], second_term - history["g_kl_a0"], rtol=1e-5, atol=1e-6)


def test_resampled_anchors_change_every_step_reproducibly(toy_points):
    def run():
        model = _model(k=20, resample_anchors=True, seed=9)
        initial = model.anchor0.numpy()
        model.compile(jit_compile=False)  # the XLA path runs in test_trains_a_few_steps...[3-True-True]
        model.fit(toy_points, batch_size=16, epochs=1, steps_per_epoch=2, verbose=0)
        return initial, model.anchor0.numpy(), model.anchor1.numpy()

    initial, a0, a1 = run()
    assert not np.array_equal(initial, a0)
    for anchor in (a0, a1):
        assert anchor.min() >= 0 and abs(anchor.sum() - 1) < 1e-6
    np.testing.assert_allclose(a0 * 1000, np.round(a0 * 1000), atol=1e-3)  # still histograms of 1000 draws
    np.testing.assert_array_equal(run()[1], a0)


def test_keras_round_trip(tmp_path, toy_points):
    a0 = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    model = _model(anchors=(a0, np.full(5, 0.2)), generator_objective=3, generator_batch_multiplier=2)
    model.compile()
    model.fit(toy_points, batch_size=16, epochs=1, steps_per_epoch=1, verbose=0)
    model.save(tmp_path / "realness.keras")
    loaded = keras.saving.load_model(tmp_path / "realness.keras")
    assert type(loaded) is RealnessGAN
    config, loaded_config = model.get_config(), loaded.get_config()
    for key in ("num_outcomes", "anchors", "resample_anchors", "generator_objective", "spectral_normalization",
                "generator_batch_multiplier", "seed"):
        assert loaded_config[key] == config[key], key
    np.testing.assert_array_equal(loaded.anchor0.numpy(), model.anchor0.numpy())
    z = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    np.testing.assert_allclose(loaded.generate(z), model.generate(z), rtol=1e-6)
    x = toy_points[:6]
    np.testing.assert_allclose(loaded.critic(x, training=False).numpy(), model.critic(x, training=False).numpy(),
                               rtol=1e-6)
    assert sum(isinstance(layer, SpectralNormalization) for layer in loaded.discriminator.layers) == 2


def test_short_toy_run_moves_the_generator_to_the_data():
    """A point mass at (2, -1): 150 steps (default objective 2) bring the generated mean much closer."""
    target = np.array([2.0, -1.0], "float32")
    data = (target + 0.05 * np.random.default_rng(0).normal(size=(512, 2))).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(data).repeat().batch(64, drop_remainder=True)
    model = _model(seed=1)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3, 0.5), g_optimizer=keras.optimizers.Adam(1e-3, 0.5),
                  jit_compile=True)
    before = np.linalg.norm(model.generate(512, seed=0).mean(0) - target)
    model.fit(dataset, epochs=1, steps_per_epoch=150, verbose=0)
    after = np.linalg.norm(model.generate(512, seed=0).mean(0) - target)
    assert after < 0.6 * before, (before, after)
