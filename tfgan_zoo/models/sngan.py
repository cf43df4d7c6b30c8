"""SNGAN (Miyato, Kataoka, Koyama, Yoshida, ICLR 2018): a spectrally normalised critic and the hinge loss."""
from __future__ import annotations

import warnings

import keras

from ..inspection import layers_without_spectral_normalization
from .gan import GAN
from .paper_settings import PaperSettings, adam

__all__ = ["SNGAN", "layers_without_spectral_normalization"]


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class SNGAN(PaperSettings, GAN):
    """SNGAN (Miyato et al., ICLR 2018): spectral normalisation on every critic layer, hinge loss.

    Each critic weight is used as ``W / sigma(W)``, ``sigma`` its largest singular value estimated by one
    power iteration per training call, which bounds every layer's Lipschitz constant by 1. The losses are
    the hinge pair, critic ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``, generator ``-E[D(G(z))]``
    (``loss="non_saturating"`` gives the paper's other objective).

    The spectral normalisation lives in the discriminator network, not in the model: build it with
    ``tfgan_zoo.nets`` and ``spectral_normalization=True``, or wrap each ``Dense``/``Conv`` layer in
    :class:`tfgan_zoo.layers.spectral_normalization.SpectralNormalization` (the raw weight stays the trainable
    variable, as in the paper; ``keras.layers.SpectralNormalization``, which overwrites the kernel with
    ``W / sigma`` so that no gradient flows through ``sigma``, is accepted too). The constructor warns,
    naming the layers, when some weight layer of the discriminator has no spectral normalisation.

    Defaults, from the official code (pfnet-research/sngan_projection) and the paper:

    * ``setting="resnet"`` (default): ``n_critic = 5``, Adam(2e-4, beta_1=0, beta_2=0.9) for both networks,
      generator batch twice the critic's (``generator_batch_multiplier = 2``: 128 vs 64), learning rates
      decayed linearly to 0 over training (50,000 generator steps on CIFAR-10): pass
      ``callbacks=[tfgan_zoo.callbacks.LinearLearningRateDecay(total_steps)]`` to ``fit``.
    * ``setting="cnn"`` (standard CNN): ``n_critic = 1``, Adam(2e-4, beta_1=0.5, beta_2=0.999), equal batches.

    Args:
      generator, discriminator, latent_dim: as :class:`GAN`.
      setting: ``"resnet"`` or ``"cnn"``; picks the defaults above for ``n_critic``,
        ``generator_batch_multiplier`` and the optimizers of ``compile()``. Explicit arguments win.
      **kwargs: other :class:`GAN` arguments (``loss``, ``penalty``, ``ema_decay``, ...).
    """

    settings = {
        "resnet": {"n_critic": 5, "loss": "hinge", "generator_batch_multiplier": 2,
                   "d_optimizer": adam(2e-4, 0.0, 0.9), "g_optimizer": adam(2e-4, 0.0, 0.9)},
        "cnn": {"n_critic": 1, "loss": "hinge", "generator_batch_multiplier": 1,
                "d_optimizer": adam(2e-4, 0.5, 0.999), "g_optimizer": adam(2e-4, 0.5, 0.999)},
    }
    default_setting = "resnet"

    def __init__(self, generator, discriminator, latent_dim=None, *, setting=None, **kwargs):
        super().__init__(generator, discriminator, latent_dim, setting=setting, **kwargs)
        unnormalised, _ = layers_without_spectral_normalization(discriminator)
        if unnormalised:
            warnings.warn(
                f"SNGAN expects spectral normalisation on every critic layer, but these layers of the "
                f"discriminator have none: {unnormalised}. Build it with tfgan_zoo.nets (spectral_normalization="
                f"True) or wrap each layer in tfgan_zoo.layers.spectral_normalization.SpectralNormalization.",
                UserWarning, stacklevel=2)
