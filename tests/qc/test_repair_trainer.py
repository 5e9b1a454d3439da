"""Repair trainer: on a tiny trained model, repaired holes are closer to the original than the input."""

import numpy as np
import pytest
import tensorflow as tf

from gan_style.qc.artifacts import ARTIFACTS, corrupt
from gan_style.qc.clean import clean_images
from gan_style.qc.repair_eval import masked_psnr
from gan_style.qc.repair_trainer import RepairConfig, build_repair_trainer, training_dataset


def test_tiny_trained_model_repairs_held_out_holes():
    config = RepairConfig(domain="digits", width=8, batch_size=32, steps=300, learning_rate=3e-3, seed=1)
    dataset, _ = training_dataset(config)
    trainer = build_repair_trainer(config)
    history = trainer.fit(dataset, epochs=5, steps_per_epoch=60, verbose=0).history
    assert history["hole"][-1] < history["hole"][0]
    images, _ = clean_images("digits", "validation", 32, seed=5)
    rng = np.random.default_rng(0)
    before, after = [], []
    kinds = list(ARTIFACTS["digits"])
    for i, image in enumerate(images):
        corrupted, mask = corrupt(image, kinds[i % len(kinds)], rng, 1.0)
        if not mask.any():
            continue
        out = trainer.repairer({"images": corrupted[None], "masks": mask[None, ..., None].astype(np.float32)})
        repaired = np.asarray(out["repaired"][0])
        np.testing.assert_array_equal(repaired[~mask], corrupted[~mask])
        before.append(masked_psnr(corrupted, image, mask))
        after.append(masked_psnr(repaired, image, mask))
    assert len(after) > 25 and np.mean(after) > np.mean(before) + 0.5  # dB, inside the holes


def test_repair_masks_are_never_empty_and_binary():
    from gan_style.qc.artifacts import repair_masks

    images, _ = clean_images("digits", "validation", 16, seed=1)
    masks = repair_masks(images, "digits", stride=4, seed=0)
    assert masks.shape == (16, 28, 28) and set(np.unique(masks)) <= {0.0, 1.0}
    assert masks.reshape(16, -1).sum(axis=1).min() > 0
    assert tf.reduce_any(masks > 0)


def test_repair_examples_change_only_hole_pixels_and_give_the_inpainter_its_masks():
    from gan_style.qc.artifacts import repair_examples, repair_masks

    images, _ = clean_images("digits", "validation", 24, seed=2)
    inputs, masks = repair_examples(images, "digits", stride=4, seed=3)
    np.testing.assert_array_equal(masks, repair_masks(images, "digits", stride=4, seed=3))
    outside = masks == 0
    np.testing.assert_array_equal(inputs[outside], images[outside])
    corrupted = np.abs(inputs - images).reshape(24, -1).max(axis=1) > 0
    assert 0.4 < corrupted.mean() < 1.0  # artifacts under most holes, intact pixels under the rest
    np.testing.assert_array_equal(images, clean_images("digits", "validation", 24, seed=2)[0])  # not in place


def test_varied_photos_stay_in_range_and_the_fill_is_equivariant_to_them():
    from gan_style.qc.repair_trainer import vary_photos
    from gan_style.qc.repair_unet import CoarseFill

    images, _ = clean_images("rgb", "validation", 6, seed=3, crop_size=32)
    varied = vary_photos(images, np.random.default_rng(0))
    assert varied.shape == images.shape and varied.dtype == np.float32
    assert varied.min() >= -1.0 and varied.max() <= 1.0
    assert not np.allclose(varied, images)
    ratio = varied.reshape(6, -1).std(axis=1) / images.reshape(6, -1).std(axis=1)
    assert np.all((ratio > 0.5 - 1e-4) & (ratio < 1.0 + 1e-4))  # |a| in [0.5, 1]
    mask = np.zeros((6, 32, 32, 1), np.float32)
    mask[:, 10:22, 10:22] = 1.0  # invariant under quarter turns
    fill = CoarseFill()
    filled_then_varied = vary_photos(np.asarray(fill(images, mask)), np.random.default_rng(0))
    varied_then_filled = np.asarray(fill(varied, mask))
    np.testing.assert_allclose(varied_then_filled, filled_then_varied, atol=1e-4)
    assert np.array_equal(varied, vary_photos(images, np.random.default_rng(0)))  # seeded


def test_varying_digits_or_giving_them_photos_is_refused():
    with pytest.raises(ValueError, match="for RGB photos"):
        RepairConfig(domain="digits", vary=True)
    with pytest.raises(ValueError, match="pictures are for the RGB domain"):
        RepairConfig(domain="digits", pictures="bundled,opencv-doc")


def test_the_manifest_records_the_steps_run_not_the_steps_asked(tmp_path):
    from gan_style.qc.repair_trainer import train_repair

    # 10 epochs of max(1, 15 // 10) = 1 step: 10 steps run, not 15
    config = RepairConfig(width=4, depth=1, batch_size=4, steps=15)
    manifest = train_repair(config, tmp_path / "repair", verbose=0, evaluate=False)
    assert manifest["steps"] == 10 and manifest["config"]["steps"] == 15


def test_a_repairer_saved_on_the_biharmonic_fill_keeps_its_weights_and_trains_on_laplace():
    from gan_style.qc.fills import FILLS
    from gan_style.qc.repair_trainer import on_fill

    config = RepairConfig(domain="rgb", width=4, depth=2, fill="biharmonic")
    trained = build_repair_trainer(config).repairer
    assert trained.get_layer("coarse_fill").bi_iterations == 0  # trains on Laplace's fill
    served = on_fill(trained, config)
    fill = served.get_layer("coarse_fill")
    assert {k: getattr(fill, k) for k in FILLS["biharmonic"]} == FILLS["biharmonic"]
    for a, b in zip(trained.get_weights(), served.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # a ramp with a hole: the biharmonic fill continues it, Laplace's flattens it
    ramp = np.repeat(np.linspace(-1, 1, 32, dtype=np.float32)[None, None, :, None] ** 2, 32, axis=1)
    ramp = np.repeat(ramp, 3, axis=-1)
    mask = np.zeros((1, 32, 32, 1), np.float32)
    mask[:, 10:20, 12:22] = 1
    inputs = {"images": tf.constant(ramp), "masks": tf.constant(mask)}
    errors = [np.abs(np.asarray(model(inputs)["repaired"]) - ramp).mean() for model in (trained, served)]
    assert errors[1] < errors[0]
    assert on_fill(trained, RepairConfig(domain="rgb", width=4, depth=2)) is trained
