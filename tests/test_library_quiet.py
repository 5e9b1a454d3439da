"""The package used as a library: no TensorFlow/CUDA chatter, no Keras progress bars."""

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gan_style"

SCRIPT = """
import numpy as np
import gan_style
from gan_style.qc.pipeline import QCPipeline

digits = np.full((2, 28, 28, 1), -1.0, np.float32)
digits[:, 6:22, 12:16] = 1.0  # two strokes, a '1'
result = QCPipeline.from_pretrained("digits").run(digits)
assert result.abnormal.shape == (2,), result.abnormal.shape
"""


def test_library_run_prints_nothing():
    """`import gan_style`, load the digit pipeline and run it on 2 digits, with the user's
    environment as it comes (no TF_CPP_MIN_LOG_LEVEL): stdout and stderr stay empty (no oneDNN,
    CPU-feature, CUDA or absl lines; no Keras progress bar from the internal predict calls)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


def test_a_users_log_level_is_kept():
    """A TF_CPP_MIN_LOG_LEVEL the user set is left alone, and then no import hook is installed."""
    code = ("import os, sys, gan_style\n"
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], "
            "any(type(f).__name__ == '_QuietTensorFlowImport' for f in sys.meta_path))\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout.split() == ["1", "False"], result.stderr


def test_the_import_hook_is_one_shot_and_keeps_the_real_loader():
    """Without a user setting: level 3, the hook is gone after `import tensorflow`, and the
    module carries TensorFlow's own loader (nothing of the hook is left behind)."""
    code = ("import os, sys, gan_style\n"
            "import tensorflow as tf\n"
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], "
            "any(type(f).__name__ == '_QuietTensorFlowImport' for f in sys.meta_path), "
            "type(tf.__loader__).__name__, type(tf.__spec__.loader).__name__)\n")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.split() == ["3", "False", "SourceFileLoader", "SourceFileLoader"], result.stderr
    assert result.stderr == ""


def test_every_predict_call_in_the_package_is_silent():
    """Keras' `predict` prints a progress bar unless `verbose=0`: every call in the package says so."""
    loud = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("predict", "evaluate") and node.args):
                verbose = next((k.value for k in node.keywords if k.arg == "verbose"), None)
                if not (isinstance(verbose, ast.Constant) and verbose.value == 0):
                    loud.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert loud == []
