"""A training-free detector on the encoder's features, per artifact type (a one-off check).

Does a prior of natural-image structure from ImageNet features see the held-out RGB types? One
Gaussian per VGG16 level (HED weights, `encoder.build_encoder`) is fitted to the features at every
position of 1,500 clean training crops (64 px); a crop's abnormality is its largest Mahalanobis
distance over inner positions (as PaDiM, Defard et al. 2020, without positions: crops of photos
have no fixed layout). Evaluated as `evaluate.evaluate_quality` is: the clean test half of the
1,000 validation crops, corrupted with every type in turn (seed 12345), AUROC per type; the
false-positive rate at the 95th percentile of the calibration half.

    PYTHONPATH=. .venv/bin/python experiments/quality_feature_prior.py > out.json
"""

from __future__ import annotations

import json

import numpy as np

from gan_style.core import metrics
from gan_style.evaluate import corrupted_sets
from gan_style.qc.artifacts import RGB_ARTIFACTS
from gan_style.qc.regressor_trainer import QualityConfig, clean_images
from gan_style.style.encoder import LEVELS, build_encoder


def main() -> dict:
    encoder = build_encoder("hed")
    features = lambda x: encoder.predict(x, batch_size=64, verbose=0)  # noqa: E731
    train, train_source = clean_images("rgb", "train", 1500, 0, 64)
    images, source = clean_images("rgb", "validation", 1000, 12345, 64)
    calibration, test = images[:500], images[500:]
    corrupted, _, kind_of = corrupted_sets(test, QualityConfig(domain="rgb", all_kinds=True), 12345)["seen"]
    train_f, calibration_f, test_f, corrupted_f = map(features, (train, calibration, test, corrupted))
    report = {"what": __doc__.split("\n")[0], "training": train_source, "validation": source, "levels": {}}
    for level in LEVELS:
        f = train_f[level].reshape(-1, train_f[level].shape[-1]).astype(np.float64)
        f = f[np.random.default_rng(0).permutation(len(f))[:400_000]]
        cov = np.cov(f, rowvar=False)
        precision = np.linalg.inv(cov + 0.01 * np.trace(cov) / len(cov) * np.eye(len(cov)))
        mean = f.mean(axis=0)

        def score(maps, level=level, mean=mean, precision=precision):
            d = maps[level].astype(np.float64) - mean
            distance = np.einsum("...i,ij,...j->...", d, precision, d)[:, 1:-1, 1:-1]  # inner positions
            return distance.reshape(len(distance), -1).max(axis=1)

        clean_cal, clean_test, bad = score(calibration_f), score(test_f), score(corrupted_f)
        report["levels"][level] = {
            "false_positive_rate": round(float(np.mean(clean_test > np.quantile(clean_cal, 0.95))), 3),
            "auroc_by_kind": {k: round(metrics.auroc(bad[kind_of == k], clean_test), 3) for k in RGB_ARTIFACTS},
        }
    return report


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
