"""The end of every training run (`training.finish_run`): float32 files, evaluation of what was
saved, a manifest with provenance."""

import json
import shutil
import time

import keras
import numpy as np
import pytest

from gan_style.core import checkpoints, manifests
from gan_style.core.training import finish_run
from gan_style.gan.generator import build_dcgan_generator


@pytest.fixture
def bf16_policy():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def _policies(model):
    return {layer.dtype_policy.name for layer in manifests.all_layers(model)}


def test_finish_run_saves_float32_evaluates_the_saved_model_and_records_provenance(tmp_path, bf16_policy):
    mixed = build_dcgan_generator(latent_dim=4, base_filters=2)  # a custom layer (CategoricalCode) inside
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    plain.compile(optimizer="adam", loss="mse")  # compiled: saved without its optimizer
    assert "mixed_bfloat16" in _policies(mixed)
    seen = {}

    def evaluate(saved):
        seen.update(saved)
        return {"metrics": {"score": 1.5}, "threshold": 0.25}

    start = time.time() - 2.0
    manifest = finish_run(tmp_path / "run", {"generator.keras": mixed, "head.keras": plain}, start=start,
                          evaluate=evaluate, command="test", config={"width": 2})
    assert keras.mixed_precision.global_policy().name == "float32"
    assert _policies(seen["generator.keras"]) == {"float32"}  # evaluated: the float32 copy
    for mixed_weight, weight in zip(mixed.get_weights(), seen["generator.keras"].get_weights(), strict=True):
        np.testing.assert_array_equal(mixed_weight, weight)  # the same weights, bit for bit
    restored = checkpoints.load_model(tmp_path / "run", "generator.keras")
    assert _policies(restored) == {"float32"}
    z = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    np.testing.assert_allclose(restored(z).numpy(), np.asarray(mixed(z), np.float32), atol=0.05)  # bf16 vs f32

    written = json.loads((tmp_path / "run" / "MANIFEST.json").read_text())
    assert written == manifest
    assert manifest["metrics"] == {"score": 1.5} and manifest["threshold"] == 0.25
    assert manifest["command"] == "test" and manifest["config"] == {"width": 2}
    assert manifest["wall_time_s"] >= 2.0
    assert manifest["schema_version"] == manifests.SCHEMA_VERSION
    commit = manifest["git_commit"]
    assert commit == "unknown" or (len(commit) == 40 and all(c in "0123456789abcdef" for c in commit))
    assert manifest["dirty"] in (True, False, None) and (manifest["dirty"] is None) == (commit == "unknown")
    assert set(manifest["versions"]) == {"python", "tensorflow", "keras", "numpy"}
    assert manifest["versions"]["keras"] == keras.__version__
    assert list(manifest)[-1] == "files" and set(manifest["files"]) == {"generator.keras", "head.keras"}
    checkpoints.verify(tmp_path / "run")


