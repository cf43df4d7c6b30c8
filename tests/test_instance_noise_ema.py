"""Training options of the base GAN: instance noise and its annealing schedule, generator EMA with warm-up,
and two-time-scale learning rates (TTUR)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo.models.ema import GeneratorEMA
from tfgan_zoo.models.gan import GAN
from tfgan_zoo.callbacks import InstanceNoiseSchedule, instance_noise_stddev
from conftest import tiny_discriminator, tiny_generator


def _linear_critic(w=(3.0, 4.0)):
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, use_bias=False, kernel_initializer=keras.initializers.Constant(np.reshape(w, (2, 1))))])


def _recorder(values, read):
    return keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: values.append(read()))


# --- instance noise -----------------------------------------------------------------------------------


def test_instance_noise_has_the_standard_deviation_sigma():
    """Linear critic w.x on zero inputs: outputs sigma * w.n have standard deviation sigma * ||w|| = 5 sigma."""
    model = GAN(tiny_generator(), _linear_critic(), instance_noise=0.3, seed=0)
    zeros = tf.zeros([20000, 2])
    assert np.std(model.critic(zeros).numpy()) == pytest.approx(1.5, rel=0.03)
    np.testing.assert_array_equal(model.critic(zeros, training=False).numpy(), 0.0)  # no noise at inference
    model.instance_noise_stddev.assign(0.0)
    np.testing.assert_array_equal(model.critic(zeros).numpy(), 0.0)


def test_schedule_functions_closed_form():
    progress = np.array([0.0, 0.25, 0.5, 0.999, 1.0, 3.0])
    np.testing.assert_allclose([instance_noise_stddev(2.0, p) for p in progress], [2, 1.5, 1, 0.002, 0, 0], atol=1e-9)
    np.testing.assert_allclose([instance_noise_stddev(2.0, p, "exponential", 0.01) for p in progress],
                               [2, 2 * 0.01 ** 0.25, 0.2, 2 * 0.01 ** 0.999, 0, 0], rtol=1e-9)


@pytest.mark.parametrize("jit", [False, True])
def test_sigma_follows_a_linear_schedule_per_batch(jit, toy_points):
    model = GAN(tiny_generator(), tiny_discriminator(), instance_noise=1.0, seed=0)
    model.compile(jit_compile=jit)
    seen = []
    history = model.fit(toy_points, batch_size=16, steps_per_epoch=6, verbose=0,
                        callbacks=[InstanceNoiseSchedule(4), _recorder(seen, lambda: float(model.instance_noise_stddev))])
    expected = [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    np.testing.assert_allclose(seen, expected, atol=1e-7)
    # the figure the train step reports is the epoch mean of the sigmas it used: the step saw each new value
    assert history.history["instance_noise_stddev"][-1] == pytest.approx(np.mean(expected), rel=1e-6)


def test_exponential_schedule_over_epochs_updates_within_epochs(toy_points):
    model = GAN(tiny_generator(), tiny_discriminator(), instance_noise=0.5, seed=0)
    model.compile()
    seen = []
    model.fit(toy_points, batch_size=16, epochs=3, steps_per_epoch=2, verbose=0,
              callbacks=[InstanceNoiseSchedule(2, schedule="exponential", unit="epoch", final_ratio=0.1),
                         _recorder(seen, lambda: float(model.instance_noise_stddev))])
    progress = np.array([0, 0.5, 1, 1.5, 2, 2.5]) / 2  # epoch + batch / 2 steps, over 2 epochs
    expected = np.where(progress < 1, 0.5 * 0.1 ** progress, 0.0)
    np.testing.assert_allclose(seen, expected, rtol=1e-6)


def test_schedule_continues_across_fits_from_the_step_counter(toy_points):
    model = GAN(tiny_generator(), tiny_discriminator(), instance_noise=1.0, seed=0)
    model.compile()
    seen, schedule = [], InstanceNoiseSchedule(4)
    recorder = _recorder(seen, lambda: float(model.instance_noise_stddev))
    for _ in range(2):
        model.fit(toy_points, batch_size=16, steps_per_epoch=2, verbose=0, callbacks=[schedule, recorder])
    np.testing.assert_allclose(seen, [1.0, 0.75, 0.5, 0.25], atol=1e-7)


def test_schedule_errors():
    model = GAN(tiny_generator(), tiny_discriminator())
    model.compile()
    with pytest.raises(ValueError, match="instance_noise=sigma_0"):
        model.fit(np.zeros((32, 2), "float32"), batch_size=16, verbose=0, callbacks=[InstanceNoiseSchedule(3)])
    for kwargs, match in [({"duration": 0}, "duration=0"), ({"duration": 2, "schedule": "cosine"}, "schedule='cosine'"),
                          ({"duration": 2, "unit": "batch"}, "unit='batch'"),
                          ({"duration": 2, "final_ratio": 1.5}, "final_ratio=1.5")]:
        with pytest.raises(ValueError, match=match):
            InstanceNoiseSchedule(**kwargs)


# --- generator EMA ------------------------------------------------------------------------------------


@pytest.mark.parametrize("jit", [False, True])
def test_ema_weights_equal_the_closed_form_average_with_warm_up(jit, toy_points):
    """Steps 1..s copy the weights (warm-up, ema_start = s); then ema_t = d ema_{t-1} + (1 - d) w_t, so after k
    steps ema_k = d^(k-s) w_s + (1 - d) sum_{t=s+1..k} d^(k-t) w_t."""
    decay, start, steps = 0.6, 2, 5
    model = GAN(tiny_generator(), tiny_discriminator(), ema_decay=decay, ema_start=start, seed=0)
    model.compile(jit_compile=jit)
    trajectory = []
    model.fit(toy_points, batch_size=16, steps_per_epoch=steps, verbose=0,
              callbacks=[_recorder(trajectory, lambda: [w.numpy().copy() for w in model.generator.weights])])
    for i, ema_weight in enumerate(model.ema_generator.weights):
        w = [step[i] for step in trajectory]  # w[t - 1] = weights after step t
        expected = decay ** (steps - start) * w[start - 1] + (1 - decay) * sum(
            decay ** (steps - t) * w[t - 1] for t in range(start + 1, steps + 1))
        np.testing.assert_allclose(ema_weight.numpy(), expected, rtol=1e-5, atol=1e-7)
        assert not np.allclose(ema_weight.numpy(), w[-1])  # really an average, not a copy
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(model.generate(z), model.ema_generator(z).numpy(), rtol=1e-6)


def test_ema_without_warm_up_starts_from_the_initial_weights(toy_points):
    """ema_start = 0: ema_1 = d w_0 + (1 - d) w_1 with w_0 the generator's weights at construction."""
    model = GAN(tiny_generator(), tiny_discriminator(), ema_decay=0.9, seed=0)
    initial = [w.numpy().copy() for w in model.generator.weights]
    model.compile()
    model.fit(toy_points, batch_size=16, steps_per_epoch=1, verbose=0)
    for w0, w1, ema in zip(initial, model.generator.weights, model.ema_generator.weights):
        np.testing.assert_allclose(ema.numpy(), 0.9 * w0 + 0.1 * w1.numpy(), rtol=1e-5, atol=1e-7)


