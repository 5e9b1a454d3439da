"""A small timing harness: warm-up excluded, medians over repeats, peak RSS in a fresh process."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def time_call(fn: Callable[[], object], repeats: int = 5, warmup: int = 2, inner: int = 1) -> dict:
    """Median seconds per call of `fn` (each repeat runs it `inner` times); warm-up calls excluded."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    return {"median_s": statistics.median(samples), "min_s": min(samples), "repeats": repeats, "inner": inner}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024.0


def measure_memory(fn: Callable[[], object]) -> dict:
    """Peak memory of the first call of `fn` above what the process held before it, in MiB.

    Start-up (TensorFlow's import alone peaks near 1.6 GiB) would hide the work's own peak, so the
    kernel's high-water mark is reset (/proc/self/clear_refs, Linux) just before the call:
    `above_baseline_mb` = the peak during the call - the resident size before it. Call this before
    any warm-up (allocators keep what a first call took); it includes tracing, constant in size.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        baseline = _status_mb("VmRSS")
        fn()
        peak = _status_mb("VmHWM")
        return {"peak_rss_mb": peak, "above_baseline_mb": max(0.0, peak - baseline)}
    except OSError:  # not Linux, or not allowed: the whole-process peak is all there is
        fn()
        return {"peak_rss_mb": peak_rss_mb(), "above_baseline_mb": None}


# Another process's peak RSS. Linux starts a forked child's maxrss (wait4, RUSAGE_CHILDREN,
# /usr/bin/time) at its parent's resident size, kept across exec: a child of a process that holds
# TensorFlow (or the 13.5 GB bench) reports at least that. Two ways around it, for two cases:
# - a command we run and cannot change: `peak_of_command`, its maxrss through a small launcher
#   process as its parent (a few MB of parent, not ours);
# - a process tree we watch while it lives (Beam workers): `process_peak_mb`, the kernel's
#   high-water mark of a live process (VmHWM), which starts at the process's own exec.
_LAUNCHER = ("import json, os, subprocess, sys\n"
             "process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
             "_, status, usage = os.wait4(process.pid, 0)\n"
             "print(json.dumps({'exit': os.waitstatus_to_exitcode(status), 'maxrss_kib': usage.ru_maxrss}))")


def peak_of_command(command: list[str], stderr, env: dict | None = None) -> dict:
    """Run `command` (its stdout dropped, its stderr to the file `stderr`) as the child of a small
    launcher process; -> {"exit": its exit status, "maxrss_kib": its peak RSS}, not inflated by
    this process's size."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], stdout=subprocess.PIPE, stderr=stderr,
                          env=env, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def process_peak_mb(pid: int) -> float:
    """The kernel's peak RSS (VmHWM) of a live process, in MiB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            return next((int(line.split()[1]) / 1024.0 for line in handle if line.startswith("VmHWM:")), 0.0)
    except OSError:
        return 0.0


def run_isolated(module: str, args: dict, timeout: int = 600) -> dict:
    """Run `python -m module '<json args>'` in a fresh process; it prints one JSON line last."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-m", module, json.dumps(args)], capture_output=True, text=True, timeout=timeout, env=env
    )
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> dict:
    """What this run ran on: host, CPU model, count and widest vector unit (AVX2 / AVX512 / native
    bf16 change the timings several-fold), accelerator if any, library versions."""
    import keras
    import tensorflow as tf

    from gan_style.core import runtime

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = (runtime.gpu_details() or {}).get("device_name")
    unit = runtime.vector_unit()
    return {
        "name": f"gpu-{gpu}" if gpu else f"cpu{os.cpu_count()}" + (f"-{unit.lower()}" if unit else ""),
        "cpu": cpu, "cores": os.cpu_count(), "gpu": gpu, "vector_unit": unit,
        "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
    }
