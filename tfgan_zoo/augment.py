"""Data-efficient GAN training: differentiable augmentation of every critic input (DiffAugment) and its adaptive
form (ADA).

With few training images (MNIST's 5,000 digits is few) the critic memorises them and its feedback to the
generator degrades. Zhao et al. ("Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS 2020)
transform *both* real and generated images with the same family of random, differentiable transformations ``T``
before *every* critic call, the generator's step included: the critic is trained on ``D(T(x))`` and
``D(T(G(z)))``, and the generator's gradient flows back through ``T``. Karras et al. ("Training Generative
Adversarial Networks with Limited Data", NeurIPS 2020, ADA) apply each transformation with a probability ``p``
that is adapted during training from an overfitting heuristic.

``GAN(..., augment="translation,cutout")`` (or ``augment=DiffAugment(...)`` / ``augment=ADA(...)``) switches
it on for any variant: the model applies the augmentation in :meth:`tfgan_zoo.models.GAN.critic`, the one
path by which images reach the critic network.

The transformations (images ``[batch, height, width, channels]`` in [-1, 1], as the official code's), each with
its own random parameters per sample, as the official ``DiffAugment_tf.py`` (mit-han-lab/data-efficient-gans)
defines them:

* ``translation``: a shift by an integer in ``[-s, s]`` pixels, independently along each axis, with
  ``s = round(side / 8)``; pixels shifted in are 0 (the middle of [-1, 1], as the official zero padding);
* ``cutout``: a square of ``round(side / 2)`` pixels set to 0, its centre uniform over the image (squares
  at the border are clipped, as in the official code);
* ``color``: three transformations in this order, brightness ``x + b`` with ``b ~ U(-0.5, 0.5)``, saturation
  ``(x - m_c) * s + m_c`` with ``m_c`` the mean over the channels of each pixel and ``s ~ U(0, 2)``, contrast
  ``(x - m) * c + m`` with ``m`` the mean of the whole image and ``c ~ U(0.5, 1.5)``. On one-channel (grey)
  images the saturation is the identity (the channel mean is the pixel itself), so ``color`` is brightness
  and contrast there.

The transformations are pure functions of the images and explicit parameters (:func:`translate`,
:func:`cut_out`, :func:`adjust_brightness`, :func:`adjust_saturation`, :func:`adjust_contrast`); the random
parameters are drawn through a ``uniform(shape)`` callable the model supplies from its
``keras.random.SeedGenerator`` (stateless draws keyed from it, as the penalties draw theirs), so runs are
reproducible, the step compiles with XLA, and under ``tf.distribute`` each replica takes its slice of one
global draw.
"""
from __future__ import annotations

import difflib

import keras
import tensorflow as tf

__all__ = ["POLICIES", "parse_policy", "translate", "cut_out", "adjust_brightness", "adjust_saturation",
           "adjust_contrast", "DiffAugment", "ADA", "get_augment", "from_recipe", "real_margins"]

# Each policy name and the elementary transformations it stands for, applied in this order.
POLICIES = {
    "color": ("brightness", "saturation", "contrast"),
    "translation": ("translation",),
    "cutout": ("cutout",),
}
_NO_AUGMENTATION = ("", "none")


def parse_policy(policy):
    """``"color,translation"`` -> ``("color", "translation")``: the policy names in order, checked.

    Names are separated by commas (spaces ignored, case-insensitive) and applied in the order given.
    Raises ValueError naming an unknown name, with the closest known one.
    """
    if not isinstance(policy, str):
        raise ValueError(f"augment policy={policy!r} must be a string of comma-separated names from "
                         f"{sorted(POLICIES)}, e.g. 'translation,cutout'.")
    names = tuple(part.strip().lower() for part in policy.split(","))
    if names == ("",) or any(not name for name in names):
        raise ValueError(f"augment policy={policy!r} has an empty name; use comma-separated names from "
                         f"{sorted(POLICIES)}, e.g. 'translation,cutout'.")
    for name in names:
        if name not in POLICIES:
            close = difflib.get_close_matches(name, list(POLICIES), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"augment policy {policy!r}: {name!r} is not an augmentation.{hint} Use comma-separated "
                             f"names from {sorted(POLICIES)} (DiffAugment's), or 'none'.")
    return names


