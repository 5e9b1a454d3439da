"""Test set-up: quiet TF, two logical CPU devices (for the MirroredStrategy test), fixed seeds,
and the `slow` marker opt-in: plain `pytest` skips slow tests unless `--slow`, `GAN_STYLE_SLOW=1`
or a `-m` expression naming `slow`; `make test` passes `--slow` (every test runs)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from gan_style.core import runtime  # noqa: E402

runtime.quiet_tensorflow(init_devices=False)

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy("float32")
    yield


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the tests marked slow (as make test does; or GAN_STYLE_SLOW=1)")


def slow_enabled(config) -> bool:
    """Slow tests run with --slow, GAN_STYLE_SLOW=1, or when `-m` names the marker."""
    return (config.getoption("--slow") or os.environ.get("GAN_STYLE_SLOW", "") not in ("", "0")
            or "slow" in (config.getoption("-m") or ""))


def pytest_collection_modifyitems(config, items):
    if slow_enabled(config):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow or GAN_STYLE_SLOW=1 (make test does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
