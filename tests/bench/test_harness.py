"""The bench measures a command's own peak memory, not the bench process's (bench/harness.py)."""

import sys
import tempfile

import numpy as np

from bench.harness import peak_of_command


def test_a_child_peak_is_its_own_not_its_parents():
    held = np.ones(600 * 2**20 // 8)  # this process: 600 MiB resident
    with tempfile.TemporaryFile("w+") as stderr:
        idle = peak_of_command([sys.executable, "-c", "pass"], stderr)
        busy = peak_of_command([sys.executable, "-c", "import numpy; numpy.ones(300 * 2**20 // 8)"], stderr)
        failed = peak_of_command([sys.executable, "-c", "raise SystemExit(3)"], stderr)
    assert held.sum() > 0
    assert idle["exit"] == busy["exit"] == 0 and failed["exit"] == 3
    assert idle["maxrss_kib"] < 100 * 1024  # a bare interpreter: ~10-30 MiB (a direct child read 600+)
    assert busy["maxrss_kib"] > 300 * 1024  # its own 300 MiB array counts
