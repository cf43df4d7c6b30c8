"""The fast paths of the training loop compute what the plain paths compute.

``fuse_critic_passes`` sends the real and the fake images of a critic update through the critic as one
concatenated batch. That is only the same computation when the critic treats each sample on its own, so
these tests check (1) that the fused path gives the unfused losses, figures, gradients and weights after a
few steps, to 1e-5, with the gradient penalty, instance noise, PacGAN packing and a relativistic generator
loss; and (2) that ``"auto"`` never fuses a critic with batch normalisation, minibatch statistics, spectral
normalisation (a power-iteration step per call) or layers of unknown kind, and that ``True`` refuses them.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_zoo
from tfgan_zoo.layers.progan import MinibatchStandardDeviation
from tfgan_zoo.layers.spectral_normalization import SpectralNormalization
from tfgan_zoo.inspection import critic_is_batch_independent
from conftest import tiny_discriminator, tiny_generator


def _conv_generator(seed=0):
    init = keras.initializers.GlorotUniform(seed=seed)
    return keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(4 * 4 * 4, kernel_initializer=init), keras.layers.Reshape((4, 4, 4)),
        keras.layers.Conv2DTranspose(1, 3, 2, "same", activation="tanh",
                                     kernel_initializer=keras.initializers.GlorotUniform(seed + 1))])


def _conv_critic(channels=1, seed=10):
    init = keras.initializers.GlorotUniform(seed=seed)
    return keras.Sequential([
        keras.Input((8, 8, channels)), keras.layers.Conv2D(4, 3, 2, "same", kernel_initializer=init),
        keras.layers.LeakyReLU(0.2), keras.layers.Flatten(),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed + 1))])


CASES = {
    "wgangp_dense": lambda fuse: tfgan_zoo.WGANGP(tiny_generator(), tiny_discriminator(), n_critic=2, seed=3,
                                                  fuse_critic_passes=fuse),
    "wgangp_conv": lambda fuse: tfgan_zoo.WGANGP(_conv_generator(), _conv_critic(), n_critic=2, seed=3,
                                                 fuse_critic_passes=fuse),
    "relativistic_noise_packed": lambda fuse: tfgan_zoo.GAN(
        _conv_generator(), _conv_critic(channels=2), loss="relativistic_average", pack_degree=2,
        instance_noise=0.1, penalty="r1", seed=3, fuse_critic_passes=fuse),
}


def _data(name):
    rng = np.random.default_rng(0)
    if name == "wgangp_dense":
        return rng.normal(size=(96, 2)).astype("float32")
    return rng.uniform(-1, 1, size=(96, 8, 8, 1)).astype("float32")


def _objectives(model, real, fake, latent):
    variables = model.discriminator.trainable_variables
    with tf.GradientTape() as tape:
        d_loss, d_figures = model.discriminator_objective(real, fake)
    d_grads = tape.gradient(d_loss, variables)
    with tf.GradientTape() as tape:
        g_loss, g_figures = model.generator_objective(real, latent)
    g_grads = tape.gradient(g_loss, model.generator.trainable_variables)
    figures = {k: float(v) for k, v in {**d_figures, **g_figures}.items()}
    return figures, [g.numpy() for g in d_grads + g_grads]


@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_critic_pass_gives_the_unfused_losses_gradients_and_steps(case):
    data = _data(case)
    results = {}
    for fuse in (False, True):
        model = CASES[case](fuse)
        # SGD: Adam divides by the running gradient scale, which turns float round-off in a near-zero gradient
        # (the fused pass sums over the batch in another order) into a step of the full learning rate
        model.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.05))
        assert model.fuses_critic_passes is fuse
        real = tf.constant(data[:16])
        latent = model.sample_latent(16)
        fake = model.generator(latent, training=False)
        figures, grads = _objectives(model, real, fake, latent)
        dataset = tf.data.Dataset.from_tensor_slices(data).batch(16, drop_remainder=True)
        history = model.fit(dataset, epochs=1, verbose=0).history  # 96 / 16 / n_critic: 3 or 6 steps
        weights = [w.numpy() for w in model.generator.weights + model.discriminator.weights]
        results[fuse] = figures, grads, history, weights
    (f0, g0, h0, w0), (f1, g1, h1, w1) = results[False], results[True]
    assert f0.keys() == f1.keys() and len(f0) >= 3
    for name in f0:
        np.testing.assert_allclose(f1[name], f0[name], rtol=1e-5, atol=1e-5, err_msg=name)
    for a, b in zip(g0, g1):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)
    for name in h0:
        np.testing.assert_allclose(h1[name], h0[name], rtol=1e-5, atol=1e-5, err_msg=name)
    for a, b in zip(w0, w1):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


def _record_critic_batches(model):
    sizes = []
    network = model._critic_network

    def recording(images, training=True):
        sizes.append(int(images.shape[0]))
        return network(images, training)

    model._critic_network = recording
    return sizes


@pytest.fixture
def on_accelerator(monkeypatch):
    """``fuse_critic_passes="auto"`` decides as on a GPU (it fuses there only: tfgan_zoo.precision)."""
    from tfgan_zoo import precision

    monkeypatch.setattr(precision, "accelerator_kind", lambda: "gpu")


def test_auto_fuses_on_accelerators_and_not_on_cpus(monkeypatch):
    from tfgan_zoo import precision

    for kind, fused in (("cpu", False), ("gpu", True), ("tpu", True)):
        monkeypatch.setattr(precision, "accelerator_kind", lambda: kind)
        model = tfgan_zoo.WGANGP(tiny_generator(), tiny_discriminator(), seed=0)
        assert model.fuse_critic_passes == "auto" and model.fuses_critic_passes is fused
        sizes = _record_critic_batches(model)
        model.discriminator_objective(tf.zeros((8, 2)), tf.ones((8, 2)))
        assert sizes == ([16, 8] if fused else [8, 8, 8])  # (real and fake), then the penalty's interpolates


def test_fused_update_runs_one_critic_pass_for_real_and_fake(on_accelerator):
    model = tfgan_zoo.WGANGP(tiny_generator(), tiny_discriminator(), seed=0)
    assert model.fuse_critic_passes == "auto" and model.fuses_critic_passes
    sizes = _record_critic_batches(model)
    real = tf.zeros((8, 2))
    model.discriminator_objective(real, real + 1.0)
    assert sizes == [16, 8]  # real and fake together, then the penalty's interpolates


def _bn_critic():
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(8), keras.layers.BatchNormalization(),
                             keras.layers.LeakyReLU(0.2), keras.layers.Dense(1)])


def test_batch_norm_critic_is_not_fused_and_sees_real_and_fake_apart(on_accelerator):
    model = tfgan_zoo.GAN(tiny_generator(), _bn_critic(), seed=0)
    assert not model.fuses_critic_passes
    sizes = _record_critic_batches(model)
    real = tf.zeros((8, 2))
    model.discriminator_objective(real, real + 1.0)
    assert sizes == [8, 8]
    with pytest.raises(ValueError, match="fuse_critic_passes=True.*batch normalisation"):
        tfgan_zoo.GAN(tiny_generator(), _bn_critic(), fuse_critic_passes=True)


class _UnknownLayer(keras.layers.Layer):
    def call(self, x):
        return x - tf.reduce_mean(x, axis=0)  # mixes the batch, which the check cannot see


class _DeclaredPerSample(keras.layers.Layer):
    batch_independent = True

    def call(self, x):
        return 2.0 * x


@pytest.mark.parametrize("layer,independent", [
    (lambda: keras.layers.BatchNormalization(), False),
    (lambda: MinibatchStandardDeviation(group_size=2), False),
    (lambda: keras.layers.Lambda(lambda x: x), False),
    (lambda: _UnknownLayer(), False),
    (lambda: _DeclaredPerSample(), True),
    (lambda: keras.layers.LayerNormalization(), True),
    (lambda: keras.layers.Dropout(0.1), True),
], ids=["batch_norm", "minibatch_std", "lambda", "unknown_layer", "declared", "layer_norm", "dropout"])
def test_batch_independence_check(layer, independent):
    net = keras.Sequential([keras.Input((4, 4, 2)), keras.layers.Conv2D(2, 3, padding="same"), layer(),
                            keras.layers.Flatten(), keras.layers.Dense(1)])
    assert critic_is_batch_independent(net) is independent
    # nested inside a functional model, too
    inputs = keras.Input((4, 4, 2))
    outer = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(net(inputs))))
    assert critic_is_batch_independent(outer) is independent


@pytest.mark.parametrize("wrap", [lambda d: keras.layers.SpectralNormalization(d), lambda d: SpectralNormalization(d)],
                         ids=["keras", "tfgan_zoo"])
def test_spectral_normalisation_is_not_fused(wrap, on_accelerator):
    # one power-iteration step per call: one call for real and fake would change the u updates
    critic = keras.Sequential([keras.Input((2,)), wrap(keras.layers.Dense(8)), keras.layers.Dense(1)])
    assert not tfgan_zoo.GAN(tiny_generator(), critic).fuses_critic_passes


def test_variant_with_its_own_critic_is_not_fused_and_option_round_trips(on_accelerator):
    class NoisyCritic(tfgan_zoo.GAN):
        def critic(self, images, training=True):
            return super().critic(images - tf.reduce_mean(images, axis=0), training)

    assert not NoisyCritic(tiny_generator(), tiny_discriminator()).fuses_critic_passes
    sphere = tfgan_zoo.zoo.build("sphere", (2,), latent_dim=4, n_critic=1, seed=0,
                                 network_options={"generator": {"hidden_units": (8,)},
                                                  "discriminator": {"hidden_units": (8,)}})
    assert sphere.fuses_critic_passes  # its head is declared per-sample
    model = tfgan_zoo.WGANGP(tiny_generator(), tiny_discriminator(), fuse_critic_passes=False)
    assert tfgan_zoo.WGANGP.from_config(model.get_config()).fuse_critic_passes is False
    with pytest.raises(ValueError, match="fuse_critic_passes='yes'"):
        tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), fuse_critic_passes="yes")


# --- The automatic numeric path (tfgan_zoo.precision, `tfgan-zoo train --mixed-precision auto --jit auto`) ---------


def test_auto_policy_follows_the_device_and_the_cpu_flags(tmp_path):
    from tfgan_zoo import precision

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 sse\n\nprocessor\t: 1\nflags\t: fpu\n")
    flags = precision.cpu_flags(str(cpuinfo))
    assert {"avx2", "avx512_bf16"} <= flags and "amx_bf16" not in flags
    assert precision.cpu_flags(str(tmp_path / "absent")) == frozenset()
    assert precision.auto_policy("cpu", flags) == "mixed_bfloat16"
    assert precision.auto_policy("cpu", {"avx2", "avx512f"}) == "float32"  # bfloat16 would be emulated
    assert precision.auto_policy("cpu", {"amx_bf16"}) == "mixed_bfloat16"
    assert precision.auto_policy("gpu", set()) == "mixed_float16"
    assert precision.auto_policy("tpu", set()) == "mixed_bfloat16"
    assert precision.auto_jit(False, "gpu") is True and precision.auto_jit(False, "cpu") is False
    assert precision.auto_jit(True, "cpu") is True


@pytest.mark.parametrize("kind,flags,policy,jit", [
    ("cpu", {"avx512_bf16"}, "mixed_bfloat16", None), ("cpu", {"avx2"}, "off", None), ("gpu", set(), "mixed_float16", "on"),
])
def test_cli_auto_flags_resolve_per_device(monkeypatch, kind, flags, policy, jit):
    from tfgan_zoo import cli, precision

    monkeypatch.setattr(precision, "accelerator_kind", lambda: kind)
    monkeypatch.setattr(precision, "cpu_flags", lambda cpuinfo_path=None: frozenset(flags))
    args = cli.build_parser().parse_args(["train", "gan", "--mixed-precision", "auto", "--jit", "auto"])
    cli._resolve_auto_paths(args)
    assert (args.mixed_precision, args.jit) == (policy, jit)  # jit None: the recipe's jit_compile
    parse = cli.build_parser().parse_args
    assert [cli._JIT_CHOICES[parse(["train"] + a).jit] for a in ([], ["--jit"], ["--no-jit"], ["--jit", "off"])] == \
        [None, True, False, False]


def test_metrics_json_records_the_numeric_path(tmp_path, monkeypatch):
    import json

    from tfgan_zoo import cli, precision

    monkeypatch.setattr(precision, "accelerator_kind", lambda: "cpu")
    monkeypatch.setattr(precision, "cpu_flags", lambda cpuinfo_path=None: frozenset({"avx2"}))
    sets = [f"--set={k}={json.dumps(v)}" for k, v in [
        ("networks", {"generator": {"hidden_units": [8]}, "discriminator": {"hidden_units": [8]}}), ("batch_size", 16),
        ("steps", 4), ("steps_per_epoch", 4), ("steps_per_execution", 2)]]
    out = tmp_path / "run"
    assert cli.main(["train", "gan", "--data", "ring8", "--out", str(out), "--mixed-precision", "auto", "--no-jit",
                     *sets]) == 0
    path = json.loads((out / "metrics.json").read_text())["numeric_path"]
    assert {k: path[k] for k in ("policy", "jit_compile", "fused_critic_passes", "steps_per_execution")} == {
        "policy": "float32", "jit_compile": False, "fused_critic_passes": False, "steps_per_execution": 2}  # a CPU
