"""Checkpoint folders and their MANIFEST.json: find them, write manifests, verify sha256, load a
verified `.keras` file.

Layout: `checkpoints/<name>/` with model files (`.keras`, float32 layers) and `MANIFEST.json`:
{"name", "command", "data_source", "seed", "steps", "epochs", "wall_time_s", "config",
 "metrics", "schema_version", "git_commit", "dirty", "versions", "files": {filename: sha256}}.
Schema 2 added `schema_version`, `git_commit` and `versions` (the commit and the
python/tensorflow/keras/numpy versions that wrote it), schema 3 `dirty` (tracked files differed
from that commit); a manifest without `schema_version` is schema 1. The root is `$GAN_STYLE_CHECKPOINTS` if set, else
the repository's `checkpoints/` folder.

Core: imports no model, so a model module may load its own shipped weights with it
(`FusionGenerator.from_pretrained`). `gan_style.core.checkpoints` is the module to use elsewhere: its
`load_model` first imports every module that registers custom layers, so any shipped model loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path

from gan_style.core.io import atomic_path, sha256_file, write_text

MANIFEST = "MANIFEST.json"
SCHEMA_VERSION = 3
REPOSITORY = Path(__file__).resolve().parents[2]


class CheckpointError(RuntimeError):
    """A checkpoint is missing, incomplete or does not match its manifest."""


def root() -> Path:
    """Folder holding the shipped checkpoints."""
    return Path(os.environ.get("GAN_STYLE_CHECKPOINTS", REPOSITORY / "checkpoints"))


def path(name: str) -> Path:
    return root() / name


sha256 = sha256_file  # hex sha256 of a file's bytes


def float32_model(model):
    """`model` with every layer computing in float32: the model itself when it already does, else a
    clone from its config with each mixed policy (e.g. `mixed_bfloat16`) replaced by float32,
    holding the same weights (mixed precision keeps its variables in float32, so they are exact)."""
    import keras  # TensorFlow: imported when a model is saved, not with this module

    if all(layer.dtype_policy.name == "float32" for layer in all_layers(model)):
        return model
    config = _float32_config(keras.saving.serialize_keras_object(model))
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")  # layers whose config names no policy
    try:
        clone = keras.saving.deserialize_keras_object(config)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    clone.set_weights(model.get_weights())
    return clone


def all_layers(model):
    """Every layer of `model`, those of nested models included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from all_layers(layer)


def _float32_config(value):
    """A serialized model with every mixed dtype policy (a layer's "dtype": "mixed_..." or a
    DTypePolicy object naming one) made float32, nested configs included."""
    if isinstance(value, list):
        return [_float32_config(v) for v in value]
    if not isinstance(value, dict):
        return value
    if str(value.get("class_name", "")).endswith("DTypePolicy"):
        name = value.get("config", {}).get("name", "")
        return {**value, "config": {**value["config"], "name": "float32"}} if name.startswith("mixed_") else value
    out = {k: _float32_config(v) for k, v in value.items()}
    if isinstance(out.get("dtype"), str) and out["dtype"].startswith("mixed_"):
        out["dtype"] = "float32"
    return out


def save_model(model, file: str | os.PathLike) -> Path:
    """Save `model` (architecture + weights, no optimizer state) to `file` atomically, as float32
    (`float32_model`) whatever precision trained it.

    A compiled model is rebuilt from its config first (uncompiled: `clone_model` would copy the
    optimizer), so the optimizer's slots do not triple the file size.
    """
    if getattr(model, "optimizer", None) is not None:
        clean = type(model).from_config(model.get_config())
        clean.set_weights(model.get_weights())
        model = clean
    model = float32_model(model)
    file = Path(file)
    with atomic_path(file, mode=0o644) as tmp:
        model.save(tmp)
    return file


