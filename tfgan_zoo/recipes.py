"""Recipes: how each variant of the zoo is trained on each kind of data, as data.

A variant (:mod:`tfgan_zoo.zoo`) is an objective; a *recipe* is everything else a run needs: networks and their
options, the latent, the two optimizers, critic updates, batch size, schedules and the length of training.
Recipes are written diff-only, in the spirit of StudioGAN's short YAML configs: a :data:`FAMILIES` entry holds
the defaults of one kind of data, and :data:`RECIPES` holds what a variant changes on it. :func:`resolve` merges
them (and any user overrides) into a full, validated recipe, the one a run folder keeps as ``recipe.json``.

Families (:func:`family_for_shape` picks one from the data):

* ``toy``: 2-D points (ring of 8, grid of 25); MLPs.
* ``28px``: MNIST, or digits upscaled to 28 px; DCGAN-28 nets.
* ``32px``: 32 px images (CIFAR-like); the SNGAN ResNet nets.
* ``64px``: 48 and 64 px images; DCGAN nets.

Fields of a resolved recipe (``--set key=value`` in the CLI; dotted keys reach into dicts):

============================  =================================================================================
``networks.kind``             ``mlp`` (points), ``dcgan`` or ``resnet`` (images)
``networks.generator``        options of the generator builder in :mod:`tfgan_zoo.nets`
``networks.discriminator``    options of the discriminator builder
``point_scale``               points only: the nets see the data scaled so that its root-mean-square norm is this
                              (the generator's output is scaled back); null leaves the data's own units
``latent_dim``                size of ``z``
``latent_distribution``       ``normal`` or ``uniform``
``model``                     constructor arguments of the variant's class (``n_critic``, ``penalty_weight``,
                              ``ema_decay``, ``setting``, ...); the variant's defining ones are fixed
``d_optimizer``/``g_optimizer``  ``{"class_name", "config"}`` as ``keras.optimizers.get`` takes them; a recipe
                              gives only what differs from the variant's paper optimizer
``lr_schedule``               ``constant`` or ``linear_decay`` (both rates to 0 at ``steps``, in-graph)
``instance_noise_anneal``     fraction of ``steps`` over which instance noise falls linearly to 0
``augment``                   images only: ``none`` or a DiffAugment policy applied to every critic input, e.g.
                              ``translation,cutout`` or ``color,translation,cutout`` (:mod:`tfgan_zoo.augment`)
``ada``                       ``false`` (``augment`` always applied), ``true`` (ADA adapts its probability, the
                              paper's settings) or a dict of :class:`tfgan_zoo.augment.ADA` options, e.g.
                              ``--set ada.speed_images=100000``
``batch_size``                critic batch
``steps``                     generator steps of a run
``steps_per_epoch``           generator steps per Keras epoch (logs, grids and checkpoints per epoch)
``steps_per_execution``       steps run per host call (Keras ``compile(steps_per_execution=...)``)
``jit_compile``               XLA-compile the step
``notes``                     why the recipe is what it is (free text)
============================  =================================================================================
"""
from __future__ import annotations

import copy
import difflib
import json
import math

from .checks import check_positive_int

__all__ = ["FAMILIES", "RECIPES", "TOY_SHORTFALLS", "MNIST_SHORTFALLS", "FIELDS", "RecipeError", "merge",
           "family_for_data", "family_for_shape", "resolve", "recipe_diff", "parse_override", "parse_overrides",
           "available_recipes", "training_view", "same_training"]


class RecipeError(ValueError):
    """A recipe, or an override of one, names an unknown key or holds a value of the wrong kind."""


# The families' defaults. Optimizers are None here: the variant's paper optimizer, which a recipe may amend.
_BASE = {
    "point_scale": None,
    "latent_distribution": "normal",
    "model": {},
    "d_optimizer": None,
    "g_optimizer": None,
    "lr_schedule": "constant",
    "instance_noise_anneal": 0.5,
    "steps_per_execution": 1,
    "jit_compile": False,
    "augment": "none",
    "ada": False,
    # 0: off; K >= 2: self-conditioning on K k-means clusters of the training images (zoo.build_run)
    "self_conditioning": 0,
    "notes": "",
}

_TOY_NETS = {"hidden_units": [128, 128, 128]}

# The class-conditional 28px recipes train on the digits' own labels, for the 6,000 steps they were measured at.
_CONDITIONAL_28PX = {"self_conditioning": 0, "steps": 6000}
_NOT_SELF_CONDITIONED = ("without self-conditioning, which this variant cannot take: its critic {}; the family's other "
                         "settings")

