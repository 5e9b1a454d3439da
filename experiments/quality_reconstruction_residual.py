"""A training-free detector from the repair U-Net's predictions, per artifact type (a one-off check).

Does a model of what a region should look like, given its surroundings, see the held-out RGB
types where the regressor does not? The shipped repair U-Net (an inpainter trained on clean
content only: it never reads the pixels under its mask) fills a lattice of c x c cells, every
other cell in both directions, in four phases, so that every cell of a 64 px crop is predicted
from its neighbours once. A cell's residual is the mean |fill - image| over its pixels. Scores per
crop: the largest residual ("max_residual"), and the largest residual over what the cell's texture
predicts ("max_z": a line fitted on the calibration crops, residual against mean gradient
magnitude, in units of its spread: a textured cell is hard to predict even when clean).

The U-Net was trained with holes shaped like every artifact type's mask, tearing and blocking
included, but here it only ever sees the fixed lattice, over pixels it does not read.

Evaluated as `evaluate.evaluate_quality` is: the clean test half of the 1,000 validation crops,
corrupted with every type in turn (seed 12345), AUROC per type against the clean test crops.

    PYTHONPATH=. .venv/bin/python experiments/quality_reconstruction_residual.py > out.json
"""

from __future__ import annotations

import json

import numpy as np
import tensorflow as tf

from gan_style.core import checkpoints, metrics
from gan_style.evaluate import corrupted_sets
from gan_style.qc.artifacts import RGB_ARTIFACTS
from gan_style.qc.regressor_trainer import QualityConfig, clean_images

CELLS = (4, 8, 16)
SIDE = 64


def lattice_residuals(fill, images: np.ndarray, cell: int) -> np.ndarray:
    """(B, 64, 64, 3) -> (B, 64 / cell, 64 / cell): each cell's mean |fill - image| when it and
    every cell of its lattice phase are masked."""
    n = SIDE // cell
    residuals = np.zeros((len(images), n, n), np.float32)
    for a in range(2):
        for b in range(2):
            grid = np.zeros((n, n), np.float32)
            grid[a::2, b::2] = 1
            mask = np.kron(grid, np.ones((cell, cell), np.float32))[None, ..., None]
            filled = np.concatenate([fill(tf.constant(batch), tf.constant(np.repeat(mask, len(batch), 0))).numpy()
                                     for batch in np.array_split(images, range(128, len(images), 128))])
            per_cell = np.abs(filled - images).mean(-1).reshape(len(images), n, cell, n, cell).mean((2, 4))
            residuals[:, a::2, b::2] = per_cell[:, a::2, b::2]
    return residuals


def texture(images: np.ndarray, cell: int) -> np.ndarray:
    """(B, 64, 64, 3) -> (B, 64 / cell, 64 / cell): mean |horizontal| + |vertical| gradient of the
    grey image in each cell."""
    gray = images.mean(-1)
    energy = np.abs(np.diff(gray, axis=1, append=gray[:, -1:])) + np.abs(np.diff(gray, axis=2, append=gray[:, :, -1:]))
    n = SIDE // cell
    return energy.reshape(len(images), n, cell, n, cell).mean((2, 4))


def main() -> dict:
    repairer = checkpoints.load_model("repair_rgb", "repairer.keras")
    spec = tf.TensorSpec((None, SIDE, SIDE, 3), tf.float32), tf.TensorSpec((None, SIDE, SIDE, 1), tf.float32)
    fill = tf.function(lambda x, m: repairer({"images": x, "masks": m}, training=False)["repaired"],
                       input_signature=spec)
    images, source = clean_images("rgb", "validation", 1000, 12345, SIDE)
    calibration, test = images[:500], images[500:]
    corrupted, _, kind_of = corrupted_sets(test, QualityConfig(domain="rgb", all_kinds=True), 12345)["seen"]
    report = {"what": __doc__.split("\n")[0], "validation": source, "repairer": "checkpoints/repair_rgb",
              "cells": {}}
    for cell in CELLS:
        residual_cal = lattice_residuals(fill, calibration, cell).ravel()
        texture_cal = texture(calibration, cell).ravel()
        slope, intercept = np.polyfit(texture_cal, residual_cal, 1)
        spread = float(np.std(residual_cal - (slope * texture_cal + intercept)))

        def scores(x, cell=cell, slope=slope, intercept=intercept, spread=spread):
            residual = lattice_residuals(fill, x, cell)
            z = (residual - (slope * texture(x, cell) + intercept)) / spread
            return {"max_residual": residual.reshape(len(x), -1).max(1), "max_z": z.reshape(len(x), -1).max(1)}

        clean, bad = scores(test), scores(corrupted)
        report["cells"][str(cell)] = {
            name: {kind: round(metrics.auroc(bad[name][kind_of == kind], clean[name]), 3) for kind in RGB_ARTIFACTS}
            for name in clean}
    return report


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
