"""Generator and discriminator builders: functional, named, serialisable ``keras.Model``s.

Three families, each a generator/discriminator pair:

* :func:`mlp_generator` / :func:`mlp_discriminator` — fully connected nets for toy 2-D data (the
  8-Gaussians / 25-Gaussians / ring experiments of WGAN-GP, Unrolled GAN, PacGAN);
* :func:`dcgan_generator` / :func:`dcgan_discriminator` — the all-convolutional DCGAN (Radford et al. 2016);
* :func:`resnet_generator` / :func:`resnet_discriminator` — the residual nets of SNGAN (Miyato et al. 2018).

Conventions shared by every builder:

* generators map ``[batch, latent_dim]`` to samples; image generators end in ``tanh`` (images in [-1, 1]);
* discriminators map samples to ``[batch, output_units]`` raw scores (logits / critic values, no activation);
* ``input_channels_multiplier=m`` makes a discriminator take ``m * channels`` input channels, for PacGAN's
  packed samples (``tfgan_zoo.models.gan.pack_samples``);
* ``spectral_normalization=True`` wraps every ``Dense``/``Conv`` in
  :class:`tfgan_zoo.layers.SpectralNormalization`; ``attention_resolution=r`` inserts a SAGAN
  :class:`tfgan_zoo.layers.SelfAttention` block after the first feature map of resolution ``r``;
* the last layer computes in float32 whatever the global dtype policy, so that under mixed precision the
  generator's fakes and the critic's scores are float32 (the Keras mixed-precision guide's advice);
* arguments are checked when the net is built, with errors naming the argument and the values to use;
* ``num_classes=K`` makes a net class-conditional (:mod:`tfgan_zoo.conditioning`), with a second input of int32
  class ids ``[batch]`` named ``labels``: generators then take ``[z, labels]`` and condition through class-dependent
  batch normalisation (:class:`tfgan_zoo.layers.ConditionalBatchNormalization`, the DCGAN and ResNet generators)
  or a label embedding appended to ``z`` (the MLP, or a DCGAN generator without batch normalisation);
  discriminators get a ``class_head``: ``"projection"`` (they take ``[samples, labels]`` and add
  :class:`tfgan_zoo.layers.ClassProjection` of their last features to the score) or ``"auxiliary"`` (they take the
  samples alone and output ``K`` class logits after the score, ACGAN's classifier).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import keras

from .checks import is_int
from .layers.attention import SelfAttention
from .layers.conditional import ClassProjection, ConditionalBatchNormalization, LabelEmbedding, LatentClass
from .layers.spectral_normalization import SpectralNormalization

__all__ = [
    "mlp_generator",
    "mlp_discriminator",
    "dcgan_generator",
    "dcgan_discriminator",
    "resnet_generator",
    "resnet_discriminator",
]

# Side of the first (generator) / last (discriminator) feature map for each supported image size.
_DCGAN_BASE_SIZE = {28: 7, 32: 4, 48: 6, 64: 4}
_RESNET_BASE_SIZE = {32: 4, 48: 6, 64: 4}
_NORMALIZATIONS = ("batch", "layer", "none")

# DCGAN (Radford et al. 2016): weights ~ N(0, 0.02), LeakyReLU slope 0.2 in the discriminator.
_DCGAN_INITIALIZER_STDDEV = 0.02
_LEAKY_RELU_SLOPE = 0.2
_DCGAN_KERNEL_SIZE = 4
# the extra stride-1 convolutions of extra_convs_per_stage
_EXTRA_CONV_KERNEL_SIZE = 3
# PyTorch's batch-norm defaults, which the DCGAN and SNGAN reference code ran with.
_BATCH_NORM_MOMENTUM = 0.9
_BATCH_NORM_EPSILON = 1e-5


# --- Argument checks ----------------------------------------------------------------------------------


def _check_int_at_least(builder, name, value, minimum):
    if not is_int(value) or value < minimum:
        raise ValueError(f"{name}={value!r} is not valid for {builder}; use an integer >= {minimum}.")
    return value


def _check_positive_int(builder, name, value):
    return _check_int_at_least(builder, name, value, 1)


def _check_choice(builder, name, value, choices):
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not supported by {builder}; use one of {tuple(choices)}.")
    return value


def _check_hidden_units(builder, hidden_units):
    if isinstance(hidden_units, int) or not hidden_units:
        raise ValueError(
            f"hidden_units={hidden_units!r} is not valid for {builder}; use a non-empty sequence of layer widths "
            "such as (128, 128, 128)."
        )
    for units in hidden_units:
        _check_positive_int(builder, "each of hidden_units", units)
    return tuple(hidden_units)


def _check_attention_resolution(builder, image_size, attention_resolution, resolutions):
    if attention_resolution is not None and attention_resolution not in resolutions:
        raise ValueError(
            f"attention_resolution={attention_resolution!r} is not a feature-map resolution of "
            f"{builder}(image_size={image_size}); use None or one of {tuple(sorted(set(resolutions)))}."
        )


_CLASS_HEADS = ("projection", "auxiliary")


def _check_class_options(builder, num_classes, class_head=None, output_units=1):
    if num_classes is None:
        return
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes={num_classes!r} is not valid for {builder}; use None (unconditional) or the "
                         "number of classes, an integer >= 2.")
    if class_head is not None:
        _check_choice(builder, "class_head", class_head, _CLASS_HEADS)
        if class_head == "projection" and output_units != 1:
            raise ValueError(f"output_units={output_units} is not valid for {builder} with class_head='projection': "
                             "the projection adds one class term to one score; use output_units=1.")


def _labels_input(num_classes):
    """The class-id input of a conditional net, or None."""
    return None if num_classes is None else keras.Input((), dtype="int32", name="labels")


def _inputs(primary, labels):
    return primary if labels is None else [primary, labels]


def _critic_output(features, labels, output_units, num_classes, class_head, spectral_normalization, **dense_kwargs):
    """A critic's last layer on its ``features``: ``Dense(output_units)``, plus the class projection
    (``labels`` given) or followed by ``num_classes`` class logits (``class_head="auxiliary"``)."""
    if num_classes is not None and class_head == "auxiliary":
        output_units += num_classes
    x = _dense(output_units, spectral_normalization, **dense_kwargs)(features)
    if labels is not None:
        x = keras.layers.Add()([x, ClassProjection(num_classes, spectral_normalization)([features, labels])])
    return x


def _critic_labels(num_classes, class_head):
    return _labels_input(num_classes) if class_head == "projection" else None


def _upsampling_stages(image_size, base_size):
    return int(math.log2(image_size // base_size))


# --- Layers -------------------------------------------------------------------------------------------


def _maybe_spectral(layer, spectral_normalization):
    return SpectralNormalization(layer) if spectral_normalization else layer


def _dense(units, spectral_normalization, **kwargs):
    return _maybe_spectral(keras.layers.Dense(units, **kwargs), spectral_normalization)


def _conv(filters, kernel_size, spectral_normalization, strides=1, transpose=False, **kwargs):
    conv_class = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    conv = conv_class(filters, kernel_size, strides=strides, padding="same", **kwargs)
    return _maybe_spectral(conv, spectral_normalization)


def _normalize(x, normalization, labels=None, num_classes=None):
    if normalization == "batch" and labels is not None:  # class-conditional: a scale and shift per class
        return ConditionalBatchNormalization(num_classes, momentum=_BATCH_NORM_MOMENTUM,
                                             epsilon=_BATCH_NORM_EPSILON)([x, labels])
    if normalization == "batch":
        # synchronized: under a tf.distribute strategy the statistics are those of the global batch, so N replicas
        # take the step one device takes on it (without a strategy it is plain batch normalisation)
        return keras.layers.BatchNormalization(momentum=_BATCH_NORM_MOMENTUM, epsilon=_BATCH_NORM_EPSILON,
                                               synchronized=True)(x)
    if normalization == "layer":
        # Over all of (H, W, C) for feature maps, as in the WGAN-GP critic.
        return keras.layers.LayerNormalization(axis=list(range(1, len(x.shape))))(x)
    return x


def _maybe_attend(x, resolution, attention_resolution, spectral_normalization):
    if resolution == attention_resolution:
        return SelfAttention(spectral_normalization=spectral_normalization)(x)
    return x


def _float32_output(x, activation):
    return keras.layers.Activation(activation, dtype="float32", name="output")(x)


# --- Toy 2-D data ------------------------------------------------------------------------------------


def _check_scale(builder, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise ValueError(f"{builder}: {name}={value!r} must be a finite number > 0 (1 for none).")
    return float(value)


def _rescale(x, scale):
    return x if scale == 1.0 else keras.layers.Rescaling(scale)(x)


def _mlp(inputs, hidden_units, activation, spectral_normalization):
    x = inputs
    for units in hidden_units:
        x = _dense(units, spectral_normalization, activation=activation)(x)
    return x


def mlp_generator(
    latent_dim: int = 2,
    output_dim: int = 2,
    hidden_units: Sequence[int] = (128, 128, 128),
    activation: str = "relu",
    output_scale: float = 1.0,
    num_classes: Optional[int] = None,
    name: str = "mlp_generator",
) -> keras.Model:
    """Fully connected generator for toy low-dimensional data.

    The toy generator of WGAN-GP (Gulrajani et al. 2017, ``gan_toy.py``: 2-D Gaussian noise, three ReLU layers,
    linear output), with 128 instead of 512 units by default.

    Args:
      latent_dim: size of the latent vector ``z``. Default 2.
      output_dim: size of a sample. Default 2.
      hidden_units: width of each hidden layer. Default (128, 128, 128).
      activation: hidden activation. Default "relu".
      output_scale: the linear output is multiplied by this (a ``Rescaling`` layer). With ``1 / s`` the
        network works in units ``s`` times the data's, which a toy recipe uses to give points of small spread
        (the ring of 8 has σ = 0.01) a larger scale inside the nets; pair it with the critic's
        ``input_scale = s``. Default 1 (no layer).
      num_classes: class-conditional with this many classes: a second input ``labels`` whose learned embedding
        (size ``latent_dim``) is appended to ``z``. Default None.
      name: model name.
    Returns:
      ``keras.Model``: ``[batch, latent_dim] -> [batch, output_dim]`` (linear output, float32).
    """
    builder = "mlp_generator"
    _check_positive_int(builder, "latent_dim", latent_dim)
    _check_positive_int(builder, "output_dim", output_dim)
    hidden_units = _check_hidden_units(builder, hidden_units)
    _check_class_options(builder, num_classes)
    z = keras.Input((latent_dim,), name="z")
    labels = _labels_input(num_classes)
    x = z if labels is None else LabelEmbedding(num_classes, latent_dim)([z, labels])
    x = _mlp(x, hidden_units, activation, spectral_normalization=False)
    x = _rescale(keras.layers.Dense(output_dim)(x), _check_scale(builder, "output_scale", output_scale))
    return keras.Model(_inputs(z, labels), _float32_output(x, "linear"), name=name)


def mlp_discriminator(
    input_dim: int = 2,
    hidden_units: Sequence[int] = (128, 128, 128),
    output_units: int = 1,
    spectral_normalization: bool = False,
    activation: str = "relu",
    input_channels_multiplier: int = 1,
    input_scale: float = 1.0,
    num_classes: Optional[int] = None,
    class_head: str = "projection",
    name: str = "mlp_discriminator",
) -> keras.Model:
    """Fully connected discriminator (critic) for toy low-dimensional data.

    The toy critic of WGAN-GP (Gulrajani et al. 2017, ``gan_toy.py``: three ReLU layers, linear output), with
    128 instead of 512 units by default.

    Args:
      input_dim: size of one sample. Default 2.
      hidden_units: width of each hidden layer. Default (128, 128, 128).
      output_units: number of raw scores per sample, >= 1. Default 1.
      spectral_normalization: wrap every ``Dense`` in ``SpectralNormalization``. Default False.
      activation: hidden activation. Default "relu".
      input_channels_multiplier: PacGAN packing degree ``m``; the input has ``m * input_dim`` features.
        Default 1.
      input_scale: the samples are multiplied by this before the first layer (a ``Rescaling`` layer; see
        :func:`mlp_generator`'s ``output_scale``). Default 1 (no layer).
      num_classes: class-conditional with this many classes (see ``class_head``). Default None.
      class_head: ``"projection"`` (a second input ``labels``; the score gets the class projection of the last
        hidden layer) or ``"auxiliary"`` (``num_classes`` class logits after the ``output_units`` scores).
      name: model name.
    Returns:
      ``keras.Model``: ``[batch, m * input_dim] -> [batch, output_units]`` (float32 scores).
    """
    builder = "mlp_discriminator"
    _check_positive_int(builder, "input_dim", input_dim)
    _check_positive_int(builder, "output_units", output_units)
    _check_positive_int(builder, "input_channels_multiplier", input_channels_multiplier)
    hidden_units = _check_hidden_units(builder, hidden_units)
    _check_class_options(builder, num_classes, class_head, output_units)
    samples = keras.Input((input_dim * input_channels_multiplier,), name="samples")
    labels = _critic_labels(num_classes, class_head)
    x = _mlp(_rescale(samples, _check_scale(builder, "input_scale", input_scale)), hidden_units, activation, spectral_normalization)
    x = _critic_output(x, labels, output_units, num_classes, class_head, spectral_normalization)
    return keras.Model(_inputs(samples, labels), _float32_output(x, "linear"), name=name)


# --- DCGAN --------------------------------------------------------------------------------------------


def dcgan_generator(
    image_size: int = 28,
    channels: int = 1,
    latent_dim: int = 128,
    base_filters: int = 32,
    normalization: str = "batch",
    attention_resolution: Optional[int] = None,
    spectral_normalization: bool = False,
    num_classes: Optional[int] = None,
    extra_convs_per_stage: int = 0,
    latent_classes: Optional[int] = None,
    latent_class_frequencies=None,
    name: str = "dcgan_generator",
) -> keras.Model:
    """DCGAN generator (Radford, Metz, Chintala 2016).

    ``z -> Dense(b*b*c0) -> [norm, ReLU] -> k x (Conv2DTranspose 4x4 stride 2 ...) -> tanh``: a projection to
    a ``b x b`` map (``b = 7`` for 28 px as in the Keras/TensorFlow MNIST DCGAN, ``6`` for 48 px, ``4`` for 32
    and 64 px), then ``k = log2(image_size / b)`` transposed convolutions that double the resolution and halve
    the filters, ``c0 = base_filters * 2**(k-1)`` down to ``base_filters``; the last one outputs the image.
    Every layer but the last is followed by the normalisation and ReLU (the paper's generator activation).
    Weights ~ N(0, 0.02) as in the paper. Example: 28 px, ``base_filters=32``: 7x7x64 -> 14x14x32 -> 28x28x1.

    Args:
      image_size: side of the square images, one of (28, 32, 48, 64). Default 28.
      channels: image channels (1 grey, 3 colour). Default 1.
      latent_dim: size of ``z``. Default 128.
      base_filters: filters of the last hidden map; the first has ``base_filters * 2**(k-1)``. Default 32,
        small enough for CPU training (the paper's nets use 128).
      normalization: "batch" (the paper's), "layer" (over H, W, C) or "none". Default "batch".
      attention_resolution: side of the hidden map followed by a SAGAN self-attention block, one of
        ``b * 2**i`` below ``image_size``; None for none. Default None.
      spectral_normalization: wrap every ``Dense``/``Conv`` in ``SpectralNormalization`` (as SAGAN does in
        the generator). Default False.
      num_classes: class-conditional with this many classes: a second input ``labels``; every batch
        normalisation becomes :class:`ConditionalBatchNormalization` (with ``normalization`` "layer" or "none",
        a label embedding of size ``latent_dim`` is appended to ``z`` instead). Default None.
      extra_convs_per_stage: 3x3 stride-1 convolutions (each followed by the normalisation and ReLU) added at
        every resolution before its transposed convolution, keeping the channels: a deeper generator, as the
        TensorFlow MNIST DCGAN's stride-1 layer at 7x7. Default 0 (the paper's layout).
      latent_classes: an unconditional generator with a discrete latent part: ``K`` classes read off ``z[:, 0]``
        (:class:`tfgan_zoo.layers.LatentClass`, uniform when ``z`` is standard normal) select a scale and shift
        of every batch normalisation, as the labels of a class-conditional generator do; the input stays ``z``
        alone. Needs ``normalization="batch"``, a standard-normal latent and no ``num_classes``. Default None.
      latent_class_frequencies: the latent classes' probabilities (``latent_classes`` weights, e.g. the sizes of
        the data's clusters for a self-conditioned model); None for equal ones. Default None.
      name: model name.
    Returns:
      ``keras.Model``: ``[batch, latent_dim] -> [batch, image_size, image_size, channels]`` in [-1, 1], float32.
    """
    builder = "dcgan_generator"
    _check_choice(builder, "image_size", image_size, tuple(_DCGAN_BASE_SIZE))
    _check_positive_int(builder, "channels", channels)
    _check_positive_int(builder, "latent_dim", latent_dim)
    _check_positive_int(builder, "base_filters", base_filters)
    _check_choice(builder, "normalization", normalization, _NORMALIZATIONS)
    _check_int_at_least(builder, "extra_convs_per_stage", extra_convs_per_stage, 0)
    base_size = _DCGAN_BASE_SIZE[image_size]
    stages = _upsampling_stages(image_size, base_size)
    _check_attention_resolution(
        builder, image_size, attention_resolution, [base_size * 2**i for i in range(stages)]
    )
    initializer = keras.initializers.RandomNormal(stddev=_DCGAN_INITIALIZER_STDDEV)
    use_bias = normalization == "none"  # a bias just before a normalisation is redundant
    _check_class_options(builder, num_classes)
    if latent_classes is not None:
        _check_int_at_least(builder, "latent_classes", latent_classes, 2)
        if num_classes is not None or normalization != "batch":
            raise ValueError(f"{builder}: latent_classes={latent_classes!r} selects batch-norm scales by a class "
                             f"read off z, so it needs normalization='batch' (got {normalization!r}) and no "
                             f"num_classes (got {num_classes!r}); drop one of them.")

    filters = base_filters * 2 ** (stages - 1)
    z = keras.Input((latent_dim,), name="z")
    labels = _labels_input(num_classes)
    embedded = labels is not None and normalization != "batch"
    x = LabelEmbedding(num_classes, latent_dim)([z, labels]) if embedded else z
    norm_labels = None if embedded else labels
    if latent_classes is not None:
        norm_labels = LatentClass(latent_classes, latent_class_frequencies, name="latent_class")(z)
        num_classes = latent_classes
    elif latent_class_frequencies is not None:
        raise ValueError(f"{builder}: latent_class_frequencies is given without latent_classes; set "
                         "latent_classes=K too, or drop the frequencies.")
    x = _dense(base_size * base_size * filters, spectral_normalization, use_bias=use_bias,
               kernel_initializer=initializer)(x)
    x = keras.layers.Reshape((base_size, base_size, filters))(x)
    resolution = base_size
    for stage in range(stages):
        x = keras.layers.ReLU()(_normalize(x, normalization, norm_labels, num_classes))
        for _ in range(extra_convs_per_stage):
            x = _conv(x.shape[-1], _EXTRA_CONV_KERNEL_SIZE, spectral_normalization, use_bias=use_bias,
                      kernel_initializer=initializer)(x)
            x = keras.layers.ReLU()(_normalize(x, normalization, norm_labels, num_classes))
        x = _maybe_attend(x, resolution, attention_resolution, spectral_normalization)
        last = stage == stages - 1
        x = _conv(channels if last else filters // 2 ** (stage + 1), _DCGAN_KERNEL_SIZE, spectral_normalization,
                  strides=2, transpose=True, use_bias=use_bias or last, kernel_initializer=initializer)(x)
        resolution *= 2
    return keras.Model(_inputs(z, labels), _float32_output(x, "tanh"), name=name)


def dcgan_discriminator(
    image_size: int = 28,
    channels: int = 1,
    base_filters: int = 32,
    output_units: int = 1,
    spectral_normalization: bool = False,
    normalization: str = "none",
    attention_resolution: Optional[int] = None,
    input_channels_multiplier: int = 1,
    num_classes: Optional[int] = None,
    class_head: str = "projection",
    extra_convs_per_stage: int = 0,
    name: str = "dcgan_discriminator",
) -> keras.Model:
    """DCGAN discriminator (Radford, Metz, Chintala 2016), mirror image of :func:`dcgan_generator`.

    ``k`` 4x4 stride-2 convolutions with ``base_filters * 2**i`` filters bring the image down to the
    generator's ``b x b`` base map (``b = 7`` for 28 px, ``6`` for 48, ``4`` for 32 and 64), each followed by
    the normalisation (not after the first, as in the paper) and LeakyReLU(0.2); then ``Flatten -> Dense``.
    Weights ~ N(0, 0.02). Example: 28 px, ``base_filters=32``: 28x28 -> 14x14x32 -> 7x7x64 -> Dense.

    Args:
      image_size: one of (28, 32, 48, 64). Default 28.
      channels: image channels. Default 1.
      base_filters: filters of the first convolution. Default 32 (the paper's nets use 128).
      output_units: raw scores per sample, >= 1. Default 1.
      spectral_normalization: wrap every ``Conv``/``Dense`` in ``SpectralNormalization`` (SNGAN's "standard
        CNN" critic). Default False.
      normalization: "none" (required by WGAN-GP's per-sample penalty; the default), "layer" (over H, W, C)
        or "batch" (the paper's).
      attention_resolution: side of the map followed by a SAGAN self-attention block, one of
        ``image_size / 2**i`` for ``i = 1..k``; None for none. Default None.
      input_channels_multiplier: PacGAN packing degree ``m``; the input has ``m * channels`` channels.
        Default 1.
      num_classes: class-conditional with this many classes (see ``class_head``). Default None.
      class_head: ``"projection"`` (a second input ``labels``; the class projection of the flattened features
        is added to the score) or ``"auxiliary"`` (``num_classes`` class logits after the scores).
      extra_convs_per_stage: 3x3 stride-1 convolutions (each followed by the normalisation and LeakyReLU) after
        every strided one, keeping the channels: a deeper critic. Default 0 (the paper's layout).
      name: model name.
    Returns:
      ``keras.Model``: ``[batch, image_size, image_size, m * channels] -> [batch, output_units]``, float32.
    """
    builder = "dcgan_discriminator"
    _check_choice(builder, "image_size", image_size, tuple(_DCGAN_BASE_SIZE))
    _check_positive_int(builder, "channels", channels)
    _check_positive_int(builder, "base_filters", base_filters)
    _check_positive_int(builder, "output_units", output_units)
    _check_positive_int(builder, "input_channels_multiplier", input_channels_multiplier)
    _check_choice(builder, "normalization", normalization, _NORMALIZATIONS)
    _check_int_at_least(builder, "extra_convs_per_stage", extra_convs_per_stage, 0)
    stages = _upsampling_stages(image_size, _DCGAN_BASE_SIZE[image_size])
    _check_attention_resolution(
        builder, image_size, attention_resolution, [image_size // 2**i for i in range(1, stages + 1)]
    )
    initializer = keras.initializers.RandomNormal(stddev=_DCGAN_INITIALIZER_STDDEV)

    _check_class_options(builder, num_classes, class_head, output_units)
    images = keras.Input((image_size, image_size, channels * input_channels_multiplier), name="images")
    labels = _critic_labels(num_classes, class_head)
    x = images
    resolution = image_size
    for stage in range(stages):
        normalized = stage > 0 and normalization != "none"
        x = _conv(base_filters * 2**stage, _DCGAN_KERNEL_SIZE, spectral_normalization, strides=2,
                  use_bias=not normalized, kernel_initializer=initializer)(x)
        if stage > 0:
            x = _normalize(x, normalization)
        x = keras.layers.LeakyReLU(negative_slope=_LEAKY_RELU_SLOPE)(x)
        for _ in range(extra_convs_per_stage):
            x = _conv(x.shape[-1], _EXTRA_CONV_KERNEL_SIZE, spectral_normalization,
                      use_bias=normalization == "none", kernel_initializer=initializer)(x)
            x = keras.layers.LeakyReLU(negative_slope=_LEAKY_RELU_SLOPE)(_normalize(x, normalization))
        resolution //= 2
        x = _maybe_attend(x, resolution, attention_resolution, spectral_normalization)
    x = keras.layers.Flatten()(x)
    x = _critic_output(x, labels, output_units, num_classes, class_head, spectral_normalization,
                       kernel_initializer=initializer)
    return keras.Model(_inputs(images, labels), _float32_output(x, "linear"), name=name)


# --- SNGAN residual nets ------------------------------------------------------------------------------


def _generator_block(x, filters, spectral_normalization, labels=None, num_classes=None):
    # Residual: BN-ReLU-upsample-conv3-BN-ReLU-conv3; shortcut: upsample-conv1 (Miyato's / Mimicry's GBlock).
    h = keras.layers.ReLU()(_normalize(x, "batch", labels, num_classes))
    h = keras.layers.UpSampling2D(2)(h)
    h = _conv(filters, 3, spectral_normalization)(h)
    h = keras.layers.ReLU()(_normalize(h, "batch", labels, num_classes))
    h = _conv(filters, 3, spectral_normalization)(h)
    shortcut = _conv(filters, 1, spectral_normalization)(keras.layers.UpSampling2D(2)(x))
    return keras.layers.Add()([h, shortcut])


def _discriminator_block(x, filters, spectral_normalization, downsample, first=False):
    # Mimicry's DBlock: residual ReLU-conv3-ReLU-conv3[-avgpool], shortcut conv1[-avgpool] (identity when the
    # shape is kept). The first ("optimized") block has no leading ReLU and pools before its shortcut conv.
    h = x if first else keras.layers.ReLU()(x)
    h = _conv(filters, 3, spectral_normalization)(h)
    h = _conv(filters, 3, spectral_normalization)(keras.layers.ReLU()(h))
    if downsample:
        h = keras.layers.AveragePooling2D(2)(h)
    shortcut = x
    if first:
        shortcut = _conv(filters, 1, spectral_normalization)(keras.layers.AveragePooling2D(2)(x))
    elif downsample or x.shape[-1] != filters:
        shortcut = _conv(filters, 1, spectral_normalization)(x)
        if downsample:
            shortcut = keras.layers.AveragePooling2D(2)(shortcut)
    return keras.layers.Add()([h, shortcut])


def resnet_generator(
    image_size: int = 32,
    channels: int = 3,
    latent_dim: int = 128,
    filters: int = 128,
    attention_resolution: Optional[int] = None,
    spectral_normalization: bool = False,
    num_classes: Optional[int] = None,
    name: str = "resnet_generator",
) -> keras.Model:
    """SNGAN ResNet generator (Miyato et al. 2018, appendix B; official chainer code, Mimicry's ``sngan_32``).

    ``z -> Dense(b*b*filters) -> k residual up-blocks -> BN -> ReLU -> Conv3x3(channels) -> tanh`` with
    ``b = 4`` (32, 64 px) or 6 (48 px) and ``k = log2(image_size / b)``. Up-block: residual path
    ``BN-ReLU-Upsample(x2, nearest)-Conv3x3-BN-ReLU-Conv3x3``, shortcut ``Upsample-Conv1x1``, summed. All
    blocks have ``filters`` channels, as in the CIFAR-10 net (the paper's STL-10/ImageNet nets change the
    width with depth; not done here).

    Args:
      image_size: one of (32, 48, 64). Default 32.
      channels: image channels. Default 3.
      latent_dim: size of ``z``. Default 128 (the paper's).
      filters: channels of every block. Default 128 (the paper's CIFAR generator uses 256).
      attention_resolution: side of the block output followed by a SAGAN self-attention block, one of
        ``b * 2**i`` for ``i = 0..k``; None for none. Default None.
      spectral_normalization: wrap every ``Dense``/``Conv`` in ``SpectralNormalization`` (SAGAN). Default False.
      num_classes: class-conditional with this many classes: a second input ``labels``, and every batch
        normalisation a :class:`ConditionalBatchNormalization` (the cGAN-PD generator). Default None.
      name: model name.
    Returns:
      ``keras.Model``: ``[batch, latent_dim] -> [batch, image_size, image_size, channels]`` in [-1, 1], float32.
    """
    builder = "resnet_generator"
    _check_choice(builder, "image_size", image_size, tuple(_RESNET_BASE_SIZE))
    _check_positive_int(builder, "channels", channels)
    _check_positive_int(builder, "latent_dim", latent_dim)
    _check_positive_int(builder, "filters", filters)
    base_size = _RESNET_BASE_SIZE[image_size]
    stages = _upsampling_stages(image_size, base_size)
    _check_attention_resolution(
        builder, image_size, attention_resolution, [base_size * 2**i for i in range(stages + 1)]
    )

    _check_class_options(builder, num_classes)
    z = keras.Input((latent_dim,), name="z")
    labels = _labels_input(num_classes)
    x = _dense(base_size * base_size * filters, spectral_normalization)(z)
    x = keras.layers.Reshape((base_size, base_size, filters))(x)
    resolution = base_size
    x = _maybe_attend(x, resolution, attention_resolution, spectral_normalization)
    for _ in range(stages):
        x = _generator_block(x, filters, spectral_normalization, labels, num_classes)
        resolution *= 2
        x = _maybe_attend(x, resolution, attention_resolution, spectral_normalization)
    x = keras.layers.ReLU()(_normalize(x, "batch", labels, num_classes))
    x = _conv(channels, 3, spectral_normalization)(x)
    return keras.Model(_inputs(z, labels), _float32_output(x, "tanh"), name=name)


def resnet_discriminator(
    image_size: int = 32,
    channels: int = 3,
    filters: int = 128,
    output_units: int = 1,
    spectral_normalization: bool = True,
    attention_resolution: Optional[int] = None,
    input_channels_multiplier: int = 1,
    num_classes: Optional[int] = None,
    class_head: str = "projection",
    name: str = "resnet_discriminator",
) -> keras.Model:
    """SNGAN ResNet discriminator (Miyato et al. 2018, appendix B; official chainer code, Mimicry's ``sngan_32``).

    An "optimized" first block (``Conv3x3-ReLU-Conv3x3-AvgPool``, shortcut ``AvgPool-Conv1x1``), down-blocks
    (``ReLU-Conv3x3-ReLU-Conv3x3-AvgPool``, shortcut ``Conv1x1-AvgPool``) until the map is twice the
    generator's base size, two blocks that keep the size (identity shortcut), then ``ReLU``, a global *sum*
    pooling and ``Dense(output_units)``. For 32 px this is the paper's CIFAR-10 critic exactly:
    32 -> 16 -> 8 -> 8 -> 8. 48 px: 48 -> 24 -> 12 -> 12 -> 12; 64 px: 64 -> 32 -> 16 -> 8 -> 8 -> 8.
    Every block has ``filters`` channels.

    Args:
      image_size: one of (32, 48, 64). Default 32.
      channels: image channels. Default 3.
      filters: channels of every block. Default 128 (the paper's).
      output_units: raw scores per sample, >= 1. Default 1.
      spectral_normalization: wrap every ``Conv``/``Dense`` in ``SpectralNormalization``. Default True (SNGAN).
      attention_resolution: side of a down-block output followed by a SAGAN self-attention block, one of
        ``image_size / 2**i`` down to twice the base size (16, 8 for 32 px); None for none. Default None.
      input_channels_multiplier: PacGAN packing degree ``m``; the input has ``m * channels`` channels.
        Default 1.
      num_classes: class-conditional with this many classes (see ``class_head``). Default None.
      class_head: ``"projection"`` (a second input ``labels``; the class projection of the sum-pooled features is
        added to the score: the cGAN-PD critic) or ``"auxiliary"`` (``num_classes`` class logits after the scores).
      name: model name.
    Returns:
      ``keras.Model``: ``[batch, image_size, image_size, m * channels] -> [batch, output_units]``, float32.
    """
    builder = "resnet_discriminator"
    _check_choice(builder, "image_size", image_size, tuple(_RESNET_BASE_SIZE))
    _check_positive_int(builder, "channels", channels)
    _check_positive_int(builder, "filters", filters)
    _check_positive_int(builder, "output_units", output_units)
    _check_positive_int(builder, "input_channels_multiplier", input_channels_multiplier)
    downsamplings = _upsampling_stages(image_size, _RESNET_BASE_SIZE[image_size]) - 1
    _check_attention_resolution(
        builder, image_size, attention_resolution, [image_size // 2**i for i in range(1, downsamplings + 1)]
    )

    _check_class_options(builder, num_classes, class_head, output_units)
    images = keras.Input((image_size, image_size, channels * input_channels_multiplier), name="images")
    labels = _critic_labels(num_classes, class_head)
    x = images
    resolution = image_size
    for block in range(downsamplings + 2):
        downsample = block < downsamplings
        x = _discriminator_block(x, filters, spectral_normalization, downsample, first=block == 0)
        if downsample:
            resolution //= 2
            x = _maybe_attend(x, resolution, attention_resolution, spectral_normalization)
    x = keras.layers.ReLU()(x)
    # Global sum pooling (the paper's) as mean times the number of positions: only built-in layers.
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Rescaling(float(resolution * resolution))(x)
    x = _critic_output(x, labels, output_units, num_classes, class_head, spectral_normalization)
    return keras.Model(_inputs(images, labels), _float32_output(x, "linear"), name=name)