# --- The transformations, with explicit parameters ----------------------------------------------------------


def _spatial_size(images):
    shape = images.shape
    if shape.rank != 4 or shape[1] is None or shape[2] is None:
        raise ValueError(f"augmentation takes images [batch, height, width, channels] of known height and width; "
                         f"got shape {shape}.")
    return int(shape[1]), int(shape[2])


def _per_sample(values, images):
    """``[batch]`` parameters as ``[batch, 1, 1, 1]`` in the images' dtype."""
    return tf.reshape(tf.cast(values, images.dtype), [-1, 1, 1, 1])


def translate(images, row_shifts, column_shifts):
    """Shifts each image by whole pixels: ``out[b, i, j] = x[b, i + row_shifts[b], j + column_shifts[b]]``, 0 where
    that falls outside the image (the official DiffAugment translation, zero padding).

    Args:
      images: ``[batch, height, width, channels]``.
      row_shifts, column_shifts: integer shifts ``[batch]`` (positive moves the content up / left).
    Returns:
      Images of the same shape and dtype; linear in ``images`` (the gradient is the reverse shift).
    """
    images = tf.convert_to_tensor(images)
    height, width = _spatial_size(images)

    def source(shifts, size):
        index = tf.range(size)[tf.newaxis, :] + tf.reshape(tf.cast(shifts, tf.int32), [-1, 1])  # [batch, size]
        return tf.clip_by_value(index, 0, size - 1), (index >= 0) & (index < size)

    rows, rows_inside = source(row_shifts, height)
    columns, columns_inside = source(column_shifts, width)
    shifted = tf.gather(images, rows, axis=1, batch_dims=1)
    shifted = tf.gather(shifted, columns, axis=2, batch_dims=1)
    inside = rows_inside[:, :, tf.newaxis, tf.newaxis] & columns_inside[:, tf.newaxis, :, tf.newaxis]
    return tf.where(inside, shifted, tf.zeros_like(shifted))


def cut_out(images, row_centres, column_centres, size):
    """Sets a square of each image to 0: rows ``[r - h // 2, r - h // 2 + h)`` and columns ``[c - w // 2,
    c - w // 2 + w)`` clipped to the image, ``(h, w) = size``, ``(r, c)`` the sample's centre (the official
    DiffAugment cutout with its offsets as centres).

    Args:
      images: ``[batch, height, width, channels]``.
      row_centres, column_centres: integer centres ``[batch]``.
      size: ``(h, w)``, the square's side in pixels along each axis (Python ints).
    Returns:
      Images of the same shape and dtype.
    """
    images = tf.convert_to_tensor(images)
    height, width = _spatial_size(images)

    def covered(centres, side, extent):
        start = tf.reshape(tf.cast(centres, tf.int32), [-1, 1]) - side // 2
        index = tf.range(extent)[tf.newaxis, :]
        return (index >= start) & (index < start + side)  # [batch, extent]

    rows, columns = covered(row_centres, size[0], height), covered(column_centres, size[1], width)
    square = rows[:, :, tf.newaxis, tf.newaxis] & columns[:, tf.newaxis, :, tf.newaxis]
    return tf.where(square, tf.zeros_like(images), images)


def adjust_brightness(images, deltas):
    """``x + b`` per sample, ``deltas`` ``[batch]`` (DiffAugment draws ``b ~ U(-0.5, 0.5)``)."""
    images = tf.convert_to_tensor(images)
    return images + _per_sample(deltas, images)


def adjust_saturation(images, factors):
    """``(x - m_c) * s + m_c`` per sample, ``m_c`` the mean over the channels of each pixel, ``factors`` ``[batch]``
    (DiffAugment draws ``s ~ U(0, 2)``). The identity on one-channel images."""
    images = tf.convert_to_tensor(images)
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    return (images - mean) * _per_sample(factors, images) + mean


def adjust_contrast(images, factors):
    """``(x - m) * c + m`` per sample, ``m`` the mean of the sample's pixels and channels, ``factors`` ``[batch]``
    (DiffAugment draws ``c ~ U(0.5, 1.5)``)."""
    images = tf.convert_to_tensor(images)
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * _per_sample(factors, images) + mean


