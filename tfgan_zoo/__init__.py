"""tfgan_zoo: a Keras 3 zoo of GAN training methods.

Train any variant with ``model.compile(); model.fit(dataset)``; export the generator with
``model.export_generator(path)``; build a variant with default networks with ``tfgan_zoo.zoo.build(name, shape)``.
"""
from . import callbacks, checkpointing, data, layers, losses, nets, penalties, zoo
from .models import GAN, GNGAN, SNGAN, WGAN, WGANGP, RealnessGAN, SphereGAN, UnrolledGAN

__version__ = "0.1.0"
