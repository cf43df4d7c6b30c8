"""Exporting a trained generator as a TensorFlow SavedModel that needs only TensorFlow to load."""
from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from .checks import check_positive_int

__all__ = ["export_generator", "load_generator", "ExportedGenerator"]


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

    def images_from(net, latent):
        return tf.cast(net(latent, training=False), tf.float32)

    class _Generator(tf.Module):
        # A module holding the generator once: each weight is written once (keras.export.ExportArchive writes
        # every variable twice, under variables/ and _all_variables/).
        def __init__(self, net):
            super().__init__(name="generator")
            self.net = net
            # Keras does not expose variables held in nested lists (ProGAN's per-phase blocks) to TF's object
            # graph, so the functions would capture untracked variables; a flat list tracks every one. A
            # variable reachable twice is still written once.
            self.generator_variables = list(net.variables)

        @tf.function(input_signature=[tf.TensorSpec([None, latent_dim], tf.float32, name="z")])
        def serve(self, z):
            return {"images": images_from(self.net, z)}

        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="count"),
                                      tf.TensorSpec([], tf.int64, name="seed")])
        def sample(self, count, seed):
            seed_pair = tf.stack([seed, tf.zeros_like(seed)])
            shape = tf.stack([count, latent_dim])
            if latent_distribution == "uniform":
                z = tf.random.stateless_uniform(shape, seed=seed_pair, minval=-1.0, maxval=1.0)
            else:
                z = tf.random.stateless_normal(shape, seed=seed_pair)
            return {"images": images_from(self.net, z), "z": z}

    module = _Generator(generator)
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve, "sample": module.sample})
    return path


class ExportedGenerator:
    """A generator written by :func:`export_generator`, reloaded with TensorFlow only.

    ``generator(z)`` maps float32 ``[n, latent_dim]`` to images; ``generator.generate(count, seed=s)`` draws
    ``z`` the way the ``sample`` signature does (the same images in any process for the same seed). It plugs into
    :func:`tfgan_zoo.metrics.evaluate` and :func:`tfgan_zoo.visualization.save_samples_png` like a trained GAN.
    """

    def __init__(self, path):
        path = os.fspath(path)
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            raise ValueError(f"path {path} is not a SavedModel directory; pass the 'generator' folder that "
                             "`tfgan-zoo train`, `tfgan-zoo export` or GAN.export_generator wrote.")
        self.path = path
        self._loaded = tf.saved_model.load(path)
        missing = {"serving_default", "sample"} - set(self._loaded.signatures)
        if missing:
            names = " or ".join(repr(name) for name in sorted(missing))
            raise ValueError(f"path {path} is a SavedModel but not a tfgan_zoo generator (no {names} signature); "
                             "export it with GAN.export_generator.")
        self._serve = self._loaded.signatures["serving_default"]
        self._sample = self._loaded.signatures["sample"]
        self.latent_dim = int(self._serve.structured_input_signature[1]["z"].shape[-1])

    def __call__(self, z):
        """Images (float32 numpy) for latent vectors ``z`` of shape ``[n, latent_dim]``."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z has shape {z.shape}; this generator takes [n, {self.latent_dim}].")
        return self._serve(z=tf.constant(z))["images"].numpy()

    def generate(self, count, batch_size=256, seed=0):
        """``count`` images drawn with the ``sample`` signature: batch ``i`` uses seed ``seed + i``.

        With ``batch_size >= count`` the images are exactly ``sample(count, seed)`` of the SavedModel.
        """
        count = check_positive_int("count", count, requirement="a positive integer (the number of images to draw)")
        seed = 0 if seed is None else int(seed)
        images = [self._sample(count=tf.constant(min(batch_size, count - start), tf.int32),
                               seed=tf.constant(seed + i, tf.int64))["images"].numpy()
                  for i, start in enumerate(range(0, count, batch_size))]
        return np.concatenate(images).astype(np.float32)


def load_generator(path):
    """Reloads a generator exported by :func:`export_generator` as an :class:`ExportedGenerator`."""
    return ExportedGenerator(path)
