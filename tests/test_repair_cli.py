"""`python -m gan_style.repair`, run as a user would, on the shipped checkpoints: report fields and
files for a batch with bad files, every exit code, inputs never modified."""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gan_style.repair import FIELDS

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "gan_style.repair", *map(str, args)],
                          capture_output=True, text=True, env=ENV, timeout=600)


def _digits(num):
    from gan_style.trainers.quality import clean_images

    images, _ = clean_images("digits", "validation", num, seed=3)
    return ((images[..., 0] + 1) * 127.5).round().astype(np.uint8)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from gan_style import data

    folder = tmp_path_factory.mktemp("inputs")
    digits = _digits(2)
    Image.fromarray(digits[0]).save(folder / "digit.png")
    blotted = digits[1].copy()
    blotted[4:14, 4:14] = 255  # a big spurious blob
    Image.fromarray(blotted).save(folder / "blotted.bmp")
    photo = data.bundled_image("chelsea")[:96, :128]
    Image.fromarray(photo).save(folder / "photo.jpg")
    rgba = np.concatenate([photo[:64, :64], np.full((64, 64, 1), 255, np.uint8)], -1)
    Image.fromarray(rgba).save(folder / "rgba.png")
    Image.fromarray(digits[0].astype(np.uint16) * 257).save(folder / "wide16.png")
    Image.fromarray(photo[:64, :64]).convert("P").save(folder / "palette.gif")
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.png").write_text("not an image")
    (folder / "cut.png").write_bytes((folder / "rgba.png").read_bytes()[:80])
    return folder


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_batch_with_bad_files(inputs, tmp_path):
    before = _digest(inputs)
    out = tmp_path / "out"
    result = run(inputs, "--out", out)
    assert result.returncode == 1, result.stderr
    assert _digest(inputs) == before  # inputs never modified
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("error: ") for line in errors)
    report = json.loads((out / "report.json").read_text())
    assert len(report) == 9 and all(list(entry) == list(FIELDS) for entry in report)
    by_name = {os.path.basename(e["input"]): e for e in report}
    assert {n for n, e in by_name.items() if e["error"]} == {"empty.png", "notes.png", "cut.png"}
    assert by_name["digit.png"]["domain"] == "digits" and by_name["photo.jpg"]["domain"] == "rgb"
    assert by_name["wide16.png"]["domain"] == "digits"
    for name, entry in by_name.items():
        if entry["error"]:
            assert entry["repaired"] is None and entry["score_before"] is None
            continue
        stem = name.rsplit(".", 1)[0]
        original = np.asarray(Image.open(inputs / name).convert("RGB"))
        mask = np.asarray(Image.open(out / f"{stem}.mask.png"))
        assert mask.shape == original.shape[:2] and set(np.unique(mask)) <= {0, 255}
        assert np.asarray(Image.open(out / f"{stem}.repaired.png")).shape[:2] == original.shape[:2]
        assert np.asarray(Image.open(out / f"{stem}.overlay.png")).shape == original.shape
        assert 0 <= entry["score_before"] <= 1 and 0 <= entry["score_after"] <= 1
        assert entry["abnormal"] == (entry["score_before"] < _threshold(entry["domain"]))
        assert bool(entry["regions"]) == bool(mask.any())
        assert entry["abnormal"] or not entry["regions"]  # regions only in abnormal images
        assert entry["passes"] == 0 or entry["regions"]  # nothing located: nothing repaired
        assert entry["accepted"] == (entry["score_after"] >= _threshold(entry["domain"]))
        for region in entry["regions"]:
            x0, y0, x1, y1 = region["bbox"]
            assert 0 <= x0 < x1 <= original.shape[1] and 0 <= y0 < y1 <= original.shape[0]
    blotted = by_name["blotted.bmp"]
    assert blotted["abnormal"] and blotted["passes"] >= 1 and blotted["score_after"] > blotted["score_before"]
    assert not list(out.glob(".*"))  # no temporary files left behind


def _threshold(domain):
    from gan_style import checkpoints

    return checkpoints.read_manifest(f"quality_{domain}")["threshold"]


