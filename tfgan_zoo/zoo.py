"""The zoo's catalogue: every named variant with its class, options and default networks, and the runs built
from the recipes of :mod:`tfgan_zoo.recipes`.

* ``build(name, data_shape)`` returns an uncompiled model with networks suited to the data: MLPs for 2-D toy
  points, DCGAN nets for 28/32/48/64 px images (or ResNet nets with ``family="resnet"``).
* ``build_run(name, data)`` returns a :class:`TrainingRun`: the model built and compiled from the variant's
  recipe for that data, its callbacks (schedules), the dataset and ``fit``'s arguments. The CLI, the benchmarks,
  the notebooks and the shipped generators all train through it, so a recipe is stated in one place.
"""
from __future__ import annotations

import copy
import dataclasses
import inspect
import math
from typing import Any, Callable, Dict

from . import augment as augment_lib
from . import nets
from . import recipes as recipes_lib
from .models import GAN, GNGAN, SNGAN, WGAN, WGANGP, RealnessGAN, SphereGAN, UnrolledGAN
from .models.conditional import ACGAN, CGAN
from .models.sagan import SAGAN

__all__ = ["Variant", "VARIANTS", "IMAGE_ONLY_VARIANTS", "DEFAULT_VARIANTS", "available_variants", "get_variant",
           "default_variant", "build", "build_networks", "build_run", "TrainingRun", "paper_optimizers",
           "model_options"]


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
    "sngan": Variant(SNGAN, {}, lambda o: {"spectral_normalization": True},
                     summary="SNGAN, spectrally normalised critic, hinge loss (Miyato 2018)"),
    "gngan": Variant(GNGAN, {}, summary="GN-GAN, gradient-normalised critic (Wu 2021)"),
    # For images, SAGAN.image_network_options adds SN to the generator and self-attention at half the image side.
    "sagan": Variant(SAGAN, {}, lambda o: {"spectral_normalization": True},
                     summary="SAGAN: SN in both nets, hinge, TTUR 4e-4/1e-4, self-attention (Zhang 2019)"),
    "unrolled": Variant(UnrolledGAN, {}, summary="unrolled GAN, k-step unrolled critic (Metz 2017)"),
    # Class-conditional (tfgan_zoo.conditioning): 10 classes, the digits of mnist and digits; both nets take labels.
    "cgan": Variant(CGAN, {"conditioning": 10},
                    lambda o: {"spectral_normalization": True, "num_classes": _num_classes(o)},
                    generator_options={"num_classes": 10},
                    summary="cGAN, projection discriminator: SNGAN + hinge, conditional BN (Miyato & Koyama 2018)"),
    "acgan": Variant(ACGAN, {"conditioning": 10},
                     lambda o: {"num_classes": _num_classes(o), "class_head": "auxiliary"},
                     generator_options={"num_classes": 10},
                     summary="ACGAN, auxiliary classifier on real and fake (Odena 2017)"),
}


# Variants whose defining part needs images; they have no toy recipe.
IMAGE_ONLY_VARIANTS = {"sagan": "self-attention needs feature maps; on points SAGAN would be SN + hinge + TTUR",
                       "cgan": "class-conditional: it trains on labelled images (mnist, digits); the toy mixtures "
                               "have no labels",
                       "acgan": "class-conditional: it trains on labelled images (mnist, digits); the toy mixtures "
                                "have no labels"}


def _num_classes(model_options):
    conditioning = model_options.get("conditioning")
    return conditioning.get("num_classes") if isinstance(conditioning, dict) else getattr(
        conditioning, "num_classes", conditioning)


def is_conditional(name):
    """Whether the variant ``name`` is class-conditional (trains on ``(images, labels)``)."""
    return get_variant(name).model_options.get("conditioning") is not None


# The variant `tfgan-zoo train` trains when none is named, by dataset: on MNIST the best measured after the
# README's first command (benchmarks/results/first_run_cgan.json: 0.946 of its digits confidently classified,
# against 0.72 for the best unconditional recipe); the standard GAN on every other dataset.
DEFAULT_VARIANTS = {"mnist": "cgan"}


def default_variant(data):
    """The variant trained on the dataset ``data`` when none is named (:data:`DEFAULT_VARIANTS`, else ``"gan"``)."""
    from .data import registry

    spec = registry.find(data)
    return DEFAULT_VARIANTS.get(spec.name if spec is not None else None, "gan")

