"""Property-based fuzzing (hypothesis) of the image reader and of the repair CLI: whatever the
bytes, the reader returns a uint8 (H, W, 1|3) image or raises a one-line `ImageError`; the CLI
never prints a traceback, never changes an input and reports every file it was given."""

import hashlib
import io as _io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from gan_style.core.io import ImageError, read_image

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _encoded(array, fmt, **kwargs):
    buffer = _io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


SEEDS = [
    _encoded(np.arange(28 * 28, dtype=np.uint8).reshape(28, 28), "PNG"),
    _encoded(np.full((40, 48, 3), 90, np.uint8), "JPEG"),
    _encoded(np.full((33, 32, 3), 200, np.uint8), "BMP"),
    _encoded(np.arange(32 * 32, dtype=np.uint8).reshape(32, 32), "GIF"),
    _encoded((np.arange(36 * 36, dtype=np.uint16).reshape(36, 36) * 50).astype(np.uint16), "PNG"),
    _encoded(np.full((32, 32, 4), 120, np.uint8), "PNG"),
]


@st.composite
def image_bytes(draw):
    """A valid small image, a seed cut short, with bytes flipped or inserted, or random bytes."""
    kind = draw(st.sampled_from(["valid", "truncated", "flipped", "inserted", "random"]))
    if kind == "valid":
        height, width = draw(st.integers(1, 48)), draw(st.integers(1, 48))
        channels = draw(st.sampled_from([1, 3, 4]))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        shape = (height, width) if channels == 1 else (height, width, channels)
        fmt = draw(st.sampled_from(["PNG", "BMP", "GIF", "JPEG"] if channels != 4 else ["PNG"]))
        return _encoded(rng.integers(0, 256, shape, dtype=np.uint8), fmt)
    if kind == "random":
        return draw(st.binary(max_size=2048))
    seed = bytearray(draw(st.sampled_from(SEEDS)))
    if kind == "truncated":
        return bytes(seed[: draw(st.integers(0, len(seed) - 1))])
    positions = draw(st.lists(st.integers(0, len(seed) - 1), min_size=1, max_size=8))
    for position in positions:
        if kind == "flipped":
            seed[position] ^= draw(st.integers(1, 255))
        else:
            seed[position:position] = draw(st.binary(min_size=1, max_size=16))
    return bytes(seed)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=image_bytes(), suffix=st.sampled_from([".png", ".jpg", ".bmp", ".gif"]))
def test_reader_returns_an_image_or_one_line_error(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        image = read_image(path, max_pixels=1_000_000)
    except ImageError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[-1] in (1, 3) and min(image.shape[:2]) >= 1


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=st.lists(image_bytes(), min_size=4, max_size=12))
def test_cli_on_fuzzed_folders(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("fuzz")
    suffixes = [".png", ".jpg", ".bmp", ".gif"]
    for k, data in enumerate(files):
        (folder / f"f{k:02d}{suffixes[k % 4]}").write_bytes(data)
    before = _digest(folder)
    out = tmp_path_factory.mktemp("out")
    result = subprocess.run([sys.executable, "-m", "gan_style.repair", str(folder), "--out", str(out)],
                            capture_output=True, text=True, env=ENV, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert _digest(folder) == before
    report = json.loads((out / "report.json").read_text())
    assert sorted(os.path.basename(e["input"]) for e in report) == sorted(before)  # no silent omission
    errors = [e for e in report if e["error"]]
    assert all("\n" not in e["error"] for e in errors)
    assert len([line for line in result.stderr.splitlines() if line.startswith("error: ")]) == len(errors)
    for entry in report:
        if not entry["error"]:
            assert 0.0 <= entry["score_before"] <= 1.0 and not np.isnan(entry["score_before"])
            assert Image.open(entry["repaired"]).size == Image.open(entry["mask"]).size
