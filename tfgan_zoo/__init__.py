"""tfgan_zoo: a Keras 3 zoo of GAN training methods.

Train any variant with ``model.compile(); model.fit(dataset)``; export the generator with
``model.export_generator(path)``.
"""
from . import losses, penalties
from .models import GAN, WGAN, WGANGP

__version__ = "0.1.0"
