"""DCGAN samples and their measurement: classifier FID / score / label entropy of generated
digits beside the same numbers for two disjoint halves of the held-out real digits (the floor)."""

from __future__ import annotations

import numpy as np

from gan_style import checkpoints, data
from gan_style.metrics import ClassifierEvaluator


def sample_images(generator, num: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """num images (num, 28, 28, 1) float32 in [-1, 1] from z ~ N(0, I) drawn with numpy `seed`."""
    latent_dim = generator.input_shape[-1]
    z = np.random.default_rng(seed).standard_normal((num, latent_dim)).astype("float32")
    return generator.predict(z, batch_size=batch_size, verbose=0)


def evaluate_dcgan(generator, num: int = 5000, seed: int = 1, data_dir=None,
                   classifier: str = "mnist_classifier") -> dict:
    """Metrics of `num` samples vs the held-out MNIST test split, using the shipped classifier."""
    model = checkpoints.load_model(classifier, "classifier.keras")
    test = data.load_arrays("mnist", "test", data_dir)
    held_out = data.to_signed_unit(test.images[..., None]).numpy()
    order = np.random.default_rng(0).permutation(len(held_out))  # halves mix every class
    report = ClassifierEvaluator(model).report(sample_images(generator, num, seed), held_out[order])
    report.update(held_out_source=test.source, classifier=classifier, sample_seed=seed)
    return report
