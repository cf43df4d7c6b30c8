"""DiffAugment and ADA (tfgan_zoo/augment.py) and their place in the critic path of GAN."""
import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_zoo
from tfgan_zoo import augment as augment_lib
from tfgan_zoo import recipes, zoo
from tfgan_zoo.augment import ADA, DiffAugment
from tfgan_zoo.layers.gradient_normalization import gradient_normalize
from tfgan_zoo.models import GNGAN, RealnessGAN, SphereGAN, UnrolledGAN
from conftest import run_on_two_logical_cpus, tiny_discriminator, tiny_generator

RNG = np.random.default_rng(0)
SIDE = 8


def image_nets(channels=1, critic_units=1, seed=0):
    init = keras.initializers.GlorotUniform(seed=seed)
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(SIDE * SIDE * channels, activation="tanh",
                                                                        kernel_initializer=init),
                                  keras.layers.Reshape((SIDE, SIDE, channels))])
    critic = keras.Sequential([keras.Input((SIDE, SIDE, channels)),
                               keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu",
                                                   kernel_initializer=init),
                               keras.layers.Flatten(), keras.layers.Dense(critic_units, kernel_initializer=init)])
    return generator, critic


def linear_critic(channels=1, bias=0.0):
    """``D(x) = sum(x) + bias``: its input gradient is all ones, so a penalty reads what the augmentation keeps."""
    return keras.Sequential([keras.Input((SIDE, SIDE, channels)), keras.layers.Flatten(),
                             keras.layers.Dense(1, kernel_initializer="ones",
                                                bias_initializer=keras.initializers.Constant(bias))])


def images(n=6, channels=1, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=(n, SIDE, SIDE, channels)).astype("float32")


def seeded_uniform(seed=3):
    """A fresh ``uniform(shape)`` stream: two streams of the same seed draw the same parameters."""
    generator = keras.random.SeedGenerator(seed)
    return lambda shape: keras.random.uniform(shape, seed=generator)


# --- policies ---------------------------------------------------------------------------------------------


def test_policy_names_are_checked_and_keep_their_order():
    assert DiffAugment(" Translation, cutout").transformations == ("translation", "cutout")
    assert DiffAugment("cutout,color").transformations == ("cutout", "brightness", "saturation", "contrast")
    assert augment_lib.get_augment("none") is None and augment_lib.get_augment(None) is None
    with pytest.raises(ValueError, match=r"'translaton' is not an augmentation\. Did you mean 'translation'\?"):
        tfgan_zoo.GAN(*image_nets(), augment="translaton,cutout")
    with pytest.raises(ValueError, match="empty name"):
        DiffAugment("color,,cutout")
    with pytest.raises(ValueError, match=r"augment='translation'.*samples of shape \(2,\); use augment=None"):
        tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), augment="translation")
    with pytest.raises(ValueError, match=r"target=1\.5 must be in \(0, 1\)"):
        ADA(target=1.5)


# --- the transformations against references ---------------------------------------------------------------


def numpy_translate(x, row_shift, column_shift):
    out = np.zeros_like(x)
    height, width = x.shape[:2]
    for i in range(height):
        for j in range(width):
            if 0 <= i + row_shift < height and 0 <= j + column_shift < width:
                out[i, j] = x[i + row_shift, j + column_shift]
    return out


def test_translation_matches_a_numpy_reference():
    x = images(4, channels=2)
    rows, columns = np.array([0, 1, -3, 8]), np.array([2, -1, 0, -2])
    got = augment_lib.translate(x, rows, columns).numpy()
    for b in range(4):
        np.testing.assert_array_equal(got[b], numpy_translate(x[b], rows[b], columns[b]))
    assert np.all(got[3] == 0)  # shifted by the whole side: nothing left


