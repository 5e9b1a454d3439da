"""`qc.report`: the pieces the repair CLI and the Beam pipeline share (batches, names, summary)."""

import os

import numpy as np
import pytest

from gan_style.qc import report


def test_group_batches_keeps_consecutive_shapes_within_the_pixel_budget():
    shapes = [(28, 28)] * 5 + [(256, 256)] * 8 + [(28, 28)] + [(2000, 2000)]
    batches = list(report.group_batches(range(len(shapes)), key=lambda i: shapes[i],
                                        pixels=lambda i: shapes[i][0] * shapes[i][1], batch_size=4))
    # digits: 4 per batch; 256 px: 409,600 // 65,536 = 6 per batch; a new shape starts a batch;
    # an image over the budget is a batch of its own
    assert batches == [[0, 1, 2, 3], [4], [5, 6, 7, 8], [9, 10, 11, 12], [13], [14]]
    batches = list(report.group_batches(range(13), key=lambda i: shapes[i],
                                        pixels=lambda i: shapes[i][0] * shapes[i][1], batch_size=64))
    assert batches == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10], [11, 12]]


def test_batch_limit():
    assert report.batch_limit(28 * 28, 64) == 64
    assert report.batch_limit(256 * 256, 64) == 6
    assert report.batch_limit(4000 * 4000, 64) == 1
    with pytest.raises(ValueError, match="got 0"):
        report.batch_limit(10, 0)


def test_summary_counts_rows_as_the_cli_did():
    rows = [report.entry("a", skipped="hidden file"), report.entry("b", error="b: empty file"),
            report.entry("c", abnormal=True, outcome="repaired", accepted=True),
            report.entry("d", abnormal=True, outcome="rejected", accepted=False),
            report.entry("e", abnormal=False, outcome="clean", accepted=True)]
    assert report.summary(rows) == {"inputs": 4, "processed": 3, "failed": 1, "skipped": 1, "flagged": 2,
                                    "repaired": 1, "accepted": 2, "rejected": 1}
    assert report.summary([]) == report.tally(None)


def test_output_file_and_own_output_names():
    assert report.output_file("x-0123", "mask") == "x-0123.mask.png"
    assert report.is_output_name(report.output_file("x", "attempt")) and not report.is_output_name("x.png")
    with pytest.raises(ValueError, match="kind"):
        report.output_file("x", "masks")


def test_output_name_of_a_file_name_that_is_not_utf8_or_not_ascii():
    undecodable = os.fsdecode(b"/tmp/a\xffb.png")  # a byte name: a lone surrogate in the str
    name = report.output_name(undecodable)
    assert name.startswith("a_b-") and name.isascii() and name.isprintable()
    assert name != report.output_name(os.fsdecode(b"/tmp/a\xfeb.png"))  # the hash keeps the bytes apart
    assert report.output_name("/tmp/caf\u00e9 x.png").startswith("caf_ x-")
    assert report.output_name('/tmp/a:b*c?\x07.png').startswith("a_b_c__-")
    assert report.output_name("/tmp/\u65e5\u672c.png").startswith("__-")


def test_from_pretrained_reads_another_checkpoints_folder(tmp_path, monkeypatch):
    from gan_style.core import checkpoints
    from gan_style.qc.pipeline import QCPipeline

    elsewhere, empty = tmp_path / "elsewhere", tmp_path / "empty"
    elsewhere.mkdir()
    empty.mkdir()
    for name in ("quality_digits", "repair_digits", "mnist_classifier"):  # what the digit pipeline loads
        (elsewhere / name).symlink_to(checkpoints.path(name), target_is_directory=True)
    monkeypatch.setenv("GAN_STYLE_CHECKPOINTS", str(empty))  # the default root holds nothing
    with pytest.raises(checkpoints.CheckpointError, match=str(empty / "quality_digits")):
        QCPipeline.from_pretrained("digits")
    qc = QCPipeline.from_pretrained("digits", checkpoints=elsewhere)
    assert qc.threshold == checkpoints.read_manifest(elsewhere / "quality_digits")["threshold"]
    assert qc.classifier is not None and qc.domain == "digits"

    with pytest.raises(checkpoints.CheckpointError, match=str(empty / "quality_digits")):
        QCPipeline.from_pretrained("digits", checkpoints=empty)


def test_overlay_reddens_only_near_misses():
    """Red grows on a log scale from NEAR_MISS x the threshold (none) to the threshold (full): a
    region 30x above the threshold of a picture judged clean is left as it is, as it was not
    when red followed 1 - score."""
    from gan_style.qc.report import NEAR_MISS, closeness, overlay

    t = 0.01
    scores = np.array([0.9, 0.3, NEAR_MISS * t, np.sqrt(NEAR_MISS) * t, t, t / 2, 0.0])
    np.testing.assert_allclose(closeness(scores, t), [0, 0, 0, 0.5, 1, 1, 1], atol=1e-6)
    image = np.full((2, 7, 3), 100, np.uint8)
    shown = overlay(image, np.tile(closeness(scores, t), (2, 1)), np.zeros((2, 7), bool))
    np.testing.assert_array_equal(shown[:, :3], image[:, :3])  # clean regions untouched
    assert (shown[:, 4:, 0] > 200).all() and (shown[:, 4:, 1] < 40).all()  # at or under t: red
