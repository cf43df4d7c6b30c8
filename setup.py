"""tfgan_zoo: a Keras 3 / TensorFlow 2 zoo of GAN training methods."""
from setuptools import find_packages, setup

setup(
    name="tfgan_zoo",
    version="0.1.0",
    description="GAN training methods for Keras 3 (TensorFlow backend): Sphere GAN, RealnessGAN, WGAN-GP, SNGAN, "
                "GN-GAN and more, with offline evaluation and SavedModel export.",
    long_description=open("README.md", encoding="utf-8").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    packages=find_packages(include=["tfgan_zoo", "tfgan_zoo.*"]),
    # the shipped generators are the separate distribution in weights/ (tfgan-zoo-weights); only their manifest here
    package_data={"tfgan_zoo": ["assets/*", "assets/**/*", "pretrained/manifest.json"]},
    include_package_data=True,
    python_requires=">=3.10,<3.14",
    install_requires=[
        "tensorflow>=2.18,<2.22",
        "keras>=3.8,<4",
        "numpy>=1.26,<3",
        "scipy>=1.11",
        "pillow>=10",
        "matplotlib>=3.7",
        "mlxtend>=0.23",
        "scikit-learn>=1.3",
        "tensorflow-datasets>=4.9,<5",
        "tqdm>=4.60",
        "tensorboard>=2.18",
    ],
    extras_require={
        "test": ["pytest>=8", "pytest-xdist>=3.5", "pytest-timeout>=2.3", "hypothesis>=6.100", "nbclient>=0.10", "nbformat>=5.9",
                 "ipykernel>=6.29", "pdoc>=14"],
        "bench": ["torch==2.13.0"],
    },
    entry_points={"console_scripts": ["tfgan-zoo=tfgan_zoo.cli:main"]},
)
