"""Exporting a trained generator as a TensorFlow SavedModel that needs only TensorFlow to load."""
from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from .checks import check_positive_int
from .conditioning import requested_labels

__all__ = ["export_generator", "load_generator", "ExportedGenerator"]


def export_generator(generator, path, latent_dim, latent_distribution="normal", num_classes=None):
    """Writes ``generator`` to ``path`` as a SavedModel with two signatures.

    * ``serving_default(z)``: ``z`` float32 ``[n, latent_dim]`` -> ``{"images": float32 [n, ...]}``;
    * ``sample(count, seed)``: ``count`` int32 scalar, ``seed`` int64 scalar -> ``{"images", "z"}``, with
      ``z = tf.random.stateless_normal([count, latent_dim], seed=[seed, 0])`` (``stateless_uniform`` in
      [-1, 1] when ``latent_distribution == "uniform"``).

    A class-conditional generator (``num_classes`` given; the network takes ``[z, labels]``) gets instead

    * ``serving_default(z, labels)``: ``labels`` int32 ``[n]`` class ids -> ``{"images"}``;
    * ``sample(count, seed, label)``: ``label`` int32 scalar, the class of every image, or ``-1`` for classes drawn
      uniformly with ``tf.random.stateless_uniform(seed=[seed, 1])`` -> ``{"images", "z", "labels"}``;

    and a variable ``num_classes``. A label outside ``0..num_classes-1`` is an InvalidArgumentError naming it.

    Images are returned in float32 whatever the policy the generator computes in. A process that never
    imports tfgan_zoo reloads it with ``tf.saved_model.load(path)`` and gets bit-identical images for the
    same ``z``, since the graph and weights are the generator's own.

    Args:
      generator: a built ``keras.Model`` taking ``[n, latent_dim]``.
      path: output directory (created; an existing SavedModel there is overwritten).
      latent_dim: size of ``z``.
      latent_distribution: ``"normal"`` or ``"uniform"``, used by the ``sample`` signature.
      num_classes: the number of classes of a class-conditional generator; None (default) for an unconditional one.
    Returns:
      ``path``.
    """
    if latent_distribution not in ("normal", "uniform"):
        raise ValueError(f"latent_distribution={latent_distribution!r} must be 'normal' or 'uniform' to export "
                         "a sample signature.")
    latent_dim = int(latent_dim)

    def images_from(net, latent):
        return tf.cast(net(latent, training=False), tf.float32)

    def draw_latent(count, seed):
        seed_pair = tf.stack([seed, tf.zeros_like(seed)])
        shape = tf.stack([count, latent_dim])
        if latent_distribution == "uniform":
            return tf.random.stateless_uniform(shape, seed=seed_pair, minval=-1.0, maxval=1.0)
        return tf.random.stateless_normal(shape, seed=seed_pair)

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
            z = draw_latent(count, seed)
            return {"images": images_from(self.net, z), "z": z}

    class _ConditionalGenerator(tf.Module):
        def __init__(self, net):
            super().__init__(name="generator")
            self.net = net
            self.generator_variables = list(net.variables)  # as _Generator
            self.num_classes = tf.Variable(int(num_classes), trainable=False, dtype=tf.int32, name="num_classes")

        def images(self, z, labels):
            checks = [tf.debugging.assert_non_negative(labels, message="labels must be class ids >= 0"),
                      tf.debugging.assert_less(labels, self.num_classes,
                                               message=f"labels must be class ids < num_classes={num_classes}")]
            with tf.control_dependencies(checks):
                return images_from(self.net, [z, labels])

        @tf.function(input_signature=[tf.TensorSpec([None, latent_dim], tf.float32, name="z"),
                                      tf.TensorSpec([None], tf.int32, name="labels")])
        def serve(self, z, labels):
            return {"images": self.images(z, labels)}

        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="count"),
                                      tf.TensorSpec([], tf.int64, name="seed"),
                                      tf.TensorSpec([], tf.int32, name="label")])
        def sample(self, count, seed, label):
            z = draw_latent(count, seed)
            drawn = tf.random.stateless_uniform(tf.reshape(count, [1]), seed=tf.stack([seed, tf.ones_like(seed)]),
                                                maxval=self.num_classes, dtype=tf.int32)
            labels = tf.where(label < 0, drawn, tf.fill(tf.reshape(count, [1]), label))
            return {"images": self.images(z, labels), "z": z, "labels": labels}

    module = _Generator(generator) if num_classes is None else _ConditionalGenerator(generator)
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve, "sample": module.sample})
    return path


