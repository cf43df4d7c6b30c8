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


TWO_LOGICAL_CPUS_PRELUDE = """
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
sys.path.insert(0, sys.argv[1])
"""


def run_on_two_logical_cpus(body):
    """Runs ``body`` in a fresh Python whose CPU is split into two logical devices (possible only before
    TensorFlow initialises, hence the subprocess), with ``json``, ``tf``, ``keras``, ``np`` imported and the
    tests folder importable; returns the JSON that its last line of output prints."""
    import json
    import subprocess
    import sys
    import textwrap

    script = TWO_LOGICAL_CPUS_PRELUDE + textwrap.dedent(body)
    out = subprocess.run([sys.executable, "-c", script, os.path.dirname(os.path.abspath(__file__))], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])