FAMILIES = {
    "toy": {
        **_BASE,
        "networks": {"kind": "mlp", "generator": dict(_TOY_NETS), "discriminator": dict(_TOY_NETS)},
        "latent_dim": 16,
        # unconstrained critics did best on unit-size data: the standard GAN on the grid (±4) scaled to RMS 1 found
        # 20/25 modes at 88 % HQ in 10,000 steps against 9/25 raw, 8/25 at RMS 10; 25/25 at 96 % in 20,000 steps
        "point_scale": 1.0,
        # lr 1e-3 decayed linearly to 0 and batch 512 took the standard GAN to 8/8 ring modes at 93 % HQ where the
        # image papers' 2e-4 left most variants on one or two modes (benchmarks/results/toy_coverage.md)
        "d_optimizer": {"config": {"learning_rate": 1e-3}},
        "g_optimizer": {"config": {"learning_rate": 1e-3}},
        "lr_schedule": "linear_decay",
        "batch_size": 512,
        # 10,000 steps left the standard GAN at 20/25 grid modes; 20,000 at 25/25 (one seed)
        "steps": 20000,
        "steps_per_epoch": 1000,
        "steps_per_execution": 50,
        # without XLA a toy step cost 2.59 ms against 3.46 ms with it (quiet Xeon, 50 steps per call;
        # benchmarks/results/throughput.md)
        "jit_compile": False,
    },
    "28px": {
        **_BASE,
        # base_filters 32 and latent 32 keep a step cheap on a CPU and a shipped generator at ~0.65 MB
        "networks": {"kind": "dcgan", "generator": {"base_filters": 32}, "discriminator": {"base_filters": 32}},
        "latent_dim": 32,
        "batch_size": 64,
        # self-conditioning on 30 k-means clusters of the digits' pixels for 12,000 steps took SNGAN to 0.899 / 0.861
        # confidently classified digits (ours / independent judge), precision 0.79, every digit within 1.6 points of
        # 10 % (seed 0); without it every unconditional variant stayed at 0.62-0.74 with precision near 0.5, whatever
        # the nets, length, EMA or augmentation (benchmarks/results/mnist_recipe_tuning.md)
        "self_conditioning": 30,
        "steps": 12000,
        "steps_per_epoch": 200,
        "instance_noise_anneal": 0.2,
        # without XLA the 28 px gan step took 64 ms against 128 ms with it, sngan's and wgangp's the same
        # (benchmarks/results/recipe_step_time.md)
        "jit_compile": False,
    },
    "32px": {
        **_BASE,
        "networks": {"kind": "resnet", "generator": {}, "discriminator": {}},
        "latent_dim": 128,
        "batch_size": 64,
        "steps": 50000,
        "steps_per_epoch": 1000,
        "instance_noise_anneal": 0.2,
    },
    "64px": {
        **_BASE,
        "networks": {"kind": "dcgan", "generator": {"base_filters": 64}, "discriminator": {"base_filters": 64}},
        "latent_dim": 128,
        "batch_size": 64,
        "steps": 50000,
        "steps_per_epoch": 1000,
        "instance_noise_anneal": 0.2,
    },
}

FIELDS = tuple(FAMILIES["toy"])

# A 2-d latent drawn uniformly from the square [-1, 1]^2: the square maps onto the grid's 5 x 5 modes without
# tearing a Gaussian's tails, and it kept the standard-GAN family on the modes it dropped with a 16-d Gaussian
# latent (benchmarks/results/toy_recipe_tuning.md).
_UNIFORM_2D_LATENT = {"latent_dim": 2, "latent_distribution": "uniform"}

# A light R1 penalty (Mescheder et al. 2018), gamma = 0.1, a hundredth of the r1 variant's: it keeps the critic flat
# on the real points, which the least-squares and relativistic losses need to hold every mode (without it they
# dropped grid or ring modes on some seed with every latent, length and batch tried; with it 25/25 grid and 8/8 ring
# modes on seeds 0-2, benchmarks/results/toy_recipe_tuning.md). The loss, which defines the variant, is unchanged.
_LIGHT_R1 = {"model": {"penalty": "r1", "penalty_weight": 0.1}}

