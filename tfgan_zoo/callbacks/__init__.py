"""Every Keras callback of tfgan_zoo, in one namespace.

* :class:`SampleGrid` — samples of fixed latents every N epochs (PNG, TensorBoard);
* :class:`TimeBudget` — stops ``fit`` after a number of minutes;
* :class:`InstanceNoiseSchedule`, :class:`LinearLearningRateDecay` (and the schedule functions
  :func:`instance_noise_stddev`, :func:`linear_decay`) — values that follow the generator step;
* :class:`NonFiniteLossGuard` — stops at the first NaN/Inf loss (:class:`NonFiniteLossError`) before a checkpoint
  is overwritten;
* :class:`EvaluationCallback` — FID/KID/IS/... every N epochs into the History and TensorBoard;
* :class:`DataStream` — the resumable data stream ``GAN.fit`` puts under Keras (exact resumption).
"""
from .evaluation import EvaluationCallback
from .nan_guard import NonFiniteLossError, NonFiniteLossGuard
from .resumption import DataStream
from .samples import SampleGrid
from .schedules import InstanceNoiseSchedule, LinearLearningRateDecay, instance_noise_stddev, linear_decay
from .time_budget import TimeBudget

__all__ = ["DataStream", "EvaluationCallback", "InstanceNoiseSchedule", "LinearLearningRateDecay", "NonFiniteLossError",
           "NonFiniteLossGuard", "SampleGrid", "TimeBudget", "instance_noise_stddev", "linear_decay"]