# --- Random parameters ---------------------------------------------------------------------------------------


def _round_half_up(value):
    return int(value + 0.5)  # the official code's int(size * ratio + 0.5)


def _uniform_integers(uniform, batch, low, high):
    """Integers uniform on ``[low, high]`` (both included), ``[batch]``, from ``uniform(shape)`` in [0, 1)."""
    count = high - low + 1
    drawn = tf.floor(tf.cast(uniform([batch]), tf.float32) * count)
    return low + tf.minimum(tf.cast(drawn, tf.int32), count - 1)


def _uniform_reals(uniform, batch, low, high):
    return low + (high - low) * tf.cast(uniform([batch]), tf.float32)


def _random_translation(images, uniform, ratio):
    height, width = _spatial_size(images)
    batch = tf.shape(images)[0]
    row_limit, column_limit = _round_half_up(height * ratio), _round_half_up(width * ratio)
    return translate(images, _uniform_integers(uniform, batch, -row_limit, row_limit),
                     _uniform_integers(uniform, batch, -column_limit, column_limit))


def _random_cutout(images, uniform, ratio):
    height, width = _spatial_size(images)
    batch = tf.shape(images)[0]
    size = (_round_half_up(height * ratio), _round_half_up(width * ratio))
    # the official offsets: uniform on [0, side - (size mod 2)]
    return cut_out(images, _uniform_integers(uniform, batch, 0, height - size[0] % 2),
                   _uniform_integers(uniform, batch, 0, width - size[1] % 2), size)


