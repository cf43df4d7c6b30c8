"""Old import path of the resumption and NaN-guard callbacks, kept for code outside the repository; they live in :mod:`tfgan_zoo.callbacks`."""
from .callbacks import DataStream, NonFiniteLossError, NonFiniteLossGuard  # noqa: F401
