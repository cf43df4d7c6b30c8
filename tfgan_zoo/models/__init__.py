"""GAN models: the base training loop and the variants of the zoo."""
from .gan import GAN, group_critic_batches, pack_samples
from .wgan import WGAN, WGANGP
