"""Stacked GANs: a second generator that refines the first one's images at a higher resolution.

The idea of StackGAN (Zhang et al., ICCV 2017) and of LAPGAN (Denton et al. 2015), without the text
conditioning: stage 1 is any zoo GAN trained on low-resolution images (e.g. MNIST at 14 px); stage 2 is any
zoo GAN whose generator is the chain ``z = [z1, z2] -> stage1(z1) = x_low -> refiner(upsample(x_low), z2) =
x_high``, with stage 1 frozen, trained against a critic at the high resolution. Because the chain is a
plain ``keras.Model`` from ``z`` to images, everything the zoo does with a generator works on it: ``fit``,
``generate``, sample grids, metrics and ``export_generator`` (the SavedModel holds both stages).

Usage (the notebook ``notebooks/05_stacked_gans.ipynb`` runs it on MNIST, 14 -> 28 px)::

    stage1 = tfgan_zoo.GAN(*low_resolution_networks(14, latent_dim=32), seed=0)
    stage1.compile(); stage1.fit(data.mnist(image_size=14), epochs=...)
    chain = stack_generators(stage1.sampling_generator, refiner_generator(14, latent_dim=16))
    stage2 = tfgan_zoo.GAN(chain, nets.dcgan_discriminator(28), seed=0)
    stage2.compile(); stage2.fit(data.mnist(image_size=28), epochs=...)
    stage2.export_generator("stacked/")        # z [n, 48] -> 28 px images
"""
from __future__ import annotations

import keras

from ..checks import check_positive_int

__all__ = ["stack_generators", "refiner_generator", "low_resolution_networks"]

_LEAKY_SLOPE = 0.2


def low_resolution_networks(image_size=14, channels=1, latent_dim=32, filters=32, name="stage1"):
    """A small DCGAN-style (generator, discriminator) pair for ``image_size`` px images (even, >= 4, e.g. 14
    for MNIST at half size); for stage 1 of a stack.

    Generator: ``z -> Dense((s/2)^2 * 2f) -> BN -> ReLU -> Conv2DTranspose(f, 4, stride 2) -> BN -> ReLU ->
    Conv(channels, 3) -> tanh``. Discriminator: ``Conv(f, 4, stride 2) -> LReLU(0.2) -> Conv(2f, 4, stride 2)
    -> LReLU -> Dense(1)``. Weights ~ N(0, 0.02) (DCGAN).

    Args:
      image_size: side ``s`` of the images, even, >= 4. Default 14.
      channels: image channels. Default 1.
      latent_dim: size of ``z``. Default 32.
      filters: ``f``. Default 32.
      name: prefix of the two model names.
    Returns:
      ``(generator, discriminator)``: ``[n, latent_dim] -> [n, s, s, channels]`` in [-1, 1] and
      ``[n, s, s, channels] -> [n, 1]``.
    """
    check_positive_int("latent_dim", latent_dim, "It is the size of stage 1's z.")
    check_positive_int("filters", filters, "E.g. 32.")
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 4 or image_size % 2:
        raise ValueError(f"image_size={image_size!r} must be an even integer >= 4 (e.g. 14 for MNIST at half size).")
    init = keras.initializers.RandomNormal(stddev=0.02)
    half = image_size // 2
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(half * half * 2 * filters, use_bias=False, kernel_initializer=init)(z)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(keras.layers.Reshape((half, half, 2 * filters))(x)))
    x = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init)(x)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    x = keras.layers.Conv2D(channels, 3, padding="same", kernel_initializer=init)(x)
    generator = keras.Model(z, keras.layers.Activation("tanh", dtype="float32")(x), name=f"{name}_generator")

    images = keras.Input((image_size, image_size, channels), name="images")
    x = keras.layers.LeakyReLU(_LEAKY_SLOPE)(
        keras.layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=init)(images))
    x = keras.layers.LeakyReLU(_LEAKY_SLOPE)(
        keras.layers.Conv2D(2 * filters, 4, strides=2, padding="same", kernel_initializer=init)(x))
    x = keras.layers.Dense(1, kernel_initializer=init, dtype="float32")(keras.layers.Flatten()(x))
    return generator, keras.Model(images, x, name=f"{name}_discriminator")