def test_cutout_matches_a_numpy_reference_with_squares_clipped_at_the_border():
    x = images(3, low=0.5, high=1.0)  # no zeros of its own
    rows, columns = np.array([4, 0, 7]), np.array([4, 8, 1])
    got = augment_lib.cut_out(x, rows, columns, (4, 3)).numpy()
    for b in range(3):
        expected = x[b].copy()
        top, left = rows[b] - 2, columns[b] - 1
        expected[max(top, 0):max(top + 4, 0), max(left, 0):max(left + 3, 0)] = 0
        np.testing.assert_array_equal(got[b], expected)
    assert [int((got[b] == 0).sum()) for b in range(3)] == [12, 2, 9]  # whole, clipped to 2 x 1 and to 3 x 3


def test_colour_transformations_against_hand_computed_values():
    x = np.array([[[[0.2, -0.4, 0.5]], [[0.0, 0.6, -0.3]]]], np.float32)  # one 2 x 1 RGB image
    np.testing.assert_allclose(augment_lib.adjust_brightness(x, [0.3]).numpy(), x + 0.3, rtol=1e-6)
    # saturation 2: pixel (0.2, -0.4, 0.5) has channel mean 0.1 -> (0.3, -0.9, 0.9); (0, 0.6, -0.3) mean 0.1
    np.testing.assert_allclose(augment_lib.adjust_saturation(x, [2.0]).numpy(),
                               [[[[0.3, -0.9, 0.9]], [[-0.1, 1.1, -0.7]]]], atol=1e-6)
    # contrast 0.5 about the image mean 0.1
    np.testing.assert_allclose(augment_lib.adjust_contrast(x, [0.5]).numpy(), (x - 0.1) * 0.5 + 0.1, atol=1e-6)
    grey = images(3)
    np.testing.assert_array_equal(augment_lib.adjust_saturation(grey, [0.0, 1.7, 2.0]).numpy(), grey)


def test_random_parameters_follow_the_official_ranges():
    x = np.ones((4000, SIDE, SIDE, 1), np.float32)
    shifted = DiffAugment("translation").augment(x, seeded_uniform()).numpy()
    # a shift of s rows empties |s| rows; s is uniform on [-1, 1] for an 8-pixel side (round(8 / 8))
    empty_rows = (shifted[:, :, :, 0] == 0).all(axis=2).sum(axis=1)
    np.testing.assert_allclose(np.bincount(empty_rows, minlength=2) / len(x), [1 / 3, 2 / 3], atol=0.03)
    cut = DiffAugment("cutout").augment(x, seeded_uniform()).numpy()
    cut_rows = (cut[:, :, :, 0] == 0).any(axis=2).sum(axis=1)  # 4-pixel square, centre uniform on 0..8
    np.testing.assert_allclose(np.bincount(cut_rows, minlength=5)[2:] / len(x), [2 / 9, 2 / 9, 5 / 9], atol=0.03)
    brightness = DiffAugment("color").augment(np.zeros((4000, 2, 2, 1), np.float32), seeded_uniform()).numpy()
    # brightness b then contrast about the mean b: a constant image stays at b ~ U(-0.5, 0.5)
    assert brightness.min() >= -0.5 and brightness.max() < 0.5 and abs(brightness.mean()) < 0.02


# --- gradients, identity, reproducibility, XLA ---------------------------------------------------------------


@pytest.mark.parametrize("policy", ["translation", "cutout", "color"])
def test_each_augmentation_is_differentiable_as_finite_differences_say(policy):
    x = tf.constant(images(2, channels=3), tf.float64)
    weights = tf.constant(RNG.normal(size=x.shape), tf.float64)
    augmentation = DiffAugment(policy)

    def objective(inputs):  # the same random parameters for every evaluation
        return tf.reduce_sum(weights * augmentation.augment(inputs, seeded_uniform()))

    with tf.GradientTape() as tape:
        tape.watch(x)
        value = objective(x)
    gradient = tape.gradient(value, x).numpy()
    assert np.abs(gradient).sum() > 0
    step, flat = 1e-6, x.numpy().ravel()
    for index in RNG.choice(flat.size, 40, replace=False):
        plus, minus = flat.copy(), flat.copy()
        plus[index] += step
        minus[index] -= step
        numeric = (objective(tf.constant(plus.reshape(x.shape))) - objective(tf.constant(minus.reshape(x.shape))))
        assert float(numeric) / (2 * step) == pytest.approx(gradient.ravel()[index], abs=1e-6)


