"""SNGAN (Miyato, Kataoka, Koyama, Yoshida, ICLR 2018): a spectrally normalised critic and the hinge loss.

Also home of :class:`PaperSettings`, the mixin that lets a variant carry more than one set of paper defaults
(SNGAN and GN-GAN each publish one for the standard CNN and one for the ResNet), chosen with ``setting=``.
"""
from __future__ import annotations

import warnings

import keras

from ..layers.spectral_normalization import SpectralNormalization
from .gan import GAN

__all__ = ["SNGAN", "PaperSettings", "layers_without_spectral_normalization"]

_SPECTRAL_NORMALIZATIONS = (SpectralNormalization, keras.layers.SpectralNormalization)
_KERNEL_LAYERS = (keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Conv1D, keras.layers.Conv2D,
                  keras.layers.Conv3D, keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
                  keras.layers.Conv3DTranspose, keras.layers.SeparableConv1D, keras.layers.SeparableConv2D,
                  keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)


def _adam(learning_rate, beta_1, beta_2):
    return {"class_name": "Adam", "config": {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2}}


def _children(layer):
    # Keras has no public accessor for the sub-layers of a subclassed layer (e.g. a residual block).
    return layer._flatten_layers(include_self=False, recursive=False)


def layers_without_spectral_normalization(network):
    """Names of the weight layers (Dense, Conv*, ...) of ``network`` that no spectral normalisation wraps.

    Looks through nested models and layers; a layer counts as normalised when it is wrapped by
    :class:`tfgan_zoo.layers.spectral_normalization.SpectralNormalization` or
    ``keras.layers.SpectralNormalization``.

    Returns:
      ``(unnormalised, normalised)``: two lists of layer names (``outer/inner`` paths).
    """
    unnormalised, normalised = [], []

    def walk(layer, path):
        if isinstance(layer, _SPECTRAL_NORMALIZATIONS):
            normalised.append(f"{path}{layer.layer.name}")
            return
        if isinstance(layer, _KERNEL_LAYERS):
            unnormalised.append(f"{path}{layer.name}")
        for child in _children(layer):
            walk(child, f"{path}{layer.name}/")

    for child in _children(network):
        walk(child, "")
    return unnormalised, normalised


class PaperSettings:
    """Mixin for a variant whose paper gives several settings of defaults, picked with ``setting=``.

    The class lists them in ``settings``, ``{name: {"n_critic", "loss", "generator_batch_multiplier",
    "d_optimizer", "g_optimizer"}}`` (optimizers as ``keras.optimizers.get`` dicts), and names the default in
    ``default_setting``. Arguments given explicitly to the constructor or to ``compile`` win over the setting.
    Mix in before :class:`GAN`: ``class SNGAN(PaperSettings, GAN)``.
    """

    settings: dict = {}
    default_setting: str = ""
    _SETTING_ARGUMENTS = ("n_critic", "loss", "generator_batch_multiplier")

    def __init_subclass__(cls, **kwargs):
        # The class-level defaults that GAN reads (and the docs and the zoo list) are the default setting's,
        # unless the class body sets them itself.
        super().__init_subclass__(**kwargs)
        if cls.default_setting in cls.settings:
            default = cls.settings[cls.default_setting]
            for attribute, key in (("default_n_critic", "n_critic"), ("default_loss", "loss"),
                                   ("default_discriminator_optimizer", "d_optimizer"),
                                   ("default_generator_optimizer", "g_optimizer")):
                if attribute not in cls.__dict__:
                    setattr(cls, attribute, default[key])

    def __init__(self, generator, discriminator, latent_dim=None, *, setting=None, **kwargs):
        setting = self.default_setting if setting is None else setting
        if setting not in self.settings:
            raise ValueError(f"setting={setting!r} is not a setting of {type(self).__name__}; use one of "
                             f"{sorted(self.settings)} (the paper's architectures).")
        for argument in self._SETTING_ARGUMENTS:
            if kwargs.get(argument) is None:
                kwargs[argument] = self.settings[setting][argument]
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.setting = setting

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """As :meth:`GAN.compile`; optimizers left as None come from the model's ``setting``."""
        defaults = self.settings[self.setting]
        d_optimizer = self._default_optimizer(defaults["d_optimizer"]) if d_optimizer is None else d_optimizer
        g_optimizer = self._default_optimizer(defaults["g_optimizer"]) if g_optimizer is None else g_optimizer
        super().compile(d_optimizer, g_optimizer, **kwargs)

    def get_config(self):
        return {**super().get_config(), "setting": self.setting}


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
                   "d_optimizer": _adam(2e-4, 0.0, 0.9), "g_optimizer": _adam(2e-4, 0.0, 0.9)},
        "cnn": {"n_critic": 1, "loss": "hinge", "generator_batch_multiplier": 1,
                "d_optimizer": _adam(2e-4, 0.5, 0.999), "g_optimizer": _adam(2e-4, 0.5, 0.999)},
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