def test_finish_run_without_evaluation_and_a_float32_model_is_saved_as_it_is(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert manifests.float32_model(model) is model
    manifest = finish_run(tmp_path, {"m.keras": model}, start=time.time())
    assert "metrics" not in manifest and manifest["files"]["m.keras"] == checkpoints.sha256(tmp_path / "m.keras")


def test_rehash_refreshes_a_rewritten_file_and_records_the_change(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    finish_run(tmp_path, {"m.keras": model}, start=time.time(), command="train", metrics={"a": 1})
    before = checkpoints.read_manifest(tmp_path)
    model.layers[0].kernel.assign(np.ones((3, 2), np.float32))
    checkpoints.save_model(model, tmp_path / "m.keras")
    with pytest.raises(checkpoints.CheckpointError, match="sha256"):
        checkpoints.verify(tmp_path)
    after = checkpoints.rehash(tmp_path, ["m.keras"], what="re-exported")
    checkpoints.verify(tmp_path)
    assert {k: v for k, v in after.items() if k not in ("files", "changes")} == \
        {k: v for k, v in before.items() if k != "files"}  # every other field kept
    change = after["changes"][-1]
    assert change["what"] == "re-exported" and change["files"]["m.keras"]["before"] == before["files"]["m.keras"]
    assert change["schema_version"] == manifests.SCHEMA_VERSION and list(after)[-1] == "files"
    with pytest.raises(checkpoints.CheckpointError, match="not listed"):
        checkpoints.rehash(tmp_path, ["other.keras"])


def test_a_failed_evaluation_leaves_the_existing_checkpoint_as_it_was_and_keeps_the_new_networks(tmp_path):
    old = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    finish_run(tmp_path / "run", {"m.keras": old}, start=time.time(), command="first")
    (tmp_path / "run" / "loss_curves.png").write_bytes(b"curves")  # a side file of the run
    before = {f.name: f.read_bytes() for f in (tmp_path / "run").iterdir()}
    new = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones")])

    def evaluate(saved):
        raise KeyboardInterrupt  # interrupted half-way through the evaluation

    with pytest.raises(KeyboardInterrupt):
        finish_run(tmp_path / "run", {"m.keras": new}, start=time.time(), evaluate=evaluate, command="second")
    assert {f.name: f.read_bytes() for f in (tmp_path / "run").iterdir()} == before
    # the trained networks are not lost with the evaluation: kept beside, with no manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run.unfinished"]
    kept = keras.saving.load_model(tmp_path / "run.unfinished" / "m.keras")
    np.testing.assert_array_equal(kept.layers[0].kernel, np.ones((3, 2)))
    assert not (tmp_path / "run.unfinished" / "MANIFEST.json").exists()
    shutil.rmtree(tmp_path / "run.unfinished")
    assert checkpoints.verify(tmp_path / "run")["command"] == "first"
    checkpoints.load_model(tmp_path / "run", "m.keras")

    manifest = finish_run(tmp_path / "run", {"m.keras": new}, start=time.time(), command="third")
    assert manifest["name"] == "run" and checkpoints.verify(tmp_path / "run")["command"] == "third"
    assert (tmp_path / "run" / "loss_curves.png").read_bytes() == b"curves"  # side files kept
    np.testing.assert_array_equal(checkpoints.load_model(tmp_path / "run", "m.keras").layers[0].kernel, np.ones((3, 2)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_git_is_read_only_from_this_repositorys_own_checkout(tmp_path, monkeypatch):
    state = manifests.git_state()
    if state["commit"] is not None:  # a git checkout of this repository
        assert len(state["commit"]) == 40 and isinstance(state["dirty"], bool)
        monkeypatch.setattr(manifests, "REPOSITORY", manifests.REPOSITORY / "gan_style")  # inside, not the top
        assert manifests.git_state() == {"commit": None, "dirty": None}
    monkeypatch.setattr(manifests, "REPOSITORY", tmp_path)  # no git at all
    assert manifests.git_state() == {"commit": None, "dirty": None}
    assert manifests.provenance()["git_commit"] == "unknown" and manifests.provenance()["dirty"] is None


def test_update_manifest_sets_fields_keeps_the_files_and_records_the_change(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    before = finish_run(tmp_path / "run", {"m.keras": model}, start=time.time(), command="train")
    after = checkpoints.update_manifest(tmp_path / "run", {"independent_evaluation": {"auroc": 0.9}}, what="recorded")
    assert after == checkpoints.verify(tmp_path / "run") and list(after)[-1] == "files"
    assert after["independent_evaluation"] == {"auroc": 0.9} and after["files"] == before["files"]
    assert after["changes"][-1]["what"] == "recorded" and after["changes"][-1]["fields"] == ["independent_evaluation"]
    with pytest.raises(checkpoints.CheckpointError, match="rehash"):
        checkpoints.update_manifest(tmp_path / "run", {"files": {}})