# What each variant changes on each family: only the differences. A variant absent from a family trains with
# the family's defaults and its paper optimizer.
RECIPES = {
    "toy": {
        "sngan": {"model": {"setting": "resnet"}, "point_scale": 10.0, "steps": 10000,
                  "notes": "the ResNet setting's 5 critic updates (with 1 the ring collapses to one mode); a "
                           "1-Lipschitz critic separates modes 0.03 apart only on data scaled up (RMS 10: 8/8 ring "
                           "modes at 93 % HQ, against 1/8 raw)"},
        "wgangp": {"model": {"penalty_weight": 0.1}, "point_scale": 5.0, "steps": 10000,
                   "notes": "λ = 0.1 as in the WGAN-GP toy script (gan_toy.py); data at RMS 5 for the "
                            "1-Lipschitz critic (ring: 2/8 raw; grid HQ 84 % and 76 % at RMS 10, seeds 0 and 1, "
                            "47 % on the mean of seeds 1-2 at RMS 20, 87 % and 85 % at RMS 5, seeds 1 and 2, with "
                            "8/8 ring modes at 96 % and 97 % HQ, all under XLA); without XLA at RMS 5, 25/25 grid "
                            "modes at 86, 80 and 88 % HQ and 8/8 ring modes at 96 % (seeds 0-2)"},
        "minimax": {**_UNIFORM_2D_LATENT, "point_scale": 0.4,
                    "notes": "grid (seed 0, 20,000 steps): 25/25 modes at 89 % HQ at RMS 0.4, 23/25 at RMS 1; with a "
                             "uniform 2-d latent 8/8 ring modes at 99 % HQ and 25, 24 and 25 grid modes at 98, 86 and "
                             "98 % (seeds 0-2), where the 16-d Gaussian latent dropped ring modes (4-8/8)"},
        "lsgan": {**_UNIFORM_2D_LATENT, **_LIGHT_R1,
                  "notes": "a uniform 2-d latent and a light R1 penalty (gamma 0.1): 8/8 ring modes at 99, 96 and 97 % "
                           "HQ and 25/25 grid modes at 91, 98 and 97 % (seeds 0-2). Without the penalty the same latent "
                           "kept 25, 19 and 24 grid modes; on seed 1 RMS 0.4 and a generator lr of 5e-4 reached 23/25, "
                           "30,000 steps 20/25, 2 critic updates 13/25, and batch 1024 kept 23, 24 and 22 (seeds 0-2); "
                           "the 16-d Gaussian latent kept 11-20 (benchmarks/results/toy_recipe_tuning.md)"},
        "unrolled": {**_UNIFORM_2D_LATENT, **_LIGHT_R1, "steps": 10000,
                     "notes": "the family's lr 1e-3, a uniform 2-d latent and a light R1 penalty (gamma 0.1), 10,000 "
                              "steps (an unrolled step costs about 5 plain ones): 8/8 ring modes at 96, 96 and 96 % HQ "
                              "and 25/25 grid modes at 89, 90 and 91 % (seeds 0-2). Without the penalty the paper's lr "
                              "1e-4 left the samples unsharpened in 10,000 steps (8/8 ring modes at 65 % HQ, 17/25 grid "
                              "modes at 3 %), and with the uniform 2-d latent (seed 0) lr 3e-4 gave 24/25 grid modes at "
                              "24 % HQ, 5e-4 25/25 at 34 % (77 % at 20,000 steps), 1e-3 21/25 at 81 %; lr 5e-4 with "
                              "the penalty 25/25 at 59 %; with the 16-d Gaussian latent lr 1e-3 collapsed the ring to 1/8 "
                              "modes"},
        "wgan": {"model": {"clip_value": 0.3}, "steps": 20000,
                 "notes": "clip 0.3 instead of the paper's 0.01, data at RMS 1, 20,000 steps: the paper's clip bounds a "
                          "3x128 MLP critic so tightly that it never sharpened the samples (1-2 % HQ at RMS 10); at "
                          "RMS 1 and 10,000 steps clip 0.05, 0.1, 0.3, 0.5 and 1 gave 30, 56, 79, 71 and 75 % grid HQ "
                          "(seed 0); at 20,000 steps clip 0.1, 0.2 and 0.3 gave 80, 89 and 91 %, and clip 0.3 met "
                          "the bar on seeds 0-2 (8/8 ring modes at 96-97 % HQ, 25/25 grid modes at 82-93 %). Clipping "
                          "stays the critic's only constraint, with the paper's RMSprop and 5 critic updates"},
        "sphere": {**_UNIFORM_2D_LATENT, "networks": {"discriminator": {"output_units": 16}},
                   "model": {"moments": 1, **_LIGHT_R1["model"]},
                   "notes": "a 16-wide sphere head (the paper's S^1024 is for images and is 4.5x slower on points), the "
                            "first moment only, as the official code uses, a uniform 2-d latent and a light R1 penalty "
                            "(gamma 0.1): 8/8 ring modes at 97, 98 and 95 % HQ and 25/25 grid modes at 94, 96 and 96 % "
                            "(seeds 0-2). With the paper's 3 moments and the 16-d Gaussian latent the grid kept 21/25 "
                            "modes at 55 % HQ on the mean, its samples along the grid lines; the uniform 2-d latent "
                            "kept 20/25 at 59 % on seed 2 even at 30,000 steps (and 4/8 ring modes); 1 moment without "
                            "the penalty 25, 22 and 24 grid modes at 92, 70 and 76 %, 3 moments with it 25 and 24 at "
                            "89 and 72 % (seeds 1-2); RMS 0.4 and 2.5 kept 23 and 11 (seed 2)"},
        "gan": {**_UNIFORM_2D_LATENT, "steps": 30000,
                "notes": "a 2-d latent, as WGAN-GP's toy script (gan_toy.py) draws, uniform on the square, and 30,000 "
                         "steps: 8/8 ring modes at 99 % HQ and 25/25 grid modes at 98-99 % on seeds 0-2. With 20,000 "
                         "steps the uniform latent kept 25, 18 and 24 grid modes, a Gaussian 2-d one 20, 24 and 25, the "
                         "family's 16-d Gaussian one 19-22; with that latent, EMA, Adam betas (0.5, 0.9) or (0, 0.9), "
                         "leaky ReLU, a 64-d latent and 40,000 steps did not help (benchmarks/results/toy_recipe_tuning.md)"},
        "dragan": {"model": {"penalty_weight": 1.0},
                   "notes": "penalty weight 1 instead of the paper's 10: at 10 the penalty around the real points "
                            "spread the grid's samples between modes (25/25 at 72 % and 66 % HQ, seeds 0 and 1); at 1 "
                            "(seeds 0, 1, 2) 25/25 grid modes at 91, 81 and 86 % HQ and 8/8 ring modes at 98, 97 and "
                            "97 % HQ (benchmarks/results/toy_recipe_tuning.md)"},
        "realness": {**_UNIFORM_2D_LATENT, "model": {"spectral_normalization": False},
                     "notes": "a plain critic, as the official RealnessGAN toy script has; a uniform 2-d latent: 25/25 "
                              "grid modes at 98-99 % HQ and 8/8 ring modes at 96-98 % on seeds 0-2, where the 16-d "
                              "Gaussian latent kept 17-18 grid modes (seeds 0-1)"},
        "hinge": {**_UNIFORM_2D_LATENT,
                  "notes": "a uniform 2-d latent: 8/8 ring modes at 99 % HQ and 25, 24 and 25 grid modes at 98, 95 "
                           "and 98 % (seeds 0-2), where the 16-d Gaussian latent dropped ring modes on every seed "
                           "(6-7/8) and kept 23-25 grid modes"},
        "ragan": {**_UNIFORM_2D_LATENT, **_LIGHT_R1,
                  "notes": "a uniform 2-d latent and a light R1 penalty (gamma 0.1): 8/8 ring modes at 99, 91 and 99 % "
                           "HQ and 25/25 grid modes at 98, 98 and 95 % (seeds 0-2). Without the penalty the relativistic "
                           "average loss dropped modes on some seed with every setting tried: the 16-d Gaussian latent "
                           "collapsed seed 2's ring to 1/8 and kept 21.7 grid modes on the mean, a 2-d Gaussian one 4/8 "
                           "ring modes (seed 0), the uniform 2-d one 4/8 (5/8 at 30,000 steps, 6/8 at batch 1024, 0/8 "
                           "at RMS 0.4), and 2 critic updates 7-8/8 ring modes but 13, 25 and 12 grid modes"},
        "ralsgan": {**_UNIFORM_2D_LATENT, **_LIGHT_R1,
                    "notes": "a uniform 2-d latent and a light R1 penalty (gamma 0.1): 8/8 ring modes at 96, 99 and 99 "
                             "% HQ and 25/25 grid modes at 97, 98 and 98 % (seeds 0-2). Without the penalty the 16-d "
                             "Gaussian latent kept 17-21 grid modes (22 at RMS 0.4, but 24 % HQ) and the uniform 2-d one "
                             "6/8 ring modes and 22/25 grid modes (seed 0; 8/8 and 21/25 at 30,000 steps, 21/25 at "
                             "batch 1024, 19/25 with 2 critic updates)"},
        "pacgan": {**_UNIFORM_2D_LATENT,
                   "notes": "a uniform 2-d latent: 8/8 ring modes at 99 % HQ and 25/25 grid modes at 97, 96 and 88 % "
                            "(seeds 0-2), where the 16-d Gaussian latent kept 18-25 grid modes"},
        "instance_noise": {**_UNIFORM_2D_LATENT, "instance_noise_anneal": 1.0,
                           "notes": "a uniform 2-d latent, and the noise annealed to 0 over the whole run instead of "
                                    "half of it: 8/8 ring modes at 98 % HQ and 25, 25 and 22 grid modes at 97-98 % "
                                    "(seeds 0-2; 24.0 on the mean, the bar exactly); annealed over half the run the "
                                    "same latent kept 25, 20 and 24 grid modes, the 16-d Gaussian latent 18-23"},
        "gngan": {**_UNIFORM_2D_LATENT,
                  "notes": "a uniform 2-d latent: 8/8 ring modes at 94-97 % HQ on seeds 0-2, where the 16-d Gaussian "
                           "latent smeared a ring mode on seed 2 (7/8 at 67 % HQ); a run costs about 94 CPU-seconds, "
                           "against about 300 for the 16-d recipe under XLA (latent and XLA not measured apart)"},
    },
    "28px": {
        "gan": {"notes": "the family's nets and self-conditioning; without self-conditioning the best standard GAN "
                         "found was 0.73 / 0.71 confident with a deeper 64-filter generator, a 64-filter critic and "
                         "an EMA (benchmarks/results/mnist_recipe_tuning.md)"},
        "sngan": {"model": {"setting": "cnn"}, "notes": "the paper's standard-CNN setting for DCGAN nets"},
        "cgan": {"model": {"setting": "cnn"}, **_CONDITIONAL_28PX,
                 "notes": "SNGAN's standard-CNN setting, as the 28px sngan recipe; the DCGAN-28 nets with conditional "
                          "batch norm and a projection head on the flattened critic features, on the digits' labels. "
                          "One run on the 5,000 digits (seed 0): 97 % of the digits classified as requested by the "
                          "shipped classifier, 92 % by the independent judge (classifier FID 5.5)"},
        "acgan": {"networks": {"discriminator": {"spectral_normalization": True}}, **_CONDITIONAL_28PX,
                  "notes": "the family's DCGAN-28 nets, the critic ending in 1 + 10 outputs, with spectral norm; the "
                           "paper's Adam (2e-4, 0.5), on the digits' labels. One run each on the 5,000 digits (seed "
                           "0, 6,000 steps): with spectral norm 84 % of the digits classified as requested by the "
                           "shipped classifier, 93 % by the independent judge (classifier FID 33); without it 46 % "
                           "and 53 % (FID 73)"},
        "pacgan": {"self_conditioning": 0, "notes": _NOT_SELF_CONDITIONED.format("packs two images into one critic input")},
        "realness": {"self_conditioning": 0,
                     "notes": _NOT_SELF_CONDITIONED.format("has its own loop and 20 outcomes per image")},
        "sphere": {"self_conditioning": 0,
                   "notes": _NOT_SELF_CONDITIONED.format("scores each image with a 1,024-d point on the sphere")},
        "unrolled": {"steps": 6000,
                     "notes": "the family's settings for 6,000 steps, as a step costs about 6 times the standard "
                              "GAN's (143 ms on one core)"},
    },
    "32px": {
        "sngan": {"model": {"setting": "resnet"}, "lr_schedule": "linear_decay",
                  "notes": "the paper's ResNet setting: 5 critic updates, lr decayed linearly to 0"},
        "gngan": {"lr_schedule": "linear_decay"},
    },
    "64px": {},
}


