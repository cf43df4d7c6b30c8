"""tfgan_zoo.losses against hand-computed values and float64 numpy references written from the papers' formulas.

The numpy references use the probability form of each loss (log sigmoid, log(1 - sigmoid)); the library
uses softplus. Agreement on fixed logits checks the rewriting, the signs and the averaging.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo import losses
from tfgan_zoo.models.gan import GAN
from conftest import tiny_discriminator, tiny_generator

REAL = np.array([[2.0], [-1.0], [0.5], [0.0]])
FAKE = np.array([[-3.0], [0.5], [1.5], [-0.2]])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _value(fn, *args):
    return float(fn(*[tf.constant(a, tf.float32) for a in args]))


# --- numpy references (float64), one per loss, from the papers -------------------------------------------

def _ref_minimax_d(r, f):  # Goodfellow et al. 2014: -E log D(x) - E log(1 - D(G(z)))
    return -np.mean(np.log(_sigmoid(r))) - np.mean(np.log(1 - _sigmoid(f)))


def _ref_minimax_g(f, r=None):  # E log(1 - D(G(z)))
    return np.mean(np.log(1 - _sigmoid(f)))


def _ref_non_saturating_g(f, r=None):  # -E log D(G(z))
    return -np.mean(np.log(_sigmoid(f)))


def _ref_wasserstein_d(r, f):
    return np.mean(f) - np.mean(r)


def _ref_wasserstein_g(f, r=None):
    return -np.mean(f)


def _ref_hinge_d(r, f):
    return np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f))


def _ref_least_squares_d(r, f):  # Mao et al. 2017, a=0, b=1, with the paper's 1/2
    return 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f ** 2)


def _ref_least_squares_g(f, r=None):  # c = 1
    return 0.5 * np.mean((f - 1) ** 2)


def _ref_rasgan_d(r, f):  # Jolicoeur-Martineau 2018, eq. for RaSGAN
    return (-np.mean(np.log(_sigmoid(r - np.mean(f))))
            - np.mean(np.log(1 - _sigmoid(f - np.mean(r)))))


def _ref_rasgan_g(f, r):
    return (-np.mean(np.log(_sigmoid(f - np.mean(r))))
            - np.mean(np.log(1 - _sigmoid(r - np.mean(f)))))


def _ref_ralsgan_d(r, f):  # her reference code: the sum of the two terms, halved
    return 0.5 * (np.mean((r - np.mean(f) - 1) ** 2) + np.mean((f - np.mean(r) + 1) ** 2))


def _ref_ralsgan_g(f, r):
    return 0.5 * (np.mean((f - np.mean(r) - 1) ** 2) + np.mean((r - np.mean(f) + 1) ** 2))


DISCRIMINATOR_CASES = [
    (losses.minimax_discriminator, _ref_minimax_d),
    (losses.wasserstein_discriminator, _ref_wasserstein_d),
    (losses.hinge_discriminator, _ref_hinge_d),
    (losses.least_squares_discriminator, _ref_least_squares_d),
    (losses.relativistic_average_discriminator, _ref_rasgan_d),
    (losses.relativistic_average_least_squares_discriminator, _ref_ralsgan_d),
]
GENERATOR_CASES = [
    (losses.minimax_generator, _ref_minimax_g),
    (losses.non_saturating_generator, _ref_non_saturating_g),
    (losses.wasserstein_generator, _ref_wasserstein_g),
    (losses.hinge_generator, _ref_wasserstein_g),
    (losses.least_squares_generator, _ref_least_squares_g),
    (losses.relativistic_average_generator, _ref_rasgan_g),
    (losses.relativistic_average_least_squares_generator, _ref_ralsgan_g),
]


@pytest.mark.parametrize("fn,reference", DISCRIMINATOR_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_discriminator_losses_match_numpy_reference(fn, reference):
    assert _value(fn, REAL, FAKE) == pytest.approx(reference(REAL, FAKE), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("fn,reference", GENERATOR_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_generator_losses_match_numpy_reference(fn, reference):
    assert _value(fn, FAKE, REAL) == pytest.approx(reference(FAKE, REAL), rel=1e-6, abs=1e-6)


# --- hand-computed values on small logits (worked out on paper) -----------------------------------------

def test_hand_computed_values():
    log2 = np.log(2.0)
    # softplus(0) = log 2 for both halves
    assert _value(losses.minimax_discriminator, [0.0], [0.0]) == pytest.approx(2 * log2)
    assert _value(losses.minimax_generator, [0.0]) == pytest.approx(-log2)
    assert _value(losses.non_saturating_generator, [0.0]) == pytest.approx(log2)
    # hinge: real [0.5, 2] -> relu(0.5), relu(-1) = 0.25 mean; fake [-2, 0] -> relu(-1), relu(1) = 0.5 mean
    assert _value(losses.hinge_discriminator, [0.5, 2.0], [-2.0, 0.0]) == pytest.approx(0.75)
    assert _value(losses.hinge_generator, [-2.0, 0.0]) == pytest.approx(1.0)
    # wasserstein: mean fake 3, mean real 1
    assert _value(losses.wasserstein_discriminator, [0.0, 2.0], [1.0, 5.0]) == pytest.approx(2.0)
    assert _value(losses.wasserstein_generator, [1.0, 5.0]) == pytest.approx(-3.0)
    # least squares: 0.5 * mean([1, 9]) + 0.5 * mean([4, 0]) = 2.5 + 1
    assert _value(losses.least_squares_discriminator, [0.0, 4.0], [2.0, 0.0]) == pytest.approx(3.5)
    assert _value(losses.least_squares_generator, [2.0, 0.0]) == pytest.approx(0.5)


def test_relativistic_hand_computed_values():
    # real [1, 3] (mean 2), fake [0, 2] (mean 1): real - mean fake = [0, 2], fake - mean real = [-2, 0]
    real, fake = [1.0, 3.0], [0.0, 2.0]
    sp = lambda x: np.log1p(np.exp(x))  # noqa: E731
    expected_d = (sp(-0.0) + sp(-2.0)) / 2 + (sp(-2.0) + sp(0.0)) / 2
    assert _value(losses.relativistic_average_discriminator, real, fake) == pytest.approx(expected_d)
    # generator swaps roles: logits fake - mean real = [-2, 0] should be "real", real - mean fake = [0, 2] "fake"
    expected_g = (sp(2.0) + sp(0.0)) / 2 + (sp(0.0) + sp(2.0)) / 2
    assert _value(losses.relativistic_average_generator, fake, real) == pytest.approx(expected_g)
    # RaLSGAN: 0.5 * (mean([(0-1)^2, (2-1)^2]) + mean([(-2+1)^2, (0+1)^2])) = 1
    assert _value(losses.relativistic_average_least_squares_discriminator, real, fake) == pytest.approx(1.0)
    # swapped: 0.5 * (mean([(-2-1)^2, (0-1)^2]) + mean([(0+1)^2, (2+1)^2])) = 0.5 * (5 + 5)
    assert _value(losses.relativistic_average_least_squares_generator, fake, real) == pytest.approx(5.0)


def test_logit_gradients_have_the_papers_signs_and_sizes():
    """d/dl of the generator losses: minimax -sigmoid(l) (saturates as l -> -inf), non-saturating sigmoid(l) - 1."""
    logits = tf.constant([-4.0, 0.0, 3.0])
    for fn, expected in [(losses.minimax_generator, -_sigmoid(logits.numpy()) / 3),
                         (losses.non_saturating_generator, (_sigmoid(logits.numpy()) - 1) / 3),
                         (losses.wasserstein_generator, np.full(3, -1 / 3)),
                         (losses.least_squares_generator, (logits.numpy() - 1) / 3)]:
        with tf.GradientTape() as tape:
            tape.watch(logits)
            value = fn(logits)
        np.testing.assert_allclose(tape.gradient(value, logits).numpy(), expected, rtol=1e-5, atol=1e-7)


def test_losses_average_over_every_element_of_any_shape():
    real = np.arange(6, dtype="float64").reshape(2, 3) / 3 - 1
    fake = real[::-1] * 0.5
    assert _value(losses.hinge_discriminator, real, fake) == pytest.approx(_ref_hinge_d(real, fake), rel=1e-6)
    assert _value(losses.relativistic_average_discriminator, real, fake) == pytest.approx(
        _ref_rasgan_d(real, fake), rel=1e-6)


def test_softplus_forms_are_finite_for_extreme_logits():
    big = [100.0, -100.0]
    for fn in (losses.minimax_discriminator, losses.relativistic_average_discriminator):
        assert np.isfinite(_value(fn, big, big))
    for fn in (losses.minimax_generator, losses.non_saturating_generator):
        assert np.isfinite(_value(fn, big))
    # -log sigmoid(-100) = 100 (up to e^-100): the probability form would give inf
    assert _value(losses.non_saturating_generator, [-100.0]) == pytest.approx(100.0)


def test_half_precision_outputs_are_computed_in_float32():
    real16 = tf.constant(REAL, tf.float16)
    fake16 = tf.constant(FAKE, tf.float16)
    value = losses.least_squares_discriminator(real16, fake16)
    assert value.dtype == tf.float32
    assert float(value) == pytest.approx(_ref_least_squares_d(REAL, FAKE), rel=1e-3)


# --- selection by name ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name,expected,needs_real", [
    ("minimax", "minimax", False), ("ns", "non_saturating", False), ("standard", "non_saturating", False),
    ("WGAN", "wasserstein", False), ("hinge", "hinge", False), ("lsgan", "least_squares", False),
    ("ragan", "relativistic_average", True), ("ralsgan", "relativistic_average_least_squares", True),
])
def test_get_loss_by_name_and_alias(name, expected, needs_real):
    pair = losses.get_loss(name)
    assert pair.name == expected and pair.generator_needs_real is needs_real
    assert losses.get_loss(pair) is pair


def test_get_loss_rejects_unknown_names_with_the_list():
    with pytest.raises(ValueError, match="hinge"):
        losses.get_loss("hingee")
    with pytest.raises(ValueError, match="tuple of callables"):
        losses.get_loss(3)
    assert set(losses.available_losses()) == {"minimax", "non_saturating", "wasserstein", "hinge", "least_squares",
                                              "relativistic_average", "relativistic_average_least_squares"}


def test_gan_takes_a_loss_by_name_or_callables():
    """The critic objective is exactly the chosen loss of the critic outputs (no penalty)."""
    def d_loss(real_output, fake_output):
        return tf.reduce_mean(tf.cast(fake_output, tf.float32)) * 3.0

    def g_loss(fake_output, real_output=None):
        return -tf.reduce_mean(tf.cast(fake_output, tf.float32)) * 2.0 + 0.0 * tf.reduce_mean(real_output)

    real = tf.constant(np.random.default_rng(0).normal(size=(8, 2)), tf.float32)
    fake = real[::-1] * 0.3
    for loss, reference in [("hinge", _ref_hinge_d), ("ralsgan", _ref_ralsgan_d),
                            ((d_loss, g_loss), lambda r, f: 3.0 * np.mean(f))]:
        model = GAN(tiny_generator(), tiny_discriminator(), loss=loss, seed=0)
        value, figures = model.discriminator_objective(real, fake)
        r, f = model.discriminator(real).numpy(), model.discriminator(fake).numpy()
        assert float(value) == pytest.approx(reference(r.astype("float64"), f.astype("float64")), rel=1e-5)
        assert float(figures["d_loss"]) == pytest.approx(float(value))
    model.compile()
    history = model.fit(real.numpy(), batch_size=4, steps_per_epoch=2, verbose=0).history
    assert np.isfinite(history["g_loss"][-1])
