"""Class conditioning: what a :class:`tfgan_zoo.GAN` needs to learn ``p(x | y)`` instead of ``p(x)``.

A conditional model is any variant built with ``conditioning=`` (a :class:`Conditioning`, its dict, or just the
number of classes), so that conditioning composes with every objective by options, e.g.
``WGANGP(g, d, conditioning=10)`` is a WGAN-GP with a projection critic. The loop then

* reads ``(images, labels)`` batches (integer class ids; one-hot accepted) and keeps each label with its image,
  also when ``fit`` regroups ``n_critic`` batches per step (:func:`images_and_class_ids`);
* draws the fake images' labels from the model's ``SeedGenerator`` (uniform over the classes, or
  ``class_frequencies``) and calls the generator on ``[z, labels]``;
* calls the critic network on ``[images, labels]`` (``head="projection"``: a projection discriminator,
  Miyato & Koyama 2018, or any network that takes the labels), or on the images alone with ``1 + num_classes``
  outputs, the adversarial score then class logits (``head="auxiliary"``: ACGAN's auxiliary classifier, Odena et
  al. 2017, whose classification losses :func:`acgan_class_losses` adds to both objectives);
* hands penalties (gradient penalty, R1, DRAGAN) a critic with the real images' labels bound: they
  differentiate at real images or at real/fake interpolates, and an interpolate is scored under the label of
  its real end (StudioGAN's convention).

The networks come from :mod:`tfgan_zoo.nets` with ``num_classes=`` (conditional batch norm or a label embedding in
the generator; a projection or auxiliary head in the critic), built from :mod:`tfgan_zoo.layers.conditional`.

*Self-conditioning* uses the same machinery without labels: the data's labels are clusters of the training images
(:func:`cluster_images`), the generator reads its cluster off ``z`` (``nets.dcgan_generator(latent_classes=K)``) and
``Conditioning(K, from_latent=True)`` shows the critic each fake with that cluster; the generator is then one of
``z`` alone (the recipe field ``self_conditioning=K`` builds all of it, :func:`tfgan_zoo.zoo.build_run`).
"""
from __future__ import annotations

import inspect
import numbers

import numpy as np
import keras
import tensorflow as tf

from .layers.conditional import check_frequencies, classes_of_uniform, latent_class_ids

__all__ = ["Conditioning", "get_conditioning", "HEADS", "auxiliary_classifier_loss", "acgan_class_losses",
           "images_and_class_ids", "class_ids_from_tensor", "check_labels", "requested_labels", "cluster_images",
           "loop_without_labels"]

HEADS = ("projection", "auxiliary")


# --- Pure losses ----------------------------------------------------------------------------------------


def auxiliary_classifier_loss(class_logits, labels):
    """Mean cross-entropy ``-E[log softmax(class_logits)[y]]`` of integer ``labels`` ``[batch]``; float32 scalar.

    ``class_logits``: ``[batch, num_classes]`` raw scores of the auxiliary classifier.
    """
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.cast(class_logits, tf.float32)))


def acgan_class_losses(real_class_logits, real_labels, fake_class_logits, fake_labels):
    """ACGAN's class terms (Odena, Olah, Shlens, ICML 2017, section 3): ``(discriminator, generator)`` scalars.

    The paper's log-likelihood of the correct class, ``L_C = E[log P(C=c | X_real)] + E[log P(C=c | X_fake)]``,
    enters both players with weight 1: the discriminator maximises ``L_S + L_C``, the generator ``L_C - L_S``.
    As losses to minimise: the discriminator's class loss is ``CE(real) + CE(fake)``, the cross-entropies on the
    real and the generated images weighted equally; the generator's is ``CE(fake)``, the real images' term not
    depending on it.
    """
    fake = auxiliary_classifier_loss(fake_class_logits, fake_labels)
    return auxiliary_classifier_loss(real_class_logits, real_labels) + fake, fake


# --- Labels -------------------------------------------------------------------------------------------


