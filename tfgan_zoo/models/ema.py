"""The generator's exponential moving average, as one object (the shape of StudioGAN's ``utils/ema.py``).

``GAN(ema_decay=...)`` owns one :class:`GeneratorEMA`: it holds the shadow generator that samples, evaluation and
export use, updates it after every generator step, and states its settings for ``get_config``.
"""
from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["GeneratorEMA"]


class GeneratorEMA:
    """An exponential moving average of a generator's weights, kept in a shadow copy of the generator.

    After generator step ``t`` (1-based): ``w_ema <- decay * w_ema + (1 - decay) * w`` for ``t > start``, and
    ``w_ema <- w`` (a plain copy) while ``t <= start``; non-trainable weights (batch-norm statistics) are always
    copied. Karras et al. (ProGAN) and StudioGAN average the same way; ``start`` is StudioGAN's ``ema_start``.

    Args:
      generator: the trained generator (a ``keras.Model``); the shadow is ``keras.models.clone_model`` of it,
        starting from its current weights.
      decay: in [0, 1), e.g. 0.999.
      start: generator steps before averaging starts (default 0: average from the first step).

    Attributes:
      shadow: the averaged generator.
    """

    def __init__(self, generator, decay, start=0):
        if decay is None or not 0.0 <= float(decay) < 1.0:
            raise ValueError(f"ema_decay={decay!r} must be in [0, 1), e.g. 0.999; None disables the EMA.")
        self.generator = generator
        self.decay = float(decay)
        self.start = int(start)
        self.shadow = keras.models.clone_model(generator)
        self.shadow.set_weights(generator.get_weights())

    def update(self, step):
        """Averages the generator into the shadow after generator step ``step`` (a scalar tensor or int; a copy
        while ``step <= start``). Runs inside a compiled train step."""
        decay = tf.where(step > self.start, self.decay, 0.0)
        for shadow_weight, weight in zip(self.shadow.trainable_weights, self.generator.trainable_weights):
            shadow_weight.assign(decay * shadow_weight + (1.0 - decay) * weight)
        for shadow_weight, weight in zip(self.shadow.non_trainable_weights, self.generator.non_trainable_weights):
            shadow_weight.assign(weight)

    def get_config(self):
        """The constructor arguments the model's ``get_config`` records (``ema_decay``, ``ema_start``)."""
        return {"ema_decay": self.decay, "ema_start": self.start}
