"""gan-style: GAN-based image style transfer with anomaly detection and correction.

Keras 3 on TensorFlow. Importing this package does no work: models, data and checkpoints are
loaded by the functions that need them.

A library call prints no TensorFlow or CUDA start-up chatter (oneDNN, CPU features, "could not
find cuda drivers", cuInit): where the user has not set `TF_CPP_MIN_LOG_LEVEL` and TensorFlow is
not imported yet, this sets it to 3 and the first `import tensorflow` (by this package or anyone)
runs with file descriptor 2 closed, as the CLIs' `core.runtime.quiet_tensorflow` does (TensorFlow
2.21 writes some of those lines at import whatever the level). Set `TF_CPP_MIN_LOG_LEVEL` to any
value to keep TensorFlow's own logging.
"""

import os
import sys

__version__ = "0.1.0"


class _QuietTensorFlowImport:
    """A one-shot `sys.meta_path` finder: the first import of `tensorflow` is executed with stderr
    (fd 2) sent to /dev/null; the finder removes itself at once. Import errors still raise."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)  # the other finders'
        if spec is not None and spec.loader is not None:
            spec.loader = _SilencedLoader(spec.loader)
        return spec


class _SilencedLoader:
    """Runs the real loader with fd 2 closed, then puts the real loader back on the module."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        from gan_style.core.runtime import _stderr_silenced

        module.__loader__ = module.__spec__.loader = self.loader
        with _stderr_silenced():
            self.loader.exec_module(module)


if "TF_CPP_MIN_LOG_LEVEL" not in os.environ and "tensorflow" not in sys.modules:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.meta_path.insert(0, _QuietTensorFlowImport())
