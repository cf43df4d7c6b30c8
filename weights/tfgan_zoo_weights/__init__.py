"""The trained generators of tfgan_zoo, as TensorFlow SavedModels: one folder per shipped name (``gan_mnist/``,
``gan_ring/``, ...), read by :mod:`tfgan_zoo.pretrained`.

This distribution (``tfgan-zoo-weights``) holds data only. The runtime package ``tfgan_zoo`` keeps the loader and
the manifest (each generator's recipe, scores, size and the SHA-256 of every file), and checks every file against
the manifest before loading, so a weights folder that does not match the installed ``tfgan_zoo`` is refused with a
message, never loaded silently.
"""
from pathlib import Path

__all__ = ["WEIGHTS_DIR"]

WEIGHTS_DIR = Path(__file__).resolve().parent