# networks.kind -> (generator builder, discriminator builder)
NETWORK_BUILDERS = {"mlp": (nets.mlp_generator, nets.mlp_discriminator),
                    "dcgan": (nets.dcgan_generator, nets.dcgan_discriminator),
                    "resnet": (nets.resnet_generator, nets.resnet_discriminator)}
# builder arguments that follow from the data and the recipe's latent, not from networks.* options
NETWORK_OPTIONS_SET_BY_ZOO = frozenset({"latent_dim", "output_dim", "input_dim", "image_size", "channels", "name"})
# constructor arguments a recipe sets elsewhere (latent_*, augment) or a run sets (seed)
_MODEL_OPTIONS_SET_BY_RUN = frozenset({"self", "generator", "discriminator", "latent_dim", "latent_distribution",
                                       "augment", "seed", "kwargs", "args"})


def builder_options(builder):
    """The keyword arguments a network builder of :mod:`tfgan_zoo.nets` takes."""
    return tuple(inspect.signature(builder).parameters)


def model_options(name):
    """The constructor arguments a recipe's ``model`` may set for the variant ``name`` (its class and bases)."""
    known = set()
    for cls in get_variant(name).model_class.__mro__:
        if "__init__" in vars(cls) and cls.__module__.startswith("tfgan_zoo"):
            known |= set(inspect.signature(cls.__init__).parameters)
    return frozenset(known - _MODEL_OPTIONS_SET_BY_RUN)


def paper_optimizers(name, options=None):
    """``{"d_optimizer", "g_optimizer"}``: the paper optimizers of variant ``name`` as ``keras.optimizers.get``
    dicts, for the ``setting`` in ``options`` where the class has several (SNGAN, GN-GAN)."""
    cls = get_variant(name).model_class
    options = {**get_variant(name).model_options, **(options or {})}
    settings = getattr(cls, "settings", None)
    if settings:
        setting = options.get("setting") or cls.default_setting
        if setting not in settings:
            raise recipes_lib.RecipeError(f"recipe model.setting={setting!r} is not a setting of {cls.__name__}; "
                                          f"use one of {sorted(settings)}.")
        chosen = (settings[setting]["d_optimizer"], settings[setting]["g_optimizer"])
    else:
        chosen = (cls.default_discriminator_optimizer, cls.default_generator_optimizer)
    return {"d_optimizer": copy.deepcopy(chosen[0]), "g_optimizer": copy.deepcopy(chosen[1])}


def canonical_variant_name(name):
    """The catalogue's spelling of a variant name (case, '-' and '_' ignored); raises ValueError if unknown."""
    variant = get_variant(name)
    return next(key for key, value in VARIANTS.items() if value is variant)


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


def _self_conditioned(resolved, data, data_options, seed):
    """``(dataset, networks, model options)`` of a self-conditioned run (recipe ``self_conditioning=K``): the
    training images with their k-means cluster as label (:func:`tfgan_zoo.conditioning.cluster_images`, seeded
    by the run), a generator that reads its cluster off ``z`` (``latent_classes``, at the clusters' frequencies),
    a projection critic over the ``K`` clusters and a model whose fakes' classes come from their latent."""
    from . import conditioning as conditioning_lib
    from . import data as data_lib

    arrays = {"mnist": data_lib.mnist_arrays, "digits": data_lib.digits_arrays}
    spec = data_lib.registry.get(data) if isinstance(data, str) else None
    if spec is None or spec.name not in arrays:
        raise recipes_lib.RecipeError(
            f"recipe self_conditioning={resolved['self_conditioning']} clusters the training images in memory, "
            f"which the zoo does for {' and '.join(arrays)}; {data!r} is not one of them. Use self_conditioning=0.")
    images, _ = arrays[spec.name](**{k: v for k, v in (data_options or {}).items() if k in ("image_size", "limit")})
    num_clusters = resolved["self_conditioning"]
    clusters, frequencies = conditioning_lib.cluster_images(images, num_clusters, seed=seed)
    frequencies = [float(f) for f in frequencies]
    dataset = data_lib.pipeline.in_memory_dataset(images, resolved["batch_size"], seed, True, labels=clusters)
    networks = recipes_lib.merge(resolved["networks"], {
        "generator": {"latent_classes": num_clusters, "latent_class_frequencies": frequencies},
        "discriminator": {"num_classes": num_clusters}})
    conditioning = conditioning_lib.Conditioning(num_clusters, "projection", class_frequencies=frequencies,
                                                 from_latent=True)
    return dataset, networks, {**resolved["model"], "conditioning": conditioning}