# --- The augmentation objects --------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class DiffAugment(keras.layers.Layer):
    """DiffAugment (Zhao et al., NeurIPS 2020): every transformation of ``policy`` applied to every critic input.

    ``GAN(..., augment=DiffAugment("translation,cutout"))`` (or the string itself) transforms the real and the
    generated images before every critic call (critic updates and generator updates), each sample with its
    own random parameters; see the module docstring for the transformations.

    Which inputs the penalties see: a penalty evaluates the *augmented* critic ``D(T(.))`` at its own points,
    built from the un-augmented images: R1 is ``||grad_x D(T(x))||^2`` at the real ``x``, the gradient taken
    through ``T``, as the official DiffAugment StyleGAN2 code (its loss ``ns_DiffAugment_r1``; the variant
    ``ns_r1_DiffAugment`` takes R1 at the augmented images instead) and StyleGAN2-ADA compute it (they differentiate
    the augmented reals' scores with respect to the un-augmented reals); WGAN-GP's and DRAGAN's points are
    interpolated / perturbed from the un-augmented images and then pass through ``T`` with the critic (no
    official DiffAugment code has these penalties; this keeps their constraint on the function the losses
    see). ``T`` is drawn afresh for the penalty's critic call. GN-GAN's normalised critic ``f_hat`` is the
    discriminator network, so it is evaluated on (and normalised by the gradient with respect to) the augmented
    images ``T(x)``. The official BigGAN/CIFAR code has no gradient penalty.

    Defaults: ``policy="color,translation,cutout"``, the paper's recommendation for limited data (its CIFAR
    BigGAN runs use ``"translation,cutout"``); ``translation_ratio=1/8``, ``cutout_ratio=1/2`` (the official
    code's).

    Args:
      policy: comma-separated names from :data:`POLICIES`, applied in the order given.
      translation_ratio: the largest shift, as a fraction of the side (rounded to whole pixels).
      cutout_ratio: the square's side, as a fraction of the image side (rounded).
      **kwargs: ``keras.layers.Layer`` arguments (``name``).
    """

    adaptive = False
    default_policy = "color,translation,cutout"

    def __init__(self, policy=default_policy, translation_ratio=0.125, cutout_ratio=0.5, **kwargs):
        super().__init__(**kwargs)
        self.policy = ",".join(parse_policy(policy))
        for name, value in (("translation_ratio", translation_ratio), ("cutout_ratio", cutout_ratio)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"{name}={value!r} must be a fraction of the image side in (0, 1] (the official "
                                 "code uses 1/8 for translation and 1/2 for cutout).")
        self.translation_ratio, self.cutout_ratio = float(translation_ratio), float(cutout_ratio)

    @property
    def transformations(self):
        """The elementary transformations, in the order they are applied."""
        return tuple(step for name in self.policy.split(",") for step in POLICIES[name])

    @property
    def figure_names(self):
        """Scalars the model reports for the augmentation (none for a fixed one)."""
        return []

    def _transform(self, step, images, uniform):
        batch = tf.shape(images)[0]
        if step == "translation":
            return _random_translation(images, uniform, self.translation_ratio)
        if step == "cutout":
            return _random_cutout(images, uniform, self.cutout_ratio)
        if step == "brightness":
            return adjust_brightness(images, _uniform_reals(uniform, batch, -0.5, 0.5))
        if step == "saturation":
            return adjust_saturation(images, _uniform_reals(uniform, batch, 0.0, 2.0))
        return adjust_contrast(images, _uniform_reals(uniform, batch, 0.5, 1.5))

    def probability(self):
        """The probability with which each transformation is applied to a sample (None: always)."""
        return None

    def augment(self, images, uniform):
        """The images after every transformation of the policy, each sample with its own parameters.

        Args:
          images: ``[batch, height, width, channels]`` (any float dtype, any number of channels).
          uniform: ``shape -> tensor`` uniform on [0, 1), e.g. ``lambda s: keras.random.uniform(s, seed=gen)``;
            the model passes its own (``GAN._uniform``).
        Returns:
          Augmented images, same shape and dtype; differentiable with respect to ``images``.
        """
        images = tf.convert_to_tensor(images)
        probability = self.probability()
        for step in self.transformations:
            transformed = self._transform(step, images, uniform)
            if probability is not None:  # ADA: each sample undergoes each transformation with probability p
                applied = tf.cast(uniform([tf.shape(images)[0]]), tf.float32) < probability
                transformed = tf.where(applied[:, tf.newaxis, tf.newaxis, tf.newaxis], transformed, images)
            images = transformed
        return images

    def observe(self, real_margins, images):
        """Hook for adaptive augmentation (see :class:`ADA`); a fixed augmentation reports nothing."""
        del real_margins, images
        return {}

    def get_config(self):
        return {**super().get_config(), "policy": self.policy, "translation_ratio": self.translation_ratio,
                "cutout_ratio": self.cutout_ratio}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class ADA(DiffAugment):
    """Adaptive discriminator augmentation (Karras et al., NeurIPS 2020) over DiffAugment's transformations.

    Each transformation of ``policy`` is applied to each sample with probability ``p`` (the real and generated
    images alike, before every critic call). ``p`` starts at ``initial_probability`` and is adjusted every
    ``interval`` critic updates from the overfitting heuristic

        r_t = E[sign(D(x_real))]  over the real samples of those updates (as the critic saw them, augmented),
        p  <- clip(p + sign(r_t - target) * images / speed_images, 0, 1),

    ``images`` the real images of the interval (``batch * interval`` with one batch per update, as the paper's
    ``N * batch``). A critic that is sure of the training images (``r_t`` above ``target``) gets more
    augmentation. The official code clips ``p`` at 0 only (a ``p`` above 1 acts as 1); here it stays in [0, 1].

    What ``sign(D(x_real))`` means depends on the critic's head (:func:`real_margins`): for logit and hinge
    critics it is the sign of the output (the paper's); for least squares the side of 0.5 (between the 0/1
    targets); for relativistic losses the sign of ``D(x) - E[D(G(z))]``; for critics without a fixed decision
    point (Wasserstein critics, Sphere GAN's distances, any other loss) the side of the midpoint between the
    batch means of the real and the generated outputs; RealnessGAN's distributional critic overrides it with
    ``KL(A0 || D(x)) - KL(A1 || D(x))`` (closer to the real anchor). In every case ``r_t`` is near 0 when the
    critic cannot tell the training images from the generated ones and 1 when it is sure of all of them.

    ``p`` (and the interval's running sums) are non-trainable variables of this layer, saved with the model, so
    a ``.keras`` reload or a ``BackupAndRestore`` resume continues with the same ``p``; the model reports
    ``ada_p`` and ``ada_rt`` (the last completed interval's ``r_t``). The adaptation happens in
    :meth:`tfgan_zoo.models.GAN.discriminator_objective`; a ``train_step`` override with its own critic loss
    calls ``self.adapt_augmentation(real_images, real_output, fake_output)`` there.

    Defaults, the paper's (official ``ada_target=0.6``, ``ada_interval=4``, ``ada_kimg=500``): ``target=0.6``,
    ``interval=4``, ``speed_images=500_000`` (``p`` can go from 0 to 1 in 500k images). MNIST runs on a CPU
    show the critic 100-400k images in all, so ``speed_images`` around 100,000 lets ``p`` move within a run.

    Args:
      policy: as :class:`DiffAugment`.
      target: the ``r_t`` that ``p`` steers towards, in (0, 1).
      interval: critic updates between adjustments, >= 1.
      speed_images: real images over which ``p`` can move by 1, > 0.
      initial_probability: ``p`` at the start, in [0, 1].
      translation_ratio, cutout_ratio, **kwargs: as :class:`DiffAugment`.
    """

    adaptive = True

    def __init__(self, policy=DiffAugment.default_policy, target=0.6, interval=4, speed_images=500_000,
                 initial_probability=0.0, **kwargs):
        super().__init__(policy, **kwargs)
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < 1:
            raise ValueError(f"target={target!r} must be in (0, 1): the r_t = E[sign(D(x_real))] that p steers to "
                             "(the paper uses 0.6).")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"interval={interval!r} must be an integer >= 1: critic updates between adjustments of "
                             "p (the paper uses 4).")
        if isinstance(speed_images, bool) or not isinstance(speed_images, (int, float)) or not speed_images > 0:
            raise ValueError(f"speed_images={speed_images!r} must be > 0: the real images over which p can move by 1 "
                             "(the paper uses 500000).")
        if isinstance(initial_probability, bool) or not isinstance(initial_probability, (int, float)) \
                or not 0 <= initial_probability <= 1:
            raise ValueError(f"initial_probability={initial_probability!r} must be in [0, 1] (the paper starts at 0).")
        self.target, self.interval = float(target), interval
        self.speed_images, self.initial_probability = float(speed_images), float(initial_probability)

    def build(self, input_shape=None):
        """Creates ``p``, ``r_t`` and the interval's sums (call it under the model's distribution strategy)."""
        if self.built:
            return

        def state(name, value=0.0):
            # every replica computes the same update from all-reduced sums
            return self.add_weight(shape=(), initializer=keras.initializers.Constant(value), trainable=False,
                                   dtype="float32", aggregation="only_first_replica", name=name)

        self.p = state("p", self.initial_probability)
        self.rt = state("rt")
        self._sign_sum, self._sign_count = state("sign_sum"), state("sign_count")
        self._images_seen, self._updates = state("interval_images"), state("interval_updates")
        self.built = True

    @property
    def figure_names(self):
        return ["ada_p", "ada_rt"]

    def probability(self):
        return tf.convert_to_tensor(self.p)

    def observe(self, real_margins, images):
        """Adds one critic update's real margins to the interval; at its end, adjusts ``p``.

        Args:
          real_margins: ``[batch, ...]``, positive where the critic judges a real sample real
            (:func:`real_margins`).
          images: the number of real images of the update (a scalar).
        Returns:
          ``{"ada_p": p, "ada_rt": r_t}`` after the update.
        """
        signs = tf.sign(tf.cast(real_margins, tf.float32))
        sums = tf.stack([tf.reduce_sum(signs), tf.cast(tf.size(signs), tf.float32), tf.cast(images, tf.float32)])
        if tf.distribute.get_strategy().num_replicas_in_sync > 1:
            sums = tf.distribute.get_replica_context().all_reduce("SUM", sums)
        sign_sum, sign_count = self._sign_sum + sums[0], self._sign_count + sums[1]
        images_seen, updates = self._images_seen + sums[2], self._updates + 1.0
        due = updates >= float(self.interval)
        rt = sign_sum / tf.maximum(sign_count, 1.0)
        adjusted = tf.clip_by_value(self.p + tf.sign(rt - self.target) * images_seen / self.speed_images, 0.0, 1.0)
        self.p.assign(tf.where(due, adjusted, self.p))
        self.rt.assign(tf.where(due, rt, self.rt))
        for variable, value in ((self._sign_sum, sign_sum), (self._sign_count, sign_count),
                                (self._images_seen, images_seen), (self._updates, updates)):
            variable.assign(tf.where(due, 0.0, value))
        return {"ada_p": tf.convert_to_tensor(self.p), "ada_rt": tf.convert_to_tensor(self.rt)}

    def get_config(self):
        return {**super().get_config(), "target": self.target, "interval": self.interval,
                "speed_images": self.speed_images, "initial_probability": self.initial_probability}


