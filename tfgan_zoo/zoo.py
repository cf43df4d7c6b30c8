"""The zoo's catalogue: every named variant with its class, options and default networks.

``build(name, data_shape)`` returns a ready (uncompiled) model with networks suited to the data: MLPs for
2-D toy points, DCGAN nets for 28/32/48/64 px images (or ResNet nets with ``family="resnet"``). The CLI,
the benchmarks and the notebooks all build models through here, so a variant is added in one place.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict

from . import nets
from .models import GAN, GNGAN, SNGAN, WGAN, WGANGP, RealnessGAN, SphereGAN, UnrolledGAN
from .models.sagan import SAGAN

__all__ = ["Variant", "VARIANTS", "available_variants", "get_variant", "build", "build_networks"]


@dataclasses.dataclass(frozen=True)
class Variant:
    """A named entry of the zoo.

    Attributes:
      model_class: the ``GAN`` subclass.
      model_options: constructor arguments that define the variant (e.g. ``{"loss": "hinge"}``).
      discriminator_options: options for the default critic network (e.g. spectral normalisation, or the
        output width a distributional or spherical head needs), given the model options.
      generator_options: options for the default generator network.
      summary: one line for listings.
    """

    model_class: type
    model_options: Dict[str, Any] = dataclasses.field(default_factory=dict)
    discriminator_options: Callable[[Dict[str, Any]], Dict[str, Any]] = lambda options: {}
    generator_options: Dict[str, Any] = dataclasses.field(default_factory=dict)
    summary: str = ""


VARIANTS: Dict[str, Variant] = {
    "gan": Variant(GAN, {}, summary="standard GAN, non-saturating generator loss (Goodfellow 2014)"),
    "minimax": Variant(GAN, {"loss": "minimax"}, summary="standard GAN, minimax (saturating) loss"),
    "wgan": Variant(WGAN, summary="WGAN with weight clipping (Arjovsky 2017)"),
    "wgangp": Variant(WGANGP, summary="WGAN-GP (Gulrajani 2017)"),
    "lsgan": Variant(GAN, {"loss": "least_squares"}, summary="least-squares GAN (Mao 2017)"),
    "hinge": Variant(GAN, {"loss": "hinge"}, summary="hinge loss GAN (Lim & Ye 2017)"),
    "ragan": Variant(GAN, {"loss": "relativistic_average"}, summary="relativistic average GAN (Jolicoeur-Martineau 2018)"),
    "ralsgan": Variant(GAN, {"loss": "relativistic_average_least_squares"}, summary="relativistic average LSGAN"),
    "dragan": Variant(GAN, {"penalty": "dragan"}, summary="DRAGAN penalty (Kodali 2017)"),
    "r1": Variant(GAN, {"penalty": "r1"}, summary="R1 penalty on real data (Mescheder 2018)"),
    "pacgan": Variant(GAN, {"pack_degree": 2}, lambda o: {"input_channels_multiplier": o.get("pack_degree", 2)},
                      summary="PacGAN packing m=2 (Lin 2018)"),
    "instance_noise": Variant(GAN, {"instance_noise": 0.1}, summary="instance noise (Sønderby 2016), σ annealed"),
    "sphere": Variant(SphereGAN, {}, lambda o: {"output_units": SphereGAN.default_feature_dim},
                      summary="Sphere GAN, geodesic moments on S^n (Park & Kwon 2019)"),
    "realness": Variant(RealnessGAN, {}, lambda o: {"output_units": o.get("num_outcomes", 20)},
                        summary="RealnessGAN, distributional critic with anchors (Xiangli 2020)"),
    "sngan": Variant(SNGAN, {"setting": "cnn"}, lambda o: {"spectral_normalization": True},
                     summary="SNGAN, spectrally normalised critic, hinge loss (Miyato 2018)"),
    "gngan": Variant(GNGAN, {}, summary="GN-GAN, gradient-normalised critic (Wu 2021)"),
    # For images, SAGAN.image_network_options adds SN to the generator and self-attention at half the image side.
    "sagan": Variant(SAGAN, {}, lambda o: {"spectral_normalization": True},
                     summary="SAGAN: SN in both nets, hinge, TTUR 4e-4/1e-4, self-attention (Zhang 2019)"),
    "unrolled": Variant(UnrolledGAN, {}, summary="unrolled GAN, k-step unrolled critic (Metz 2017)"),
}


def available_variants():
    """Names accepted by :func:`get_variant` and ``tfgan-zoo train``."""
    return sorted(VARIANTS)


def get_variant(name) -> Variant:
    """The :class:`Variant` called ``name`` (case-insensitive, '-' and '_' ignored)."""
    key = str(name).lower().replace("-", "").replace("_", "")
    for candidate, variant in VARIANTS.items():
        if candidate.replace("_", "") == key:
            return variant
    raise ValueError(f"variant={name!r} is not in the zoo. Use one of {available_variants()}.")


def build_networks(data_shape, latent_dim=None, family=None, discriminator_options=None, generator_options=None):
    """Default (generator, discriminator) for data of shape ``data_shape`` (without the batch axis).

    ``(2,)``: MLPs (latent 16); ``(s, s, c)`` with s in 28/32/48/64: DCGAN nets (``family="dcgan"``, latent 128)
    or SNGAN ResNet nets (``family="resnet"``, s in 32/48/64).
    """
    data_shape = tuple(int(d) for d in data_shape)
    discriminator_options = dict(discriminator_options or {})
    generator_options = dict(generator_options or {})
    if len(data_shape) == 1:
        latent_dim = latent_dim or 16
        return (nets.mlp_generator(latent_dim=latent_dim, output_dim=data_shape[0], **generator_options),
                nets.mlp_discriminator(input_dim=data_shape[0], **discriminator_options))
    if len(data_shape) != 3 or data_shape[0] != data_shape[1]:
        raise ValueError(f"data_shape={data_shape} is not supported: use (2,) for toy points or (size, size, "
                         "channels) images.")
    size, channels = data_shape[0], data_shape[2]
    latent_dim = latent_dim or 128
    family = family or "dcgan"
    if family not in ("dcgan", "resnet"):
        raise ValueError(f"family={family!r} must be 'dcgan' or 'resnet'.")
    make_g, make_d = ((nets.dcgan_generator, nets.dcgan_discriminator) if family == "dcgan"
                      else (nets.resnet_generator, nets.resnet_discriminator))
    return (make_g(image_size=size, channels=channels, latent_dim=latent_dim, **generator_options),
            make_d(image_size=size, channels=channels, **discriminator_options))


def build(name, data_shape, latent_dim=None, family=None, network_options=None, **model_options):
    """Builds the variant ``name`` with default networks for ``data_shape``.

    Args:
      name: a variant name (:func:`available_variants`).
      data_shape: one sample's shape, e.g. ``(2,)`` or ``(28, 28, 1)``.
      latent_dim: size of ``z`` (16 for toy data, 128 for images when None).
      family: ``"dcgan"`` or ``"resnet"`` for images.
      network_options: ``{"generator": {...}, "discriminator": {...}}`` overriding the nets' options.
      **model_options: constructor arguments overriding the variant's (``seed=``, ``n_critic=``, ...).
    """
    variant = get_variant(name)
    options = {**variant.model_options, **model_options}
    network_options = network_options or {}
    discriminator_options = {**variant.discriminator_options(options), **network_options.get("discriminator", {})}
    generator_options = {**variant.generator_options, **network_options.get("generator", {})}
    # A variant class may state image-network options that depend on the image size (SAGAN's attention map).
    image_options = getattr(variant.model_class, "image_network_options", None)
    if image_options is not None and len(tuple(data_shape)) == 3:
        extra = image_options(tuple(int(d) for d in data_shape))
        generator_options = {**extra.get("generator", {}), **generator_options}
        discriminator_options = {**extra.get("discriminator", {}), **discriminator_options}
    generator, discriminator = build_networks(data_shape, latent_dim, family, discriminator_options, generator_options)
    return variant.model_class(generator, discriminator, **options)