def class_ids_from_tensor(labels, num_classes):
    """int32 class ids ``[batch]`` from a batch of labels: ids ``[batch]`` or ``[batch, 1]``, or one-hot
    ``[batch, num_classes]`` (the arg-max). Raises ValueError, naming the fix, for any other shape."""
    labels = tf.convert_to_tensor(labels)
    shape = labels.shape
    if shape.rank == 2 and shape[-1] == num_classes and num_classes > 1:
        return tf.argmax(labels, axis=-1, output_type=tf.int32)
    if shape.rank == 2 and shape[-1] == 1:
        labels = labels[:, 0]
    if labels.shape.rank != 1:
        raise ValueError(f"labels of shape {shape} are neither class ids [batch] nor one-hot [batch, {num_classes}]; "
                         "map the dataset to (images, class_ids) first.")
    if labels.dtype.is_floating:
        labels = tf.round(labels)
    return tf.cast(labels, tf.int32)


def images_and_class_ids(dataset, num_classes):
    """``dataset`` of ``(images, labels)`` batches as ``(images, int32 class ids)``; each id checked in range.

    Raises ValueError naming the fix when the dataset yields images without labels.
    """
    spec = dataset.element_spec
    if not isinstance(spec, (tuple, list)) or len(spec) < 2:
        raise ValueError(f"A class-conditional model (num_classes={num_classes}) trains on (images, labels) batches, "
                         "but the dataset yields images alone. Load it with labels, e.g. tfgan_zoo.data.mnist("
                         "labels=True), or tf.data.Dataset.from_tensor_slices((images, labels)).batch(64).")

    def checked(images, labels, *_):
        ids = class_ids_from_tensor(labels, num_classes)
        in_range = tf.debugging.Assert(
            tf.reduce_all((ids >= 0) & (ids < num_classes)),
            [f"the dataset's labels must be class ids in 0..{num_classes - 1} (num_classes={num_classes}); got", ids])
        with tf.control_dependencies([in_range]):
            return images, tf.identity(ids)

    return dataset.map(checked)


def check_labels(labels, num_classes, count, argument="labels"):
    """int32 numpy class ids ``[count]`` from ``labels``: one int (repeated), a list or a 1-D array of ``count``
    ids, or one-hot ``[count, num_classes]``. Raises ValueError naming ``argument`` otherwise."""
    if isinstance(labels, bool):
        raise ValueError(f"{argument}={labels!r} must be a class id in 0..{num_classes - 1}, a list or an array.")
    if isinstance(labels, numbers.Integral):
        array = np.full([count], int(labels), np.int64)
    else:
        array = np.asarray(labels)
        if array.ndim == 2 and array.shape[1] == num_classes and num_classes > 1:
            array = array.argmax(axis=1)
        if array.ndim != 1 or len(array) != count:
            raise ValueError(f"{argument} has shape {array.shape}; give one class id, or {count} of them (one per "
                             f"image), or one-hot [{count}, {num_classes}].")
        if array.size and not (np.issubdtype(array.dtype, np.integer)
                               or (np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)))):
            raise ValueError(f"{argument} must hold integer class ids; got dtype {array.dtype}.")
    bad = array[(array < 0) | (array >= num_classes)]
    if bad.size:
        raise ValueError(f"{argument} holds {int(bad[0])}, outside the classes 0..{num_classes - 1} "
                         f"(num_classes={num_classes}).")
    return array.astype(np.int32)


def requested_labels(labels, num_classes, count):
    """The class ids ``[count]`` a generator is asked for (``generate(..., labels=...)``): :func:`check_labels` of
    ``labels``, or the classes in turn ``0, 1, ..., K-1, 0, ...`` when None; None for an unconditional generator
    (``num_classes`` None), which takes no labels."""
    if num_classes is None:
        if labels is not None:
            raise ValueError(f"labels={labels!r}: this generator is not class-conditional; a conditional one is built "
                             "with conditioning=num_classes and nets with num_classes=... (tfgan_zoo.nets).")
        return None
    if labels is None:
        return (np.arange(count) % num_classes).astype(np.int32)
    return check_labels(labels, num_classes, count)


def loop_without_labels(model_class):
    """The methods of GAN's loop that ``model_class`` overrides without taking labels (then it cannot be
    conditioned): ``[]`` for a class that keeps the loop or passes the labels on."""
    from .models.gan import GAN  # the model layer sits right of this one

    return [name for name in ("train_step", "train_iteration", "critic_update", "generator_update",
                              "discriminator_objective", "generator_objective")
            if getattr(model_class, name) is not getattr(GAN, name)
            and not any(p in inspect.signature(getattr(model_class, name)).parameters
                        for p in ("real_labels", "label_batches"))]


