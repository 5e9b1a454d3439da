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


def test_a_clean_picture_s_lone_low_cell_is_neither_its_worst_nor_red():
    """RGB judges blocks of 2 x 2 cells: a picture whose one low cell (a row of sky on a clean
    storm photo) does not flag it is reported and drawn by the blocks its verdict used, not by
    that cell; the same cell in a 2 x 2 block of low ones is the worst block, in red."""
    from gan_style.qc.pipeline import QCResult

    t = 0.01  # 4 x 6 cells of 8 px
    raw = np.full((32, 48, 3), 120, np.uint8)
    image = raw.astype(np.float32) / 127.5 - 1.0
    rows = {}
    for name, low in (("lone", [(0, 2)]), ("block", [(0, 2), (0, 3), (1, 2), (1, 3)])):
        score_map = np.full((4, 6), 0.5, np.float32)
        for cell in low:
            score_map[cell] = 0.0
        score = min(report_block_score(score_map), 0.9)
        result = QCResult(image[None], np.array([score]), np.array([score]), score_map[None],
                          np.zeros((1, 32, 48), bool), np.zeros(1, int), t, np.zeros((1, 32, 48), bool),
                          np.zeros((1, 32, 48), bool), block=2)
        rows[name] = report.image_outputs(result, 0, source=name, domain="rgb", raw=raw, image=image, repair=False)
    (lone, lone_files), (block, block_files) = rows["lone"], rows["block"]
    assert not lone["abnormal"] and lone["worst"]["score"] == 0.5
    np.testing.assert_array_equal(lone_files["overlay"], raw)  # nothing near its threshold: no red
    assert block["abnormal"] and block["worst"] == {"bbox": [16, 0, 32, 16], "score": 0.0}
    red = block_files["overlay"][1:15, 17:31]  # inside the yellow outline of the region
    assert (red[..., 0] > 200).all() and (red[..., 1] < 60).all()


def report_block_score(score_map):
    """The region part of an RGB picture's global score: the lowest 2 x 2 block's best cell."""
    from gan_style.qc.regions import block_scores

    return float(block_scores(score_map, 2).min())
