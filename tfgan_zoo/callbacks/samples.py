"""Sample grids of fixed latents during ``fit`` (PNG and TensorBoard)."""
from __future__ import annotations

import os

import keras
import numpy as np

from ..checks import check_positive_int
from ..visualization import image_grid, save_samples_png

__all__ = ["SampleGrid"]


class SampleGrid(keras.callbacks.Callback):
    """Saves samples of the same fixed latents every ``every_n_epochs`` epochs (PNG, and TensorBoard).

    Image models get an image grid; 2-D toy models a scatter plot. The latents are drawn once from
    ``numpy.random.default_rng(seed)`` (standard normal, or U(-1, 1) for a uniform latent), so successive
    grids show the same ``z`` evolving. Samples come from ``model.generate`` (the EMA generator when enabled).

    Args:
      output_dir: directory for ``samples_epoch_{epoch:04d}.png`` (None: no files).
      num_samples: images in the grid (64 gives 8x8); points in a scatter plot.
      every_n_epochs: period in epochs; the last epoch of ``fit`` is always drawn.
      seed: seed of the fixed latents.
      log_dir: TensorBoard log directory for ``tf.summary.image`` (None: none).
      scale: pixel repetition factor for the PNG grid.
    """

    def __init__(self, output_dir=None, num_samples=64, every_n_epochs=1, seed=0, log_dir=None, scale=2):
        super().__init__()
        self.output_dir, self.every_n_epochs = output_dir, check_positive_int("every_n_epochs", every_n_epochs)
        self.num_samples = check_positive_int("num_samples", num_samples)
        self.seed, self.log_dir, self.scale = seed, log_dir, scale
        self.latents = None
        self.last_path = None
        self._writer = None

    def on_train_begin(self, logs=None):
        rng = np.random.default_rng(self.seed)
        shape = (self.num_samples, self.model.latent_dim)
        uniform = self.model.latent_distribution == "uniform"
        self.latents = (rng.uniform(-1, 1, shape) if uniform else rng.standard_normal(shape)).astype(np.float32)
        if self.output_dir:
            os.makedirs(self.output_dir, exist_ok=True)
        if self.log_dir:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "samples"))

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") is not None and epoch + 1 == self.params["epochs"]
        if (epoch + 1) % self.every_n_epochs and not last:
            return
        samples = self.model.generate(self.latents)
        if self.output_dir:
            self.last_path = os.path.join(self.output_dir, f"samples_epoch_{epoch + 1:04d}.png")
            options = {"scale": self.scale} if samples.ndim == 4 else {}
            save_samples_png(samples, self.last_path, **options)
        if self._writer is not None and samples.ndim == 4:
            import tensorflow as tf

            with self._writer.as_default():
                tf.summary.image("samples", image_grid(samples)[None], step=epoch + 1)
            self._writer.flush()
