"""`python -m gan_style.repair`, run as a user would, on the shipped checkpoints: report fields and
files for a batch with bad files, every exit code, inputs never modified."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan_style.repair import FIELDS

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "gan_style.repair", *map(str, args)],
                          capture_output=True, text=True, env=ENV, timeout=600)


def _digits(num):
    from gan_style.qc.clean import clean_images

    images, _ = clean_images("digits", "validation", num, seed=3)
    return ((images[..., 0] + 1) * 127.5).round().astype(np.uint8)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from gan_style.core import data

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
    # a slow host's run also prints `progress:` lines (every 30 s): not errors
    errors = [line for line in result.stderr.strip().splitlines() if not line.startswith("progress: ")]
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
        assert entry["threshold"] == _threshold(entry["domain"], original.shape)  # the verdict's, reported
        assert f"{name}: {entry['domain']} score {entry['score_before']:.3f}" in result.stdout
        ratio = entry["score_after"] / entry["threshold"]  # the returned picture's, as a multiple of it
        shown = f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"
        assert f"(threshold {entry['threshold']:.3g}, {shown})" in result.stdout  # on its stdout line too
        assert entry["abnormal"] == (entry["score_before"] < entry["threshold"])
        assert bool(entry["regions"]) == bool(mask.any())
        x0, y0, x1, y1 = entry["worst"]["bbox"]  # the block of cells the verdict used, in the picture
        assert 0 <= x0 < x1 <= original.shape[1] and 0 <= y0 < y1 <= original.shape[0]
        # its score is its best cell's (RGB: 2 x 2 cells; digits: one, the worst region's own score)
        worst_region = round(entry["regions"][0]["score"], 4) if entry["regions"] else None
        assert worst_region is None or entry["worst"]["score"] >= worst_region
        assert worst_region is None or entry["domain"] == "rgb" or entry["worst"]["score"] == worst_region
        assert entry["abnormal"] or not entry["regions"]  # regions only in abnormal images
        assert entry["passes"] == 0 or entry["regions"]  # nothing located: nothing repaired
        assert entry["accepted"] == (entry["score_after"] >= entry["threshold"])
        for region in entry["regions"]:
            x0, y0, x1, y1 = region["bbox"]
            assert 0 <= x0 < x1 <= original.shape[1] and 0 <= y0 < y1 <= original.shape[0]
    blotted = by_name["blotted.bmp"]
    assert blotted["abnormal"] and blotted["passes"] >= 1 and blotted["score_after"] > blotted["score_before"]
    assert not list(out.glob(".*"))  # no temporary files left behind


def _threshold(domain, shape):
    """The manifest's threshold for a picture of `shape`: RGB, that of the smallest calibrated side
    at least its longer side (these test pictures are all under 256 px)."""
    from gan_style.core import checkpoints

    manifest = checkpoints.read_manifest(f"quality_{domain}")
    if domain == "digits":
        return manifest["threshold"]
    by_side = {int(k): v for k, v in manifest["calibration"]["thresholds_by_side"].items()}
    return by_side[min(k for k in by_side if k >= max(shape[:2]))]


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


@pytest.mark.slow
def test_rgb_repairs_get_texture_unless_smooth(tmp_path):
    """A hole in the held-out gravel photo: by default the repaired pixels carry gravel-like
    detail (random grain: at least `texture.FLOOR` of its surroundings' contrast, less a margin);
    `--smooth` keeps the network's smooth fill. Pixels outside the mask match the input."""
    from scipy import ndimage

    from gan_style.core import data
    from gan_style.qc.texture import FLOOR
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
    assert detail(outputs["texture"]) > 0.75 * FLOOR * reference, (detail(outputs["texture"]), reference)
    assert detail(outputs["smooth"]) < 0.5 * detail(outputs["texture"])


def test_multi_scale_reaches_the_rgb_pipeline_it_loads(inputs, tmp_path):
    from gan_style.qc.pipeline import RGB_SCALES
    from gan_style.repair import main, repair_files

    pipelines = {}
    report = repair_files([inputs / "rgba.png"], tmp_path / "lib", pipelines=pipelines, scales=RGB_SCALES)
    assert list(pipelines) == ["rgb"] and pipelines["rgb"].scales == RGB_SCALES
    assert report[0]["error"] is None and report[0]["domain"] == "rgb"
    assert main([str(inputs / "rgba.png"), "--out", str(tmp_path / "cli"), "--multi-scale"]) == 0
    assert json.loads((tmp_path / "cli" / "report.json").read_text())[0]["error"] is None


# ---------------------------------------------------------------------------------------------
# issue 31: no path written twice, no input written, one run per folder, stop and resume


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _same_pixels(a, b):
    return np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))


