"""Keras layers the zoo's networks and variants are built from."""
from .attention import SelfAttention
from .conditional import ClassProjection, ConditionalBatchNormalization, LabelEmbedding, LatentClass
from .gradient_normalization import GradientNormalization, gradient_normalize
from .progan import EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStandardDeviation, PixelNormalization
from .spectral_normalization import SpectralNormalization
from .sphere import InverseStereographicProjection, geodesic_distance_to_north_pole, stereographic_projection
