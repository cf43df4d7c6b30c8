"""Old import path of the schedule callbacks, kept for code outside the repository; they live in :mod:`tfgan_zoo.callbacks`."""
from .callbacks.schedules import InstanceNoiseSchedule, LinearLearningRateDecay, instance_noise_stddev, linear_decay  # noqa: F401
