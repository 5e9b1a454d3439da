"""Generation stage: noise -> DCGAN generator (digits), its discriminator, the MNIST classifier that
measures it, their trainers and the sample evaluation."""
