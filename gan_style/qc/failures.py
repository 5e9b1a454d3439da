"""Real generation failures, labelled low quality: outputs of under-trained generators.

Digits: a DCGAN trained from scratch for a few hundred steps, sampled at early snapshots (the
blotchy, half-formed digits a real run produces before it converges). RGB: a fusion-style decoder
trained from scratch for a few hundred steps, stylising photo crops at early snapshots (the colour
casts, washed-out structure and upsampling grids of an unconverged decoder). These are the failures
the quality regressor must recognise beyond the simulated artifacts; they come without masks.
"""

from __future__ import annotations

import numpy as np

from gan_style.core import data
from gan_style.gan.eval import sample_images

# the report key under which `evaluate quality` scores each domain's real failures
FAILURE_SETS = {"digits": "early_gan_samples", "rgb": "early_decoder_outputs"}


def _at_snapshots(num: int, snapshots: tuple[int, ...], train_step, take) -> np.ndarray:
    """Call `train_step()` until each step count in `snapshots` is reached; after each, `take(k,
    start, stop)` gives outputs start..stop of `num` split evenly over the snapshots. Concatenated."""
    bounds = np.linspace(0, num, len(snapshots) + 1).astype(int)
    done, out = 0, []
    for k, steps in enumerate(snapshots):
        for _ in range(steps - done):
            train_step()
        done = steps
        out.append(take(k, int(bounds[k]), int(bounds[k + 1])))
    return np.concatenate(out).astype(np.float32)


def early_dcgan_samples(num: int, snapshots: tuple[int, ...] = (100, 200, 400), seed: int = 0,
                        batch_size: int = 64, data_dir=None) -> np.ndarray:
    """`num` samples (num, 28, 28, 1) float32 in [-1, 1], split evenly over generator snapshots
    taken after each number of training steps in `snapshots` (plain recipe: the seed's 100-d noise,
    no EMA, no augmentation; what the shipped quality regressors were trained on)."""
    import keras  # TensorFlow, and the trainers: imported when failures are made

    from gan_style.gan.trainer import DCGANConfig, build_dcgan_trainer

    keras.utils.set_random_seed(seed)
    trainer = build_dcgan_trainer(DCGANConfig(
        latent_dim=100, categories=0, g_learning_rate=4e-4, lr_decay=False, ema_decay=0.0, seed=seed,
        batch_size=batch_size,
    ))
    dataset = data.make_dataset(data.load_mnist("train", data_dir), batch_size, seed=seed).repeat()
    iterator = iter(dataset)
    return _at_snapshots(num, snapshots, lambda: trainer.train_on_batch(next(iterator)),
                         lambda k, start, stop: sample_images(trainer.generator, stop - start, seed=seed * 100 + k))


def early_decoder_outputs(num: int, snapshots: tuple[int, ...] = (40, 120, 300), seed: int = 0,
                          size: int = 64, split: str = "train", batch_size: int = 8) -> np.ndarray:
    """`num` stylised crops (num, size, size, 3) float32 in [-1, 1], split evenly over snapshots
    of a fusion-style decoder trained from scratch (training pictures, AdaIN, alpha 1) for each
    number of steps in `snapshots`; contents are crops of the `split` photos, styles of the
    training pictures."""
    import keras

    from gan_style.style.trainer import StyleConfig, build_style_trainer, style_dataset

    keras.utils.set_random_seed(seed)
    # relu4_1-only decoders (skips=0): the failures the shipped quality regressors were trained on
    config = StyleConfig(crop_size=size, batch_size=batch_size, num_crops=256, skips=0, seed=seed)
    trainer = build_style_trainer(config)
    iterator = iter(style_dataset(config)[0])  # endless (content, style) numpy batches
    photos = {k: v for k, v in data.bundled_images(split).items() if k not in data.BUNDLED_TEXTURES}
    contents = data.random_crops(photos, size, num, seed + 1)
    styles = data.random_crops(data.bundled_images("train"), size, num, seed + 2, scales=(0.25, 1.0))

    def stylise(k, start, stop):
        chunks = [slice(i, min(i + 64, stop)) for i in range(start, stop, 64)]
        return np.concatenate([np.asarray(trainer.fusion_generator((contents[c], styles[c]))) for c in chunks])

    return _at_snapshots(num, snapshots, lambda: trainer.train_on_batch(*next(iterator)),  # x content, y style
                         stylise)


def real_failures(domain: str, num: int, seed: int, split: str = "train", size: int = 64) -> np.ndarray:
    """Real failures of the domain's generator: early DCGAN samples (digits, (num, 28, 28, 1)) or
    early fusion-decoder outputs on crops of the `split` photos (RGB, (num, size, size, 3); over
    64 px, 64-px outputs resized up)."""
    if domain == "digits":
        return early_dcgan_samples(num, seed=seed)
    # decoders trained on 64-px crops at most (larger ones cost minutes a snapshot), resized up
    outputs = early_decoder_outputs(num, seed=seed, split=split, size=min(size, 64))
    if outputs.shape[1] == size:
        return outputs
    import tensorflow as tf

    return tf.image.resize(outputs, (size, size)).numpy()