# --- The overfitting heuristic's margins per critic head -----------------------------------------------------

_ZERO_THRESHOLD_LOSSES = frozenset({"minimax", "non_saturating", "hinge"})
_RELATIVISTIC_LOSSES = frozenset({"relativistic_average", "relativistic_average_least_squares"})


def real_margins(loss_name, real_output, fake_output):
    """Per-sample margins of the real batch whose sign says whether the critic judges a sample real (ADA's
    ``sign(D(x))``), for a critic trained with the loss ``loss_name``; float32, the shape of ``real_output``.

    * ``minimax``, ``non_saturating``, ``hinge``: ``D(x)`` (a logit, or a hinge score, decided at 0);
    * ``least_squares``: ``D(x) - 0.5`` (between the 0 and 1 targets);
    * ``relativistic_average*``: ``D(x) - E[D(G(z))]`` (the relativistic logit);
    * anything else (``wasserstein``, Sphere GAN's distances, custom losses), whose critic has no fixed decision
      point: ``D(x) - (E[D(x)] + E[D(G(z))]) / 2``, the side of the midpoint between the two batch means.
    """
    real = tf.cast(real_output, tf.float32)
    if loss_name in _ZERO_THRESHOLD_LOSSES:
        return real
    if loss_name == "least_squares":
        return real - 0.5
    fake_mean = tf.reduce_mean(tf.cast(fake_output, tf.float32))
    if loss_name in _RELATIVISTIC_LOSSES:
        return real - fake_mean
    return real - 0.5 * (tf.reduce_mean(real) + fake_mean)


