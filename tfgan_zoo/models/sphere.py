"""Sphere GAN (Park & Kwon, "Sphere Generative Adversarial Network Based on Geometric Moment Matching", CVPR 2019).

The critic's features ``D(x)`` in ``R^n`` are mapped onto the unit sphere ``S^n`` by the inverse stereographic
projection, and the critic value of a sample is its geodesic distance ``d`` to the north pole ``N``
(:mod:`tfgan_zoo.layers.sphere`). The adversarial game matches the first ``R`` moments of that distance:

    min_G max_D  sum_{r=1..R}  E_x[d^r(N, D(x))] - E_z[d^r(N, D(G(z)))]

The moment losses below are pure functions of the distances, with the contract of :mod:`tfgan_zoo.losses`
(``discriminator(real, fake)``, ``generator(fake, real=None)``) plus the number of moments ``R``.
"""
from __future__ import annotations

import functools

import keras
import numpy as np
import tensorflow as tf

from .. import losses as losses_lib
from ..checks import check_positive_int
from ..layers.sphere import geodesic_distance_to_north_pole, inverse_stereographic_projection
from .gan import GAN

__all__ = ["SphereGAN", "distance_moments", "sphere_discriminator_loss", "sphere_generator_loss"]


def distance_moments(distances, moments):
    """The first ``R`` raw moments of the distances: ``[E[d], E[d^2], ..., E[d^R]]``.

    Args:
      distances: geodesic distances ``[batch, ...]`` (any float dtype; averaged over every element, float32).
      moments: ``R >= 1``, a Python int.
    Returns:
      float32 ``[R]``.
    """
    d = tf.cast(distances, tf.float32)
    # Repeated products rather than pow/cumprod: their gradients at d = 0 go through log(0) or divide by d.
    power, means = d, [tf.reduce_mean(d)]
    for _ in range(moments - 1):
        power = power * d
        means.append(tf.reduce_mean(power))
    return tf.stack(means)


def sphere_discriminator_loss(real_distances, fake_distances, moments=3):
    """Sphere GAN critic loss (Park & Kwon 2019), minimised by the critic.

    ``L_D = sum_{r=1..R} E_z[d^r(G(z))] - E_x[d^r(x)]``, the negative of the objective the critic maximises,
    where ``d`` is the geodesic distance of the projected feature to the north pole ``N``. Minimising it moves
    real samples' features away from ``N`` (towards the south pole, ``d -> pi``) and fakes' towards ``N``
    (``d -> 0``): the same sign as the authors' code (``d_loss = -E[d(real)] + E[d(fake)]``).

    Args:
      real_distances: distances of real samples, ``[batch, ...]``, values in ``[0, pi]``.
      fake_distances: distances of generated samples.
      moments: ``R``, the number of moments summed (default 3).
    Returns:
      Scalar float32.
    """
    return tf.reduce_sum(distance_moments(fake_distances, moments) - distance_moments(real_distances, moments))


