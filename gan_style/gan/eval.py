"""DCGAN samples and their measurement: classifier FID / score / label entropy of generated
digits beside the same numbers for two disjoint halves of the held-out real digits (the floor)."""

from __future__ import annotations

import numpy as np

from gan_style.core import checkpoints, data
from gan_style.core.metrics import classifier_score, feature_statistics, frechet_distance, label_entropy


def sample_images(generator, num: int, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """num images (num, 28, 28, 1) float32 in [-1, 1] from z ~ N(0, I) drawn with numpy `seed`."""
    latent_dim = generator.input_shape[-1]
    z = np.random.default_rng(seed).standard_normal((num, latent_dim)).astype("float32")
    return generator.predict(z, batch_size=batch_size, verbose=0)


class ClassifierEvaluator:
    """Features and probabilities of images under a trained classifier, and the GAN metrics.

    classifier: images (B, 28, 28, 1) in [-1, 1] -> logits (B, 10), with a layer "features".
    """

    def __init__(self, classifier, batch_size: int = 500):
        from gan_style.gan.classifier import feature_and_logit_model

        self.model = feature_and_logit_model(classifier)
        self.batch_size = batch_size

    def embed(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """images (N, 28, 28, 1) in [-1, 1] -> (features (N, 128), probabilities (N, 10))."""
        from scipy.special import softmax

        feats, logits = self.model.predict(images, batch_size=self.batch_size, verbose=0)
        return feats, softmax(logits, axis=1)

    def compare(self, samples: np.ndarray, reference: np.ndarray) -> dict:
        """Metrics of `samples` against `reference` images: fid, score, entropy."""
        f_s, p_s = self.embed(samples)
        f_r, _ = self.embed(reference)
        return {
            "fid": frechet_distance(*feature_statistics(f_s), *feature_statistics(f_r)),
            "classifier_score": classifier_score(p_s),
            "label_entropy": label_entropy(p_s),
        }

    def report(self, samples: np.ndarray, held_out: np.ndarray) -> dict:
        """Generator metrics next to the real-data floor, with equal sample sizes for the FID.

        held_out is split in two disjoint halves A and B: "real" compares A with B (the floor);
        "generated" compares len(B) samples with B for the FID, and all samples for the
        score and entropy.
        """
        half = len(held_out) // 2
        real_a, real_b = held_out[:half], held_out[half : 2 * half]
        generated = self.compare(samples[:half], real_b)
        _, probs = self.embed(samples)
        generated.update(classifier_score=classifier_score(probs), label_entropy=label_entropy(probs))
        generated["num_samples"] = len(samples)
        real = self.compare(real_a, real_b)
        real["num_samples"] = half
        return {"generated": generated, "real_halves": real, "fid_sample_size": half}


def evaluate_dcgan(generator, num: int = 5000, seed: int = 1, data_dir=None,
                   classifier: str = "mnist_classifier") -> dict:
    """Metrics of `num` samples vs the held-out MNIST test split, using the shipped classifier."""
    model = checkpoints.load_model(classifier, "classifier.keras")
    test = data.load_mnist("test", data_dir)
    held_out = data.to_signed_unit(test.images[..., None]).numpy()
    order = np.random.default_rng(0).permutation(len(held_out))  # halves mix every class
    report = ClassifierEvaluator(model).report(sample_images(generator, num, seed), held_out[order])
    report.update(held_out_source=test.source, classifier=classifier, sample_seed=seed)
    return report
