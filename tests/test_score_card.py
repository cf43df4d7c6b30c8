"""The MNIST score card: the judgement of class probabilities by hand, and real vs collapsed digits on the protocol."""
import numpy as np
import pytest

from tfgan_zoo.metrics import score_card as sc


def test_digit_judgement_by_hand():
    probabilities = np.full((4, 10), 0.01)
    probabilities[0, 3] = 0.91  # digit 3, confident
    probabilities[1, 3] = 0.5   # digit 3, not confident
    probabilities[2, 7] = 0.9   # digit 7, confident at exactly the threshold
    probabilities[3, 0] = 0.89  # digit 0, not confident
    judged = sc.digit_judgement(probabilities)
    expected = np.zeros(10)
    expected[[3, 7, 0]] = [0.5, 0.25, 0.25]
    np.testing.assert_allclose(judged["class_frequencies"], expected)
    assert judged["max_class_deviation"] == pytest.approx(0.4)
    assert judged["classes_present"] == 3
    assert judged["confident_fraction"] == pytest.approx(0.5)


def test_digit_judgement_names_a_bad_shape():
    with pytest.raises(ValueError, match=r"probabilities must be \[n, 10\]"):
        sc.digit_judgement(np.ones((5, 3)))


def test_real_halves_are_disjoint_and_balanced():
    (a, labels_a), (b, labels_b) = sc.real_halves()
    assert a.shape == b.shape == (2500, 28, 28, 1)
    assert not any(np.array_equal(a[i], b[j]) for i in range(20) for j in range(len(b)))
    assert np.bincount(labels_a, minlength=10).min() > 200


def test_real_digits_score_as_real_and_collapsed_ones_do_not():
    baseline = sc.real_baseline()
    assert baseline["fid"] < 3 and baseline["precision"] > 0.8 and baseline["confident_fraction"] > 0.95
    assert baseline["classes_present"] == 10 and baseline["max_class_deviation"] < 0.02
    (half_a, labels_a), _ = sc.real_halves()
    ones = half_a[labels_a == 1]
    collapsed = sc.score_card(np.resize(ones, (2500, 28, 28, 1)))  # only the digit 1, each one repeated
    assert collapsed["classes_present"] == 1
    assert collapsed["max_class_deviation"] > 0.85
    assert collapsed["fid"] > 20 * baseline["fid"]
    assert collapsed["recall"] < 0.3
    text = sc.format_score_card(collapsed, baseline)
    assert "confident (p >= 0.9)" in text and "1/10" in text and "10/10" in text


def test_score_card_resizes_other_sizes_and_asks_a_generator():
    (half_a, _), _ = sc.real_halves()

    class Upscaled:  # a "generator" that returns real digits at 32 px
        def generate(self, n, seed=None):
            import tensorflow as tf

            assert seed == sc.PROTOCOL["seed"]
            return tf.image.resize(half_a[:n], (32, 32)).numpy()

    card = sc.score_card(Upscaled())
    assert card["num_generated"] == 2500 and card["fid"] < 25 and card["confident_fraction"] > 0.9
