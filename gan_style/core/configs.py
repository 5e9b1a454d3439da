"""What the trainers' hyperparameter dataclasses share: the dict written into a manifest and the
config read back from one. Light (no TensorFlow or Keras), like the configs that use it."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

REMOVED_AFTER = "3695294"  # the last commit with the experiment-only options (experiments/README.md)


class ManifestConfig:
    """Mixin for a trainer's config dataclass: `to_dict` for the manifest, `from_dict` back.

    `REMOVED` maps each option removed since `REMOVED_AFTER` to its off value: a manifest that
    holds it at that value loads (the run did without it); one that switched it on is refused."""

    REMOVED: ClassVar[dict] = {}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):
        """The config recorded in a manifest. Options removed since the run (`REMOVED`, e.g.
        `backbone`) are dropped when they hold their off value, and refused (ValueError) when they
        were switched on: today's code cannot rebuild that run. Absent fields take today's
        defaults, and JSON lists of tuple fields become tuples again."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for name, value in values.items():
            if name in fields:
                continue
            if name not in cls.REMOVED:
                raise ValueError(f"{cls.__name__} has no option {name!r} (got {name}={value!r})")
            if value != cls.REMOVED[name]:
                raise ValueError(f"{cls.__name__}: {name}={value!r} was switched on, but the option was removed "
                                 f"after commit {REMOVED_AFTER} (off value {cls.REMOVED[name]!r})")
        kept = {k: v for k, v in values.items() if k in fields}
        for name, value in kept.items():
            if isinstance(value, list) and str(fields[name].type).startswith("tuple"):
                kept[name] = tuple(value)
        return cls(**kept)
