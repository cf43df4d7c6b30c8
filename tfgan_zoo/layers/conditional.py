"""Layers that read class labels: conditional batch normalisation, a class projection, a label embedding; and
one that makes them: a latent class read off the latent (:class:`LatentClass`).

Each takes ``[inputs, labels]`` with ``labels`` int32 class ids of shape ``[batch]``; :mod:`tfgan_zoo.nets` builds
the conditional generators and critics of :mod:`tfgan_zoo.conditioning` from them.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .spectral_normalization import SpectralNormalization

__all__ = ["ConditionalBatchNormalization", "ClassProjection", "LabelEmbedding", "LatentClass", "latent_class_ids",
           "classes_of_uniform", "check_frequencies"]


def _check_num_classes(layer, num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"{layer}: num_classes={num_classes!r} must be an integer >= 2.")
    return num_classes


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalisation with a scale and shift per class (de Vries et al. 2017; Miyato & Koyama, ICLR 2018).

    ``y = gamma[c] * (x - mean) / sqrt(var + epsilon) + beta[c]`` for a sample of class ``c``, the statistics those
    of plain batch normalisation over all axes but the last (the batch's when training, the moving ones at
    inference). ``gamma`` ``[num_classes, channels]`` starts at 1 and ``beta`` at 0, so that at initialisation the
    layer is the unconditional one (as in the cGAN-PD generator; BigGAN computes them from a shared embedding
    instead).

    Args:
      num_classes: number of classes.
      momentum, epsilon: as ``keras.layers.BatchNormalization`` (defaults: PyTorch's 0.9 and 1e-5, as the
        zoo's networks use).
      synchronized: statistics of the global batch under a ``tf.distribute`` strategy (default True).

    Call: ``layer([x, labels], training=...)`` with ``x`` ``[batch, ..., channels]`` and ``labels`` ``[batch]``.
    """

    # the statistics couple the samples of a batch (see tfgan_zoo.inspection.critic_is_batch_independent)
    batch_independent = False

    def __init__(self, num_classes, momentum=0.9, epsilon=1e-5, synchronized=True, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = _check_num_classes("ConditionalBatchNormalization", num_classes)
        self.momentum, self.epsilon, self.synchronized = float(momentum), float(epsilon), bool(synchronized)
        self.normalization = keras.layers.BatchNormalization(momentum=self.momentum, epsilon=self.epsilon,
                                                             center=False, scale=False, synchronized=self.synchronized,
                                                             name="normalization")

    def build(self, input_shape):
        x_shape = input_shape[0]
        channels = int(x_shape[-1])
        self.normalization.build(x_shape)
        self.gamma = self.add_weight(shape=(self.num_classes, channels), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(self.num_classes, channels), initializer="zeros", name="beta")

    def call(self, inputs, training=None):
        x, labels = inputs
        normalized = self.normalization(x, training=training)
        # [batch, channels] -> [batch, 1, ..., 1, channels] to broadcast over the spatial axes
        shape = [-1] + [1] * (len(x.shape) - 2) + [self.gamma.shape[-1]]
        labels = ops.cast(labels, "int32")
        gamma = ops.reshape(ops.take(self.gamma, labels, axis=0), shape)
        beta = ops.reshape(ops.take(self.beta, labels, axis=0), shape)
        return ops.cast(gamma, normalized.dtype) * normalized + ops.cast(beta, normalized.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "momentum": self.momentum,
                "epsilon": self.epsilon, "synchronized": self.synchronized}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class ClassProjection(keras.layers.Layer):
    """The class term of a projection discriminator (Miyato & Koyama, "cGANs with Projection Discriminator",
    ICLR 2018): ``embed(y)^T phi(x)`` for features ``phi(x)`` ``[batch, features]``, output ``[batch, 1]``.

    The critic is ``D(x, y) = psi(phi(x)) + embed(y)^T phi(x)``: add this layer's output to the usual
    unconditional head ``psi`` (a ``Dense(1)``). The embedding ``V`` ``[num_classes, features]`` is the kernel of
    a bias-free ``Dense`` applied to the one-hot label, so that spectral normalisation (the paper's ``SNEmbedID``)
    wraps it like any other layer; its initialisation is Glorot uniform, as in the official code.

    Args:
      num_classes: number of classes.
      spectral_normalization: wrap the embedding in :class:`SpectralNormalization` (default False).

    Call: ``layer([features, labels])``.
    """

    batch_independent = True  # per sample (a spectral normalisation inside is checked on its own)

    def __init__(self, num_classes, spectral_normalization=False, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = _check_num_classes("ClassProjection", num_classes)
        self.spectral_normalization = bool(spectral_normalization)

    def build(self, input_shape):
        features = int(input_shape[0][-1])
        embedding = keras.layers.Dense(features, use_bias=False, name="embedding")
        self.embedding = SpectralNormalization(embedding) if self.spectral_normalization else embedding
        self.embedding.build((None, self.num_classes))

    def call(self, inputs, training=None):
        features, labels = inputs
        one_hot = ops.one_hot(ops.cast(labels, "int32"), self.num_classes, dtype=features.dtype)
        embedded = self.embedding(one_hot, training=training)
        return ops.sum(ops.cast(embedded, features.dtype) * features, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "spectral_normalization": self.spectral_normalization}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class LabelEmbedding(keras.layers.Layer):
    """``concat([x, embed(y)])``: a learned embedding of the class appended to a vector input (the latent of a
    small generator, as in Mirza & Osindero's conditional GAN), ``[batch, d] -> [batch, d + embedding_dim]``.

    Args:
      num_classes: number of classes.
      embedding_dim: size of the class embedding (initialised N(0, 1), as ``torch.nn.Embedding``).

    Call: ``layer([x, labels])``.
    """

    batch_independent = True

    def __init__(self, num_classes, embedding_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = _check_num_classes("LabelEmbedding", num_classes)
        if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim < 1:
            raise ValueError(f"LabelEmbedding: embedding_dim={embedding_dim!r} must be an integer >= 1.")
        self.embedding_dim = embedding_dim

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.num_classes, self.embedding_dim),
                                          initializer=keras.initializers.RandomNormal(stddev=1.0), name="embeddings")

    def call(self, inputs):
        x, labels = inputs
        embedded = ops.take(self.embeddings, ops.cast(labels, "int32"), axis=0)
        return ops.concatenate([x, ops.cast(embedded, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[0][-1] + self.embedding_dim)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "embedding_dim": self.embedding_dim}


def classes_of_uniform(uniform, num_classes, frequencies=None):
    """The class of each value of ``uniform`` (in [0, 1), any shape) by the inverse CDF of the class
    distribution: the values cut at the cumulative ``frequencies`` (into equal parts when None); int32, the shape
    of ``uniform``. ``P(class = k) = frequencies[k]`` when ``uniform`` is uniform."""
    uniform = ops.cast(uniform, "float32")
    if frequencies is None:
        ids = ops.floor(uniform * num_classes)
    else:
        cuts = ops.convert_to_tensor(np.cumsum(np.asarray(frequencies, np.float64))[:-1], "float32")
        ids = ops.sum(ops.cast(ops.expand_dims(uniform, -1) >= cuts, "float32"), axis=-1)
    return ops.cast(ops.clip(ids, 0, num_classes - 1), "int32")  # u * K rounds to K for u just below 1 in float32


def latent_class_ids(z, num_classes, frequencies=None):
    """The class of each latent ``z`` ``[batch, d]``: :func:`classes_of_uniform` of ``Phi(z[:, 0])``, which is
    uniform in (0, 1) for a standard-normal latent; int32 ``[batch]``."""
    return classes_of_uniform(0.5 * (1.0 + ops.erf(ops.cast(z[:, 0], "float32") / ops.sqrt(2.0))), num_classes,
                              frequencies)


def check_frequencies(name, frequencies, num_classes):
    """``frequencies`` as ``num_classes`` floats summing to 1 (normalised), or None; raises ValueError naming the
    argument ``name``."""
    if frequencies is None:
        return None
    weights = np.asarray(frequencies, np.float64)
    if weights.shape != (num_classes,) or not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(f"{name} must be {num_classes} finite weights >= 0, not all 0 (e.g. the class counts of the "
                         f"training set); got {frequencies!r}.")
    if abs(weights.sum() - 1.0) > 1e-9:  # already normalised: kept as given, so a saved config reloads unchanged
        weights = weights / weights.sum()
    return [float(w) for w in weights]


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class LatentClass(keras.layers.Layer):
    """A discrete class read off a standard-normal latent (:func:`latent_class_ids`): ``c = k`` when
    ``Phi(z[:, 0])`` falls in the ``k``-th of ``K`` intervals of (0, 1), of equal lengths or of lengths
    ``frequencies``; ``[batch, d] -> [batch]`` int32, distributed as the frequencies when ``z ~ N(0, I)``.

    It gives a generator that takes ``z`` alone a discrete part in its latent: the class ids feed conditional batch
    normalisation (``nets.dcgan_generator(latent_classes=K)``), so the generator is ``K`` generators sharing every
    weight but a scale and shift per class and can draw data made of separate pieces (the ten digits) without the
    in-between shapes a map of one connected Gaussian passes through (Khayatkhoei, Singh & Elgammal, NeurIPS 2018).
    A self-conditioned model (:class:`tfgan_zoo.conditioning.Conditioning` with ``from_latent=True``) shows the
    critic the same class. The class is a step function of ``z[:, 0]``: no gradient flows through it.

    Args:
      num_classes: ``K``, >= 2.
      frequencies: ``K`` weights of the classes (normalised here), e.g. the sizes of the training set's clusters;
        None for equal ones.

    Call: ``layer(z)`` with ``z`` of shape ``[batch, d]``, ``d >= 1``, drawn from a standard normal.
    """

    batch_independent = True

    def __init__(self, num_classes, frequencies=None, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = _check_num_classes("LatentClass", num_classes)
        self.frequencies = check_frequencies("LatentClass: frequencies", frequencies, self.num_classes)

    def call(self, z):
        return latent_class_ids(z, self.num_classes, self.frequencies)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def compute_output_spec(self, z):
        return keras.KerasTensor((z.shape[0],), dtype="int32")

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "frequencies": self.frequencies}
