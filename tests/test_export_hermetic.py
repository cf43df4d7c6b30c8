"""The exported generator needs TensorFlow only: a fresh Python that cannot import tfgan_zoo reloads it and
reproduces the in-process images bit for bit; a model with a generator EMA exports the EMA weights."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import tensorflow as tf

import tfgan_zoo
from conftest import WITHOUT_TFGAN_ZOO, tiny_discriminator, tiny_generator

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# run with python -I (no PYTHONPATH, no user site, no script directory on sys.path); see conftest.WITHOUT_TFGAN_ZOO
LOADER = WITHOUT_TFGAN_ZOO + textwrap.dedent("""
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(sys.argv[2])
    z = np.load(sys.argv[3])
    served = loaded.signatures["serving_default"](z=tf.constant(z))["images"].numpy()
    sampled = loaded.signatures["sample"](count=tf.constant(5, tf.int32), seed=tf.constant(11, tf.int64))
    np.savez(sys.argv[4], served=served, sampled=sampled["images"].numpy(), sampled_z=sampled["z"].numpy())
    print("tfgan_zoo not importable; modules:", sorted(m for m in sys.modules if m.startswith("tfgan")))
""")


def test_ema_export_loads_without_tfgan_zoo_and_matches_bit_for_bit(tmp_path):
    model = tfgan_zoo.GAN(tiny_generator(), tiny_discriminator(), ema_decay=0.5, seed=0)
    model.compile()
    points = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    model.fit(points, batch_size=16, epochs=1, verbose=0)
    z = np.random.default_rng(1).normal(size=(6, model.latent_dim)).astype("float32")
    ema_images = model.generate(z)
    raw_images = model.generator(z, training=False).numpy()
    assert not np.array_equal(ema_images, raw_images)  # the EMA really is another set of weights
    model.export_generator(str(tmp_path / "generator"))
    np.save(tmp_path / "z.npy", z)

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run([sys.executable, "-I", "-c", LOADER, REPO, str(tmp_path / "generator"),
                             str(tmp_path / "z.npy"), str(tmp_path / "out.npz")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-1000:]
    assert "tfgan_zoo not importable; modules: []" in result.stdout

    out = np.load(tmp_path / "out.npz")
    np.testing.assert_array_equal(out["served"], ema_images)
    sample_z = tf.random.stateless_normal([5, model.latent_dim], seed=[11, 0]).numpy()
    np.testing.assert_array_equal(out["sampled_z"], sample_z)
    np.testing.assert_array_equal(out["sampled"], model.generate(sample_z))


def _bytes_on_disk(folder):
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(folder) for name in names
               if name.startswith("variables.data"))


def test_each_weight_is_written_once_even_from_nested_layer_lists(tmp_path):
    # ProGAN keeps its per-phase blocks in nested lists, which Keras does not expose to TF's object graph; the
    # export must still track (and write) each of its weights, and only once.
    from tfgan_zoo.models.progan import ProgressiveGenerator
    generator = ProgressiveGenerator(16, 1, latent_dim=8, fmap_base=64, fmap_max=16, seed=0)
    z = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    generator.set_phase(2, 1.0)
    expected = generator(z).numpy()
    from tfgan_zoo.export import export_generator
    export_generator(generator, str(tmp_path / "generator"), latent_dim=8)
    weight_bytes = sum(int(np.prod(v.shape)) * 4 for v in generator.variables)
    assert weight_bytes > 10_000
    assert weight_bytes <= _bytes_on_disk(tmp_path / "generator") < 1.2 * weight_bytes
    loaded = tf.saved_model.load(str(tmp_path / "generator"))
    np.testing.assert_array_equal(loaded.signatures["serving_default"](z=tf.constant(z))["images"].numpy(), expected)