def refiner_generator(low_resolution=14, channels=1, latent_dim=16, filters=32, scale=2, name="refiner"):
    """The stage-2 generator: ``[x_low, z2] -> x_high`` at ``scale`` times the resolution.

    ``x_low`` is upsampled (bilinear) to the high resolution ``S = scale * low_resolution``; ``z2`` becomes a
    ``S x S`` noise map (``Dense((S/4)^2 * f) -> 2 x (Upsample 2 -> Conv 3x3 -> BN -> ReLU)``); the two are
    concatenated and refined by ``Conv 3x3 (f) -> BN -> ReLU -> Conv 3x3 (f) -> BN -> ReLU -> Conv 3x3
    (channels)``, added to the upsampled image and squashed: ``x_high = tanh(r + 2 * x_up)`` (so that an
    idle refiner, ``r = 0``, returns a sharpened copy of the stage-1 image; ``tanh(2u)`` keeps it in [-1, 1]).

    Args:
      low_resolution: side of stage 1's images. Default 14.
      channels: image channels. Default 1.
      latent_dim: size of ``z2``. Default 16.
      filters: ``f``. Default 32.
      scale: resolution factor (``S`` must be a multiple of 4). Default 2.
      name: model name.
    Returns:
      ``keras.Model`` with inputs ``{"low_resolution": [n, s, s, c], "z": [n, latent_dim]}`` (also callable
      as ``[x_low, z2]``) and output ``[n, S, S, c]`` in [-1, 1].
    """
    for arg, value in (("low_resolution", low_resolution), ("channels", channels), ("latent_dim", latent_dim),
                       ("filters", filters), ("scale", scale)):
        check_positive_int(arg, value, "See the refiner_generator docstring.")
    size = low_resolution * scale
    if size % 4:
        raise ValueError(f"low_resolution * scale = {size} must be a multiple of 4 (e.g. low_resolution=14, scale=2).")
    init = keras.initializers.RandomNormal(stddev=0.02)
    low = keras.Input((low_resolution, low_resolution, channels), name="low_resolution")
    z = keras.Input((latent_dim,), name="z")
    up = keras.layers.UpSampling2D(scale, interpolation="bilinear", name="upsample")(low)
    noise = keras.layers.Dense((size // 4) ** 2 * filters, use_bias=False, kernel_initializer=init)(z)
    noise = keras.layers.Reshape((size // 4, size // 4, filters))(noise)
    for _ in range(2):
        noise = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init)(
            keras.layers.UpSampling2D(2)(noise))
        noise = keras.layers.ReLU()(keras.layers.BatchNormalization()(noise))
    x = keras.layers.Concatenate()([up, noise])
    for _ in range(2):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init)(x)
        x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    residual = keras.layers.Conv2D(channels, 3, padding="same", kernel_initializer=init)(x)
    logits = keras.layers.Add()([residual, keras.layers.Rescaling(2.0)(up)])
    return keras.Model([low, z], keras.layers.Activation("tanh", dtype="float32")(logits), name=name)


def stack_generators(stage1, refiner, train_stage1=False, name="stacked_generator"):
    """Chains two generators: ``z = [z1, z2] -> refiner([stage1(z1), z2])``, one ``keras.Model`` from ``z``.

    Args:
      stage1: the stage-1 generator, ``[n, d1] -> [n, s, s, c]`` (e.g. ``stage1_gan.sampling_generator``). It is
        copied (:func:`keras.models.clone_model` with its weights), so training the stack never changes the
        stage-1 GAN.
      refiner: the stage-2 generator, ``[x_low [n, s, s, c], z2 [n, d2]] -> [n, S, S, c]``
        (:func:`refiner_generator`).
      train_stage1: False (default, StackGAN's stage-wise training) freezes the copy of stage 1 (its batch
        normalisation then runs in inference mode); True trains both stages end to end.
      name: model name.
    Returns:
      A functional ``keras.Model`` ``[n, d1 + d2] -> [n, S, S, c]``; ``model.get_layer(refiner.name)`` is the
      refiner and ``model.get_layer(stage1.name)`` the (copied) stage 1.
    """
    for arg, net in (("stage1", stage1), ("refiner", refiner)):
        if not isinstance(net, keras.Model):
            raise ValueError(f"{arg} must be a keras.Model; got {type(net).__name__}.")
    if len(stage1.inputs) != 1 or len(stage1.input_shape) != 2:
        raise ValueError(f"stage1 must map z [n, d1] to images; its input shape is {stage1.input_shape}.")
    if len(refiner.inputs) != 2:
        raise ValueError("refiner must take two inputs, [low-resolution images, z2] (see refiner_generator); it "
                         f"takes {len(refiner.inputs)}.")
    low_shape, z2_shape = (tuple(t.shape[1:]) for t in refiner.inputs)
    if tuple(stage1.output_shape[1:]) != low_shape:
        raise ValueError(f"stage1 makes images of shape {tuple(stage1.output_shape[1:])} but the refiner takes "
                         f"{low_shape}; build the refiner with low_resolution={stage1.output_shape[1]}, "
                         f"channels={stage1.output_shape[-1]}.")
    copy = keras.models.clone_model(stage1)
    copy.set_weights(stage1.get_weights())
    copy.trainable = bool(train_stage1)
    d1, d2 = int(stage1.input_shape[1]), int(z2_shape[0])
    z = keras.Input((d1 + d2,), name="z")
    low = copy(z[:, :d1])
    return keras.Model(z, refiner([low, z[:, d1:]]), name=name)
