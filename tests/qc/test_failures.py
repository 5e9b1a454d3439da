"""Real failures: outputs of under-trained generators, as the quality regressor's low-quality class."""

import numpy as np

from gan_style.qc import failures


def test_early_dcgan_samples_split_over_snapshots():
    samples = failures.early_dcgan_samples(6, snapshots=(1, 3), batch_size=8)
    assert samples.shape == (6, 28, 28, 1) and samples.dtype == np.float32
    assert -1.0 <= samples.min() and samples.max() <= 1.0
    # different generators (after 1 and after 3 steps) and different noise per snapshot
    assert not np.allclose(samples[:3].mean(axis=0), samples[3:].mean(axis=0))


def test_early_decoder_outputs_are_stylised_crops_of_the_requested_split():
    outputs = failures.early_decoder_outputs(4, snapshots=(1, 2), seed=3, size=32, split="validation", batch_size=2)
    assert outputs.shape == (4, 32, 32, 3) and outputs.dtype == np.float32
    assert -1.0 <= outputs.min() and outputs.max() <= 1.0 and np.isfinite(outputs).all()
    assert outputs.reshape(4, -1).std(axis=1).min() > 0  # images, not constants