# (variant, mixture) whose toy recipe misses the bar of tfgan_zoo.pretrained.TOY_BAR (seed 0, the shipped run), with
# what it reached and why, as far as the session's tuning found; the shipped generator is then the best found, and
# tests/test_pretrained.py checks that it is at least not collapsed (half the modes or more).
TOY_SHORTFALLS = {}
# Why the self-conditioned shortfalls that miss only the digit balance miss it (README, "MNIST").
_UNEVEN_CLUSTER_DIGITS = "the digits of pixel clusters that mix two or three digits (3/5/8, 4/9) are drawn unevenly"
# The variants whose shipped MNIST generator (seed 0 of the 28px recipe) misses tfgan_zoo.pretrained.MNIST_BAR, with
# what it reached and why (benchmarks/results/zoo_mnist.md has every run).
MNIST_SHORTFALLS = {
    "acgan": "0.79 / 0.87 of its digits confidently classified (ours / independent judge), precision 0.55, 6,000 "
             "steps; below the bar on confident 0.791 by ours, precision 0.55, a digit 3.6 points from 10 %: "
             "conditioned on the labels through ACGAN's auxiliary classifier; spectral norm in the critic lifted it "
             "from 46 % classified as requested; a smaller class-loss weight or the hinge loss are untried",
    "gan": ("0.92 / 0.88 of its digits confidently classified (ours / independent judge), precision 0.82, 12,000 "
            "steps; below the bar on a digit 3.5 points from 10 %: "
            + _UNEVEN_CLUSTER_DIGITS),
    "instance_noise": ("0.91 / 0.88 of its digits confidently classified (ours / independent judge), precision 0.81, "
                       "12,000 steps; below the bar on a digit 3.4 points from 10 %: "
                       + _UNEVEN_CLUSTER_DIGITS),
    "lsgan": ("0.91 / 0.87 of its digits confidently classified (ours / independent judge), precision 0.85, 12,000 "
              "steps; below the bar on a digit 4.9 points from 10 %: "
              + _UNEVEN_CLUSTER_DIGITS),
    "minimax": ("0.85 / 0.81 of its digits confidently classified (ours / independent judge), precision 0.81, 12,000 "
                "steps; below the bar on 0.814 by the independent judge, a digit 3.9 points from 10 %: "
                + _UNEVEN_CLUSTER_DIGITS),
    "pacgan": "0.65 / 0.63 of its digits confidently classified (ours / independent judge), precision 0.49, 12,000 "
              "steps; below the bar on confident 0.648 by ours, 0.628 by the independent judge, precision 0.49, a "
              "digit 5.7 points from 10 %: trained without self-conditioning, which its packed critic input (two "
              "images, one score) cannot take",
    "ralsgan": ("0.85 / 0.84 of its digits confidently classified (ours / independent judge), precision 0.84, 12,000 "
                "steps; below the bar on a digit 4.4 points from 10 %: "
                + _UNEVEN_CLUSTER_DIGITS),
    "realness": "0.71 / 0.68 of its digits confidently classified (ours / independent judge), precision 0.52, 12,000 "
                "steps; below the bar on confident 0.706 by ours, 0.678 by the independent judge, precision 0.52, a "
                "digit 5.4 points from 10 %: trained without self-conditioning, which its own loop (20 outcomes per "
                "image) cannot take",
    "sagan": "0.81 / 0.80 of its digits confidently classified (ours / independent judge), precision 0.79, 12,000 "
             "steps; below the bar on confident 0.814 by ours, 0.804 by the independent judge: self-conditioned and "
             "above the bar on precision and digit balance, just under it on both confident fractions at the family's"
             " 12,000 steps; a longer run is untried",
    "sphere": "0.74 / 0.72 of its digits confidently classified (ours / independent judge), precision 0.62, 12,000 "
              "steps; below the bar on confident 0.739 by ours, 0.720 by the independent judge, precision 0.62, a "
              "digit 6.9 points from 10 %: trained without self-conditioning, which its critic (a 1,024-d point on "
              "the sphere per image) cannot take",
    "unrolled": "0.62 / 0.73 of its digits confidently classified (ours / independent judge), precision 0.71, 6,000 "
                "steps; below the bar on confident 0.616 by ours, 0.725 by the independent judge, precision 0.71, a "
                "digit 12.0 points from 10 %: 6,000 steps only (a step costs about 6 times the standard GAN's) and "
                "one digit drawn 12 points off 10 %; zeros are nearly absent (0.9 % of the samples: 9 of 10 "
                "digits drawn)",
    "wgan": "0.41 / 0.67 of its digits confidently classified (ours / independent judge), precision 0.92, 12,000 "
            "steps; below the bar on confident 0.406 by ours, 0.674 by the independent judge, a digit 4.0 points from"
            " 10 %: weight clipping (the paper's clip 0.01) keeps the critic too weak for sharp strokes at this "
            "length: precise but faint digits, few of them confidently classified by ours",
}


