"""Quality control at scale: the repair job (`python -m gan_style.repair`) as an Apache Beam
pipeline, `python -m gan_style.scale INPUT_GLOB... --out DIR [--runner ...]` (docs/scale.md).

Needs the optional extra, `pip install 'gan-style[beam]'`; the rest of the package never imports
Beam. `RepairImages`, `QCModelHandler`, `Settings` and `run` are those of `gan_style.scale.beam`,
imported when first used.
"""

from __future__ import annotations

__all__ = ["QCModelHandler", "RepairImages", "Settings", "run"]


def __getattr__(name: str):
    if name in __all__:
        from gan_style.scale import beam

        return getattr(beam, name)
    raise AttributeError(f"module 'gan_style.scale' has no attribute {name!r}")