@dataclasses.dataclass
class TrainingRun:
    """What :func:`build_run` returns: everything ``fit`` needs for one run of a recipe.

    Attributes:
      model: the variant, built and compiled from the recipe.
      callbacks: the recipe's schedules as Keras callbacks (instance-noise annealing); add your own.
      recipe: the resolved recipe (:func:`tfgan_zoo.recipes.resolve`), as a run folder's ``recipe.json`` keeps it.
      dataset: the training data batched by the recipe (repeated), or None when ``data`` was a shape.
      fit_kwargs: ``epochs`` and ``steps_per_epoch`` that train for ``recipe["steps"]`` generator steps.
    """

    model: Any
    callbacks: list
    recipe: dict
    dataset: Any
    fit_kwargs: dict

    def fit(self, **kwargs):
        """``model.fit(dataset, callbacks=callbacks, **fit_kwargs)``; ``kwargs`` add to or replace those. Under
        ``MultiWorkerMirroredStrategy``, :func:`tfgan_zoo.distributed.fit_distributed` with the same arguments."""
        arguments = {**self.fit_kwargs, "callbacks": list(self.callbacks) + list(kwargs.pop("callbacks", []))}
        from . import distributed

        if distributed.needs_own_loop(self.model.distribute_strategy):  # Keras's fit cannot run multi-worker
            return distributed.fit_distributed(self.model, self.dataset, **{**arguments, **kwargs})
        return self.model.fit(self.dataset, **{**arguments, **kwargs})


def _recipe_optimizer(spec, schedule, total_updates):
    """A Keras optimizer from a recipe's ``{"class_name", "config"}``, its rate decayed linearly to 0 over
    ``total_updates`` of its own iterations when ``schedule == "linear_decay"`` (in-graph: exact under
    ``steps_per_execution`` and XLA, and saved with the optimizer)."""
    import keras

    from .callbacks import linear_decay

    config = dict(spec["config"])
    if schedule == "linear_decay":
        config["learning_rate"] = linear_decay(float(config.get("learning_rate", 1e-3)), int(total_updates))
    try:
        return keras.optimizers.get({"class_name": spec["class_name"], "config": config})
    except (ValueError, TypeError) as error:
        raise recipes_lib.RecipeError(f"recipe optimizer {spec!r} is not a Keras optimizer: {error}") from None


def _with_point_scale(recipe, dataset):
    """The recipe's ``networks`` with the generator's ``output_scale`` and the critic's ``input_scale`` that put
    the data at the recipe's ``point_scale`` RMS norm, measured on the dataset's first batch."""
    import numpy as np

    networks = recipes_lib.merge(recipe["networks"], {})
    if recipe["point_scale"] is None:
        return networks
    if dataset is None:
        raise recipes_lib.RecipeError("recipe point_scale scales the nets to the data: pass a dataset name as data, "
                                      "or --set point_scale=null to keep the data's own units.")
    first = next(iter(dataset))
    points = np.asarray(first[0] if isinstance(first, (tuple, list)) else first, dtype=np.float64)
    rms = float(np.sqrt(np.mean(np.sum(points.reshape(len(points), -1) ** 2, axis=1))))
    if not 0 < rms < float("inf"):
        raise ValueError(f"the data's first batch has RMS norm {rms}: point_scale needs finite, non-zero points "
                         "(clean the data, or --set point_scale=null).")
    factor = float(np.float32(recipe["point_scale"] / rms))
    networks["generator"] = {"output_scale": 1.0 / factor, **networks["generator"]}
    networks["discriminator"] = {"input_scale": factor, **networks["discriminator"]}
    return networks