def test_probability_zero_is_the_identity_bitwise_and_one_applies_every_transformation():
    x = images(64, channels=3, low=0.5)
    ada = ADA("color,translation,cutout", initial_probability=0.0)
    ada.build()
    untouched = ada.augment(x, seeded_uniform()).numpy()
    assert untouched.tobytes() == x.tobytes()
    ada.p.assign(1.0)
    cut = ADA("cutout", initial_probability=1.0)
    cut.build()
    assert ((cut.augment(x, seeded_uniform()).numpy() == 0).any(axis=(1, 2, 3))).all()  # every sample cut
    half = ADA("cutout", initial_probability=0.5)
    half.build()
    changed = (half.augment(images(2000, low=0.5), seeded_uniform()).numpy() == 0).any(axis=(1, 2, 3))
    assert changed.mean() == pytest.approx(0.5, abs=0.04)


def test_the_model_seed_decides_the_augmentation():
    x = tf.constant(images(8))
    first, second, other = (tfgan_zoo.GAN(*image_nets(), seed=seed, augment="color,translation,cutout")
                            for seed in (1, 1, 2))
    a, b, c = (model._critic_input(x).numpy() for model in (first, second, other))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, x.numpy())
    np.testing.assert_array_equal(first._critic_input(x, training=False).numpy(), x.numpy())  # inference: none


def test_the_transformations_compile_with_xla_and_agree_with_eager():
    x = tf.constant(images(4, channels=3))
    shifts, centres = tf.constant([1, -1, 0, 2]), tf.constant([0, 3, 8, 5])
    factors = tf.constant([0.1, 1.9, 1.0, 0.7])

    def pipeline(inputs):
        out = augment_lib.translate(inputs, shifts, -shifts)
        out = augment_lib.cut_out(out, centres, centres[::-1], (4, 4))
        return augment_lib.adjust_contrast(augment_lib.adjust_saturation(out, factors), factors)

    np.testing.assert_allclose(tf.function(pipeline, jit_compile=True)(x).numpy(), pipeline(x).numpy(), atol=1e-6)


def test_fused_and_separate_critic_passes_see_the_same_augmentation():
    real, fake = tf.constant(images(6)), tf.constant(images(6))
    outputs = []
    for fuse in (True, False):
        model = tfgan_zoo.GAN(*image_nets(), seed=4, augment="color,translation,cutout", fuse_critic_passes=fuse)
        outputs.append([o.numpy() for o in model.critic_outputs(real, fake)])
    for fused, separate in zip(*outputs):
        np.testing.assert_allclose(fused, separate, rtol=1e-5, atol=1e-6)


# --- which inputs the penalties see ---------------------------------------------------------------------------


def _replayed_visible_pixels(model, real, draws_before):
    """Pixels kept by the cutout the penalty's critic call drew, found by replaying the model's seed (after the
    penalty's own draws, of the shapes ``draws_before``)."""
    state = model.seed_generator.state.numpy()
    for shape in draws_before:
        model._uniform(shape)
    kept = model._critic_input(tf.ones_like(real)).numpy()
    model.seed_generator.state.assign(state)
    return kept.reshape(len(kept), -1).sum(axis=1)


@pytest.mark.parametrize("penalty", ["r1", "gp", "dragan"])
def test_penalties_differentiate_the_augmented_critic_at_the_clean_points(penalty):
    model = tfgan_zoo.GAN(image_nets()[0], linear_critic(), penalty=penalty, seed=5, augment="cutout")
    real, fake = tf.constant(images(6)), tf.constant(images(6))
    # R1 draws nothing of its own; WGAN-GP draws alpha; DRAGAN the perturbation, then alpha
    draws = {"r1": [], "gp": [[6]], "dragan": [real.shape, [6]]}[penalty]
    visible = _replayed_visible_pixels(model, real, draws)
    value = float(model.penalty.compute(model.critic, real, fake, model._uniform))
    # grad_x sum(T(x)) = the cutout mask: its squared norm is the number of pixels kept (64 without augmentation)
    expected = 0.5 * visible.mean() if penalty == "r1" else np.mean((np.sqrt(visible) - 1.0) ** 2)
    assert value == pytest.approx(expected, rel=1e-5)
    assert visible.max() < SIDE * SIDE


