"""tfgan_zoo: a Keras 3 zoo of GAN training methods.

Train any variant with ``model.compile(); model.fit(dataset)``; export the generator with
``model.export_generator(path)`` and reload it with ``tfgan_zoo.load_generator(path)``; build a variant with default
networks with ``tfgan_zoo.zoo.build(name, shape)``; score a generator offline with ``tfgan_zoo.evaluate`` or, every
few epochs during ``fit``, with ``tfgan_zoo.callbacks.EvaluationCallback``.
"""
from . import callbacks, data, layers, losses, metrics, nets, penalties, zoo
from .callbacks import EvaluationCallback
from .export import load_generator
from .metrics import evaluate
from .models import GAN, GNGAN, SNGAN, WGAN, WGANGP, RealnessGAN, SphereGAN, UnrolledGAN
from .models import SAGAN, ProGAN, ProgressiveDiscriminator, ProgressiveGenerator
from .models import ACGAN, CGAN
from . import conditioning

__version__ = "0.1.0"