def cluster_images(images, num_clusters, seed=0):
    """Labels for self-conditioning: k-means clusters of ``images`` ``[n, ...]`` by their pixels
    (scikit-learn's ``KMeans``, k-means++ initialisation, the best of 10 starts, ``random_state=seed``).

    Returns ``(cluster_ids, frequencies)``: int32 ``[n]`` ids in ``0..num_clusters-1`` and the ``num_clusters``
    cluster sizes divided by ``n``. Liu et al. (CVPR 2020) cluster the discriminator's features and re-cluster as
    training goes; clustering the pixels once, before training, is the simpler form used here, enough to split
    digits into pieces that are each nearly one digit.
    """
    from sklearn.cluster import KMeans

    images = np.asarray(images, np.float32)
    if isinstance(num_clusters, bool) or not isinstance(num_clusters, numbers.Integral) or num_clusters < 2:
        raise ValueError(f"num_clusters={num_clusters!r} must be an integer >= 2.")
    if len(images) < num_clusters:
        raise ValueError(f"num_clusters={num_clusters} is more than the {len(images)} images to cluster; use at "
                         "most as many clusters as images.")
    ids = KMeans(int(num_clusters), n_init=10, random_state=seed).fit(images.reshape(len(images), -1)).labels_
    return ids.astype(np.int32), np.bincount(ids, minlength=num_clusters) / len(ids)


# --- The model's conditioning --------------------------------------------------------------------------