def sphere_generator_loss(fake_distances, real_distances=None, moments=3):
    """Sphere GAN generator loss (Park & Kwon 2019): ``L_G = -sum_{r=1..R} E_z[d^r(G(z))]``.

    Minimising it moves the fakes' features away from the north pole, to where the critic puts real data.

    Args:
      fake_distances: distances of generated samples, ``[batch, ...]``.
      real_distances: unused; present for the common loss contract.
      moments: ``R`` (default 3).
    Returns:
      Scalar float32.
    """
    del real_distances
    return -tf.reduce_sum(distance_moments(fake_distances, moments))


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class SphereGAN(GAN):
    """Sphere GAN (Park & Kwon, CVPR 2019): geometric moment matching on a hypersphere.

    The discriminator network outputs features ``D(x)`` in ``R^n`` (any ``n >= 1``; other shapes are
    flattened per sample); :meth:`discriminator_head` projects them onto ``S^n`` and returns each sample's
    geodesic distance ``d`` to the north pole ``N = (0, ..., 0, 1)``, so ``critic(images)`` has shape
    ``[batch]`` with values in ``[0, pi]``. The game is

        min_G max_D  sum_{r=1..R}  E_x[d^r(N, D(x))] - E_z[d^r(N, D(G(z)))]

    Sign convention (the paper's, and its authors' code): the critic maximises
    ``sum_r E_real[d^r] - E_fake[d^r]``, i.e. it pushes real features *far* from ``N`` (towards the south
    pole, small ``||D(x)||``) and fake features close to ``N`` (large ``||D(G(z))||``); the generator minimises
    ``-sum_r E_fake[d^r]``, pushing its samples' features far from ``N`` as well. Losses:
    :func:`sphere_discriminator_loss` and :func:`sphere_generator_loss`.

    Defaults (from the paper and the official code): ``moments = 3`` (the paper's suggestion; the official
    code uses 1 and the paper's best ConvNet result sums moments 1..5), ``n_critic = 1``, Adam(1e-4,
    beta_1=0, beta_2=0.9) for both networks, no Lipschitz constraint (the paper's claim: the sphere bounds the
    IPM). The net and data defaults are class attributes for building them: ``default_feature_dim = 1024``
    (the discriminator's ``n``, i.e. ``S^1024``), ``default_latent_dim = 128``, ``default_batch_size = 64``.

    A Lipschitz constraint is still available: ``penalty="gp"`` (or ``"dragan"``, ``"r1"``) penalises the
    gradient of the critic value ``d``; a spectrally normalised discriminator is another choice.

    Figures: besides ``d_loss`` and ``g_loss``, ``d{r}_real`` and ``d{r}_fake`` for ``r = 1..R`` are the
    moments ``E[d^r]`` of the real and fake distances seen by each critic update (``d1_*`` is the mean
    distance, in radians), to watch the geometry: a critic that separates the two has ``d1_real > d1_fake``.

    Args:
      generator, discriminator, latent_dim: as :class:`GAN`; the discriminator outputs features
        ``[batch, n]`` (no final scalar unit).
      moments: ``R >= 1``, the number of distance moments summed (``default_moments`` when None).
      **kwargs: other :class:`GAN` arguments (``penalty``, ``n_critic``, ``ema_decay``, ...); ``loss`` is fixed
        by the method and may not be given.
    """

    default_n_critic = 1
    default_penalty = None
    batch_independent_head = True  # the projection and distance are per sample: real and fake may share a pass
    default_discriminator_optimizer = {"class_name": "Adam", "config": {"learning_rate": 1e-4, "beta_1": 0.0,
                                                                        "beta_2": 0.9}}
    default_generator_optimizer = default_discriminator_optimizer
    default_moments = 3
    critic_outputs_per_sample = None  # any feature width: the head projects the features onto the sphere
    default_feature_dim = 1024
    default_latent_dim = 128
    default_batch_size = 64

    def __init__(self, generator, discriminator, latent_dim=None, *, moments=None, **kwargs):
        if kwargs.get("loss") is not None:
            raise ValueError(f"SphereGAN's loss is its moment loss; loss={kwargs['loss']!r} cannot be given. Choose "
                             "the number of moments with moments=R, or use GAN(..., loss=...) for another loss.")
        moments = check_positive_int("moments", self.default_moments if moments is None else moments,
                                      "It is R, the number of distance moments summed (the paper suggests 3).")
        kwargs["loss"] = losses_lib.LossPair(
            functools.partial(sphere_discriminator_loss, moments=moments),
            functools.partial(sphere_generator_loss, moments=moments),
            generator_needs_real=False, name=f"sphere_moments_{moments}")
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.moments = moments
        self._check_feature_width()

    def _check_feature_width(self):
        """The critic must give at least one feature per sample to project onto the sphere."""
        try:
            shape = self.discriminator.output_shape
        except (AttributeError, ValueError, RuntimeError):  # a subclassed critic has no static output shape
            return
        if isinstance(shape, tuple) and len(shape) >= 2 and all(isinstance(n, int) for n in shape[1:]):
            width = int(np.prod(shape[1:]))
            if width < 1:
                raise ValueError(f"The critic's feature width is 0 (output shape {shape}); SphereGAN projects each "
                                 "sample's critic features onto the sphere, so the discriminator must output at "
                                 f"least one feature (the paper uses {self.default_feature_dim}).")

    @property
    def figure_names(self):
        return super().figure_names + [f"d{r}_{kind}" for r in range(1, self.moments + 1) for kind in ("real", "fake")]

    def discriminator_head(self, outputs):
        """Features ``[batch, ...]`` -> geodesic distance of their projection to ``N``, float32 ``[batch]``."""
        if len(outputs.shape) != 2:
            outputs = tf.reshape(outputs, [tf.shape(outputs)[0], -1])
        return geodesic_distance_to_north_pole(inverse_stereographic_projection(outputs))

    def critic_figures(self, real_output, fake_output):
        real, fake = distance_moments(real_output, self.moments), distance_moments(fake_output, self.moments)
        figures = {}
        for r in range(self.moments):
            figures[f"d{r + 1}_real"] = real[r]
            figures[f"d{r + 1}_fake"] = fake[r]
        return figures

    def get_config(self):
        config = {**super().get_config(), "moments": self.moments}
        del config["loss"]  # set by the method from `moments`
        return config
