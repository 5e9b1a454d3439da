"""The independent protocol's measures, and the case that started it: a black square on a photo."""

import numpy as np
import pytest

from gan_style.qc import eval as qc_eval
from gan_style.qc import independent
from gan_style.qc.pipeline import QCPipeline


@pytest.fixture(scope="module")
def rgb_pipeline():
    return QCPipeline.from_pretrained("rgb")


def test_box_quality_and_box():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    mask = np.zeros((40, 50), bool)
    mask[39, 49] = True  # one corner pixel: the box grows to 7 x 7 inside the picture
    box = qc_eval._box(mask)
    assert (box[0].stop - box[0].start, box[1].stop - box[1].start) == (7, 7) and box[0].stop == 40
    assert qc_eval.box_quality(image, image, mask) == (100.0, 1.0)
    worse = image.copy()
    worse[33:, 43:] = 0
    psnr, ssim = qc_eval.box_quality(worse, image, mask)
    assert psnr < 20 and ssim < 0.5


@pytest.mark.slow
def test_black_square_on_a_photo_is_found_and_filled(rgb_pipeline):
    """A 30 x 30 black square pasted on a 256-px photo never trained on is flagged, located and
    filled; the repair is accepted and closer to the photo than the square was. The stage-3
    regressor alone scored it 0.076, over its threshold of 0.025 (the one that keeps whole clean
    validation pictures at <= 5% false alarms), and only the pipeline's foreign-patch check
    (`regions.foreign_patches`) found it; stage 4 alone scored it 0.005 (threshold 0.019),
    the shipped stage 5 0.0005 (threshold 0.011 then; 0.042 for 256-px pictures since the
    thresholds by side)."""
    from gan_style.core import data

    photo = data.fit_long_side(data.bundled_image("chelsea"), 256)
    bad = photo.copy()
    bad[100:130, 60:90] = 0
    mask = np.zeros(photo.shape[:2], bool)
    mask[100:130, 60:90] = True
    run = qc_eval.run_pipeline(rgb_pipeline, [bad])
    assert run["abnormal"][0] and run["accepted"][0]
    assert run["pixels"][0][mask].mean() > 0.8  # located
    before, _ = qc_eval.box_quality(bad, photo, mask)
    after, _ = qc_eval.box_quality(run["returned"][0], photo, mask)
    assert after > before + 10


@pytest.mark.slow
def test_evaluate_set_reports_every_measure(rgb_pipeline):
    pictures = dict(list(independent.reserved_pictures(max_side=256).items())[:4])
    data = independent.rgb_set(96, seed=2, pictures=pictures, which=("lite-builtin",))
    report = qc_eval.evaluate_set(rgb_pipeline, data)
    assert report["images"] == 4 and report["stylised"] == 2
    for key in ("auroc", "fpr", "detection_rate", "pixel_iou", "region_iou", "clean_returned_45db"):
        assert 0.0 <= report[key] <= 1.0
    assert set(report["detection_by_kind"]) == set(data.kinds)
    assert {"corrupted", "pipeline", "ours (true mask)", "cv2 telea", "cv2 ns", "biharmonic"} <= set(
        report["repair_in_box"])
    assert report["repair_in_box"]["corrupted"]["gain_db"] == 0.0
    assert report["repair_in_box"]["biharmonic"]["gain_db"] > 0  # an oracle mask fill beats the defect
    assert len(report["per_image"]) == 4
    assert "AUROC" in qc_eval.format_report("rgb_96", report)