def build_run(name, data, overrides=None, *, seed=0, recipe=None, strategy=None, data_options=None):
    """Builds one training run of variant ``name`` on ``data`` from its recipe.

    Args:
      name: a variant (:func:`available_variants`).
      data: a dataset name of :func:`tfgan_zoo.data.load` (``"ring8"``, ``"mnist"``, ``"folder:PATH"``, ...), or
        one sample's shape (then no dataset is built).
      overrides: recipe keys to change (:func:`tfgan_zoo.recipes.resolve`), e.g. ``{"steps": 20000}``.
      seed: seeds Keras (``keras.utils.set_random_seed``: the networks' initial weights), the model's random
        stream and the data order; a run is a function of its recipe and seed.
      recipe: a resolved recipe (e.g. a run folder's ``recipe.json``) to re-run instead of ``name``'s; its
        variant must be ``name``. ``overrides`` still apply on top.
      strategy: a ``tf.distribute`` strategy to build the model under (the current one when None).
      data_options: more arguments for the data loader (e.g. ``{"image_size": 32}``); without ``image_size``, the
        dataset registry's training size (:func:`tfgan_zoo.data.training_options`: the 8x8 digits at 28).
    Returns:
      A :class:`TrainingRun`; ``run.fit()`` trains for the recipe's steps.
    """
    import keras
    import tensorflow as tf

    from . import data as data_lib
    from .callbacks import InstanceNoiseSchedule

    if isinstance(data, str):  # the registry's training size (the 8x8 digits at 28) unless image_size is given
        data_options = {**data_lib.training_options(data), **(data_options or {})}
        shape = tuple(data_lib.image_shape(data, **data_options))
    else:
        shape, data_options = tuple(int(d) for d in data), None
    family = recipes_lib.family_for_shape(shape)
    if recipe is not None:
        saved = dict(recipe)
        if canonical_variant_name(saved.get("variant", name)) != canonical_variant_name(name):
            raise recipes_lib.RecipeError(f"the recipe is for variant {saved.get('variant')!r}, not {name!r}.")
        if saved.get("family", family) != family:
            raise recipes_lib.RecipeError(f"the recipe is for the {saved.get('family')!r} family, but {data!r} "
                                          f"is {family!r} data.")
        base = {k: v for k, v in saved.items() if k not in ("variant", "family")}
        overrides = recipes_lib.merge(base, overrides or {})
    resolved = recipes_lib.resolve(name, family, overrides)
    if resolved["networks"]["generator"].get("latent_classes") and resolved["latent_distribution"] != "normal":
        raise recipes_lib.RecipeError(
            f"networks.generator.latent_classes reads its class off a standard-normal latent, but the recipe's "
            f"latent_distribution is {resolved['latent_distribution']!r}; set latent_distribution=normal or drop "
            "latent_classes.")
    keras.utils.set_random_seed(seed)  # first: tf.data's shuffle order depends on the global seed too
    dataset = None
    if resolved["self_conditioning"]:  # its own dataset: the images with their clusters as labels
        dataset, networks, model_options = _self_conditioned(resolved, data, data_options, seed)
    elif data_options is not None:
        if is_conditional(name):
            data_options = {**data_options, "labels": True}
            if "labels" not in inspect.signature(data_lib.registry.get(data).loader).parameters:
                raise ValueError(f"{name} is class-conditional and trains on labelled images; {data!r} has no "
                                 "labels. Use --data mnist or --data digits.")
        dataset = data_lib.load(data, batch_size=resolved["batch_size"], seed=seed, repeat=True, **data_options)
    if not resolved["self_conditioning"]:
        networks, model_options = _with_point_scale(resolved, dataset), resolved["model"]
    with (strategy or tf.distribute.get_strategy()).scope():
        model = build(resolved["variant"], shape, latent_dim=resolved["latent_dim"],
                      family=None if networks["kind"] == "mlp" else networks["kind"],
                      network_options={"generator": networks["generator"],
                                       "discriminator": networks["discriminator"]},
                      seed=seed, latent_distribution=resolved["latent_distribution"],
                      augment=augment_lib.from_recipe(resolved["augment"], resolved["ada"]), **model_options)
        steps, schedule = resolved["steps"], resolved["lr_schedule"]
        model.compile(d_optimizer=_recipe_optimizer(resolved["d_optimizer"], schedule, steps * model.n_critic),
                      g_optimizer=_recipe_optimizer(resolved["g_optimizer"], schedule, steps),
                      jit_compile=resolved["jit_compile"], steps_per_execution=resolved["steps_per_execution"])
    callbacks = []
    if model.instance_noise_enabled:  # Sønderby et al. anneal the noise; linearly to 0 here
        callbacks.append(InstanceNoiseSchedule(max(1, round(resolved["instance_noise_anneal"] * steps))))
    per_epoch = min(resolved["steps_per_epoch"], steps)
    return TrainingRun(model, callbacks, resolved, dataset,
                       {"epochs": math.ceil(steps / per_epoch), "steps_per_epoch": per_epoch})