# --- Choosing one ---------------------------------------------------------------------------------------------


def get_augment(augment):
    """Resolves ``GAN(augment=...)``: None or ``"none"`` -> None; a policy string -> :class:`DiffAugment`; a
    :class:`DiffAugment` / :class:`ADA` stays; a serialised config (``get_config``'s dict) is deserialised."""
    if augment is None or isinstance(augment, DiffAugment):
        return augment
    if isinstance(augment, str):
        return None if augment.strip().lower() in _NO_AUGMENTATION else DiffAugment(augment)
    if isinstance(augment, dict):
        restored = keras.saving.deserialize_keras_object(augment)
        if isinstance(restored, DiffAugment):
            return restored
    raise ValueError(f"augment={augment!r} must be None, a DiffAugment policy string such as 'translation,cutout' "
                     "(names from " + ", ".join(sorted(POLICIES)) + "), or a tfgan_zoo.augment.DiffAugment / ADA.")


def from_recipe(augment, ada):
    """The ``augment`` argument of a model from a recipe's fields (:mod:`tfgan_zoo.recipes`).

    Args:
      augment: ``"none"`` or a policy string.
      ada: False (fixed DiffAugment), True (ADA with the paper's settings) or a dict of :class:`ADA` arguments
        (``target``, ``interval``, ``speed_images``, ``initial_probability``).
    Returns:
      None, a :class:`DiffAugment` or an :class:`ADA`.
    """
    resolved = get_augment(augment)
    if ada is False or ada is None:
        return resolved
    if resolved is None:
        raise ValueError("recipe ada is set but augment is 'none': ADA adapts the probability of an augmentation; "
                         "set augment too, e.g. --set augment=color,translation,cutout.")
    return ADA(resolved.policy, **({} if ada is True else ada))