def test_gngan_normalises_the_critic_at_the_augmented_images():
    model = GNGAN(*image_nets(), seed=6, augment="translation,cutout")
    x = tf.constant(images(4))
    state = model.seed_generator.state.numpy()
    got = model.critic(x).numpy()
    model.seed_generator.state.assign(state)
    augmented = model.augment.augment(x, model._uniform)
    np.testing.assert_allclose(got, gradient_normalize(model.discriminator.layer, augmented).numpy(), rtol=1e-5)


# --- training: plain, with a penalty, an overridden train_step, every kind of critic head ----------------------


def _finite_logs(history):
    return all(np.isfinite(values[-1]) for values in history.history.values())


@pytest.mark.parametrize("make", [
    lambda: tfgan_zoo.GAN(*image_nets(), seed=0, augment="color,translation,cutout"),
    lambda: tfgan_zoo.WGANGP(*image_nets(), seed=0, n_critic=2, augment=ADA("translation,cutout", interval=1)),
    lambda: tfgan_zoo.GAN(image_nets()[0], image_nets(channels=2)[1], pack_degree=2, seed=0,
                          augment=ADA("translation", interval=1, initial_probability=0.5)),
    lambda: SphereGAN(*image_nets(critic_units=4), seed=0, augment=ADA("cutout", interval=1)),
    lambda: RealnessGAN(*image_nets(critic_units=5), num_outcomes=5, spectral_normalization=False, seed=0,
                        augment=ADA("translation", interval=1)),
    lambda: UnrolledGAN(*image_nets(), unroll_steps=1, seed=0, augment=ADA("translation", interval=1)),
], ids=["gan", "wgangp-ada", "pacgan-ada", "sphere-ada", "realness-ada", "unrolled-ada"])
def test_variants_train_with_augmentation(make):
    model = make()
    model.compile()
    history = model.fit(images(32), batch_size=8, epochs=1, verbose=0)
    assert _finite_logs(history)
    assert ({"ada_p", "ada_rt"} <= set(history.history)) == model.augment.adaptive


class OwnStep(tfgan_zoo.GAN):
    """A keras-io style step of its own: it reaches the augmentation through self.critic and feeds ADA."""

    def train_step(self, real_images):
        fake_images = self.generator(self.sample_latent(tf.shape(real_images)[0]), training=True)
        with tf.GradientTape() as tape:
            real_output, fake_output = self.critic(real_images), self.critic(fake_images)
            d_loss = tf.reduce_mean(tf.nn.softplus(-real_output)) + tf.reduce_mean(tf.nn.softplus(fake_output))
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        figures = self.adapt_augmentation(real_images, real_output, fake_output)
        return {"d_loss": d_loss, **figures}


def test_an_overridden_train_step_gets_the_augmentation_and_adapts_p():
    # a critic sure that everything is fake: r_t = -1, so p falls by 8 / 80 at each of the 4 updates
    model = OwnStep(image_nets()[0], linear_critic(bias=-100.0), seed=0,
                    augment=ADA("cutout", interval=1, speed_images=80, initial_probability=1.0))
    model.compile()
    ones = tf.ones([3, SIDE, SIDE, 1])
    assert (model.critic(ones).numpy() < model.discriminator(ones).numpy()).all()  # cut pixels no longer count
    model.discriminator.layers[-1].kernel.assign(tf.zeros([SIDE * SIDE, 1]))
    history = model.fit(images(32), batch_size=8, epochs=1, verbose=0)
    assert model.augment.p.numpy() == pytest.approx(1.0 - 4 * 8 / 80)
    assert history.history["ada_p"][-1] == pytest.approx(model.augment.p.numpy())


