"""Real generation failures, labelled low quality: samples of under-trained generators.

A DCGAN is trained from scratch for a few hundred steps and sampled at several early snapshots:
these are the blotchy, half-formed digits a real run produces before it converges, the failures the
quality regressor must recognise beyond the simulated artifacts.
"""

from __future__ import annotations

import numpy as np


def early_dcgan_samples(num: int, snapshots: tuple[int, ...] = (100, 200, 400), seed: int = 0,
                        batch_size: int = 64, data_dir=None) -> np.ndarray:
    """`num` samples (num, 28, 28, 1) float32 in [-1, 1], split evenly over generator snapshots
    taken after each number of training steps in `snapshots` (plain recipe: no EMA, no augmentation)."""
    import keras

    from gan_style import data
    from gan_style.generate import sample_images
    from gan_style.trainers.dcgan import DCGANConfig, build_dcgan_trainer

    keras.utils.set_random_seed(seed)
    trainer = build_dcgan_trainer(DCGANConfig(ema_decay=0.0, augment="", seed=seed, batch_size=batch_size))
    dataset = data.make_dataset(data.load_arrays("mnist", "train", data_dir), batch_size, seed=seed).repeat()
    iterator, done, out = iter(dataset), 0, []
    per_snapshot = np.diff(np.linspace(0, num, len(snapshots) + 1).astype(int))
    for k, (steps, count) in enumerate(zip(snapshots, per_snapshot, strict=True)):
        for _ in range(steps - done):
            trainer.train_on_batch(next(iterator))
        done = steps
        out.append(sample_images(trainer.generator, int(count), seed=seed * 100 + k))
    return np.concatenate(out)
