"""Class-conditional GANs (tfgan_zoo.conditioning): labels through the loop, the heads' maths, conditional batch norm,
sampling and export, scores."""
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_zoo
from conftest import WITHOUT_TFGAN_ZOO
from tfgan_zoo import conditioning, nets
from tfgan_zoo.layers import ClassProjection, ConditionalBatchNormalization, LabelEmbedding
from tfgan_zoo.metrics import class_agreement, intra_class_fid
from tfgan_zoo.models import group_critic_batches

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K = 10  # classes
SHAPE = (4, 4, 1)


# --- nets whose images say their class: a real or generated image of class c is the constant c / 10 ---------------


def label_painting_generator(latent_dim=2):
    """``[z, labels] -> images`` filled with ``label / 10`` (plus 0 * a trainable function of z)."""
    z = keras.Input((latent_dim,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    trainable = keras.layers.Dense(int(np.prod(SHAPE)))(z)
    painted = keras.layers.Lambda(lambda t: keras.ops.cast(t[0], "float32")[:, None] / 10.0 + 0.0 * t[1])(
        [labels, trainable])
    return keras.Model([z, labels], keras.layers.Reshape(SHAPE)(painted))


def projection_critic(seed=0):
    images = keras.Input(SHAPE, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    features = keras.layers.Dense(8, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed))(
        keras.layers.Flatten()(images))
    score = keras.layers.Add()([keras.layers.Dense(1)(features), ClassProjection(K)([features, labels])])
    return keras.Model([images, labels], score)


def painted_dataset(n=96, batch=8, one_hot=False, seed=0):
    labels = np.random.default_rng(seed).integers(0, K, n)
    images = np.broadcast_to((labels / 10.0).astype("float32")[:, None, None, None], (n, *SHAPE)).copy()
    given = np.eye(K, dtype="float32")[labels] if one_hot else labels
    return tf.data.Dataset.from_tensor_slices((images, given)).batch(batch, drop_remainder=True), images, labels


class SpyGAN(tfgan_zoo.GAN):
    """Records the images and labels of every critic network call (run eagerly)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def _critic_network(self, images, training=True, labels=None):
        self.seen.append((np.asarray(images), None if labels is None else np.asarray(labels)))
        return super()._critic_network(images, training, labels=labels)


# --- labels through the loop -----------------------------------------------------------------------------


@pytest.mark.parametrize("one_hot", [False, True])
def test_regrouping_for_n_critic_keeps_each_label_with_its_image(one_hot):
    dataset, _, _ = painted_dataset(one_hot=one_hot)
    grouped = group_critic_batches(dataset, n_critic=3, num_classes=K)
    count = 0
    for images, labels in grouped:
        assert images.shape == (8, 3, *SHAPE) and labels.shape == (8, 3) and labels.dtype == tf.int32
        np.testing.assert_allclose(images.numpy().mean(axis=(2, 3, 4)) * 10, labels.numpy(), atol=1e-5)
        count += 1
    assert count == 96 // 8 // 3


@pytest.mark.parametrize("penalty", [None, "r1"])
def test_every_critic_call_sees_images_with_their_own_labels(penalty):
    dataset, _, _ = painted_dataset()
    model = SpyGAN(label_painting_generator(), projection_critic(), conditioning=K, n_critic=2, penalty=penalty,
                   seed=0)
    model.compile(run_eagerly=True)
    model.fit(dataset, epochs=1, verbose=0)
    assert len(model.seen) >= 6 * (3 if penalty else 2)
    requested = []
    for images, labels in model.seen:
        assert labels is not None and labels.shape == (len(images),)
        np.testing.assert_allclose(images.mean(axis=(1, 2, 3)) * 10, labels, atol=1e-5)
        requested.append(labels)
    assert set(np.concatenate(requested)) == set(range(K))  # fake labels are drawn over all the classes


def test_unlabelled_data_and_numpy_arrays_are_clear_errors_for_a_conditional_model():
    model = tfgan_zoo.GAN(label_painting_generator(), projection_critic(), conditioning=K)
    model.compile()
    images = np.zeros((16, *SHAPE), "float32")
    with pytest.raises(ValueError, match="labels=True"):
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), verbose=0)
    with pytest.raises(ValueError, match=r"from_tensor_slices\(\(images, labels\)\)"):
        model.fit(images, verbose=0)


def test_dataset_labels_out_of_range_stop_fit_with_the_classes_named():
    model = tfgan_zoo.GAN(nets.mlp_generator(2, num_classes=3), nets.mlp_discriminator(num_classes=3), conditioning=3,
                          ema_decay=0.9)  # the EMA copy of a conditional generator is a conditional generator too
    model.compile()
    points, labels = np.zeros((16, 2), "float32"), np.array([0, 1, 2, 5] * 4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"class ids in 0\.\.2 \(num_classes=3\)"):
        model.fit(tf.data.Dataset.from_tensor_slices((points, labels)).batch(8), verbose=0)
    assert model.generate(3, labels=1).shape == (3, 2)


def test_fake_labels_follow_the_class_frequencies():
    seed = keras.random.SeedGenerator(0)
    uniform = np.asarray(conditioning.Conditioning(4).sample_labels([8000], seed))
    np.testing.assert_allclose(np.bincount(uniform, minlength=4) / 8000, 0.25, atol=0.02)  # 4.6 sigma
    weighted = np.asarray(conditioning.Conditioning(3, class_frequencies=[1, 0, 3]).sample_labels([8000], seed))
    assert uniform.dtype == np.int32 and not np.any(weighted == 1)
    np.testing.assert_allclose(np.mean(weighted == 2), 0.75, atol=0.02)  # 4 sigma


@pytest.mark.filterwarnings("ignore:SNGAN expects spectral normalisation")
def test_conditioning_arguments_are_checked_by_name():
    with pytest.raises(ValueError, match="num_classes"):
        conditioning.Conditioning(1)
    with pytest.raises(ValueError, match="head"):
        conditioning.Conditioning(3, head="concat")
    with pytest.raises(ValueError, match="class_frequencies"):
        conditioning.Conditioning(3, class_frequencies=[1, 2])
    with pytest.raises(ValueError, match="pack_degree"):
        tfgan_zoo.GAN(label_painting_generator(), projection_critic(), conditioning=K, pack_degree=2)
    with pytest.raises(ValueError, match="conditioning=num_classes"):
        tfgan_zoo.CGAN(label_painting_generator(), projection_critic())


# --- the heads' maths ------------------------------------------------------------------------------------


def test_projection_critic_is_psi_plus_the_class_embedding_dot_the_features():
    critic = nets.mlp_discriminator(input_dim=2, hidden_units=(3,), num_classes=2)
    hidden = np.array([[1.0, -1.0], [0.5, 0.0], [0.0, 2.0]], "float32").T  # [2, 3]
    psi = np.array([[1.0], [2.0], [-1.0]], "float32")
    embedding = np.array([[1.0, 0.0, 2.0], [0.0, -3.0, 1.0]], "float32")  # V [classes, features]
    dense_layers = [l for l in critic.layers if isinstance(l, keras.layers.Dense)]
    dense_layers[0].set_weights([hidden, np.zeros(3, "float32")])
    dense_layers[1].set_weights([psi, np.array([0.5], "float32")])
    projection = next(l for l in critic.layers if isinstance(l, ClassProjection))
    projection.set_weights([embedding])
    x = np.array([[1.0, 2.0], [1.0, 0.0]], "float32")
    # phi(x) = relu(x W): row 1 = relu([-1, 0.5, 4]) = [0, 0.5, 4]; row 2 = relu([1, 0.5, 0]) = [1, 0.5, 0]
    # psi = phi . [1, 2, -1] + 0.5: [1 - 4 + 0.5, 1 + 1 + 0.5] = [-2.5, 2.5]
    # class 0 for row 1: V[0] . phi = 0 + 0 + 8 = 8; class 1 for row 2: V[1] . phi = 0 - 1.5 + 0 = -1.5
    out = critic([x, np.array([0, 1])]).numpy()
    np.testing.assert_allclose(out[:, 0], [5.5, 1.0], atol=1e-6)
    # the other classes: row 1 class 1: 0 - 1.5 + 4 = 2.5 -> 0.0; row 2 class 0: 1 + 0 + 0 = 1 -> 3.5
    np.testing.assert_allclose(critic([x, np.array([1, 0])]).numpy()[:, 0], [0.0, 3.5], atol=1e-6)


def test_acgan_class_losses_match_hand_computed_cross_entropies():
    real_logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "float32")
    fake_logits = np.array([[0.0, np.log(3.0), 0.0]], "float32")
    d_loss, g_loss = conditioning.acgan_class_losses(real_logits, [0, 2], fake_logits, [1])
    real_ce = (np.log(1 + 2 * np.exp(-2.0)) + np.log(3.0)) / 2  # -log(e^2 / (e^2 + 2)), -log(1/3)
    fake_ce = np.log(5.0 / 3.0)  # -log(3 / (1 + 3 + 1))
    np.testing.assert_allclose(float(d_loss), real_ce + fake_ce, rtol=1e-6)
    np.testing.assert_allclose(float(g_loss), fake_ce, rtol=1e-6)


def _fixed_acgan():
    """An ACGAN whose critic is linear and known: outputs = flatten(x) @ W, W [16, 1 + K]."""
    images = keras.Input(SHAPE)
    critic = keras.Model(images, keras.layers.Dense(1 + K, use_bias=False)(keras.layers.Flatten()(images)))
    weights = np.random.default_rng(0).normal(size=(16, 1 + K)).astype("float32")
    critic.layers[-1].set_weights([weights])
    return tfgan_zoo.ACGAN(label_painting_generator(), critic, conditioning=K, seed=0), weights


def test_acgan_objectives_add_the_papers_class_terms_to_the_adversarial_losses():
    model, weights = _fixed_acgan()
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(3, *SHAPE)).astype("float32"), rng.normal(size=(3, *SHAPE)).astype("float32")
    real_labels, fake_labels = tf.constant([0, 4, 9]), tf.constant([1, 1, 2])

    def softplus(v):
        return np.log1p(np.exp(v))

    def cross_entropy(logits, labels):
        logits = logits - logits.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(labels)), labels])

    real_out, fake_out = real.reshape(3, -1) @ weights, fake.reshape(3, -1) @ weights
    real_labels_np, fake_labels_np = real_labels.numpy(), fake_labels.numpy()
    expected_d = (softplus(-real_out[:, 0]).mean() + softplus(fake_out[:, 0]).mean()
                  + cross_entropy(real_out[:, 1:], real_labels_np) + cross_entropy(fake_out[:, 1:], fake_labels_np))
    loss, figures = model.discriminator_objective(tf.constant(real), tf.constant(fake), real_labels=real_labels,
                                                  fake_labels=fake_labels)
    np.testing.assert_allclose(float(loss), expected_d, rtol=1e-5)
    np.testing.assert_allclose(float(figures["d_class_loss"]), cross_entropy(real_out[:, 1:], real_labels_np)
                               + cross_entropy(fake_out[:, 1:], fake_labels_np), rtol=1e-5)
    # the generator: its images are label / 10 everywhere, so its critic outputs are (label / 10) * column sums
    latent = tf.zeros([3, 2])
    painted = (fake_labels_np / 10.0)[:, None] * weights.sum(axis=0)[None, :]
    expected_g = softplus(-painted[:, 0]).mean() + cross_entropy(painted[:, 1:], fake_labels_np)
    loss, figures = model.generator_objective(tf.constant(real), latent, real_labels=real_labels,
                                              fake_labels=fake_labels)
    np.testing.assert_allclose(float(loss), expected_g, rtol=1e-5)
    np.testing.assert_allclose(float(figures["g_class_loss"]), cross_entropy(painted[:, 1:], fake_labels_np),
                               rtol=1e-5)


def test_a_fused_critic_pass_concatenates_the_labels_in_the_order_of_the_images():
    outcomes = []
    for fuse in (True, False):
        keras.utils.set_random_seed(0)
        model = tfgan_zoo.WGANGP(label_painting_generator(), projection_critic(), conditioning=K, seed=3,
                                 fuse_critic_passes=fuse)
        assert model.fuses_critic_passes is fuse
        rng = np.random.default_rng(2)
        real, fake = (tf.constant(rng.normal(size=(5, *SHAPE)).astype("float32")) for _ in range(2))
        loss, figures = model.discriminator_objective(real, fake, real_labels=tf.constant([0, 1, 2, 3, 4]),
                                                      fake_labels=tf.constant([9, 8, 7, 6, 5]))
        outcomes.append((float(loss), float(figures["gp"])))
    np.testing.assert_allclose(outcomes[0], outcomes[1], rtol=1e-5)


# --- conditional batch norm ------------------------------------------------------------------------------


def test_conditional_batch_norm_matches_numpy_in_training_and_inference():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(6, 2, 2, 3)).astype("float32")
    labels = np.array([0, 1, 2, 1, 0, 2])
    layer = ConditionalBatchNormalization(3, momentum=0.9, epsilon=1e-5)
    layer.build([x.shape, labels.shape])
    gamma, beta = rng.normal(size=(3, 3)).astype("float32"), rng.normal(size=(3, 3)).astype("float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    expected = gamma[labels][:, None, None, :] * (x - mean) / np.sqrt(var + 1e-5) + beta[labels][:, None, None, :]
    np.testing.assert_allclose(layer([x, labels], training=True).numpy(), expected, rtol=1e-4, atol=1e-4)
    # one update of the moving statistics from (0, 1), with the batch's biased variance (Keras's)
    moving_mean, moving_var = 0.1 * mean, 0.9 + 0.1 * var
    np.testing.assert_allclose(np.asarray(layer.normalization.moving_mean), moving_mean, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(layer.normalization.moving_variance), moving_var, rtol=1e-5)
    out = layer([x, labels], training=False).numpy()
    expected = (gamma[labels][:, None, None, :] * (x - moving_mean) / np.sqrt(moving_var + 1e-5)
                + beta[labels][:, None, None, :])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_a_new_conditional_batch_norm_is_the_unconditional_one_and_the_label_embedding_appends():
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    plain = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x, training=True).numpy()
    conditional = ConditionalBatchNormalization(3)([x, np.array([0, 1, 2, 0])], training=True).numpy()
    np.testing.assert_allclose(conditional, plain, rtol=1e-5, atol=1e-5)
    embedding = LabelEmbedding(3, 2)
    out = embedding([x, np.array([2, 0, 2, 1])]).numpy()
    table = np.asarray(embedding.embeddings)
    np.testing.assert_array_equal(out[:, :5], x)
    np.testing.assert_array_equal(out[:, 5:], table[[2, 0, 2, 1]])


@pytest.mark.parametrize("builder", ["dcgan", "resnet", "mlp"])
def test_conditional_generators_draw_class_dependent_images(builder):
    keras.utils.set_random_seed(0)
    if builder == "mlp":
        generator = nets.mlp_generator(latent_dim=4, num_classes=3)
        inner = LabelEmbedding
    else:
        make = nets.dcgan_generator if builder == "dcgan" else nets.resnet_generator
        generator = make(image_size=32, channels=1, latent_dim=4, num_classes=3,
                         **({"base_filters": 4} if builder == "dcgan" else {"filters": 4}))
        inner = ConditionalBatchNormalization
        for layer in generator.layers:  # break the initial symmetry (gamma = 1, beta = 0 for every class)
            if isinstance(layer, inner):
                layer.beta.assign(np.random.default_rng(0).normal(size=layer.beta.shape))
    assert any(isinstance(layer, inner) for layer in generator.layers)
    z = np.random.default_rng(1).normal(size=(2, 4)).astype("float32")
    first = generator([z, np.array([0, 0])], training=False).numpy()
    other = generator([z, np.array([2, 2])], training=False).numpy()
    assert not np.allclose(first, other, atol=1e-4)


def test_discriminator_class_heads_have_the_inputs_and_widths_the_conditioning_expects():
    projection = nets.dcgan_discriminator(image_size=28, base_filters=4, num_classes=10)
    assert [tuple(i.shape) for i in projection.inputs] == [(None, 28, 28, 1), (None,)]
    auxiliary = nets.resnet_discriminator(image_size=32, channels=1, filters=4, num_classes=10, class_head="auxiliary")
    assert len(auxiliary.inputs) == 1 and auxiliary.output_shape == (None, 11)
    with pytest.raises(ValueError, match="class_head"):
        nets.dcgan_discriminator(num_classes=10, class_head="concat")
    with pytest.raises(ValueError, match="num_classes"):
        nets.dcgan_generator(num_classes=1)


# --- sampling and export ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def painter():
    model = tfgan_zoo.GAN(label_painting_generator(), projection_critic(), conditioning=K, seed=0)
    model.compile()
    return model


def _classes(images):
    return np.round(images.mean(axis=(1, 2, 3)) * 10).astype(int)


def test_generate_takes_one_label_a_list_an_array_or_one_hot(painter):
    assert list(_classes(painter.generate(3, labels=7))) == [7, 7, 7]
    assert list(_classes(painter.generate(3, labels=[1, 2, 3]))) == [1, 2, 3]
    assert list(_classes(painter.generate(3, labels=np.eye(K)[[4, 0, 9]]))) == [4, 0, 9]
    assert list(_classes(painter.generate(np.zeros((2, 2), "float32"), labels=np.array([5, 6])))) == [5, 6]
    assert list(_classes(painter.generate(12, batch_size=5))) == list(range(10)) + [0, 1]  # classes in turn
    per_class = painter.generate_per_class(2)
    assert per_class.shape == (20, *SHAPE) and list(_classes(per_class)) == list(np.repeat(np.arange(K), 2))


def test_bad_labels_are_errors_naming_the_argument(painter):
    with pytest.raises(ValueError, match=r"labels holds 10, outside the classes 0\.\.9"):
        painter.generate(2, labels=10)
    with pytest.raises(ValueError, match=r"labels holds -1"):
        painter.generate(2, labels=[0, -1])
    with pytest.raises(ValueError, match="labels has shape"):
        painter.generate(3, labels=[1, 2])
    with pytest.raises(ValueError, match="integer class ids"):
        painter.generate(2, labels=[0.5, 1.0])
    unconditional = tfgan_zoo.GAN(nets.mlp_generator(2), nets.mlp_discriminator())
    with pytest.raises(ValueError, match="not class-conditional"):
        unconditional.generate(2, labels=1)
    with pytest.raises(ValueError, match="not class-conditional"):
        unconditional.generate_per_class(2)


LOADER = WITHOUT_TFGAN_ZOO + textwrap.dedent("""
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(sys.argv[2])
    z = np.load(sys.argv[3])
    served = loaded.signatures["serving_default"](z=tf.constant(z), labels=tf.constant([3, 1, 4], tf.int32))
    sevens = loaded.signatures["sample"](count=tf.constant(4, tf.int32), seed=tf.constant(5, tf.int64),
                                         label=tf.constant(7, tf.int32))
    mixed = loaded.signatures["sample"](count=tf.constant(50, tf.int32), seed=tf.constant(5, tf.int64),
                                        label=tf.constant(-1, tf.int32))
    try:
        loaded.signatures["sample"](count=tf.constant(1, tf.int32), seed=tf.constant(0, tf.int64),
                                    label=tf.constant(10, tf.int32))
        out_of_range = ""
    except tf.errors.InvalidArgumentError as error:
        out_of_range = error.message
    np.savez(sys.argv[4], served=served["images"].numpy(), sevens=sevens["images"].numpy(),
             sevens_z=sevens["z"].numpy(), sevens_labels=sevens["labels"].numpy(), mixed=mixed["labels"].numpy(),
             num_classes=loaded.num_classes.numpy(), out_of_range=out_of_range)
""")


def test_conditional_export_loads_without_tfgan_zoo_and_keeps_the_requested_classes(tmp_path):
    keras.utils.set_random_seed(0)
    generator = nets.dcgan_generator(image_size=28, latent_dim=4, base_filters=4, num_classes=K)
    model = tfgan_zoo.GAN(generator, nets.dcgan_discriminator(base_filters=4, num_classes=K), conditioning=K, seed=0)
    z = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    model.export_generator(str(tmp_path / "generator"))
    np.save(tmp_path / "z.npy", z)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run([sys.executable, "-I", "-c", LOADER, REPO, str(tmp_path / "generator"),
                             str(tmp_path / "z.npy"), str(tmp_path / "out.npz")], capture_output=True, text=True,
                            env=env, cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = np.load(tmp_path / "out.npz")
    np.testing.assert_array_equal(out["served"], model.generate(z, labels=[3, 1, 4]))
    np.testing.assert_array_equal(out["sevens_labels"], [7] * 4)
    np.testing.assert_array_equal(out["sevens"], model.generate(out["sevens_z"], labels=7))
    assert int(out["num_classes"]) == K and set(out["mixed"]) == set(range(K))
    assert "labels must be class ids < num_classes=10" in str(out["out_of_range"])
    # the same through tfgan_zoo's loader, and the CLI's per-class grid
    exported = tfgan_zoo.load_generator(str(tmp_path / "generator"))
    assert exported.num_classes == K
    np.testing.assert_array_equal(exported(z, [3, 1, 4]), out["served"])
    np.testing.assert_array_equal(exported.generate(4, seed=5, labels=7), out["sevens"])
    with pytest.raises(ValueError, match="labels holds 12"):
        exported.generate(2, labels=12)
    from PIL import Image
    from tfgan_zoo.cli import main

    assert main(["sample", str(tmp_path / "generator"), "--per-class", "3", "--out", str(tmp_path / "grid.png")]) == 0
    assert Image.open(tmp_path / "grid.png").size == (3 * 28, K * 28)  # one row per class
    assert main(["sample", str(tmp_path / "generator"), "--label", "7", "--num", "4",
                 "--out", str(tmp_path / "sevens.png")]) == 0
    assert main(["sample", str(tmp_path / "generator"), "--label", "10", "--out", str(tmp_path / "x.png")]) != 0


def test_unconditional_export_keeps_its_two_input_free_signatures(tmp_path):
    model = tfgan_zoo.GAN(nets.mlp_generator(2), nets.mlp_discriminator(), seed=0)
    model.export_generator(str(tmp_path / "g"))
    loaded = tf.saved_model.load(str(tmp_path / "g"))
    assert set(loaded.signatures["serving_default"].structured_input_signature[1]) == {"z"}
    assert set(loaded.signatures["sample"].structured_input_signature[1]) == {"count", "seed"}
    exported = tfgan_zoo.load_generator(str(tmp_path / "g"))
    assert exported.num_classes is None
    with pytest.raises(ValueError, match="not class-conditional"):
        exported.generate(2, labels=1)


# --- training ---------------------------------------------------------------------------------------------


def _digits(batch=16, limit=64):
    return tfgan_zoo.data.digits(batch_size=batch, image_size=28, limit=limit, labels=True)


def test_data_yields_images_with_their_labels():
    images, labels = tfgan_zoo.data.digits_arrays(limit=40)
    batch_images, batch_labels = next(iter(tfgan_zoo.data.digits(batch_size=40, limit=40, labels=True)))
    index = {images[i].tobytes(): labels[i] for i in range(len(images))}
    assert [index[im.tobytes()] for im in batch_images.numpy()] == list(batch_labels.numpy())
    assert tfgan_zoo.data.digits(batch_size=8, limit=40).element_spec.shape.rank == 4  # images only by default


@pytest.mark.parametrize("variant", ["cgan", "acgan"])
def test_zoo_variants_train_a_few_steps_on_labelled_digits(variant):
    run = tfgan_zoo.zoo.build_run(variant, "digits", {"steps": 2, "steps_per_epoch": 2, "batch_size": 16,
                                                      "jit_compile": False,
                                                      "networks": {"generator": {"base_filters": 4},
                                                                   "discriminator": {"base_filters": 4}}})
    before = [w.numpy().copy() for w in run.model.generator.trainable_weights]
    history = run.fit(verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert ("d_class_loss" in history) == (variant == "acgan")
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(before, run.model.generator.trainable_weights))
    with pytest.raises(ValueError, match="no labels"):
        tfgan_zoo.zoo.build_run(variant, "ring8", {"steps": 2})


def test_wgan_gp_with_a_projection_critic_by_options_trains_and_round_trips_through_keras_saving(tmp_path):
    keras.utils.set_random_seed(0)
    model = tfgan_zoo.WGANGP(nets.dcgan_generator(latent_dim=4, base_filters=4, num_classes=K),
                             nets.dcgan_discriminator(base_filters=4, num_classes=K), conditioning=K, n_critic=2,
                             seed=0)
    model.compile()
    history = model.fit(_digits(), epochs=1, verbose=0).history
    assert np.isfinite(history["gp"][-1]) and history["gp"][-1] > 0
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.conditioning == model.conditioning
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(loaded.generate(z, labels=[1, 2, 3]), model.generate(z, labels=[1, 2, 3]))


# --- scores ---------------------------------------------------------------------------------------------


def test_class_agreement_counts_correct_and_confident_judgements():
    probabilities = np.array([[0.95, 0.05, 0.0], [0.4, 0.6, 0.0], [0.0, 0.2, 0.8], [0.91, 0.09, 0.0]])
    result = class_agreement(probabilities, [0, 1, 1, 2])
    assert result["accuracy"] == 0.5  # rows 1 and 2 agree
    assert result["confident_fraction"] == 0.5 and result["confident_accuracy"] == 0.25
    assert result["per_class_accuracy"] == [1.0, 0.5, 0.0]


class _ClassShiftedGenerator:
    """A stand-in conditional generator: the real images of the requested class, plus ``shift``."""

    num_classes = 3

    def __init__(self, images, labels, shift):
        self.images, self.labels, self.shift = images, labels, shift

    def generate(self, n, seed=0, labels=None):
        return self.images[self.labels == labels][:n] + self.shift


def test_intra_class_fid_is_zero_for_the_real_classes_and_the_closed_form_for_a_shift():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)
    images = (rng.normal(size=(120, 2, 2, 1)) + labels[:, None, None, None]).astype("float32")
    same = intra_class_fid(_ClassShiftedGenerator(images, labels, 0.0), images, labels, extractor="identity")
    assert same["intra_class_fid"] < 1e-6
    shifted = intra_class_fid(_ClassShiftedGenerator(images, labels, 0.5), images, labels, extractor="identity")
    # same covariance, means 0.5 apart in each of 4 dimensions: FID = 4 * 0.25
    np.testing.assert_allclose(shifted["per_class_fid"], [1.0] * 3, rtol=1e-4)


# --- self-conditioning: classes read off the latent, labels from clusters of the data ---------------------------


def latent_class_painting_generator(latent_dim=2, frequencies=None):
    """``z -> images`` filled with ``c / 10``, ``c`` the class read off ``z`` (:class:`LatentClass`)."""
    from tfgan_zoo.layers import LatentClass

    z = keras.Input((latent_dim,), name="z")
    classes = LatentClass(K, frequencies)(z)
    trainable = keras.layers.Dense(int(np.prod(SHAPE)))(z)
    painted = keras.layers.Lambda(lambda t: keras.ops.cast(t[0], "float32")[:, None] / 10.0 + 0.0 * t[1])(
        [classes, trainable])
    return keras.Model(z, keras.layers.Reshape(SHAPE)(painted))


def test_a_self_conditioned_critic_sees_every_fake_with_the_class_its_latent_gives_it():
    frequencies = [0.0] * 5 + [0.2] * 5  # the classes 0-4 never drawn: the fakes' classes follow the frequencies
    dataset, _, _ = painted_dataset()
    model = SpyGAN(latent_class_painting_generator(frequencies=frequencies), projection_critic(),
                   conditioning=conditioning.Conditioning(K, class_frequencies=frequencies, from_latent=True), seed=0)
    model.compile(run_eagerly=True)
    model.fit(dataset, epochs=1, verbose=0)
    fakes = []
    for images, labels in model.seen:  # reals carry their labels, fakes the class painted from their z
        np.testing.assert_allclose(images.mean(axis=(1, 2, 3)) * 10, labels, atol=1e-5)
        fakes.append(labels[images.mean(axis=(1, 2, 3)) * 10 >= 4.5])
    assert set(np.concatenate(fakes)) == {5, 6, 7, 8, 9}
    # sampling and export treat the generator as an unconditional one: z alone
    painted = model.generate(400, seed=1)
    assert set(np.round(painted.mean(axis=(1, 2, 3)) * 10).astype(int)) == {5, 6, 7, 8, 9}
    with pytest.raises(ValueError, match=r"reads each image's class off its latent z .* takes no labels"):
        model.generate(4, labels=3)
    with pytest.raises(ValueError, match="takes no labels"):
        model.generate_per_class(2)
    with pytest.raises(ValueError, match="from_latent=1 must be True"):
        conditioning.Conditioning(K, from_latent=1)


def test_cluster_images_finds_separated_groups_and_their_sizes():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, size=(3, 6, 6, 1))
    truth = np.repeat([0, 1, 2], [50, 30, 20])
    images = centres[truth] + rng.normal(0, 0.1, size=(100, 6, 6, 1))
    ids, frequencies = conditioning.cluster_images(images, 3, seed=0)
    assert ids.dtype == np.int32
    # the same partition as the truth, whatever the cluster numbering
    assert len({(t, i) for t, i in zip(truth, ids)}) == 3 and len(set(ids)) == 3
    np.testing.assert_allclose(sorted(frequencies), [0.2, 0.3, 0.5])
    np.testing.assert_array_equal(conditioning.cluster_images(images, 3, seed=0)[0], ids)  # seeded
    with pytest.raises(ValueError, match="num_clusters=1 must be an integer >= 2"):
        conditioning.cluster_images(images, 1)
    with pytest.raises(ValueError, match="num_clusters=200 is more than the 100 images"):
        conditioning.cluster_images(images, 200)


def test_a_self_conditioned_recipe_run_trains_on_clusters_and_exports_a_generator_of_z_alone(tmp_path):
    from tfgan_zoo import recipes

    overrides = {"self_conditioning": 4, "steps": 2, "steps_per_epoch": 2, "batch_size": 16, "jit_compile": False,
                 "networks": {"generator": {"base_filters": 4}, "discriminator": {"base_filters": 4}}}
    run = tfgan_zoo.zoo.build_run("hinge", "digits", overrides, seed=0)
    model = run.model
    assert model.conditioning.from_latent and model.conditioning.num_classes == 4
    frequencies = np.asarray(model.conditioning.class_frequencies)
    # the labels of the data are the clusters of the images, at the frequencies the generator's classes follow
    ids, expected = conditioning.cluster_images(tfgan_zoo.data.digits_arrays(28)[0], 4, seed=0)
    np.testing.assert_allclose(frequencies, expected)
    assert model.generator.get_layer("latent_class").frequencies == model.conditioning.class_frequencies
    images, labels = next(iter(run.dataset))
    assert labels.shape == (16,) and set(labels.numpy()) <= set(range(4))
    assert all(np.isfinite(v[-1]) for v in run.fit(verbose=0).history.values())
    model.export_generator(str(tmp_path / "generator"))
    exported = tf.saved_model.load(str(tmp_path / "generator")).signatures["serving_default"]
    z = np.random.default_rng(0).standard_normal((3, model.latent_dim)).astype("float32")
    np.testing.assert_allclose(exported(z=tf.constant(z))["images"].numpy(), model.generate(z), atol=1e-5)
    for bad, message in [({"self_conditioning": 1}, r"self_conditioning=1 must be 0 \(off\) or the number of clusters"),
                         ({"self_conditioning": True}, r"self_conditioning=True must be 0"),
                         ]:
        with pytest.raises(recipes.RecipeError, match=message):
            recipes.resolve("hinge", "28px", bad)
    with pytest.raises(recipes.RecipeError, match="cgan is already class-conditional"):
        recipes.resolve("cgan", "28px", {"self_conditioning": 4})
    with pytest.raises(recipes.RecipeError, match="the toy family trains on points"):
        recipes.resolve("hinge", "toy", {"self_conditioning": 4})
    for variant, message in [("pacgan", "packs 2 images"), ("realness", "train_iteration, generator_objective without"),
                             ("sphere", "1024 outputs")]:
        with pytest.raises(recipes.RecipeError, match=rf"self_conditioning=4: {variant}.*{message}"):
            recipes.resolve(variant, "28px", {"self_conditioning": 4})
    with pytest.raises(recipes.RecipeError, match=r"\(28, 28, 1\) is not one of them"):  # a shape: no images
        tfgan_zoo.zoo.build_run("hinge", (28, 28, 1))
    with pytest.raises(recipes.RecipeError, match=r"'folder:/x' is not one of them"):
        tfgan_zoo.zoo.build_run("hinge", "folder:/x", {"self_conditioning": 4}, data_options={"image_size": 28})


def test_the_unrolled_gan_shows_its_unrolled_critic_every_image_with_its_own_label():
    from tfgan_zoo.models.unrolled import UnrolledGAN

    class SpyUnrolled(SpyGAN, UnrolledGAN):
        pass

    dataset, _, _ = painted_dataset(n=32)
    model = SpyUnrolled(label_painting_generator(), projection_critic(), conditioning=K, unroll_steps=2, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), run_eagerly=True)
    model.fit(dataset, epochs=1, verbose=0)
    # per step: the critic update (real + fake), then 2 unrolled objectives and the final one, each real + fake
    assert len(model.seen) == 4 * (2 + 3 * 2)
    for images, labels in model.seen:
        assert labels is not None
        np.testing.assert_allclose(images.mean(axis=(1, 2, 3)) * 10, labels, atol=1e-5)
    with pytest.raises(ValueError, match="UnrolledGAN takes a conditioning with head='projection'"):
        UnrolledGAN(label_painting_generator(),
                    keras.Sequential([keras.Input(SHAPE), keras.layers.Flatten(), keras.layers.Dense(1 + K)]),
                    conditioning=conditioning.Conditioning(K, head="auxiliary"))