class Conditioning:
    """How a GAN is conditioned on class labels; ``GAN(..., conditioning=Conditioning(10))``.

    Args:
      num_classes: number of classes ``K``; labels are ids in ``0..K-1``.
      head: ``"projection"`` (default): the critic network takes ``[images, labels]`` and outputs the adversarial
        score, so every loss and penalty applies unchanged (a projection discriminator
        ``psi(phi(x)) + embed(y)^T phi(x)``, Miyato & Koyama, ICLR 2018; or any network that reads the labels).
        ``"auxiliary"``: the critic network takes the images alone and outputs ``1 + K`` values, the adversarial
        score then class logits; ACGAN's class losses (:func:`acgan_class_losses`) are added to both objectives.
      class_frequencies: ``K`` non-negative weights of the classes for the fake images' labels (normalised
        here), e.g. the training set's class counts; None (default) for uniform.
      class_loss_weight: weight of the auxiliary classifier's losses in both objectives; 1 as in ACGAN.
      from_latent: the fake images' classes are not drawn but read off their latent ``z`` by
        :func:`tfgan_zoo.layers.latent_class_ids` (with ``class_frequencies``), as the generator's own
        :class:`tfgan_zoo.layers.LatentClass` layer reads them: the generator takes ``z`` alone and samples,
        exports and is judged as an unconditional one, while the critic sees each fake with its latent class and
        each real image with its label. This is self-conditioning (Liu et al., "Diverse Image Generation via
        Self-Conditioned GANs", CVPR 2020) when the labels are clusters of the training images
        (:func:`cluster_images`). Default False.
    """

    def __init__(self, num_classes, head="projection", class_frequencies=None, class_loss_weight=1.0,
                 from_latent=False):
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 2:
            raise ValueError(f"num_classes={num_classes!r} must be an integer >= 2 (the number of classes).")
        if head not in HEADS:
            raise ValueError(f"head={head!r} must be one of {HEADS}: 'projection' when the critic takes the labels, "
                             "'auxiliary' for an ACGAN classifier head.")
        self.num_classes = int(num_classes)
        self.head = head
        self.class_frequencies = check_frequencies("class_frequencies", class_frequencies, self.num_classes)
        if not isinstance(from_latent, bool):
            raise ValueError(f"from_latent={from_latent!r} must be True (the fakes' classes are read off z) or False.")
        self.from_latent = from_latent
        if isinstance(class_loss_weight, bool) or not isinstance(class_loss_weight, numbers.Real) \
                or not 0 <= class_loss_weight < float("inf"):
            raise ValueError(f"class_loss_weight={class_loss_weight!r} must be a finite number >= 0 (ACGAN's is 1).")
        self.class_loss_weight = float(class_loss_weight)

    @property
    def critic_takes_labels(self):
        """Whether the critic network is called on ``[images, labels]``."""
        return self.head == "projection"

    @property
    def auxiliary_outputs(self):
        """Critic outputs per sample beyond the adversarial score: the ``K`` class logits of an auxiliary head."""
        return self.num_classes if self.head == "auxiliary" else 0

    @property
    def figure_names(self):
        return ["d_class_loss", "g_class_loss"] if self.head == "auxiliary" else []

    def check_model(self, model):
        """Raises ValueError when ``model`` cannot be conditioned (packing, its own loop without labels)."""
        from .models.gan import GAN  # the model layer sits right of this one

        if model.pack_degree > 1:
            raise ValueError("conditioning and pack_degree > 1 do not combine: a packed critic input mixes the "
                             "images of several labels. Use pack_degree=1.")
        overrides = loop_without_labels(type(model))
        if overrides:
            raise ValueError(f"{type(model).__name__} overrides {', '.join(overrides)} without labels, so it cannot be "
                             "class-conditional; use a variant that keeps GAN's loop (gan, wgangp, sngan, ...).")

    def sample_labels(self, shape, seed):
        """int32 class ids of ``shape`` drawn with ``seed`` (a ``keras.random.SeedGenerator``): uniform over the
        classes, or by ``class_frequencies`` (inverse CDF of one uniform draw per label)."""
        return classes_of_uniform(keras.random.uniform(shape, seed=seed), self.num_classes, self.class_frequencies)

    def latent_labels(self, latent):
        """The classes of fakes drawn from ``latent`` when ``from_latent`` (int32 ``[batch]``)."""
        return latent_class_ids(latent, self.num_classes, self.class_frequencies)

    def critic_inputs(self, images, labels):
        """What the critic network is called on (tensors: Keras takes no numpy array beside a tensor)."""
        if not self.critic_takes_labels or labels is None:
            return images
        return [tf.convert_to_tensor(images), tf.cast(labels, tf.int32)]

    def adversarial_output(self, outputs):
        """The adversarial score(s) of a critic output: all of it, or the first column of an auxiliary head."""
        return outputs[:, :1] if self.head == "auxiliary" else outputs

    def discriminator_terms(self, real_output, fake_output, real_labels, fake_labels):
        """``(real_score, fake_score, class_loss, figures)`` of one critic update's outputs."""
        if self.head != "auxiliary":
            return real_output, fake_output, 0.0, {}
        d_class, _ = acgan_class_losses(real_output[:, 1:], real_labels, fake_output[:, 1:], fake_labels)
        return real_output[:, :1], fake_output[:, :1], self.class_loss_weight * d_class, {"d_class_loss": d_class}

    def generator_terms(self, fake_output, real_output, fake_labels):
        """``(fake_score, real_score, class_loss, figures)`` of one generator update's outputs."""
        if self.head != "auxiliary":
            return fake_output, real_output, 0.0, {}
        g_class = auxiliary_classifier_loss(fake_output[:, 1:], fake_labels)
        real_output = None if real_output is None else real_output[:, :1]
        return fake_output[:, :1], real_output, self.class_loss_weight * g_class, {"g_class_loss": g_class}

    def get_config(self):
        config = {"num_classes": self.num_classes, "head": self.head, "class_frequencies": self.class_frequencies,
                  "class_loss_weight": self.class_loss_weight}
        return {**config, "from_latent": True} if self.from_latent else config

    def __eq__(self, other):
        return isinstance(other, Conditioning) and self.get_config() == other.get_config()

    def __repr__(self):
        return f"Conditioning({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


def get_conditioning(conditioning, head="projection"):
    """A :class:`Conditioning` from ``conditioning``: None (unconditional), the number of classes (with ``head``),
    a dict of :class:`Conditioning` arguments, or a :class:`Conditioning`."""
    if conditioning is None or isinstance(conditioning, Conditioning):
        return conditioning
    if isinstance(conditioning, numbers.Integral) and not isinstance(conditioning, bool):
        return Conditioning(int(conditioning), head=head)
    if isinstance(conditioning, dict):
        return Conditioning(**{"head": head, **conditioning})
    raise ValueError(f"conditioning={conditioning!r} must be None, the number of classes (e.g. 10), a dict of "
                     "Conditioning arguments or a tfgan_zoo.conditioning.Conditioning.")
