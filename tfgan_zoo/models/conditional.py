"""Class-conditional variants: cGAN with a projection discriminator (``cgan``) and ACGAN (``acgan``).

Conditioning itself is an option of every variant (``conditioning=`` of :class:`tfgan_zoo.GAN`, see
:mod:`tfgan_zoo.conditioning`): ``WGANGP(g, d, conditioning=10)`` trains a conditional WGAN-GP with a projection
critic. The two classes here only fix the papers' combinations and require the conditioning.
"""
from __future__ import annotations

import keras

from .gan import GAN
from .sngan import SNGAN

__all__ = ["CGAN", "ACGAN"]


def _require_conditioning(model, head, instead):
    if model.conditioning is None:
        raise ValueError(f"{type(model).__name__} is class-conditional: pass conditioning=num_classes (e.g. 10), and "
                         "nets built with num_classes=... (tfgan_zoo.nets).")
    if model.conditioning.head != head:
        raise ValueError(f"{type(model).__name__} uses the {head} head; got head={model.conditioning.head!r}. "
                         f"{instead}")


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class CGAN(SNGAN):
    """cGAN with a projection discriminator (Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018):
    SNGAN's spectrally normalised critic and hinge loss, the critic ``D(x, y) = psi(phi(x)) + embed(y)^T phi(x)``
    and a generator with conditional batch normalisation.

    Build the nets with ``num_classes=K`` (:func:`tfgan_zoo.nets.resnet_discriminator` with
    ``spectral_normalization=True`` and the default ``class_head="projection"``, and a generator with conditional
    batch norm); train on ``(images, labels)`` batches. The defaults are SNGAN's (``setting="resnet"``: 5 critic
    updates, Adam(2e-4, 0, 0.9), generator batch twice the critic's), the paper's ImageNet settings.

    Args:
      generator, discriminator, latent_dim: as :class:`GAN`; both networks take ``[inputs, labels]``.
      conditioning: the number of classes, or a :class:`tfgan_zoo.conditioning.Conditioning` (head "projection").
      **kwargs: :class:`SNGAN` arguments (``setting``, ``n_critic``, ``ema_decay``, ...).
    """

    def __init__(self, generator, discriminator, latent_dim=None, *, conditioning=None, **kwargs):
        super().__init__(generator, discriminator, latent_dim, conditioning=conditioning, **kwargs)
        _require_conditioning(self, "projection", "Use ACGAN for an auxiliary classifier.")


@keras.saving.register_keras_serializable(package="tfgan_zoo")
class ACGAN(GAN):
    """ACGAN (Odena, Olah, Shlens, "Conditional Image Synthesis with Auxiliary Classifier GANs", ICML 2017).

    The critic sees the images alone and outputs ``1 + K`` values: the source logit ``P(S = real | x)`` and the
    logits of an auxiliary classifier ``P(C | x)``. With the paper's log-likelihoods ``L_S`` (source) and ``L_C``
    (class, on real and generated images), the discriminator maximises ``L_S + L_C`` and the generator
    ``L_C - L_S``; both class terms have weight 1, real and fake equally (see
    :func:`tfgan_zoo.conditioning.acgan_class_losses`). Here: critic loss = standard GAN loss +
    ``CE(real class) + CE(fake class)``; generator loss = non-saturating loss + ``CE(fake class)``; Adam(2e-4,
    beta_1=0.5), as the paper's DCGAN-based nets.

    Args:
      generator, discriminator, latent_dim: as :class:`GAN`; the generator takes ``[z, labels]``, the
        discriminator images, ending in ``1 + K`` outputs (``tfgan_zoo.nets`` with ``num_classes=K,
        class_head="auxiliary"``).
      conditioning: the number of classes, or a :class:`tfgan_zoo.conditioning.Conditioning` with head
        "auxiliary" (``class_loss_weight`` scales both class terms; 1 in the paper).
      **kwargs: other :class:`GAN` arguments (``loss``, ``penalty``, ``ema_decay``, ...).
    """

    conditioning_head = "auxiliary"

    def __init__(self, generator, discriminator, latent_dim=None, *, conditioning=None, **kwargs):
        super().__init__(generator, discriminator, latent_dim, conditioning=conditioning, **kwargs)
        _require_conditioning(self, "auxiliary", "Use CGAN, or conditioning=... on another variant, for a projection "
                                                 "critic.")
