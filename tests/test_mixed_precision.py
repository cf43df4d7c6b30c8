"""Every zoo variant trains under the mixed-precision policies with float32 losses, and the policy is restored.

Under ``mixed_bfloat16`` / ``mixed_float16`` the networks compute in 16 bits while variables, losses and
penalties stay float32 (the base GAN casts critic outputs; ``mixed_float16`` adds loss scaling). A wrong
implementation shows up here as a dtype error while tracing (e.g. bfloat16 fakes mixed with float32
interpolation weights), a NaN/Inf loss (an unguarded arccos, normalisation or KL in 16 bits), a 16-bit loss,
or a policy leaking out of the test.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_zoo import zoo

POLICIES = ["mixed_bfloat16", "mixed_float16"]
# mixed_float16 (loss scaling, a narrow exponent range) on the variants with the fragile numerics: the
# Sphere projection and arccos, the GN-GAN normalisation, the Realness KL, the gradient penalty, unrolling.
FLOAT16_VARIANTS = ["gngan", "realness", "sphere", "unrolled", "wgangp"]
TOY_CASES = ([(v, "mixed_bfloat16") for v in zoo.available_variants() if not zoo.is_conditional(v)]
             + [(v, "mixed_float16") for v in FLOAT16_VARIANTS])
TINY_MLP = {"generator": {"hidden_units": (8,)}, "discriminator": {"hidden_units": (8,)}}


@pytest.fixture
def policy(request):
    """Sets the requested global policy for the test and always puts ``float32`` back."""
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")


def _train_and_check(model, data, batch_size, policy_name, labels=None):
    """Two compiled training steps: finite, float32 losses; 16-bit compute in the nets; float32 variables."""
    compute_dtype = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}[policy_name]
    assert model.generator.layers[-2].compute_dtype == compute_dtype  # the policy reached the nets
    assert all(v.dtype == "float32" for v in model.discriminator.trainable_variables)
    model.compile(jit_compile=False)
    if policy_name == "mixed_float16":
        assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    elements = data if labels is None else (data, labels)
    dataset = tf.data.Dataset.from_tensor_slices(elements).batch(batch_size, drop_remainder=True).repeat()
    history = model.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0)
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), f"{name} = {values}"

    real = tf.constant(data[:batch_size])
    conditional = {} if labels is None else {"real_labels": tf.constant(labels[:batch_size]),
                                             "fake_labels": model.sample_labels(batch_size)}
    fake = model.generator(model.generator_inputs(model.sample_latent(batch_size), conditional.get("fake_labels")),
                           training=False)
    d_loss, d_figures = model.discriminator_objective(real, fake, **conditional)
    g_loss, g_figures = model.generator_objective(real, model.sample_latent(batch_size), **conditional)
    assert d_loss.dtype == tf.float32 and g_loss.dtype == tf.float32
    for name, value in {**d_figures, **g_figures}.items():
        assert tf.as_dtype(value.dtype) == tf.float32, f"figure {name} is {value.dtype}"
        assert np.all(np.isfinite(keras.ops.convert_to_numpy(value))), f"figure {name} = {value}"


@pytest.mark.parametrize("variant,policy", TOY_CASES, indirect=["policy"])
def test_variant_trains_on_toy_points_under_mixed_policy(variant, policy):
    model = zoo.build(variant, (2,), latent_dim=4, network_options=TINY_MLP, n_critic=1, seed=0)
    data = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    _train_and_check(model, data, 16, policy)


@pytest.mark.parametrize("variant,policy", [(v, "mixed_bfloat16") for v in zoo.available_variants()
                                            if zoo.is_conditional(v)], indirect=["policy"])
def test_conditional_variant_trains_on_labelled_images_under_mixed_policy(variant, policy):
    tiny = {"generator": {"base_filters": 4}, "discriminator": {"base_filters": 4}}
    model = zoo.build(variant, (28, 28, 1), latent_dim=4, network_options=tiny, n_critic=1, seed=0)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(32, 28, 28, 1)).astype("float32")
    _train_and_check(model, images, 8, policy, labels=rng.integers(0, 10, size=32))


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("variant", ["wgangp", "sphere"])
def test_image_variant_trains_under_mixed_policy(variant, policy):
    # The reference workload's family (DCGAN, 28 px) with few filters; Sphere adds the projection and arccos.
    model = zoo.build(variant, (28, 28, 1), latent_dim=8, n_critic=1, seed=0,
                      network_options={"generator": {"base_filters": 4}, "discriminator": {"base_filters": 4}})
    data = np.random.default_rng(1).uniform(-1, 1, size=(16, 28, 28, 1)).astype("float32")
    _train_and_check(model, data, 8, policy)


def test_policy_is_float32_outside_the_tests():
    # Runs after the parametrized tests in this file: the fixture must have restored the default.
    assert keras.mixed_precision.global_policy().name == "float32"
