import json

import numpy as np
import pytest

from gan_style import checkpoints
from gan_style.models.dcgan_generator import build_dcgan_generator


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


@pytest.mark.parametrize("name", ["mnist_classifier", "dcgan_mnist"])
def test_shipped_checkpoints_verify(name):
    manifest = checkpoints.verify(name)
    for key in ("command", "data_source", "seed", "steps", "wall_time_s", "metrics", "files"):
        assert key in manifest, key
    assert all((checkpoints.path(name) / f).stat().st_size < 8 * 2**20 for f in manifest["files"])
