"""PyTorch references for ``benchmarks/throughput.py``, on any device torch sees, eager or ``torch.compile``d.

    python benchmarks/torch_references.py --workload sngan [--device cuda] [--compile 1] [--iters 4 --warmup 1]

Workloads (one JSON line out, with ``gen_iters_per_s``):

* ``wgangp``: the reference WGAN-GP of ``../shared/bench/reference_wgangp_torch.py`` (its nets, imported from that
  file, so they are identical; DCGAN-style 28x28x1, batch 64, n_critic 5, lambda 10, Adam(1e-4, 0, 0.9)), here
  also on CUDA and under ``torch.compile``;
* ``sngan``: SNGAN with the ResNet nets of Miyato et al. 2018 for 32x32x3 images (generator 256 channels, critic
  128, ``torch.nn.utils.spectral_norm`` on every critic layer, one power iteration per call), hinge loss,
  batch 64, 5 critic updates per generator update, Adam(2e-4, 0, 0.9), synthetic data. The modules and the step
  are written the way PyTorch-StudioGAN writes them (``GenBlock`` / ``DiscOptBlock`` / ``DiscBlock``,
  ``snconv2d`` / ``snlinear``, a fresh ``z`` per critic update, ``fake.detach()`` for the critic); this is our
  own code, not StudioGAN's.

``torch.compile`` compiles the networks (``mode="max-autotune-no-cudagraphs"`` is not used: the default mode, as a
user would call it); the first ``--warmup`` iterations pay its compilation.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
BATCH, N_CRITIC = 64, 5
SNGAN_LATENT, SNGAN_G_CHANNELS, SNGAN_D_CHANNELS = 128, 256, 128


# --- SNGAN ResNet-32, StudioGAN style -----------------------------------------------------------------------


def snconv2d(in_channels, out_channels, kernel_size, padding=0):
    return nn.utils.spectral_norm(nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding))


def snlinear(in_features, out_features):
    return nn.utils.spectral_norm(nn.Linear(in_features, out_features))


class GenBlock(nn.Module):
    """BN-ReLU-upsample-conv3-BN-ReLU-conv3, shortcut upsample-conv1."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(in_channels), nn.BatchNorm2d(out_channels)
        self.conv2d0 = nn.Conv2d(in_channels, out_channels, 1)
        self.conv2d1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.conv2d2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)

    def forward(self, x):
        x0 = x
        x = F.interpolate(F.relu(self.bn1(x)), scale_factor=2, mode="nearest")
        x = self.conv2d2(F.relu(self.bn2(self.conv2d1(x))))
        x0 = self.conv2d0(F.interpolate(x0, scale_factor=2, mode="nearest"))
        return x + x0


class Generator(nn.Module):
    def __init__(self, z_dim=SNGAN_LATENT, channels=SNGAN_G_CHANNELS, bottom=4):
        super().__init__()
        self.channels, self.bottom = channels, bottom
        self.linear0 = nn.Linear(z_dim, channels * bottom * bottom)
        self.blocks = nn.Sequential(*[GenBlock(channels, channels) for _ in range(3)])
        self.bn4 = nn.BatchNorm2d(channels)
        self.conv2d5 = nn.Conv2d(channels, 3, 3, padding=1)

    def forward(self, z):
        x = self.linear0(z).view(-1, self.channels, self.bottom, self.bottom)
        return torch.tanh(self.conv2d5(F.relu(self.bn4(self.blocks(x)))))