def test_the_ema_object_copies_until_start_then_averages_and_keeps_buffers_copied():
    """decay 0.5, start 1: after step 1 the shadow is the generator (w0 + 1); after step 2 it is
    0.5 (w0 + 1) + 0.5 (w0 + 3) = w0 + 2; batch-norm statistics are copied at every step."""
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()])
    ema = GeneratorEMA(generator, 0.5, start=1)
    model = GAN(tiny_generator(), tiny_discriminator(), ema_decay=0.5, ema_start=1, seed=0)
    assert model.ema.get_config() == {"ema_decay": 0.5, "ema_start": 1} and model.ema_generator is model.ema.shadow
    w0 = [w.numpy().copy() for w in generator.trainable_weights]
    for shift, step, expected in ((1.0, 1, 1.0), (2.0, 2, 2.0)):
        for w in generator.weights:
            w.assign(w + shift)
        ema.update(tf.constant(step))
        for shadow, start in zip(ema.shadow.trainable_weights, w0):
            np.testing.assert_allclose(shadow.numpy(), start + expected, rtol=1e-6)
        for shadow, weight in zip(ema.shadow.non_trainable_weights, generator.non_trainable_weights):
            np.testing.assert_array_equal(shadow.numpy(), weight.numpy())
    with pytest.raises(ValueError, match=r"ema_decay=1\.0 must be in \[0, 1\)"):
        GeneratorEMA(generator, 1.0)


# --- TTUR ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("jit", [False, True])
def test_two_time_scale_learning_rates_are_honoured(jit):
    """Heusel et al. 2017, 4:1. Linear critic w.x (w_0 = 0), generator G(z) = b (zero kernel, bias b_0 = 0),
    Wasserstein loss, SGD. Critic step: grad_w = mean(fake) - mean(real) = -m, so w_1 = lr_d m.
    Generator step: grad_b = -w_1, so b_1 = lr_g w_1 = lr_g lr_d m."""
    lr_d, lr_g = 0.4, 0.1
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="zeros")])
    critic = _linear_critic((0.0, 0.0))
    model = GAN(generator, critic, loss="wasserstein", seed=0)
    model.compile(d_optimizer=keras.optimizers.SGD(lr_d), g_optimizer=keras.optimizers.SGD(lr_g), jit_compile=jit)
    real = np.tile(np.array([[1.0, 2.0]], "float32"), (8, 1))
    model.fit(real, batch_size=8, steps_per_epoch=1, verbose=0)
    m = np.array([1.0, 2.0])
    np.testing.assert_allclose(critic.weights[0].numpy().ravel(), lr_d * m, rtol=1e-6)
    np.testing.assert_allclose(generator.layers[-1].bias.numpy(), lr_g * lr_d * m, rtol=1e-6)


def test_time_budget_stops_on_its_clock_and_can_leave_out_the_first_step(monkeypatch):
    """A fake clock ticking 10 s per read: on_train_begin reads once, each batch end reads once."""
    from tfgan_zoo.callbacks import TimeBudget

    def run(**options):
        ticks = iter(range(0, 10_000, 10))
        monkeypatch.setitem(TimeBudget._CLOCKS, "process", lambda: float(next(ticks)))
        budget = TimeBudget(0.5, clock="process", **options)  # 30 s
        budget.set_model(type("M", (), {"stop_training": False})())
        budget.on_train_begin()
        for step in range(1, 20):
            budget.on_train_batch_end(step)
            if budget.model.stop_training:
                return budget
        raise AssertionError("the budget never stopped training")

    plain = run()
    assert plain.stopped_at_step == 4 and plain.first_step_seconds == 10  # 40 s > 30 s after step 4
    excluded = run(exclude_first_step=True)
    assert excluded.stopped_at_step == 5 and excluded.first_step_seconds == 10  # counted from step 1's end
    with pytest.raises(ValueError, match="clock='gpu' must be 'wall' or 'process'"):
        TimeBudget(1, clock="gpu")