def available_recipes():
    """``{variant: [families]}`` for every variant of the zoo (every variant has a recipe in every family
    whose networks it builds for; SAGAN's self-attention needs feature maps, so it has no ``toy`` recipe)."""
    from . import zoo

    return {variant: [family for family in FAMILIES if not (family == "toy" and variant in zoo.IMAGE_ONLY_VARIANTS)]
            for variant in zoo.available_variants()}


def family_for_shape(data_shape):
    """The recipe family of data whose samples have shape ``data_shape``: ``toy`` for points, else by image side."""
    shape = tuple(int(d) for d in data_shape)
    if len(shape) == 1:
        return "toy"
    if len(shape) == 3 and shape[0] == shape[1]:
        family = {28: "28px", 32: "32px", 48: "64px", 64: "64px"}.get(shape[0])
        if family:
            return family
    raise RecipeError(f"no recipe family for data of shape {shape}: the zoo's networks take 2-D points or square "
                      "images of side 28, 32, 48 or 64 (resize with image_size=...).")


def family_for_data(data, **data_options):
    """The recipe family of the dataset ``data`` (a name of :func:`tfgan_zoo.data.load`) loaded with
    ``data_options``; without ``image_size`` there, at the dataset registry's training size (the 8x8 digits at 28)."""
    from . import data as data_lib

    options = {**data_lib.training_options(data), **data_options}
    return family_for_shape(data_lib.image_shape(data, **options))


