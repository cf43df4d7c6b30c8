"""SAGAN (Zhang, Goodfellow, Metaxas, Odena, ICML 2019, "Self-Attention Generative Adversarial Networks")."""
from __future__ import annotations

import warnings

import keras

from ..inspection import has_layer, layers_without_spectral_normalization
from ..layers.attention import SelfAttention
from .gan import GAN

__all__ = ["SAGAN"]


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class SAGAN(GAN):
    """SAGAN's training recipe: spectral normalisation in both networks, hinge loss, TTUR, self-attention.

    Critic ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``, generator ``-E[D(G(z))]``, one critic update per
    generator update, Adam(beta_1=0, beta_2=0.9) with the two time-scale learning rates of Heusel et al. 2017:
    4e-4 for the critic and 1e-4 for the generator (section 5 of the paper). Spectral normalisation and the
    self-attention blocks live in the networks: build them with ``tfgan_zoo.nets`` and
    ``spectral_normalization=True, attention_resolution=r`` (or take ``tfgan_zoo.zoo.build("sagan", shape)``).
    The constructor warns, naming the layers, when a weight layer of either network has no spectral
    normalisation, or when a network has no self-attention block.

    Where the attention goes: the paper compares blocks on the 8, 16, 32 and 64 px feature maps of 128 px
    images (Table 1) and finds the large maps (32 and 64, i.e. 1/4 to 1/2 of the image side) best. The zoo's
    ``"sagan"`` entry (:meth:`image_network_options`) puts one block in each network at half the image side:
    the 14x14 maps for 28 px MNIST, 16x16 for 32 px, 32x32 for 64 px.

    Args: as :class:`GAN` (``loss``, ``n_critic``, ``ema_decay``...), with the defaults above.
    """

    default_n_critic = 1
    default_loss = "hinge"
    default_discriminator_optimizer = {"class_name": "Adam",
                                       "config": {"learning_rate": 4e-4, "beta_1": 0.0, "beta_2": 0.9}}
    default_generator_optimizer = {"class_name": "Adam",
                                   "config": {"learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9}}

    @staticmethod
    def image_network_options(data_shape):
        """Options of the zoo's image networks (``tfgan_zoo.nets``) for SAGAN, given ``(size, size, channels)``:
        spectral normalisation in both, one self-attention block at ``size // 2`` in each."""
        options = {"spectral_normalization": True, "attention_resolution": int(data_shape[0]) // 2}
        return {"generator": dict(options), "discriminator": dict(options)}

    def __init__(self, generator, discriminator, latent_dim=None, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        images = len(self.sample_shape) == 3  # toy (MLP) nets have no feature maps to attend over
        for role, network in (("generator", generator), ("discriminator", discriminator)):
            unnormalised, _ = layers_without_spectral_normalization(network)
            if unnormalised:
                warnings.warn(f"SAGAN uses spectral normalisation in both networks, but these layers of the {role} "
                              f"have none: {unnormalised}. Build it with tfgan_zoo.nets(spectral_normalization=True).",
                              UserWarning, stacklevel=2)
            if images and not has_layer(network, SelfAttention):
                warnings.warn(f"The SAGAN {role} has no SelfAttention block; build it with tfgan_zoo.nets(..., "
                              "attention_resolution=...).", UserWarning, stacklevel=2)
