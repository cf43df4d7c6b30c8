"""Variants whose paper gives more than one set of defaults (one per architecture), picked with ``setting=``.

SNGAN and GN-GAN each publish one for the standard CNN and one for the ResNet: :class:`PaperSettings` is the mixin
that carries them; :func:`adam` writes an optimizer of such a setting.
"""
from __future__ import annotations

__all__ = ["PaperSettings", "adam"]


def adam(learning_rate, beta_1, beta_2):
    """An Adam optimizer as a ``keras.optimizers.get`` dict, as a paper setting lists it."""
    return {"class_name": "Adam", "config": {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2}}


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
