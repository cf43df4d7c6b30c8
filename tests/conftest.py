"""Shared fixtures: tiny networks so that training-step tests stay fast on 2 CPU cores."""
import os
import textwrap

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


# The start of a script run with `python -I -c SCRIPT REPO ...` that must not reach tfgan_zoo (exported SavedModels
# load with TensorFlow alone). -I: no PYTHONPATH, no user site, no script directory on sys.path. The editable install
# of tfgan_zoo lives in site-packages as an import hook; remove it and any path into the repository (except a virtual
# environment that lives there, as CI's .venv does), then prove the import fails.
WITHOUT_TFGAN_ZOO = textwrap.dedent("""
    import os, sys
    repo = sys.argv[1]
    sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    sys.path_hooks[:] = [h for h in sys.path_hooks if "__editable__" not in getattr(h, "__module__", "")]
    # drop the repository itself (and its sources), but not a virtual environment created inside it (CI's .venv)
    sys.path[:] = [p for p in sys.path
                   if not (os.path.abspath(p or os.getcwd()).startswith(repo)
                           and not os.path.abspath(p).startswith(sys.prefix))]
    sys.path_importer_cache.clear()
    try:
        import tfgan_zoo
    except ImportError:
        pass
    else:
        raise SystemExit(f"tfgan_zoo is importable from {tfgan_zoo.__file__}")
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
""")


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


def assert_fit_moves_every_kernel(model, points, batch_size=16, steps=2):
    """Trains ``model`` (compiled) ``steps`` steps on ``points``: every logged figure is finite and every weight
    but the biases moved (a head's bias can stay put: under the hinge loss its gradient is 0 while every |D| < 1)."""
    import numpy as np

    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(points, batch_size=batch_size, steps_per_epoch=steps, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert all(not np.array_equal(a, w.numpy()) for a, w in zip(before, model.trainable_weights) if a.size > 1)