def git_state() -> dict:
    """{"commit": this repository's HEAD, "dirty": whether a tracked file differs from it (`git
    status --porcelain --untracked-files=no`)}, both None unless this package runs from its own git
    checkout: git is trusted only when `git rev-parse --show-toplevel` is `REPOSITORY` (an installed
    copy inside another repository, or no git, is not this repository's commit)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPOSITORY), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != REPOSITORY:
            return {"commit": None, "dirty": None}
        return {"commit": git("rev-parse", "HEAD") or None,
                "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def measured(names: tuple[str, ...] | list[str]) -> dict:
    """What a result file measured: {"commit", "uncommitted_changes" (`git_state`), "checkpoints":
    {name or folder: {file: sha256 of the file on disk}}}; a checkpoint that cannot be read is
    recorded as {"error": one line}, not raised (a result stays writable)."""
    state = git_state()
    shas = {}
    for name in names:
        try:
            directory = resolve(name)
            shas[str(name)] = {file: sha256(directory / file) for file in read_manifest(directory)["files"]}
        except (CheckpointError, OSError) as exc:
            shas[str(name)] = {"error": str(exc).splitlines()[0]}
    return {"commit": state["commit"], "uncommitted_changes": state["dirty"], "checkpoints": shas}


def provenance() -> dict:
    """What wrote a manifest: {"schema_version", "git_commit" (of this repository; "unknown" outside
    its git checkout), "dirty" (tracked files had uncommitted changes; None when the commit is
    unknown), "versions": {python, tensorflow, keras, numpy}} (`git_state`)."""
    state = git_state()
    commit = state["commit"] or "unknown"
    versions = {"python": platform.python_version()}
    for package in ("tensorflow", "keras", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return {"schema_version": SCHEMA_VERSION, "git_commit": commit, "dirty": state["dirty"], "versions": versions}


def write_manifest(directory: str | os.PathLike, files: list[str], **fields) -> dict:
    """Write MANIFEST.json with `fields`, the provenance (`provenance()`) and the sha256 of each of
    `files` (names in `directory`)."""
    directory = Path(directory)
    manifest = {"name": directory.name, **fields, **provenance(),
                "files": {f: sha256(directory / f) for f in files}}
    write_text(directory / MANIFEST, json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest


def rehash(directory: str | os.PathLike, files: list[str], **record) -> dict:
    """Refresh the sha256 of `files` in an existing MANIFEST.json after they were rewritten in
    place (e.g. re-exported as float32), keeping every other field, and append `record` with this
    provenance to its "changes" list. Returns the manifest."""
    directory, manifest, listed = _opened(directory, files)
    change = {**record, "files": {f: {"before": listed[f], "after": sha256(directory / f)} for f in files}}
    manifest["files"] = {**listed, **{f: change["files"][f]["after"] for f in files}}
    return _with_change(directory, manifest, change)


def update_manifest(name_or_dir: str | os.PathLike, fields: dict, **record) -> dict:
    """Set `fields` (top-level keys) in an existing MANIFEST.json, keeping every other field and
    the files' sha256, and append `record` with the names set and this provenance to its "changes"
    list (as `rehash` does). Returns the manifest."""
    directory = resolve(name_or_dir)
    manifest = read_manifest(directory)
    if "files" in fields:
        raise CheckpointError(f"update_manifest cannot set files in {directory / MANIFEST}: use rehash")
    manifest.update(fields)
    return _with_change(directory, manifest, {**record, "fields": sorted(fields)})


def _with_change(directory: Path, manifest: dict, change: dict) -> dict:
    """Append `change` with this provenance to the manifest's "changes" list and write it, "files"
    kept last. Returns the manifest."""
    manifest["changes"] = [*manifest.get("changes", []), {**change, **provenance()}]
    if "files" in manifest:
        manifest["files"] = manifest.pop("files")
    write_text(directory / MANIFEST, json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest


def read_manifest(name_or_dir: str | os.PathLike) -> dict:
    directory = resolve(name_or_dir)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {directory} (run the Makefile target that trains it)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{directory / MANIFEST} is unreadable ({str(exc).splitlines()[0]})") from None
    if not isinstance(manifest, dict):
        raise CheckpointError(f"{directory / MANIFEST} is not a JSON object")
    return manifest


def _listed_files(directory: Path, manifest: dict) -> dict[str, str]:
    """The manifest's {file: sha256}, checked to be non-empty, plain names in `directory` and
    64-hex-digit digests."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise CheckpointError(f"{directory / MANIFEST} lists no files: nothing can be verified")
    for file, digest in files.items():
        if not isinstance(file, str) or Path(file).name != file or file in ("", ".", ".."):
            raise CheckpointError(f"{directory / MANIFEST} lists {file!r}, which is not a file name in {directory}")
        if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise CheckpointError(f"{directory / MANIFEST} gives {file} no valid sha256")
    return files


def _opened(name_or_dir, require, refusal: str = "") -> tuple[Path, dict, dict[str, str]]:
    """(folder, manifest, its checked {file: sha256}), each of `require` listed in it, else a
    CheckpointError naming the file (+ `refusal`)."""
    directory = resolve(name_or_dir)
    manifest = read_manifest(directory)
    files = _listed_files(directory, manifest)
    for file in require:
        if file not in files:
            raise CheckpointError(f"{directory / file} is not listed in {MANIFEST}{refusal}")
    return directory, manifest, files


def verify(name_or_dir: str | os.PathLike, require: tuple[str, ...] = ()) -> dict:
    """Check every file the manifest lists against its sha256, and that each of `require` is
    listed; returns the manifest. A manifest that lists no files verifies nothing and is refused."""
    directory, manifest, files = _opened(name_or_dir, require, ": refusing to load it")
    for file, digest in files.items():
        if not (directory / file).is_file():
            raise CheckpointError(f"{directory / file} is missing")
        if sha256(directory / file) != digest:
            raise CheckpointError(f"{directory / file} does not match its sha256 in {MANIFEST}")
    return manifest


def load_model(name_or_dir: str | os.PathLike, file: str):
    """Verify the checkpoint (`file` must be listed in its manifest), then load a private copy of
    `file`, hashed as it is copied, with `keras.saving.load_model(safe_mode=True)`: what is loaded
    is exactly the bytes that matched, and a `.keras` carrying code (a Lambda layer) is refused.
    Any failure is a one-line `CheckpointError`. The custom layers in `file` must be registered
    (their modules imported): `checkpoints.load_model` does that for every shipped model."""
    import keras  # TensorFlow: imported when a model is loaded, not with this module

    directory = resolve(name_or_dir)
    manifest = verify(directory, require=(file,))
    with tempfile.TemporaryDirectory(prefix="gan_style_checkpoint_") as private:
        copy = Path(private) / Path(file).name
        digest = hashlib.sha256()
        with open(directory / file, "rb") as source, open(copy, "wb") as target:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
                target.write(block)
        if digest.hexdigest() != manifest["files"][file]:
            raise CheckpointError(f"{directory / file} changed while it was loaded")
        try:
            return keras.saving.load_model(copy, compile=False, safe_mode=True)
        except Exception as exc:  # noqa: BLE001 - any loader failure is one line naming the file
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(f"{directory / file} cannot be loaded safely ({reason})") from None


def resolve(name_or_dir: str | Path) -> Path:
    """A checkpoint folder from a shipped name ("quality_rgb": `path`) or a folder path."""
    candidate = Path(name_or_dir)
    return candidate if candidate.is_dir() or os.sep in str(name_or_dir) else path(str(name_or_dir))
