"""Wasserstein GANs: weight clipping (Arjovsky et al. 2017) and gradient penalty (Gulrajani et al. 2017)."""
from __future__ import annotations

import keras
import tensorflow as tf

from .gan import GAN

__all__ = ["WGAN", "WGANGP"]


class _WassersteinFigures:
    """Reports the critic's estimate of the Wasserstein-1 distance, ``E[f(x)] - E[f(G(z))]``."""

    @property
    def figure_names(self):
        return super().figure_names + ["wasserstein_estimate"]

    def critic_figures(self, real_output, fake_output):
        estimate = tf.reduce_mean(tf.cast(real_output, tf.float32)) - tf.reduce_mean(tf.cast(fake_output, tf.float32))
        return {"wasserstein_estimate": estimate}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class WGAN(_WassersteinFigures, GAN):
    """WGAN with weight clipping (Arjovsky et al. 2017, Algorithm 1).

    Critic loss ``E[f(G(z))] - E[f(x)]``, generator loss ``-E[f(G(z))]``; after every critic update each critic
    weight is clipped to ``[-clip_value, clip_value]``. Paper defaults: ``clip_value = 0.01``, ``n_critic = 5``,
    RMSProp with learning rate 5e-5 for both networks.

    Args:
      clip_value: the clipping bound ``c``; other arguments as :class:`GAN`.
    """

    default_n_critic = 5
    default_loss = "wasserstein"
    default_discriminator_optimizer = {"class_name": "RMSprop", "config": {"learning_rate": 5e-5}}
    default_generator_optimizer = {"class_name": "RMSprop", "config": {"learning_rate": 5e-5}}

    def __init__(self, generator, discriminator, latent_dim=None, *, clip_value=0.01, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if not clip_value > 0:
            raise ValueError(f"clip_value={clip_value!r} must be > 0 (the paper uses 0.01).")
        self.clip_value = float(clip_value)

    def after_critic_update(self):
        for weight in self.discriminator.trainable_weights:
            weight.assign(tf.clip_by_value(weight, -self.clip_value, self.clip_value))

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value}


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class WGANGP(_WassersteinFigures, GAN):
    """WGAN-GP (Gulrajani et al. 2017, Algorithm 1).

    Wasserstein losses plus ``lambda * E[(||grad f(x_hat)|| - 1)^2]`` at ``x_hat = a x + (1 - a) G(z)`` with
    ``a ~ U(0, 1)`` per sample. Paper defaults: ``lambda = 10``, ``n_critic = 5``, Adam(1e-4, beta_1=0,
    beta_2=0.9) for both networks. The critic should not use batch normalisation (the penalty is per sample).
    """

    default_n_critic = 5
    default_loss = "wasserstein"
    default_penalty = "gp"
    default_discriminator_optimizer = {"class_name": "Adam", "config": {"learning_rate": 1e-4, "beta_1": 0.0,
                                                                        "beta_2": 0.9}}
    default_generator_optimizer = default_discriminator_optimizer