class DiscOptBlock(nn.Module):
    """conv3-ReLU-conv3-avgpool, shortcut avgpool-conv1 (the first block)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv2d0 = snconv2d(in_channels, out_channels, 1)
        self.conv2d1 = snconv2d(in_channels, out_channels, 3, padding=1)
        self.conv2d2 = snconv2d(out_channels, out_channels, 3, padding=1)

    def forward(self, x):
        x0 = x
        x = F.avg_pool2d(self.conv2d2(F.relu(self.conv2d1(x))), 2)
        return x + self.conv2d0(F.avg_pool2d(x0, 2))


class DiscBlock(nn.Module):
    """ReLU-conv3-ReLU-conv3[-avgpool], shortcut conv1[-avgpool] (identity when the shape is kept)."""

    def __init__(self, in_channels, out_channels, downsample=True):
        super().__init__()
        self.downsample = downsample
        self.ch_mismatch = in_channels != out_channels
        if downsample or self.ch_mismatch:
            self.conv2d0 = snconv2d(in_channels, out_channels, 1)
        self.conv2d1 = snconv2d(in_channels, out_channels, 3, padding=1)
        self.conv2d2 = snconv2d(out_channels, out_channels, 3, padding=1)

    def forward(self, x):
        x0 = x
        x = self.conv2d2(F.relu(self.conv2d1(F.relu(x))))
        if self.downsample:
            x = F.avg_pool2d(x, 2)
        if self.downsample or self.ch_mismatch:
            x0 = self.conv2d0(x0)
            if self.downsample:
                x0 = F.avg_pool2d(x0, 2)
        return x + x0


class Discriminator(nn.Module):
    def __init__(self, channels=SNGAN_D_CHANNELS):
        super().__init__()
        self.blocks = nn.Sequential(DiscOptBlock(3, channels), DiscBlock(channels, channels, True),
                                    DiscBlock(channels, channels, False), DiscBlock(channels, channels, False))
        self.linear1 = snlinear(channels, 1)

    def forward(self, x):
        h = torch.sum(F.relu(self.blocks(x)), dim=[2, 3])  # global sum pooling
        return self.linear1(h)


def optimizer_step(optimizer, loss):
    """``zero_grad``, ``backward``, ``step``: one update of ``optimizer``'s parameters on ``loss``."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def sngan_iteration(g, d, g_opt, d_opt, data, device):
    """One generator iteration: N_CRITIC hinge critic updates (a real batch and a fresh z each), then one
    generator update."""
    batch = data.shape[1]
    for step in range(N_CRITIC):
        real = data[step]
        fake = g(torch.randn(batch, SNGAN_LATENT, device=device))
        optimizer_step(d_opt, F.relu(1.0 - d(real)).mean() + F.relu(1.0 + d(fake.detach())).mean())
    optimizer_step(g_opt, -d(g(torch.randn(batch, SNGAN_LATENT, device=device))).mean())


# --- WGAN-GP on the shared reference nets ---------------------------------------------------------------


def _shared_reference():
    spec = importlib.util.spec_from_file_location("reference_wgangp_torch", BENCH / "reference_wgangp_torch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wgangp_iteration(g, d, g_opt, d_opt, data, device, latent=128, weight=10.0):
    """The shared reference's generator iteration (its ``gen_iter``), on ``device``."""
    real = data[0]
    for _ in range(N_CRITIC):
        fake = g(torch.randn(BATCH, latent, device=device)).detach()
        eps = torch.rand(BATCH, 1, 1, 1, device=device)
        mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(d(mix).sum(), mix, create_graph=True)
        gp = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
        optimizer_step(d_opt, d(fake).mean() - d(real).mean() + weight * gp)
    optimizer_step(g_opt, -d(g(torch.randn(BATCH, latent, device=device))).mean())


def build(workload, device, batch=BATCH):
    """``(generator, critic, g_opt, d_opt, data, iteration)`` of ``workload`` on ``device`` (``batch``: SNGAN only;
    the WGAN-GP reference is fixed at 64)."""
    torch.manual_seed(0)
    if workload == "sngan":
        g, d = Generator().to(device), Discriminator().to(device)
        lr, betas, shape, iteration = 2e-4, (0.0, 0.9), (3, 32, 32), sngan_iteration
    else:
        reference = _shared_reference()
        g, d = reference.generator().to(device), reference.critic().to(device)
        lr, betas, shape, iteration = 1e-4, (0.0, 0.9), (1, 28, 28), wgangp_iteration
    g_opt = torch.optim.Adam(g.parameters(), lr, betas=betas)
    d_opt = torch.optim.Adam(d.parameters(), lr, betas=betas)
    data = torch.rand(N_CRITIC, batch if workload == "sngan" else BATCH, *shape, device=device) * 2 - 1
    return g, d, g_opt, d_opt, data, iteration


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=["wgangp", "sngan"], default="sngan")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--compile", type=int, default=0, help="torch.compile the networks")
    parser.add_argument("--iters", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--batch", type=int, default=BATCH, help="SNGAN's batch (64 is the workload)")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    g, d, g_opt, d_opt, data, iteration = build(args.workload, device, args.batch)
    if args.compile:
        g, d = torch.compile(g), torch.compile(d)

    def synchronise():
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        iteration(g, d, g_opt, d_opt, data, device)
    synchronise()
    start = time.perf_counter()
    for _ in range(args.iters):
        iteration(g, d, g_opt, d_opt, data, device)
    synchronise()
    seconds = time.perf_counter() - start
    print(json.dumps({"impl": f"pytorch-{'compile' if args.compile else 'eager'}", "workload": args.workload,
                      "device": str(device), "batch": int(data.shape[1]), "threads": torch.get_num_threads(),
                      "gen_iters_per_s": args.iters / seconds}))


if __name__ == "__main__":
    main()
