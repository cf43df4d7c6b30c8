"""Pictures of samples: image grids and 2-D scatter plots, as arrays or PNG files."""
from __future__ import annotations

import io

import numpy as np

__all__ = ["image_grid", "save_image_grid", "scatter_png", "save_samples_png", "save_toy_samples_png",
           "draw_toy_samples"]


def image_grid(images, rows=None):
    """Tiles ``images`` (``[n, h, w, c]`` in [-1, 1]) into one uint8 picture ``[rows*h, cols*w, c]``.

    ``rows`` defaults to ``ceil(sqrt(n))``; empty cells are black. Values are clipped to [-1, 1] first.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"images must be [n, height, width, channels]; got shape {images.shape}.")
    n, h, w, c = images.shape
    rows = int(np.ceil(np.sqrt(n))) if rows is None else int(rows)
    cols = int(np.ceil(n / rows))
    grid = np.zeros((rows * h, cols * w, c), np.uint8)
    pixels = np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    for i in range(n):
        r, col = divmod(i, cols)
        grid[r * h:(r + 1) * h, col * w:(col + 1) * w] = pixels[i]
    return grid


def save_image_grid(images, path, rows=None, scale=1):
    """Writes :func:`image_grid` of ``images`` to ``path`` as PNG, each pixel repeated ``scale`` times."""
    from PIL import Image

    grid = image_grid(images, rows)
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)
    return path


def scatter_png(points, reference=None, title=None, limit=None):
    """A scatter plot of 2-D ``points`` (over optional ``reference`` points) as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = np.asarray(points)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=80)
    if reference is not None:
        ax.scatter(*np.asarray(reference).T, s=2, c="tab:gray", alpha=0.3, label="real")
    ax.scatter(*points.T, s=2, c="tab:blue", alpha=0.6, label="generated")
    if limit is not None:
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def save_samples_png(samples, path, **kwargs):
    """Writes samples to PNG: a grid for images (rank 4), a scatter plot for 2-D points (rank 2)."""
    samples = np.asarray(samples)
    if samples.ndim == 2 and samples.shape[1] == 2:
        with open(path, "wb") as f:
            f.write(scatter_png(samples, **kwargs))
        return path
    return save_image_grid(samples, path, **kwargs)


def save_toy_samples_png(points, mixture, path, title=None, num_real=2500, seed=0):
    """Writes a scatter plot of generated 2-D ``points`` over ``num_real`` points of the toy ``mixture`` (grey), on
    axes that frame the mixture's modes, as PNG.

    Args:
      points: generated points ``[n, 2]``.
      mixture: ``"ring_of_8"`` or ``"grid_of_25"`` (:func:`tfgan_zoo.data.toy_modes`).
      path: the PNG file to write.
      title: optional plot title.
      num_real, seed: how many real points to draw under the generated ones, and with which seed.
    Returns:
      ``path``.
    """
    points, real, centres = _toy_scene(points, mixture, num_real, seed)
    with open(path, "wb") as f:
        f.write(scatter_png(points, reference=real, title=title, limit=1.6 * np.abs(centres).max()))
    return path


def draw_toy_samples(ax, points, mixture, title=None, num_real=2500, seed=0, fontsize=6):
    """Draws generated 2-D ``points`` (blue) over ``num_real`` real points of the toy ``mixture`` (grey) and its
    mode centres (red crosses) on the matplotlib axes ``ax``, framed on the modes like
    :func:`save_toy_samples_png`, without ticks: one panel of a figure of several runs. Returns ``ax``.

    Args:
      ax: a ``matplotlib.axes.Axes``.
      points, mixture, num_real, seed: as in :func:`save_toy_samples_png`.
      title: optional panel title, in ``fontsize`` points.
    """
    points, real, centres = _toy_scene(points, mixture, num_real, seed)
    limit = 1.6 * np.abs(centres).max()
    ax.scatter(real[:, 0], real[:, 1], s=1, alpha=0.25, color="0.6", rasterized=True)
    ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.3, color="tab:blue", rasterized=True)
    ax.scatter(centres[:, 0], centres[:, 1], s=12, marker="x", color="tab:red", linewidths=0.8)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=fontsize)
    return ax


def _toy_scene(points, mixture, num_real, seed):
    """(``points`` as an array, ``num_real`` real points of ``mixture`` drawn with ``seed``, its mode centres);
    raises ValueError naming the argument for an unknown mixture or points that are not ``[n, 2]``."""
    from . import data

    try:
        centres, _ = data.toy_modes(mixture)
    except ValueError:
        raise ValueError(f"mixture={mixture!r} is not a toy mixture; pass 'ring_of_8' or 'grid_of_25'.") from None
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape [n, 2] (2-D samples of {mixture}); got {points.shape}.")
    return points, data.toy_points(mixture, int(num_real), np.random.default_rng(seed)), centres


def compact_png(path, colors=64):
    """Rewrites the PNG at ``path`` with an adaptive palette of ``colors`` colours (in place); returns ``path``.

    Benchmark figures (scatters of thousands of translucent points, grids of samples) shrink several-fold this way
    with no visible change, so they can be committed and shown in the README.
    """
    from PIL import Image

    if not 2 <= int(colors) <= 256:
        raise ValueError(f"colors={colors!r} must be in [2, 256] (the size of a PNG palette).")
    with Image.open(path) as image:
        quantized = image.convert("RGB").quantize(colors=int(colors), method=Image.Quantize.MEDIANCUT)
    quantized.save(path, optimize=True)
    return path
