"""tfgan-zoo-weights: the trained generators shipped for tfgan_zoo, kept out of the runtime package.

From a clone of the repository: ``pip install ./weights`` (a checkout used with ``pip install -e .`` reads
``weights/tfgan_zoo_weights`` directly and needs no install).
"""
from setuptools import setup

setup(
    name="tfgan-zoo-weights",
    version="0.1.0",
    description="Trained generators (TensorFlow SavedModels) for tfgan_zoo, verified against tfgan_zoo's manifest.",
    packages=["tfgan_zoo_weights"],
    package_data={"tfgan_zoo_weights": ["*/*.pb", "*/variables/*"]},
    include_package_data=False,
    python_requires=">=3.10",
)