class ExportedGenerator:
    """A generator written by :func:`export_generator`, reloaded with TensorFlow only.

    ``generator(z)`` maps float32 ``[n, latent_dim]`` to images; ``generator.generate(count, seed=s)`` draws
    ``z`` the way the ``sample`` signature does (the same images in any process for the same seed). It plugs into
    :func:`tfgan_zoo.metrics.evaluate` and :func:`tfgan_zoo.visualization.save_samples_png` like a trained GAN.

    A class-conditional one has ``num_classes`` (else None): ``generator(z, labels)``,
    ``generate(count, seed=s, labels=7)`` (one class, a list or an array of ``count`` ids; None for the classes in
    turn, ``0, 1, ..., K-1, 0, ...``, as ``GAN.generate``) and ``generate_per_class(k)``.
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
        inputs = self._serve.structured_input_signature[1]
        self.latent_dim = int(inputs["z"].shape[-1])
        self.num_classes = int(self._loaded.num_classes.numpy()) if "labels" in inputs else None

    def __call__(self, z, labels=None):
        """Images (float32 numpy) for latent vectors ``z`` of shape ``[n, latent_dim]`` (and, for a
        class-conditional generator, ``labels``: one class id or ``n`` of them)."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z has shape {z.shape}; this generator takes [n, {self.latent_dim}].")
        if self.num_classes is not None and labels is None:
            raise ValueError(f"labels is required: this generator is class-conditional (num_classes="
                             f"{self.num_classes}); pass one class id or {len(z)} of them.")
        ids = requested_labels(labels, self.num_classes, len(z))
        if ids is None:
            return self._serve(z=tf.constant(z))["images"].numpy()
        return self._serve(z=tf.constant(z), labels=tf.constant(ids))["images"].numpy()

    def generate(self, count, batch_size=256, seed=0, labels=None):
        """``count`` images drawn with the ``sample`` signature: batch ``i`` uses seed ``seed + i``.

        With ``batch_size >= count`` the images are exactly ``sample(count, seed)`` of the SavedModel (for a
        conditional generator and one class ``labels=c``, ``sample(count, seed, c)``). ``labels`` (class-conditional
        only): one class id, or ``count`` of them, or None for the classes in turn; for several classes each batch's
        ``z`` is the ``sample`` signature's and its images those of ``serving_default(z, labels)``.
        """
        count = check_positive_int("count", count, requirement="a positive integer (the number of images to draw)")
        seed = 0 if seed is None else int(seed)
        ids = requested_labels(labels, self.num_classes, count)
        one_class = ids is None or isinstance(labels, (int, np.integer))
        images = []
        for i, start in enumerate(range(0, count, batch_size)):
            arguments = {"count": tf.constant(min(batch_size, count - start), tf.int32),
                         "seed": tf.constant(seed + i, tf.int64)}
            if self.num_classes is not None:  # -1: the signature draws the classes
                arguments["label"] = tf.constant(int(ids[0]) if ids is not None and one_class else -1, tf.int32)
            sampled = self._sample(**arguments)
            if not one_class:
                sampled = self._serve(z=sampled["z"], labels=tf.constant(ids[start:start + batch_size]))
            images.append(sampled["images"].numpy())
        return np.concatenate(images).astype(np.float32)

    def generate_per_class(self, per_class, batch_size=256, seed=0):
        """``per_class`` images of each class, class by class (``[num_classes * per_class, ...]``; class ``c`` at
        rows ``c * per_class ...``)."""
        if self.num_classes is None:
            raise ValueError("generate_per_class: this generator is not class-conditional.")
        if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
            raise ValueError(f"per_class={per_class!r} must be a positive integer.")
        labels = np.repeat(np.arange(self.num_classes), per_class)
        return self.generate(len(labels), batch_size=batch_size, seed=seed, labels=labels)


def load_generator(path):
    """Reloads a generator exported by :func:`export_generator` as an :class:`ExportedGenerator`."""
    return ExportedGenerator(path)
