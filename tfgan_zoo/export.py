"""Exporting a trained generator as a TensorFlow SavedModel that needs only TensorFlow to load."""
from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["export_generator"]


def export_generator(generator, path, latent_dim, latent_distribution="normal"):
    """Writes ``generator`` to ``path`` as a SavedModel with two signatures.

    * ``serving_default(z)``: ``z`` float32 ``[n, latent_dim]`` -> ``{"images": float32 [n, ...]}``;
    * ``sample(count, seed)``: ``count`` int32 scalar, ``seed`` int64 scalar -> ``{"images", "z"}``, with
      ``z = tf.random.stateless_normal([count, latent_dim], seed=[seed, 0])`` (``stateless_uniform`` in
      [-1, 1] when ``latent_distribution == "uniform"``).

    Images are returned in float32 whatever the policy the generator computes in. A process that never
    imports tfgan_zoo reloads it with ``tf.saved_model.load(path)`` and gets bit-identical images for the
    same ``z``, since the graph and weights are the generator's own.

    Args:
      generator: a built ``keras.Model`` taking ``[n, latent_dim]``.
      path: output directory (created; an existing SavedModel there is overwritten).
      latent_dim: size of ``z``.
      latent_distribution: ``"normal"`` or ``"uniform"``, used by the ``sample`` signature.
    Returns:
      ``path``.
    """
    if latent_distribution not in ("normal", "uniform"):
        raise ValueError(f"latent_distribution={latent_distribution!r} must be 'normal' or 'uniform' to export "
                         "a sample signature.")
    latent_dim = int(latent_dim)

    def images_from(latent):
        return tf.cast(generator(latent, training=False), tf.float32)

    def serve(z):
        return {"images": images_from(z)}

    def sample(count, seed):
        seed_pair = tf.stack([seed, tf.zeros_like(seed)])
        shape = tf.stack([count, latent_dim])
        if latent_distribution == "uniform":
            z = tf.random.stateless_uniform(shape, seed=seed_pair, minval=-1.0, maxval=1.0)
        else:
            z = tf.random.stateless_normal(shape, seed=seed_pair)
        return {"images": images_from(z), "z": z}

    archive = keras.export.ExportArchive()
    archive.track(generator)
    archive.add_endpoint("serve", serve, input_signature=[tf.TensorSpec([None, latent_dim], tf.float32, name="z")])
    archive.add_endpoint("sample", sample, input_signature=[tf.TensorSpec([], tf.int32, name="count"),
                                                            tf.TensorSpec([], tf.int64, name="seed")])
    archive.write_out(str(path), verbose=False)
    return path
