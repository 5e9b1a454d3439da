import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from gan_style.core import checkpoints
from gan_style.gan.generator import build_dcgan_generator


def test_manifest_round_trip_and_tamper_detection(tmp_path):
    generator = build_dcgan_generator(latent_dim=4, base_filters=2)
    checkpoints.save_model(generator, tmp_path / "generator.keras")
    manifest = checkpoints.write_manifest(tmp_path, ["generator.keras"], command="test", seed=3)
    assert manifest["files"]["generator.keras"] == checkpoints.sha256(tmp_path / "generator.keras")
    assert json.loads((tmp_path / "MANIFEST.json").read_text())["seed"] == 3
    restored = checkpoints.load_model(tmp_path, "generator.keras")
    z = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(restored(z).numpy(), generator(z).numpy())

    with open(tmp_path / "generator.keras", "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(checkpoints.CheckpointError, match="sha256"):
        checkpoints.verify(tmp_path)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(checkpoints.CheckpointError, match="no checkpoint"):
        checkpoints.verify(tmp_path / "nothing")


def test_save_model_drops_optimizer_state(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    checkpoints.save_model(model, tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_array_equal(restored.get_weights()[0], model.get_weights()[0])
    import io as _io
    import zipfile

    import h5py

    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        weights = h5py.File(_io.BytesIO(archive.read("model.weights.h5")), "r")
        assert "optimizer" not in weights
    assert oct((tmp_path / "m.keras").stat().st_mode & 0o777) == oct(0o644)


SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"  # the repository's, whatever GAN_STYLE_CHECKPOINTS


def test_every_checkpoint_folder_is_checked():
    names = sorted(p.name for p in SHIPPED.iterdir() if p.is_dir())
    assert {"dcgan_mnist", "mnist_classifier", "fusion_style", "quality_digits", "quality_rgb", "repair_digits",
            "repair_rgb"} <= set(names)


@pytest.mark.parametrize("name", sorted(p.name for p in SHIPPED.iterdir() if p.is_dir()))
def test_shipped_checkpoints_verify(name):
    """Every folder in checkpoints/: each listed file's sha256, computed here, is the manifest's;
    every model file in the folder is listed; verify() agrees; files stay small."""
    directory = SHIPPED / name
    manifest = checkpoints.verify(directory)
    for key in ("command", "seed", "steps", "wall_time_s", "metrics", "files"):
        assert key in manifest, key
    for file, digest in manifest["files"].items():
        assert hashlib.sha256((directory / file).read_bytes()).hexdigest() == digest, file
    assert {p.name for p in directory.glob("*.keras")} <= set(manifest["files"])
    assert all((directory / f).stat().st_size < 8 * 2**20 for f in manifest["files"])


# ---------------------------------------------------------------------------------------------
# tampering: every file that is loaded must be listed with a matching sha256, and load safely


def _tiny_checkpoint(directory):
    generator = build_dcgan_generator(latent_dim=4, base_filters=2)
    checkpoints.save_model(generator, directory / "generator.keras")
    checkpoints.write_manifest(directory, ["generator.keras"], command="test")
    return directory


def _edit_manifest(directory, change):
    manifest = json.loads((directory / "MANIFEST.json").read_text())
    change(manifest)
    (directory / "MANIFEST.json").write_text(json.dumps(manifest))


def _refused(directory, match, file="generator.keras"):
    with pytest.raises(checkpoints.CheckpointError, match=match) as info:
        checkpoints.load_model(directory, file)
    assert "\n" not in str(info.value)


def test_empty_file_list_is_refused(tmp_path):
    _edit_manifest(_tiny_checkpoint(tmp_path), lambda m: m.update(files={}))
    _refused(tmp_path, "lists no files")
    with pytest.raises(checkpoints.CheckpointError, match="lists no files"):
        checkpoints.verify(tmp_path)


def test_unlisted_file_is_refused(tmp_path):
    _tiny_checkpoint(tmp_path)
    (tmp_path / "other.keras").write_bytes((tmp_path / "generator.keras").read_bytes())
    _refused(tmp_path, "not listed", file="other.keras")


@pytest.mark.parametrize(("change", "match"), [
    (lambda m: m["files"].update({"generator.keras": "0" * 64}), "does not match"),
    (lambda m: m["files"].update({"generator.keras": "not-a-digest"}), "no valid sha256"),
    (lambda m: m["files"].update({"../generator.keras": "0" * 64}), "not a file name"),
    (lambda m: m["files"].update({"missing.keras": "0" * 64}), "missing"),
    (lambda m: m.update(files=["generator.keras"]), "lists no files"),
])
def test_manifest_tampering_is_refused(tmp_path, change, match):
    _edit_manifest(_tiny_checkpoint(tmp_path), change)
    _refused(tmp_path, match)


def test_tampered_weights_and_broken_manifest_are_refused(tmp_path):
    _tiny_checkpoint(tmp_path)
    data = bytearray((tmp_path / "generator.keras").read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the archive
    (tmp_path / "generator.keras").write_bytes(bytes(data))
    _refused(tmp_path, "does not match")
    (tmp_path / "MANIFEST.json").write_text("{not json")
    _refused(tmp_path, "unreadable")


def test_code_carrying_keras_file_is_refused_even_when_listed(tmp_path):
    """A Lambda layer holds Python bytecode: with safe_mode=True it is never deserialised, even
    under a manifest whose sha256 matches (the attacker rewrote both)."""
    import keras

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2.0)(inputs))
    model.save(tmp_path / "evil.keras")
    checkpoints.write_manifest(tmp_path, ["evil.keras"], command="test")
    _refused(tmp_path, "cannot be loaded safely", file="evil.keras")


def test_negated_regressor_with_an_empty_manifest_is_refused(tmp_path, monkeypatch):
    """The issue's case: the RGB regressor's weights negated and the manifest's file list emptied
    (a silent 0.0 score before); the pipeline must not load it."""
    import shutil

    from gan_style.qc.pipeline import QCPipeline

    for name in ("quality_rgb", "repair_rgb"):
        shutil.copytree(checkpoints.path(name), tmp_path / name)
    shipped_files = checkpoints.read_manifest("quality_rgb")["files"]
    regressor = checkpoints.load_model(tmp_path / "quality_rgb", "regressor.keras")
    regressor.set_weights([-w for w in regressor.get_weights()])
    regressor.save(tmp_path / "quality_rgb" / "regressor.keras")
    _edit_manifest(tmp_path / "quality_rgb", lambda m: m.update(files={}))
    monkeypatch.setenv("GAN_STYLE_CHECKPOINTS", str(tmp_path))
    with pytest.raises(checkpoints.CheckpointError, match="lists no files"):
        QCPipeline.from_pretrained("rgb")
    # listing it again with the old digest: the changed weights do not match
    _edit_manifest(tmp_path / "quality_rgb", lambda m: m.update(files=shipped_files))
    with pytest.raises(checkpoints.CheckpointError, match="does not match"):
        QCPipeline.from_pretrained("rgb")


SHIPPED_MODELS = sorted((p.parent.name, p.name) for p in checkpoints.root().glob("*/*.keras"))


@pytest.mark.parametrize(("name", "file"), SHIPPED_MODELS)
def test_every_shipped_model_computes_in_float32(name, file):
    """Whatever precision trained it, a shipped file is float32 (`manifests.save_model`): no layer,
    nested ones included, keeps a mixed policy such as mixed_bfloat16."""
    from gan_style.core.manifests import all_layers

    model = checkpoints.load_model(name, file)
    policies = {layer.name: layer.dtype_policy.name for layer in all_layers(model)}
    assert set(policies.values()) == {"float32"}, {k: v for k, v in policies.items() if v != "float32"}


def test_measured_records_commit_and_each_files_sha256(tmp_path):
    from gan_style.core import manifests

    record = manifests.measured(["mnist_classifier", tmp_path / "nothing_here"])
    shipped = manifests.read_manifest("mnist_classifier")["files"]
    assert record["checkpoints"]["mnist_classifier"] == shipped  # hashed from disk, equal to the manifest
    assert "error" in record["checkpoints"][str(tmp_path / "nothing_here")]
    assert record["commit"] is None or len(record["commit"]) == 40


def test_every_result_file_records_what_it_measured():
    """Each bench/results JSON names the commit and the checkpoint sha256s it measured."""
    results = Path(__file__).resolve().parents[2] / "bench" / "results"
    files = sorted(results.glob("*.json")) + sorted((results / "independent").glob("*.json"))
    assert files
    for file in files:
        provenance = json.loads(file.read_text()).get("provenance")
        assert provenance and provenance.get("commit"), file.name
        assert provenance["checkpoints"] and all(
            len(digest) == 64 for files_ in provenance["checkpoints"].values() for digest in files_.values()
        ), file.name
