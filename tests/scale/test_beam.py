"""The Beam pipeline (`gan_style.scale.beam`) against the repair CLI's job (`repair.repair_files`) on
the same files: the same report rows (scores exactly) and byte-identical PNGs, on the DirectRunner's
engine in memory and with two worker processes; a bad file is one error row; two files with one
stem in two folders both keep their outputs."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("apache_beam", reason="the Beam extra is not installed: pip install -e '.[beam]'")

from apache_beam.options.pipeline_options import PipelineOptions  # noqa: E402
from apache_beam.runners.portability.fn_api_runner import FnApiRunner  # noqa: E402

from gan_style.core import checkpoints  # noqa: E402
from gan_style.qc import report  # noqa: E402
from gan_style.scale import beam as scale_beam  # noqa: E402

PATHS = {"repaired", "mask", "overlay", "attempt"}  # fields that name this run's output files


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Digits (one with a blob), two `x.png` in two folders, three small photos (two of one shape),
    a corrupt file; each shape's images are consecutive in the CLI's order and in path order."""
    from gan_style.core import data
    from gan_style.qc.clean import clean_images

    root = tmp_path_factory.mktemp("beam_inputs")
    digits = ((clean_images("digits", "validation", 6, seed=3)[0][..., 0] + 1) * 127.5).round().astype(np.uint8)
    for folder in ("a", "b", "digits", "photos"):
        (root / folder).mkdir()
    Image.fromarray(digits[0]).save(root / "a" / "x.png")
    Image.fromarray(digits[1]).save(root / "b" / "x.png")
    for k in range(2, 5):
        Image.fromarray(digits[k]).save(root / "digits" / f"d{k}.png")
    blotted = digits[5].copy()
    blotted[4:14, 4:14] = 255
    Image.fromarray(blotted).save(root / "digits" / "d5.png")
    (root / "digits" / "zz_bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    photo = data.bundled_image("chelsea")
    Image.fromarray(photo[:64, :64]).save(root / "photos" / "p0.png")
    Image.fromarray(photo[100:164, 200:264]).save(root / "photos" / "p1.png")
    Image.fromarray(photo[:96, 100:228]).save(root / "photos" / "p2.png")
    return root


@pytest.fixture(scope="module")
def cli(inputs, tmp_path_factory):
    from gan_style.repair import repair_files

    out = tmp_path_factory.mktemp("cli_out")
    rows = repair_files([inputs / "a" / "x.png", inputs / "b" / "x.png", inputs / "digits", inputs / "photos"], out)
    return {row["input"]: row for row in rows}


def _patterns(root: Path) -> list[str]:
    return [str(root / "a" / "*.png"), str(root / "b" / "*"), str(root / "digits" / "*"),
            str(root / "photos" / "*.png")]


def _run_beam(inputs, out, **options):
    settings = scale_beam.Settings(checkpoints=str(checkpoints.root()))
    path = scale_beam.run(_patterns(inputs), str(out), settings, PipelineOptions(**options), runner=FnApiRunner())
    lines = [json.loads(line) for line in Path(path).read_text().splitlines()]
    summaries = [line["summary"] for line in lines if "summary" in line]
    return {row["input"]: row for row in lines if "summary" not in row}, summaries


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["in_memory", "multi_processing"])
def test_pipeline_matches_the_cli(inputs, cli, tmp_path, mode):
    options = {"direct_running_mode": mode, "direct_num_workers": 2 if mode == "multi_processing" else 1}
    rows, summaries = _run_beam(inputs, tmp_path / "out", **options)
    assert sorted(rows) == sorted(cli)
    for source, expected in cli.items():
        row = rows[source]
        assert list(row) == list(report.FIELDS)
        assert {k: v for k, v in row.items() if k not in PATHS} == {k: v for k, v in expected.items() if k not in PATHS}
        assert {k for k in PATHS if row[k]} == {k for k in PATHS if expected[k]}
        for kind in PATHS:
            if expected[kind]:
                assert Path(row[kind]).read_bytes() == Path(expected[kind]).read_bytes(), (source, kind)
                assert Path(row[kind]).name == report.output_file(report.output_name(source), kind)
    bad = rows[str(inputs / "digits" / "zz_bad.png")]
    assert bad["error"] and "not a PNG" in bad["error"] and bad["score_before"] is None
    twins = [rows[str(inputs / folder / "x.png")]["mask"] for folder in ("a", "b")]
    assert len(set(twins)) == 2 and all(Path(p).is_file() for p in twins)  # both written, none overwritten
    assert summaries == [report.summary(cli.values())]
    assert summaries[0]["failed"] == 1 and summaries[0]["processed"] == 9
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary left


