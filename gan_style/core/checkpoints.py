"""Shipped checkpoints: find them, write their MANIFEST.json, verify sha256, load models.

Layout: `checkpoints/<name>/` with model files (`.keras`) and `MANIFEST.json`:
{"name", "command", "data_source", "seed", "steps", "epochs", "wall_time_s", "config",
 "metrics", "schema_version", "git_commit", "dirty", "versions", "files": {filename: sha256}}. The root is
`$GAN_STYLE_CHECKPOINTS` if set, else the repository's `checkpoints/` folder.

The folder and manifest logic lives in `gan_style.core.manifests` (core, imports no model); this module
adds what loading any shipped model needs: the registrations of every model's custom layers (the
one import from core into the stages, function-level; .importlinter).
Models never import this module.
"""

from __future__ import annotations

import os

from gan_style.core import manifests
from gan_style.core.manifests import (  # noqa: F401 - the checkpoint API, used as checkpoints.<name>
    MANIFEST,
    CheckpointError,
    float32_model,
    path,
    provenance,
    read_manifest,
    rehash,
    resolve,
    root,
    save_model,
    sha256,
    update_manifest,
    verify,
    write_manifest,
)


def load_model(name_or_dir: str | os.PathLike, file: str):
    """Verify the checkpoint (`file` must be listed in its manifest), then load a private copy of
    `file`, hashed as it is copied, with `keras.saving.load_model(safe_mode=True)`: what is loaded
    is exactly the bytes that matched, and a `.keras` carrying code (a Lambda layer) is refused.
    Any failure is a one-line `CheckpointError`."""
    # The modules that define custom layers register them on import; the loader needs them. Imported
    # here, not at the top: they import TensorFlow, and the CLIs import this module before parsing.
    import gan_style.gan.generator  # noqa: F401
    import gan_style.qc.repair_unet  # noqa: F401
    import gan_style.style.fusion_generator  # noqa: F401

    return manifests.load_model(name_or_dir, file)
