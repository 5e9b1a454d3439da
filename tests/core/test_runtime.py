import os

import keras
import pytest

from gan_style.core import runtime

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx2 fma
processor\t: 1
flags\t\t: fpu sse2 avx2 fma avx512f
"""


def test_cpu_flags_reads_the_first_flags_line():
    assert runtime.cpu_flags(CPUINFO) == {"fpu", "sse2", "avx2", "fma"}
    assert runtime.cpu_flags("model name : no flags here") == set()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"avx2", "fma"}, "float32"),  # bf16 would be emulated: 10-12x slower (bench)
        ({"avx2", "avx512f"}, "float32"),
        ({"avx512f", "avx512_bf16"}, "mixed_bfloat16"),
        ({"amx_tile", "amx_bf16"}, "mixed_bfloat16"),
        (set(), "float32"),
    ],
)
def test_precision_on_cpus(flags, expected):
    assert runtime.precision_for(flags) == expected


@pytest.mark.parametrize(
    ("capability", "expected"),
    [((9, 0), "mixed_bfloat16"), ((8, 0), "mixed_bfloat16"), ((7, 5), "mixed_float16"), ((6, 1), "float32")],
)
def test_precision_on_gpus_ignores_cpu_flags(capability, expected):
    assert runtime.precision_for({"avx2"}, capability) == expected
    assert runtime.precision_for({"avx512_bf16"}, capability) == expected


def test_configure_auto_sets_and_returns_this_machines_policy():
    try:
        chosen = runtime.configure(precision="auto")
        assert chosen == runtime.auto_precision()
        assert keras.mixed_precision.global_policy().name == chosen
        assert runtime.configure(precision="float32") == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    with pytest.raises(ValueError, match="got 'bf16'"):
        runtime.configure(precision="bf16")


def test_vector_unit_is_the_widest_one():
    assert runtime.vector_unit({"avx2", "avx512f", "avx512_bf16"}) == "AVX512-BF16"
    assert runtime.vector_unit({"sse2"}) is None


def test_cpu_name_names_the_widest_unit():
    cores = os.cpu_count()
    assert runtime.cpu_name({"avx2", "fma"}) == f"CPU ({cores} cores, AVX2)"
    assert runtime.cpu_name({"avx2", "avx512f", "amx_bf16"}) == f"CPU ({cores} cores, AMX-BF16)"
    assert runtime.cpu_name(set()) == f"CPU ({cores} cores)"


def test_device_name_is_this_cpu_without_a_gpu():
    if runtime.gpu_details() is None:
        assert runtime.device_name() == runtime.cpu_name(runtime.cpu_flags())
    else:
        assert not runtime.device_name().startswith("CPU (")


@pytest.mark.parametrize(("environment", "config", "expected"), [
    ({}, None, "tensorflow"),
    ({}, {"backend": "jax"}, "jax"),
    ({"KERAS_BACKEND": "torch"}, {"backend": "jax"}, "torch"),
    ({}, "not json", "tensorflow"),
])
def test_keras_backend_is_read_as_keras_reads_it(tmp_path, environment, config, expected):
    """Without importing Keras: $KERAS_BACKEND, else keras.json under $KERAS_HOME, else TensorFlow
    (so quiet_tensorflow imports TensorFlow only where Keras will run on it)."""
    import json
    import subprocess
    import sys

    if config is not None:
        (tmp_path / "keras.json").write_text(config if isinstance(config, str) else json.dumps(config))
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.update(KERAS_HOME=str(tmp_path), **environment)
    code = ("import sys\nfrom gan_style.core.runtime import keras_backend\n"
            "print(keras_backend(), 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout.split() == [expected, "False"], result.stderr
