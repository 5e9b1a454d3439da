"""Process-level set-up shared by the CLIs: quiet TensorFlow import, threads, precision, strategy."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null (C++ start-up chatter of TF ignores its own log level)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # pytest capture, notebooks
        yield
        return
    saved = os.dup(fd)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def quiet_tensorflow(init_devices: bool = True) -> None:
    """Import TensorFlow with its start-up logs (oneDNN, CPU features, missing CUDA) silenced.

    Those lines come from C++ at import and at device initialisation and ignore
    TF_CPP_MIN_LOG_LEVEL, so stderr is closed for both. Pass `init_devices=False` to configure
    logical devices afterwards. Idempotent.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_silenced():
        import tensorflow as tf

        if init_devices:
            tf.config.list_logical_devices()
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)


def configure(threads: int | None = None, precision: str = "float32") -> None:
    """Set intra/inter-op threads (None: TF's default) and the Keras dtype policy.

    precision: "float32", "mixed_bfloat16" (CPUs with AMX/AVX512-BF16, TPUs, GPUs) or
    "mixed_float16" (GPUs; the trainers wrap optimizers in a LossScaleOptimizer).
    """
    import keras
    import tensorflow as tf

    if precision not in ("float32", "mixed_bfloat16", "mixed_float16"):
        raise ValueError(f"precision must be float32, mixed_bfloat16 or mixed_float16, got {precision!r}")
    if threads:
        with contextlib.suppress(RuntimeError):  # already initialised: keep what is set
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
    keras.mixed_precision.set_global_policy(precision)


def get_strategy(name: str = "default"):
    """A tf.distribute strategy by name: "default" (one device), "mirrored", "multiworker"."""
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"strategy must be default, mirrored or multiworker, got {name!r}")
