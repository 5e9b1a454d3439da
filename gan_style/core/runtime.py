"""Process-level set-up shared by the CLIs: quiet TensorFlow import, threads, precision, strategy."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


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


def keras_backend() -> str:
    """The backend Keras runs (or will run) on, without importing Keras: the imported Keras' own,
    else $KERAS_BACKEND, else the "backend" of Keras' config file ($KERAS_HOME or ~/.keras,
    keras.json), else "tensorflow"."""
    if "keras" in sys.modules and hasattr(sys.modules["keras"], "config"):
        return sys.modules["keras"].config.backend()
    if "KERAS_BACKEND" in os.environ:
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        import json

        return str(json.loads(config.read_text()).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def quiet_tensorflow(init_devices: bool = True) -> None:
    """Import TensorFlow with its start-up logs (oneDNN, CPU features, missing CUDA) silenced.

    Those lines come from C++ at import and at device initialisation and ignore
    TF_CPP_MIN_LOG_LEVEL, so stderr is closed for both. Pass `init_devices=False` to configure
    logical devices afterwards. Idempotent; nothing when Keras runs on another backend
    (`keras_backend`).
    """
    if keras_backend() != "tensorflow":
        return  # Keras runs on another backend (JAX on the GPU machine, where TensorFlow is absent)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_silenced():
        import tensorflow as tf

        if init_devices:
            tf.config.list_logical_devices()
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)


PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")  # native bf16 matrix instructions (oneDNN uses them)


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags (the first `flags` line of /proc/cpuinfo, or of `cpuinfo` text);
    empty where they cannot be read (not Linux)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    line = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def precision_for(flags: set[str], gpu_capability: tuple[int, int] | None = None) -> str:
    """The dtype policy that is fastest on a machine with these CPU flags and, if it has one, a
    first GPU of compute capability (major, minor), without losing accuracy.

    GPU: >= 8.0 "mixed_bfloat16", >= 7.0 "mixed_float16" (loss-scaled), else "float32". CPU:
    "mixed_bfloat16" only with native bf16 instructions (AMX-BF16 or AVX512-BF16); without them
    TensorFlow emulates bf16 and a DCGAN step runs 10-12x slower than in float32 (bench,
    AVX2-only EPYC), so "float32".
    """
    if gpu_capability is not None:
        if gpu_capability >= (8, 0):
            return "mixed_bfloat16"
        return "mixed_float16" if gpu_capability >= (7, 0) else "float32"
    return "mixed_bfloat16" if any(flag in flags for flag in BF16_CPU_FLAGS) else "float32"


def auto_precision() -> str:
    """`precision_for` this machine: its CPU flags and its first GPU, if any."""
    gpu = gpu_details()
    capability = None if gpu is None else tuple(gpu.get("compute_capability") or (0, 0))
    return precision_for(cpu_flags(), capability)


def gpu_details() -> dict | None:
    """The first GPU's "device_name" and "compute_capability" (major, minor) as Keras' backend
    (TensorFlow or JAX) sees it, or None."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if not gpus:
            return None
        capability = str(getattr(gpus[0], "compute_capability", "0.0")).split(".")
        return {"device_name": gpus[0].device_kind, "compute_capability": tuple(int(x) for x in capability[:2])}
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return tf.config.experimental.get_device_details(gpus[0]) if gpus else None


def vector_unit(flags: set[str] | None = None) -> str | None:
    """The CPU's widest vector or matrix unit by its flags (default: this CPU's): "AMX-BF16",
    "AVX512-BF16", "AVX512", "AVX2" or None. Timings differ several-fold between them."""
    flags = cpu_flags() if flags is None else flags
    units = (("amx_bf16", "AMX-BF16"), ("avx512_bf16", "AVX512-BF16"), ("avx512f", "AVX512"), ("avx2", "AVX2"))
    return next((name for flag, name in units if flag in flags), None)


def cpu_name(flags: set[str]) -> str:
    """A CPU with these flags, for manifests: e.g. "CPU (2 cores, AVX2)"."""
    unit = vector_unit(flags)
    return f"CPU ({os.cpu_count()} cores{', ' + unit if unit else ''})"


def device_name() -> str:
    """What trains here, for manifests: the first GPU's name, else `cpu_name` of this CPU."""
    gpu = gpu_details()
    return gpu.get("device_name", "GPU") if gpu is not None else cpu_name(cpu_flags())


def configure(threads: int | None = None, precision: str = "float32") -> str:
    """Set intra/inter-op threads (TensorFlow backend; None: TF's default) and the Keras dtype
    policy; returns the policy set.

    precision: "float32", "mixed_bfloat16" (CPUs with AMX/AVX512-BF16, TPUs, GPUs), "mixed_float16"
    (GPUs; the trainers wrap optimizers in a LossScaleOptimizer) or "auto" (`auto_precision()`).
    """
    import keras

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if threads and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with contextlib.suppress(RuntimeError):  # already initialised: keep what is set
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
    if precision == "auto":
        precision = auto_precision()
    keras.mixed_precision.set_global_policy(precision)
    return precision


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