@pytest.mark.slow
def test_all_good_exit_zero_and_no_repair(inputs, tmp_path):
    result = run(inputs / "digit.png", inputs / "photo.jpg", "--out", tmp_path, "--no-repair",
                 "--report", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    report = json.loads((tmp_path / "r.json").read_text())
    assert [e["repaired"] for e in report] == [None, None] and [e["passes"] for e in report] == [0, 0]
    assert not list(tmp_path.glob("*.repaired.png")) and len(list(tmp_path.glob("*.mask.png"))) == 2


@pytest.mark.slow
def test_oversized_image_is_refused_and_usage_errors_exit_two(inputs, tmp_path):
    result = run(inputs / "photo.jpg", "--out", tmp_path, "--max-pixels", "1000")
    assert result.returncode == 1 and "over the limit" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "empty-folder").mkdir()
    assert run(tmp_path / "empty-folder", "--out", tmp_path).returncode == 2  # nothing to do: usage
    missing = run(tmp_path / "missing.png", "--out", tmp_path / "o")
    assert missing.returncode == 1 and missing.stderr == f"error: {tmp_path / 'missing.png'}: no such file\n"
    assert run(inputs / "digit.png", "--out", tmp_path, "--threshold", "1.5").returncode == 2
    assert run(inputs / "digit.png", "--out", tmp_path, "--max-passes", "-1").returncode == 2
    assert run(inputs / "digit.png", "--out", tmp_path, "--unmarked", "all").returncode == 2
    assert run(inputs / "digit.png").returncode == 2  # --out is required
    assert run(inputs / "digit.png", "--out", inputs / "digit.png").returncode == 2  # not a folder


def test_unmarked_reaches_the_pipelines_it_loads(inputs, tmp_path):
    from gan_style.repair import repair_files

    pipelines = {}
    report = repair_files([inputs / "blotted.bmp"], tmp_path, pipelines=pipelines, unmarked="keep")
    assert list(pipelines) == ["digits"] and pipelines["digits"].unmarked == "keep"
    assert report[0]["error"] is None and report[0]["regions"]  # the blob is still found and repaired
    assert (tmp_path / "blotted.repaired.png").exists()


def test_same_stem_inputs_get_distinct_outputs(tmp_path):
    from pathlib import Path

    from gan_style.repair import _output_stems

    assert _output_stems([Path("a/x.png"), Path("b/x.png"), Path("y.jpg")]) == ["x", "x-1", "y"]


@pytest.mark.slow
def test_rgb_repairs_get_texture_unless_smooth(tmp_path):
    """A hole in the held-out gravel photo: by default the repaired pixels carry gravel-like
    detail; `--smooth` keeps the network's smooth fill. Pixels outside the mask match the input."""
    from scipy import ndimage

    from gan_style import data
    from gan_style.repair import main

    photo = data.bundled_image("gravel")[:128, :128].copy()
    photo[40:72, 48:80] = (40, 160, 40)  # a flat green hole artifact
    Image.fromarray(photo).save(tmp_path / "gravel.png")
    outputs = {}
    for name, extra in (("texture", []), ("smooth", ["--smooth"])):
        assert main([str(tmp_path / "gravel.png"), "--out", str(tmp_path / name), *extra]) == 0
        report = json.loads((tmp_path / name / "report.json").read_text())[0]
        assert report["abnormal"] and report["repaired"]
        outputs[name] = np.asarray(Image.open(tmp_path / name / "gravel.repaired.png"), np.float32).mean(-1)
    changed = np.abs(outputs["texture"] - photo.mean(-1)) > 0
    assert changed[40:72, 48:80].mean() > 0.9 and changed.mean() < 0.25

    def detail(image):  # high-frequency std inside the hole
        return (image - ndimage.gaussian_filter(image, 2.0))[44:68, 52:76].std()

    surroundings = photo.mean(-1).astype(np.float32)
    reference = (surroundings - ndimage.gaussian_filter(surroundings, 2.0))[:32, :32].std()
    assert detail(outputs["texture"]) > 0.5 * reference
    assert detail(outputs["smooth"]) < 0.5 * detail(outputs["texture"])


def test_multi_scale_reaches_the_rgb_pipeline_it_loads(inputs, tmp_path):
    from gan_style.qc import RGB_SCALES
    from gan_style.repair import main, repair_files

    pipelines = {}
    report = repair_files([inputs / "rgba.png"], tmp_path / "lib", pipelines=pipelines, scales=RGB_SCALES)
    assert list(pipelines) == ["rgb"] and pipelines["rgb"].scales == RGB_SCALES
    assert report[0]["error"] is None and report[0]["domain"] == "rgb"
    assert main([str(inputs / "rgba.png"), "--out", str(tmp_path / "cli"), "--multi-scale"]) == 0
    assert json.loads((tmp_path / "cli" / "report.json").read_text())[0]["error"] is None
