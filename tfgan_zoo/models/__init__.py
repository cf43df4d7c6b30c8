"""GAN models: the base training loop and the variants of the zoo."""
from .conditional import ACGAN, CGAN
from .gan import GAN, group_critic_batches, pack_samples
from .gngan import GNGAN
from .progan import ProGAN, ProgressiveDiscriminator, ProgressiveGenerator
from .sagan import SAGAN
from .realness import RealnessGAN, realness_anchors
from .sngan import SNGAN
from .sphere import SphereGAN, distance_moments, sphere_discriminator_loss, sphere_generator_loss
from .unrolled import UnrolledGAN
from .wgan import WGAN, WGANGP