def test_one_shape_is_spread_over_shards_by_path_and_carried_as_bytes(inputs):
    checked = [scale_beam.Checked(f"/data/{i}.png", "0" * 64, "digits", (28, 28, 1), b"png") for i in range(200)]
    assert {c.shard(16) for c in checked} == set(range(16))  # one shape: 16 keys, not one
    assert [c.shard(16) for c in checked] == [c.shard(16) for c in checked]  # stable (crc32, not hash())
    assert {c.shard(1) for c in checked} == {0}
    with pytest.raises(ValueError, match="got 0"):
        scale_beam.Settings(shards=0)

    class Readable:
        metadata = type("Metadata", (), {"path": str(inputs / "digits" / "d2.png")})

        def read(self):
            return (inputs / "digits" / "d2.png").read_bytes()

    (out,) = scale_beam._Decode(scale_beam.Settings(), "/elsewhere").process(Readable())
    assert out.data == Readable().read() and out.shape == (28, 28, 1) and out.domain == "digits"
    assert not any(isinstance(v, np.ndarray) for v in vars(out).values())  # no pixels through the shuffles


def test_output_names_are_per_file_and_distinct():
    a, b = report.output_name("/data/a/x.png"), report.output_name("/data/b/x.png")
    assert a != b and a.startswith("x-") and len(a) == len("x-") + report.NAME_HASH_DIGITS
    assert report.output_name("/data/a/x.png") == a  # from the path alone: the same in every worker
    assert report.output_name("/data/a/X.png").casefold() != a.casefold()
    assert report.output_name("gs://bucket/a/x.png") != a
    assert len(report.output_name("/d/" + "é" * 300 + ".png").encode()) <= 150 + 1 + report.NAME_HASH_DIGITS


def test_a_name_that_cannot_be_written_is_an_error_row_not_a_failed_job(tmp_path, monkeypatch):
    def refuse(path):
        raise ValueError("no name for it")

    monkeypatch.setattr(report, "output_name", refuse)
    row = report.entry("/data/odd.png", abnormal=False, outcome="clean", accepted=True)
    (out,) = scale_beam._WriteOutputs(str(tmp_path)).process((row, {"mask": np.zeros((4, 4), np.uint8)}))
    assert out["error"] == "/data/odd.png: cannot write outputs (no name for it)" and not list(tmp_path.iterdir())


def test_the_cli_reports_a_missing_extra_in_one_line(monkeypatch, capsys):
    import builtins

    from gan_style.scale.__main__ import main

    real_import = builtins.__import__

    def no_beam(name, *args, **kwargs):
        if name == "apache_beam" or name.startswith("apache_beam."):
            raise ImportError("No module named 'apache_beam'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_beam)
    import sys

    import gan_style.scale

    monkeypatch.delitem(sys.modules, "gan_style.scale.beam", raising=False)
    monkeypatch.delattr(gan_style.scale, "beam", raising=False)
    assert main(["x/*.png", "--out", "y"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "pip install 'gan-style[beam]'" in error


@pytest.mark.parametrize("typo", [["--treshold", "0.5"], ["--thresh", "0.5"], ["--direct_num_worker", "2"], ["stray"]])
def test_the_cli_refuses_an_option_neither_it_nor_beam_knows(typo, tmp_path, capsys):
    from gan_style.scale.__main__ import main

    assert main(["x/*.png", "--out", str(tmp_path / "out"), *typo]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("error: unrecognized arguments:") and typo[0] in error
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_the_cli_exits_1_when_an_image_failed_and_0_when_none_did(tmp_path, capsys):
    from gan_style.scale.__main__ import main

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / ".hidden.png").write_bytes(b"skipped")
    # nothing to process (a pattern matching only a hidden file; a folder given as a pattern): as
    # the repair CLI, a usage error, not "0 of 0 processed" and exit 0
    for pattern in (tmp_path / "in" / "*.png", tmp_path / "in"):
        assert main([str(pattern), "--out", str(tmp_path / "out"), "--direct_num_workers", "1"]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and error.startswith(f"error: no input images found in {pattern} (1 skipped")
    (tmp_path / "in" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert main([str(tmp_path / "in" / "*.png"), "--out", str(tmp_path / "out")]) == 1
    assert "1 failed, 1 skipped" in capsys.readouterr().out


def test_the_cli_says_in_one_line_that_a_local_out_cannot_be_written(tmp_path, capsys):
    from gan_style.scale.__main__ import main

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main([str(tmp_path / "*.png"), "--out", str(blocker / "out")]) == 1
    error = capsys.readouterr().err
    assert error == f"error: cannot write to the output folder {blocker / 'out'}: Not a directory\n"
