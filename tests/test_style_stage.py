"""scripts/style_stage.py: a resumable style run's backup through git and back."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

FLAGS = ["--width", "4", "--crop-size", "32", "--batch-size", "2", "--steps", "400", "--adversarial-shift", "8"]


def _stage_module():
    path = Path(__file__).parents[1] / "scripts" / "style_stage.py"
    spec = importlib.util.spec_from_file_location("style_stage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_packed_backup_unpacks_to_the_same_run(tmp_path):
    stage = _stage_module()
    trainer = stage._trainer(FLAGS)
    rng = np.random.default_rng(0)
    for variables in stage._parts(trainer).values():  # weights and optimizer state, all non-trivial
        for variable in variables:
            shape, dtype = tuple(variable.shape), str(variable.dtype)
            variable.assign(rng.integers(1, 99, size=shape).astype(dtype) if "int" in dtype
                            else rng.normal(size=shape).astype(dtype) * 1e-3)
    trainer.g_optimizer.iterations.assign(137)
    backup = tmp_path / "work" / "backup"
    backup.mkdir(parents=True)
    trainer.save_weights(str(backup / "latest.weights.h5"))
    (backup / "training_metadata.json").write_text(json.dumps({"epoch": 6, "batch": 0}))

    stage.pack(tmp_path / "work", tmp_path / "stage" / "run", FLAGS)
    record = json.loads((tmp_path / "stage" / "run.json").read_text())
    assert record["epoch"] == 6 and record["step"] == 137 and record["flags"] == FLAGS
    stage.unpack(tmp_path / "stage" / "run", tmp_path / "again")
    assert json.loads((tmp_path / "again" / "backup" / "training_metadata.json").read_text())["epoch"] == 6
    resumed = stage._trainer(FLAGS, tmp_path / "again")  # style.trainer.trainer_from_backup
    for part, variables in stage._parts(trainer).items():
        for before, after in zip(variables, stage._parts(resumed)[part], strict=True):
            before, after = np.asarray(before.numpy()), np.asarray(after.numpy())
            if part.endswith("opt") and before.ndim:  # Adam's moments: bfloat16, 8 bits of mantissa
                np.testing.assert_allclose(after, before, rtol=2**-8)
            else:  # weights and step counters exact
                np.testing.assert_array_equal(after, before)

    (tmp_path / "stage" / "run.npz").write_bytes((tmp_path / "stage" / "run.npz").read_bytes()[:-10] + b"0" * 10)
    with pytest.raises(SystemExit, match="sha256"):
        stage.unpack(tmp_path / "stage" / "run", tmp_path / "third")
    with pytest.raises(FileNotFoundError, match="no backup weights"):
        stage._trainer(FLAGS, tmp_path / "never_ran")
