"""What the trainers' hyperparameter dataclasses share: the dict written into a manifest and the
config read back from one. Light (no TensorFlow or Keras), like the configs that use it."""

from __future__ import annotations

import dataclasses


class ManifestConfig:
    """Mixin for a trainer's config dataclass: `to_dict` for the manifest, `from_dict` back."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):
        """The config recorded in a manifest. Keys that are no longer fields (options removed since
        the run, e.g. `backbone`) are dropped, absent fields take today's defaults, and JSON lists
        of tuple fields become tuples again."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kept = {k: v for k, v in values.items() if k in fields}
        for name, value in kept.items():
            if isinstance(value, list) and str(fields[name].type).startswith("tuple"):
                kept[name] = tuple(value)
        return cls(**kept)
