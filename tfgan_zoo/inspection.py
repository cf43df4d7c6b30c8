"""Looking inside networks: the one layer walk, the one list of weight ("kernel") layers, spectral normalisation
and batch coupling.

Every model that asks "which layers hold a weight matrix", "is this critic spectrally normalised" or "may real and
fake samples share one critic call" asks here, so the answers agree: SNGAN's and SAGAN's warnings, RealnessGAN's
automatic spectral normalisation and the GAN train step's batch grouping.
"""
from __future__ import annotations

from typing import Iterator

import keras

from .layers.spectral_normalization import SpectralNormalization

__all__ = ["KERNEL_LAYERS", "SPECTRAL_NORMALIZATIONS", "children", "critic_is_batch_independent",
           "has_layer", "has_spectral_normalization", "layers_without_spectral_normalization", "walk"]

# The layers whose weight is a matrix (or a convolution kernel) that spectral normalisation constrains.
KERNEL_LAYERS = (keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Conv1D, keras.layers.Conv2D,
                 keras.layers.Conv3D, keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
                 keras.layers.Conv3DTranspose, keras.layers.SeparableConv1D, keras.layers.SeparableConv2D,
                 keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
SPECTRAL_NORMALIZATIONS = (SpectralNormalization, keras.layers.SpectralNormalization)

# Layers whose output for one sample depends on the other samples of the batch (batch statistics, minibatch
# features), or that update state on every training call (a power-iteration step per call): one call on the
# concatenated batch is then not the same computation as two calls.
_BATCH_COUPLED_LAYERS = frozenset({
    "BatchNormalization", "SyncBatchNormalization", "MinibatchStandardDeviation", "MinibatchStdDev",
    "MinibatchDiscrimination", "SpectralNormalization",
})


def children(layer) -> list:
    """The direct sub-layers of ``layer`` (the layers of a model, the blocks of a subclassed layer, the layer a
    wrapper wraps)."""
    # Keras has no public accessor for the sub-layers of a subclassed layer (e.g. a residual block).
    return list(layer._flatten_layers(include_self=False, recursive=False))


def walk(network, include_self: bool = False, descend=None) -> Iterator[tuple[str, keras.layers.Layer]]:
    """Every layer inside ``network``, depth first, as ``(path, layer)``: ``path`` is the names of the enclosing
    layers and the layer's own, joined by ``/`` (``"block1/conv"``); nested models and wrappers are entered,
    except the layers for which ``descend(layer)`` is false (they are yielded, their insides are not)."""

    def visit(layer, prefix):
        path = f"{prefix}{layer.name}"
        yield path, layer
        if descend is None or descend(layer):
            for child in children(layer):
                yield from visit(child, f"{path}/")

    if include_self:
        yield from visit(network, "")
    else:
        for child in children(network):
            yield from visit(child, "")


def has_layer(network, layer_types) -> bool:
    """Whether any layer inside ``network`` is an instance of ``layer_types`` (a class or a tuple of classes)."""
    return any(isinstance(layer, layer_types) for _, layer in walk(network))


def has_spectral_normalization(network) -> bool:
    """Whether any layer inside ``network`` is wrapped in a spectral normalisation (ours or Keras')."""
    return has_layer(network, SPECTRAL_NORMALIZATIONS)


def layers_without_spectral_normalization(network):
    """Names of the weight layers (:data:`KERNEL_LAYERS`) of ``network`` that no spectral normalisation wraps.

    Looks through nested models and layers; a layer counts as normalised when it is wrapped by
    :class:`tfgan_zoo.layers.spectral_normalization.SpectralNormalization` or
    ``keras.layers.SpectralNormalization``.

    Returns:
      ``(unnormalised, normalised)``: two lists of layer names (``outer/inner`` paths).
    """
    unnormalised, normalised = [], []
    for path, layer in walk(network, descend=lambda layer: not isinstance(layer, SPECTRAL_NORMALIZATIONS)):
        if isinstance(layer, SPECTRAL_NORMALIZATIONS):  # named by the layer it wraps
            normalised.append(f"{path[:len(path) - len(layer.name)]}{layer.layer.name}")
        elif isinstance(layer, KERNEL_LAYERS):
            unnormalised.append(path)
    return unnormalised, normalised


def critic_is_batch_independent(network) -> bool:
    """True when ``network`` maps each sample on its own and keeps no per-call state, so that
    ``network(concat([a, b]))`` equals ``concat([network(a), network(b)])``.

    Checked layer by layer (nested models included): a layer may declare itself with a boolean
    ``batch_independent`` attribute; otherwise Keras and tfgan_zoo layers are trusted except batch
    normalisation, minibatch statistics and spectral normalisation (one power iteration per call), and any
    other layer (a ``Lambda``, a user's subclassed layer or model with its own ``call``) counts as coupled.
    """
    for _, layer in walk(network, include_self=True):
        declared = getattr(layer, "batch_independent", None)
        if declared is not None:
            if not declared:
                return False
            continue
        if type(layer).__name__ in _BATCH_COUPLED_LAYERS or isinstance(layer, keras.layers.Lambda):
            return False
        if not type(layer).__module__.startswith(("keras.", "tfgan_zoo.")):
            return False
    return True