# Fields added to the recipes after runs were first recorded, with the value that means "as before": a recorded
# recipe without such a field trained exactly as one that holds this value.
_ADDED_FIELDS = {"augment": "none", "ada": False, "self_conditioning": 0}


def training_view(recipe):
    """What a resolved recipe trains: the recipe without its ``notes`` (free text) and without the fields added
    since runs were first recorded (``augment``, ``ada``) where they hold their 'as before' value, so a recipe
    recorded before those fields existed compares equal to today's same recipe."""
    return {k: v for k, v in recipe.items()
            if k != "notes" and not (k in _ADDED_FIELDS and v == _ADDED_FIELDS[k])}


def same_training(recorded, today):
    """Whether two resolved recipes train the same run (:func:`training_view`)."""
    return training_view(recorded) == training_view(today)


def merge(base, diff):
    """``base`` with ``diff`` merged in: nested dicts merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in diff.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _unknown_key_error(key, known, where):
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return RecipeError(f"recipe key {where}{key!r} is unknown.{hint} Known keys: {', '.join(sorted(known))}.")


def _check_keys(recipe):
    for key in recipe:
        if key not in FIELDS and key not in ("variant", "family"):
            raise _unknown_key_error(key, FIELDS, "")
    for key in ("networks", "model"):
        if key in recipe and not isinstance(recipe[key], dict):
            raise RecipeError(f"recipe {key}={recipe[key]!r} must be a dict of fields (--set {key}.FIELD=VALUE).")
    for role in ("generator", "discriminator"):
        if role in recipe.get("networks", {}) and not isinstance(recipe["networks"][role], dict):
            raise RecipeError(f"recipe networks.{role}={recipe['networks'][role]!r} must be a dict of network "
                              f"options (--set networks.{role}.OPTION=VALUE).")
    for key in recipe.get("networks", {}):
        if key not in ("kind", "generator", "discriminator"):
            raise _unknown_key_error(key, ("kind", "generator", "discriminator"), "networks.")


_ADA_OPTIONS = ("target", "interval", "speed_images", "initial_probability")


def _positive_int(recipe, key):
    check_positive_int(f"recipe {key}", recipe[key], error=RecipeError)


def _validate_augment(recipe, family):
    from . import augment as augment_lib

    augment, ada = recipe["augment"], recipe["ada"]
    if not (isinstance(ada, bool) or isinstance(ada, dict)):
        raise RecipeError(f"recipe ada={ada!r} must be false, true or a dict of ADA options "
                          f"({', '.join(_ADA_OPTIONS)}).")
    for key in ada if isinstance(ada, dict) else ():
        if key not in _ADA_OPTIONS:
            raise _unknown_key_error(key, _ADA_OPTIONS, "ada.")
    try:
        augmentation = augment_lib.from_recipe(augment, ada)
    except ValueError as error:
        raise RecipeError(f"recipe augment={augment!r}, ada={ada!r}: {error}") from None
    if augmentation is not None and family == "toy":
        raise RecipeError(f"recipe augment={augment!r} transforms images; the toy family trains on points, so use "
                          "augment=none there.")


def _validate_self_conditioning(recipe, variant, family):
    from . import conditioning, zoo

    clusters = recipe["self_conditioning"]
    if isinstance(clusters, bool) or not isinstance(clusters, int) or clusters == 1 or clusters < 0:
        raise RecipeError(f"recipe self_conditioning={clusters!r} must be 0 (off) or the number of clusters K >= 2 "
                          "of the training images that the model conditions on.")
    if not clusters:
        return
    if family == "toy":
        raise RecipeError(f"recipe self_conditioning={clusters} clusters images; the toy family trains on points, "
                          "so use self_conditioning=0 there.")
    if zoo.is_conditional(variant):
        raise RecipeError(f"recipe self_conditioning={clusters}: {variant} is already class-conditional on the "
                          "data's labels; use self_conditioning=0, or an unconditional variant.")
    if recipe["networks"].get("kind") != "dcgan":
        raise RecipeError(f"recipe self_conditioning={clusters} needs networks.kind='dcgan' (the generator that reads "
                          f"its class off z); got {recipe['networks'].get('kind')!r}.")
    entry = zoo.get_variant(variant)
    unlabelled = conditioning.loop_without_labels(entry.model_class)
    if unlabelled:
        raise RecipeError(f"recipe self_conditioning={clusters}: {variant} overrides {', '.join(unlabelled)} without "
                          "labels, so it cannot be conditioned; use self_conditioning=0 for it.")
    critic = entry.discriminator_options({**entry.model_options, **recipe["model"]})
    outputs, packed = critic.get("output_units", 1), critic.get("input_channels_multiplier", 1)
    if outputs != 1 or packed != 1:
        shape = f"packs {packed} images into one input" if packed != 1 else f"has {outputs} outputs per image"
        raise RecipeError(f"recipe self_conditioning={clusters}: {variant}'s critic {shape}, and the projection head "
                          "of self-conditioning adds one class term to one score of one image; use "
                          "self_conditioning=0 for it.")


def _validate(recipe, variant, family):
    """Checks every field's kind and every option's name against what it configures; raises RecipeError."""
    from . import zoo

    for key in ("batch_size", "steps", "steps_per_epoch", "steps_per_execution", "latent_dim"):
        _positive_int(recipe, key)
    if recipe["lr_schedule"] not in ("constant", "linear_decay"):
        raise RecipeError(f"recipe lr_schedule={recipe['lr_schedule']!r} must be 'constant' or 'linear_decay'.")
    if recipe["latent_distribution"] not in ("normal", "uniform"):
        raise RecipeError(f"recipe latent_distribution={recipe['latent_distribution']!r} must be 'normal' or "
                          "'uniform'.")
    if recipe["steps"] % min(recipe["steps_per_epoch"], recipe["steps"]):
        raise RecipeError(f"recipe steps={recipe['steps']} is not a multiple of steps_per_epoch="
                          f"{recipe['steps_per_epoch']}: a run trains whole epochs.")
    anneal = recipe["instance_noise_anneal"]
    if isinstance(anneal, bool) or not isinstance(anneal, (int, float)) or not 0 < anneal <= 1:
        raise RecipeError(f"recipe instance_noise_anneal={anneal!r} must be a fraction of the steps in (0, 1].")
    scale = recipe["point_scale"]
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))
                              or not 0 < scale < float("inf")):
        raise RecipeError(f"recipe point_scale={scale!r} must be a number > 0 (the RMS norm the nets see), or null.")
    if scale is not None and family != "toy":
        raise RecipeError(f"recipe point_scale={scale!r} applies to points only; use null for the {family!r} family.")
    _validate_augment(recipe, family)
    _validate_self_conditioning(recipe, variant, family)
    if not isinstance(recipe["jit_compile"], bool):
        raise RecipeError(f"recipe jit_compile={recipe['jit_compile']!r} must be true or false.")
    kind = recipe["networks"].get("kind")
    builders = zoo.NETWORK_BUILDERS.get(kind)
    if builders is None:
        raise RecipeError(f"recipe networks.kind={kind!r} must be one of {sorted(zoo.NETWORK_BUILDERS)}.")
    if (kind == "mlp") != (family == "toy"):
        raise RecipeError(f"recipe networks.kind={kind!r} does not fit the {family!r} family: use 'mlp' for points "
                          "and 'dcgan' or 'resnet' for images.")
    for role, builder in zip(("generator", "discriminator"), builders):
        options = recipe["networks"].get(role)
        if not isinstance(options, dict):
            raise RecipeError(f"recipe networks.{role} must be a dict of {builder.__name__} options.")
        known = set(zoo.builder_options(builder)) - zoo.NETWORK_OPTIONS_SET_BY_ZOO
        for key in options:
            if key not in known:
                raise _unknown_key_error(key, known, f"networks.{role}.")
    if not isinstance(recipe["model"], dict):
        raise RecipeError("recipe model must be a dict of the variant's constructor arguments.")
    known = zoo.model_options(variant)
    fixed = zoo.get_variant(variant).model_options
    for key, value in recipe["model"].items():
        if key not in known:
            raise _unknown_key_error(key, known, "model.")
        if key in fixed and fixed[key] != value:
            raise RecipeError(f"recipe model.{key}={value!r}: {key}={fixed[key]!r} defines the variant {variant!r}; "
                              "choose another variant instead.")
    for role in ("d_optimizer", "g_optimizer"):
        spec = recipe[role]
        if not (isinstance(spec, dict) and isinstance(spec.get("class_name"), str)
                and isinstance(spec.get("config"), dict)) or set(spec) - {"class_name", "config"}:
            raise RecipeError(f"recipe {role} must be {{'class_name': ..., 'config': {{...}}}}, as "
                              f"keras.optimizers.get takes it; got {spec!r}.")


def resolve(variant, family, overrides=None):
    """The full recipe of ``variant`` on ``family``: the family's defaults, the variant's differences, the paper
    optimizers where a recipe does not replace them, then ``overrides`` (a dict of recipe keys; nested dicts
    merge). Validated; raises :class:`RecipeError` naming the bad key.

    Args:
      variant: a zoo variant name (:func:`tfgan_zoo.zoo.available_variants`).
      family: ``toy``, ``28px``, ``32px`` or ``64px`` (see :func:`family_for_shape`).
      overrides: recipe keys to change, e.g. ``{"steps": 20000, "model": {"n_critic": 2}}``.
    Returns:
      A dict with every field of :data:`FIELDS`, plus ``variant`` and ``family``.
    """
    from . import zoo

    name = zoo.canonical_variant_name(variant)
    if family not in FAMILIES:
        raise RecipeError(f"recipe family {family!r} is unknown; use one of {sorted(FAMILIES)}.")
    if family == "toy" and name in zoo.IMAGE_ONLY_VARIANTS:
        raise RecipeError(f"{name} has no toy recipe: {zoo.IMAGE_ONLY_VARIANTS[name]}.")
    overrides = dict(overrides or {})
    for key in ("variant", "family"):
        if key in overrides and overrides.pop(key) not in (name, family):
            raise RecipeError(f"recipe {key} cannot be overridden; pick the variant and data instead.")
    _check_keys(overrides)
    recipe = merge(FAMILIES[family], RECIPES[family].get(name, {}))
    kind = overrides.get("networks", {}).get("kind")
    if kind is not None and kind != recipe["networks"]["kind"]:  # another kind of net: the family's options are not its
        recipe["networks"] = {"kind": kind, "generator": {}, "discriminator": {}}
    model_options = merge(recipe["model"], overrides.get("model", {}))
    paper = zoo.paper_optimizers(name, model_options)
    for role in ("d_optimizer", "g_optimizer"):
        recipe[role] = merge(paper[role], recipe[role] or {})
    recipe = merge(recipe, overrides)
    recipe = {"variant": name, "family": family, **recipe}
    _validate(recipe, name, family)
    return recipe


def recipe_diff(recipe):
    """The keys of a resolved ``recipe`` that differ from its family's defaults with the paper optimizers."""
    from . import zoo

    plain = merge(FAMILIES[recipe["family"]], {})
    paper = zoo.paper_optimizers(recipe["variant"], recipe["model"])
    for role in ("d_optimizer", "g_optimizer"):
        plain[role] = merge(paper[role], FAMILIES[recipe["family"]][role] or {})

    def diff(a, b):
        out = {}
        for key, value in a.items():
            if isinstance(value, dict) and isinstance(b.get(key), dict):
                inner = diff(value, b[key])
                if inner:
                    out[key] = inner
            elif b.get(key, object()) != value:
                out[key] = value
        return out

    return diff({k: v for k, v in recipe.items() if k not in ("variant", "family")}, plain)


def parse_override(text):
    """``key=value`` (``--set``) as a nested dict: ``model.n_critic=2`` -> ``{"model": {"n_critic": 2}}``.

    The value is read as JSON (numbers, true/false, null, lists, dicts); anything else is a string.
    """
    key, equals, value = str(text).partition("=")
    if not equals or not key.strip():
        raise RecipeError(f"--set {text!r}: use KEY=VALUE, e.g. --set steps=20000 or --set model.n_critic=2.")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    if isinstance(parsed, float) and not math.isfinite(parsed):
        raise RecipeError(f"--set {text!r}: the value must be finite.")
    path = [part.strip() for part in key.split(".")]
    if any(not part for part in path):
        raise RecipeError(f"--set {text!r}: empty part in the key {key!r}.")
    nested = parsed
    for part in reversed(path):
        nested = {part: nested}
    return nested


def parse_overrides(texts):
    """Several ``--set key=value`` texts (:func:`parse_override`) merged into one nested dict, later ones winning."""
    overrides = {}
    for text in texts:
        overrides = merge(overrides, parse_override(text))
    return overrides