# --- ADA's adaptation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias,start,direction", [(1.0, 0.0, 1), (-1.0, 1.0, -1)])
def test_p_moves_by_batch_times_interval_over_speed_at_each_adjustment(bias, start, direction):
    # a frozen critic that says "real" (+1) or "fake" (-1) to everything: r_t = +-1 at every adjustment
    model = tfgan_zoo.GAN(image_nets()[0], linear_critic(bias=bias), seed=0,
                          augment=ADA("translation", interval=3, speed_images=240, initial_probability=start))
    model.discriminator.layers[-1].kernel.assign(tf.zeros([SIDE * SIDE, 1]))
    model.compile(d_optimizer=keras.optimizers.SGD(0.0), g_optimizer=keras.optimizers.SGD(0.0))
    history = model.fit(images(8 * 7), batch_size=8, epochs=1, verbose=0)  # 7 updates: 2 adjustments
    assert model.augment.p.numpy() == pytest.approx(start + direction * 2 * (3 * 8) / 240, abs=1e-6)
    assert model.augment.rt.numpy() == direction
    assert history.history["ada_rt"][-1] != 0


def test_p_rises_when_the_critic_overfits_a_tiny_dataset():
    keras.utils.set_random_seed(0)
    tiny = tf.data.Dataset.from_tensor_slices(images(8)).repeat().batch(8)
    model = tfgan_zoo.GAN(*image_nets(), seed=0, augment=ADA("translation,cutout", interval=2, speed_images=800))
    model.compile(d_optimizer=keras.optimizers.Adam(2e-3), g_optimizer=keras.optimizers.Adam(2e-3))
    history = model.fit(tiny, steps_per_epoch=20, epochs=4, verbose=0)
    # the critic is sure of the 8 training images (r_t above the target 0.6), so p rises every epoch; as p grows
    # the augmentation makes them harder to memorise and r_t comes back towards the target (0.65 then 0.61 here)
    assert min(history.history["ada_rt"][1:]) > 0.6
    assert model.augment.p.numpy() > 0.3 and np.all(np.diff(history.history["ada_p"]) > 0)


def test_real_margins_per_critic_head():
    real, fake = tf.constant([[2.0], [-1.0], [0.4]]), tf.constant([[1.0], [3.0]])
    margins = {name: augment_lib.real_margins(name, real, fake).numpy().ravel().tolist()
               for name in ("hinge", "least_squares", "relativistic_average", "wasserstein")}
    assert margins["hinge"] == pytest.approx([2.0, -1.0, 0.4])
    assert margins["least_squares"] == pytest.approx([1.5, -1.5, -0.1])
    assert margins["relativistic_average"] == pytest.approx([0.0, -3.0, -1.6])  # E[fake] = 2
    midpoint = (1.4 / 3 + 2.0) / 2  # of the real mean 0.4667 and the fake mean 2
    assert margins["wasserstein"] == pytest.approx([2.0 - midpoint, -1.0 - midpoint, 0.4 - midpoint])
    model = RealnessGAN(*image_nets(critic_units=3), num_outcomes=3, spectral_normalization=False,
                        anchors=([0.8, 0.1, 0.1], [0.1, 0.1, 0.8]), seed=0)
    verdicts = model.real_margins(tf.constant([[0.0, 0.0, 5.0], [5.0, 0.0, 0.0]]), None).numpy()
    assert verdicts[0] > 0 > verdicts[1]  # near the real anchor A1, near the fake anchor A0


# --- saving and recipes ------------------------------------------------------------------------------------------


def test_p_and_the_policy_survive_a_keras_round_trip(tmp_path):
    model = tfgan_zoo.GAN(*image_nets(), seed=0, augment=ADA("color,cutout", interval=1, speed_images=100,
                                                             target=0.3))
    model.compile()
    model.fit(images(32), batch_size=8, epochs=1, verbose=0)
    model.augment.p.assign(0.37)
    model.save(tmp_path / "ada.keras")
    loaded = keras.saving.load_model(tmp_path / "ada.keras")
    assert isinstance(loaded.augment, ADA) and loaded.augment.policy == "color,cutout"
    assert (loaded.augment.target, loaded.augment.speed_images) == (0.3, 100.0)
    assert float(loaded.augment.p.numpy()) == pytest.approx(0.37)
    model.save_weights(tmp_path / "ada.weights.h5")  # what BackupAndRestore writes and reads
    fresh = tfgan_zoo.GAN(*image_nets(), seed=0, augment=ADA("color,cutout", interval=1, speed_images=100, target=0.3))
    fresh.compile()
    fresh.load_weights(tmp_path / "ada.weights.h5")
    assert float(fresh.augment.p.numpy()) == pytest.approx(0.37)
    data = images(16)
    model.fit(data, batch_size=8, epochs=1, verbose=0)
    loaded.fit(data, batch_size=8, epochs=1, verbose=0)
    assert float(loaded.augment.p.numpy()) == float(model.augment.p.numpy())
    np.testing.assert_array_equal(loaded.generator.get_weights()[0], model.generator.get_weights()[0])