@pytest.mark.slow
def test_same_stems_in_three_folders_give_nine_distinct_outputs(tmp_path):
    digits = _digits(3)
    sources = [tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", tmp_path / "c" / "x-1.png"]
    for path, digit in zip(sources, digits, strict=True):
        path.parent.mkdir()
        Image.fromarray(digit).save(path)
    out = tmp_path / "out"
    result = run(*sources, "--out", out)
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("*.png"))) == 9  # not 6: nothing overwritten
    report = json.loads((out / "report.json").read_text())
    assert [e["input"] for e in report] == [str(p) for p in sources]
    assert len({e["repaired"] for e in report}) == 3
    for entry, source in zip(report, sources, strict=True):
        assert _same_pixels(entry["repaired"], source) or entry["outcome"] == "repaired"
        assert np.asarray(Image.open(entry["mask"])).shape == (28, 28)


@pytest.mark.slow
def test_report_or_output_onto_an_input_is_refused_before_any_work(inputs, tmp_path):
    before = _digest(inputs)
    digit = inputs / "digit.png"
    for args in ([digit, "--out", tmp_path / "o1", "--report", digit],  # the report onto the input
                 [digit, "--out", tmp_path / "o2", "--report", tmp_path / "o2" / "digit.mask.png"]):  # an output
        result = run(*args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("python -m gan_style.repair: error:")
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()
    assert _digest(inputs) == before
    # an in-place run may not name one of its own outputs as an input: refused, nothing written
    folder = tmp_path / "inplace"
    folder.mkdir()
    Image.fromarray(_digits(1)[0]).save(folder / "x.png")
    Image.fromarray(_digits(1)[0]).save(folder / "x.repaired.png")
    result = run(folder / "x.png", folder / "x.repaired.png", "--out", folder)
    assert result.returncode == 2 and "would overwrite the input" in result.stderr
    assert _files(folder) == ["x.png", "x.repaired.png"]


@pytest.mark.slow
def test_in_place_rerun_skips_its_own_outputs_and_reports_every_skipped_path(tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    for k, digit in enumerate(_digits(3)):
        Image.fromarray(digit).save(folder / f"d{k}.png")
    (folder / "sub").mkdir()
    (folder / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    os.mkfifo(folder / "pipe.png")
    (folder / "notes.txt").write_text("hi")
    first = run(folder, "--out", folder)
    assert first.returncode == 0, first.stderr
    second = run(folder, "--out", folder)
    assert second.returncode == 0, second.stderr
    report = json.loads((folder / "report.json").read_text())
    processed = [e for e in report if not e["skipped"]]
    assert [os.path.basename(e["input"]) for e in processed] == ["d0.png", "d1.png", "d2.png"]
    reasons = {os.path.basename(e["input"]): e["skipped"] for e in report if e["skipped"]}
    assert reasons["sub"].startswith("directory") and reasons["dangling.png"] == "broken symbolic link"
    assert reasons["pipe.png"] == "not a regular file" and reasons["notes.txt"].startswith("not an image")
    assert sum("output of gan_style.repair" in r for r in reasons.values()) == 9
    assert len([p for p in folder.glob("*.png") if p.is_file()]) == 3 + 9  # inputs, 3 outputs each; not 27
    assert all(e["skipped"] and e["error"] is None for e in report if e not in processed)
    assert second.stderr.count("skipped: ") == len(reasons)
    explicit = run(folder / "pipe.png", "--out", tmp_path / "o")
    assert explicit.returncode == 1 and explicit.stderr == f"error: {folder / 'pipe.png'}: not a regular file\n"


@pytest.mark.slow
def test_a_second_run_into_a_held_folder_is_refused(tmp_path):
    from gan_style.repair import folder_lock

    Image.fromarray(_digits(1)[0]).save(tmp_path / "d.png")
    out = tmp_path / "out"
    with folder_lock(out):
        result = run(tmp_path / "d.png", "--out", out)
        assert _files(out) == [".gan_style.repair.lock"]  # nothing written by the refused run
    assert result.returncode == 1 and "in use by another gan_style.repair run" in result.stderr
    assert result.stderr.count("\n") == 1
    # two real runs at once: one finishes, the other is refused or runs after it; none overwrites silently
    runs = [subprocess.Popen([sys.executable, "-m", "gan_style.repair", str(tmp_path / "d.png"), "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in runs]
    assert sorted(code for code, _ in results)[0] == 0
    for code, stderr in results:
        assert code == 0 or (code == 1 and "in use by another" in stderr), stderr
    assert not list(out.glob(".*"))  # the lock file goes with the last run


@pytest.mark.slow
def test_rejected_images_come_back_unchanged_with_the_attempt_beside_them(tmp_path):
    """Noise and a blank image in the digits domain cannot be judged: not accepted, returned as
    they came; a digit held to a threshold no repair reaches is rejected, its repair written as
    attempt.png; 1x1..3x2 images are refused as too small, not scored."""
    noise = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "noise.png")
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "black.png")
    for w, h in ((1, 1), (2, 2), (3, 2)):
        Image.fromarray(np.full((h, w), 200, np.uint8)).save(tmp_path / f"tiny{w}x{h}.png")
    out = tmp_path / "out"
    result = run(tmp_path, "--out", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    report = {os.path.basename(e["input"]): e for e in json.loads((out / "report.json").read_text())}
    for name in ("noise.png", "black.png"):
        entry = report[name]
        assert not entry["accepted"] and entry["outcome"] == "rejected" and entry["note"], entry
        assert _same_pixels(out / name.replace(".png", ".repaired.png"), tmp_path / name)
    for name in ("tiny1x1.png", "tiny2x2.png", "tiny3x2.png"):
        assert "too small to judge" in report[name]["error"] and report[name]["score_before"] is None
    assert "2 of 5 processed: " in result.stdout and "0 accepted, 2 rejected; 3 failed" in result.stdout

    blotted = _digits(2)[1].copy()
    blotted[4:14, 4:14] = 255
    Image.fromarray(blotted).save(tmp_path / "blotted.png")
    strict = run(tmp_path / "blotted.png", "--out", tmp_path / "strict", "--threshold", "0.999")
    assert strict.returncode == 0, strict.stderr
    entry = json.loads((tmp_path / "strict" / "report.json").read_text())[0]
    assert entry["abnormal"] and not entry["accepted"] and entry["outcome"] == "rejected"
    assert entry["score_after"] == entry["score_before"]  # of the returned image: the input
    assert _same_pixels(entry["repaired"], tmp_path / "blotted.png")

    # attempt.png is written exactly when a kept repair scored higher than the input: the shipped
    # digit models where the best repair of this blot beats the input and stays under the
    # threshold (0.9, no class guard: 0.003 -> 0.43), and where no repair is kept (0.99 with the
    # class guard, whose whole-cell probe gives this blot's repair back: another class)
    from gan_style.qc.pipeline import QCPipeline
    from gan_style.repair import repair_files

    x = blotted[None, ..., None].astype(np.float32) / 127.5 - 1.0
    for threshold, beaten in ((0.9, True), (0.99, False)):
        pipeline = QCPipeline.from_pretrained("digits", threshold=threshold, class_guard=not beaten)
        premise = pipeline.run(x)
        assert premise.score_before[0] < threshold and bool(premise.masks[0].any()) == beaten
        assert premise.score_after[0] < threshold and (premise.score_after[0] > premise.score_before[0]) == beaten
        out = tmp_path / f"at{threshold}"
        entry = repair_files([tmp_path / "blotted.png"], out, pipelines={"digits": pipeline})[0]
        assert entry["abnormal"] and not entry["accepted"] and entry["outcome"] == "rejected"
        assert entry["score_after"] == entry["score_before"]  # of the returned image: the input
        assert _same_pixels(entry["repaired"], tmp_path / "blotted.png")
        if beaten:
            assert not _same_pixels(entry["attempt"], tmp_path / "blotted.png") and "attempt.png" in entry["note"]
        else:
            assert entry["attempt"] is None and not (out / "blotted.attempt.png").exists()
    assert "1 flagged, 0 repaired, 0 accepted, 1 rejected" in strict.stdout


def _wait_for(predicate, timeout=300):
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _journal_rows(path):
    from gan_style.repair import Journal

    return [r for r in Journal.read(path) if "input" in r]


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_stopped_run_keeps_what_finished_and_resume_does_the_rest(tmp_path, sig):
    import signal

    folder = tmp_path / "in"
    folder.mkdir()
    for k, digit in enumerate(_digits(40)):
        Image.fromarray(digit).save(folder / f"d{k:02d}.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".d00.mask.png.abcd1234").mkdir()  # a temp folder a killed run left behind
    (out / ".d00.mask.png.abcd1234" / "d00.mask.png").write_bytes(b"partial")
    process = subprocess.Popen([sys.executable, "-m", "gan_style.repair", str(folder), "--out", str(out),
                                "--batch-size", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=ENV)
    assert _wait_for(lambda: len(_journal_rows(out / "report.jsonl")) >= 3)
    process.send_signal(getattr(signal, sig))
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == {"SIGTERM": 143, "SIGINT": 130}[sig], stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1 and stderr.startswith(f"interrupted by {sig}")
    report = json.loads((out / "report.json").read_text())
    assert 3 <= len(report) < 40 and all(not e["error"] for e in report)
    assert all(Path(e[k]).is_file() for e in report for k in ("repaired", "mask", "overlay"))
    assert not list(out.glob(".*.png.*"))  # stale and own temp folders gone
    done = {e["input"] for e in report}
    resumed = run(folder, "--out", out, "--resume", "--batch-size", "8")
    assert resumed.returncode == 0, resumed.stderr
    final = json.loads((out / "report.json").read_text())
    assert [os.path.basename(e["input"]) for e in final] == [f"d{k:02d}.png" for k in range(40)]
    rows = _journal_rows(out / "report.jsonl")
    redone = [r["input"] for r in rows[len(report):]]
    assert len(redone) == 40 - len(report) and not set(redone) & done  # only the unfinished ones
    assert not list(out.glob(".*"))



@pytest.mark.slow
def test_a_long_run_reports_its_progress_on_stderr(tmp_path, monkeypatch, capsys):
    """Every PROGRESS_EVERY_S (here every batch but the last): `progress: N of M images done`."""
    import re

    from gan_style import repair
    from gan_style.core import cli

    folder = tmp_path / "in"
    folder.mkdir()
    for i, digit in enumerate(_digits(3)):
        Image.fromarray(digit).save(folder / f"d{i}.png")
    monkeypatch.setattr(cli, "PROGRESS_EVERY_S", 0.0)
    assert repair.main([str(folder), "--out", str(tmp_path / "out"), "--batch-size", "1"]) == 0
    err = capsys.readouterr().err
    assert [re.sub(r"\(\d+ s\)", "(N s)", line) for line in err.splitlines() if line.startswith("progress")] == [
        "progress: 1 of 3 images done (N s)", "progress: 2 of 3 images done (N s)"]


def test_an_output_folder_that_cannot_be_written_is_one_plain_line(tmp_path):
    """Not the lock file's errno: which folder, and why (a file where a folder should be)."""
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    image = tmp_path / "d.png"
    Image.fromarray(_digits(1)[0]).save(image)
    result = run(image, "--out", blocker / "out")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write to the output folder {blocker / 'out'}: Not a directory"]
