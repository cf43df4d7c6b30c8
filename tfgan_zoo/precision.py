"""Which numeric path suits the machine: the mixed-precision policy and XLA behind ``--mixed-precision auto`` and
``--jit auto`` of ``tfgan-zoo train``.

The choices follow ``benchmarks/throughput.py`` (README, "Throughput"):

* a GPU gets ``mixed_float16`` (tensor cores; :meth:`tfgan_zoo.GAN.compile` adds loss scaling) and XLA;
* a TPU gets ``mixed_bfloat16`` and XLA;
* a CPU with native bfloat16 arithmetic (``avx512_bf16`` or AMX, read from ``/proc/cpuinfo``) gets
  ``mixed_bfloat16``, any other CPU ``float32`` (bfloat16 is emulated there, many times slower); on a CPU XLA
  stays what the recipe says, and every recipe says off: XLA's CPU convolutions are slower than TensorFlow's
  (``benchmarks/xla_convolutions.py``), a toy step took 2.59 against 3.46 ms with XLA, and under
  ``mixed_bfloat16`` the reference WGAN-GP step ran 2.8x slower with it (README, "Throughput");
* the real and fake critic passes are fused into one (``GAN(fuse_critic_passes="auto")``) on accelerators only:
  on this project's CPUs the unfused critic was as fast or faster (see :func:`critic_fusion_pays`).
"""
from __future__ import annotations

__all__ = ["cpu_flags", "has_native_bfloat16", "accelerator_kind", "auto_policy", "auto_jit", "critic_fusion_pays",
           "POLICIES"]

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")
_NATIVE_BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def cpu_flags(cpuinfo_path="/proc/cpuinfo") -> frozenset:
    """The CPU's feature flags (the ``flags`` line of ``/proc/cpuinfo``); empty where that file is absent."""
    try:
        with open(cpuinfo_path, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def has_native_bfloat16(flags=None) -> bool:
    """Whether the CPU multiplies bfloat16 in hardware (``avx512_bf16`` or ``amx_bf16`` among ``flags``)."""
    return bool(_NATIVE_BFLOAT16_FLAGS & (cpu_flags() if flags is None else frozenset(flags)))


def accelerator_kind() -> str:
    """``"gpu"``, ``"tpu"`` or ``"cpu"``: the devices TensorFlow sees (a device query: call it after any logical
    device setup)."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return "gpu"
    if tf.config.list_physical_devices("TPU"):
        return "tpu"
    return "cpu"


def auto_policy(kind=None, flags=None) -> str:
    """The Keras mixed-precision policy for ``kind`` (:func:`accelerator_kind` when None) and CPU ``flags``."""
    kind = accelerator_kind() if kind is None else kind
    if kind == "gpu":
        return "mixed_float16"
    if kind == "tpu" or has_native_bfloat16(flags):
        return "mixed_bfloat16"
    return "float32"


def auto_jit(recipe_jit: bool, kind=None) -> bool:
    """XLA for the step: on for accelerators, the recipe's ``jit_compile`` on a CPU."""
    kind = accelerator_kind() if kind is None else kind
    return True if kind in ("gpu", "tpu") else bool(recipe_jit)


def critic_fusion_pays(kind=None) -> bool:
    """Whether one critic pass over real and fake images together beats two passes, on ``kind`` of device
    (:func:`accelerator_kind` when None): what ``GAN(fuse_critic_passes="auto")`` follows.

    On a GPU or TPU a layer's kernel launch and its weight reads are paid once for both batches (not measured in
    this project yet: ``benchmarks/throughput.py --fusion-probe`` does on a lent accelerator). On a CPU the
    arithmetic is the same and the fused pass only adds the concatenation: ``benchmarks/throughput.py`` measured
    the unfused WGAN-GP critic (batch 64) 1.31x faster without XLA and equal with XLA, and the toy MLPs
    (batch 512) equal either way, so a CPU runs unfused.
    """
    kind = accelerator_kind() if kind is None else kind
    return kind in ("gpu", "tpu")
