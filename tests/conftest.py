"""Shared fixtures: tiny networks so that training-step tests stay fast on 2 CPU cores."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest


def tiny_generator(latent_dim=4, output_dim=2, seed=0):
    init = keras.initializers.GlorotUniform(seed=seed)
    return keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(16, activation="relu", kernel_initializer=init),
                             keras.layers.Dense(output_dim, kernel_initializer=keras.initializers.GlorotUniform(seed + 1))])


def tiny_discriminator(input_dim=2, output_units=1, seed=10):
    init = keras.initializers.GlorotUniform(seed=seed)
    return keras.Sequential([keras.Input((input_dim,)), keras.layers.Dense(16, activation="relu", kernel_initializer=init),
                             keras.layers.Dense(output_units, kernel_initializer=keras.initializers.GlorotUniform(seed + 1))])


@pytest.fixture
def tiny_nets():
    return tiny_generator, tiny_discriminator


@pytest.fixture
def toy_points():
    return np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