def test_recipe_fields_reach_the_model():
    recipe = recipes.resolve("gan", "28px", {"augment": "translation,cutout"})
    assert (recipe["augment"], recipe["ada"]) == ("translation,cutout", False)
    assert recipes.resolve("gan", "28px")["augment"] == "none"
    with pytest.raises(recipes.RecipeError, match="Did you mean 'cutout'"):
        recipes.resolve("gan", "28px", {"augment": "cutuot"})
    with pytest.raises(recipes.RecipeError, match="toy family trains on points"):
        recipes.resolve("gan", "toy", {"augment": "translation"})
    with pytest.raises(recipes.RecipeError, match=r"ada\.'speed_image'.*Did you mean 'speed_images'"):
        recipes.resolve("gan", "28px", {"augment": "color", "ada": {"speed_image": 1}})
    with pytest.raises(recipes.RecipeError, match="augment is 'none'"):
        recipes.resolve("gan", "28px", {"ada": True})
    run = zoo.build_run("wgangp", (28, 28, 1), recipes.parse_overrides(
        ["augment=color,translation", "ada.speed_images=100000", "networks.generator.base_filters=4",
         "networks.discriminator.base_filters=4", "self_conditioning=0"]))  # a shape: no images to cluster
    assert isinstance(run.model.augment, ADA) and run.model.augment.policy == "color,translation"
    assert run.model.augment.speed_images == 100000 and "ada_p" in run.model.figure_names


# --- tf.distribute ---------------------------------------------------------------------------------------------

PARITY_SCRIPT = """
    import tfgan_zoo
    from tfgan_zoo.augment import ADA
    from test_augment import image_nets

    def run(devices):
        with tf.distribute.MirroredStrategy(devices).scope():
            model = tfgan_zoo.GAN(*image_nets(), seed=4, augment=ADA("color,translation,cutout", interval=2,
                                                                        speed_images=160, initial_probability=0.5))
            model.compile()
        x = np.random.default_rng(0).uniform(-1, 1, size=(128, 8, 8, 1)).astype("float32")
        history = model.fit(tf.data.Dataset.from_tensor_slices(x).batch(16, drop_remainder=True), epochs=1,
                            verbose=0)
        return [float(model.augment.p.numpy()), history.history["ada_p"][-1],
                [w.numpy().tolist() for w in model.generator.weights + model.discriminator.weights]]

    print(json.dumps([run(["/cpu:0"]), run(["/cpu:0", "/cpu:1"])]))
"""


def test_two_replicas_augment_and_adapt_p_as_one():
    """Each replica takes its slice of one global draw of the augmentation parameters, and p is adjusted from the
    all-reduced r_t: two replicas train as one device on the same global batch."""
    one, two = run_on_two_logical_cpus(PARITY_SCRIPT)
    assert one[0] == two[0] and one[1] == pytest.approx(two[1])
    assert one[0] != 0.5  # p moved
    for a, b in zip(one[2], two[2]):
        np.testing.assert_allclose(np.array(a), np.array(b), atol=1e-6, rtol=1e-5)


def test_a_step_with_ada_compiles_with_xla():
    model = tfgan_zoo.GAN(*image_nets(), seed=0, augment=ADA("color,translation,cutout", interval=1,
                                                             speed_images=80, initial_probability=0.5))
    model.compile(jit_compile=True)
    history = model.fit(images(32), batch_size=8, epochs=1, verbose=0)
    assert _finite_logs(history) and model.augment.p.numpy() != 0.5
