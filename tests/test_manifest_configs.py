"""Each shipped checkpoint's manifest config is what today's config defaults plus the flags of its
Makefile training line give, built with the train CLI's own parser (`train.parse_config`); a field
the manifest never recorded (it reads back as today's default) must be in `UNRECORDED` with what
the run did instead."""

import re
import shlex
from pathlib import Path

import pytest

from gan_style import train
from gan_style.core import checkpoints
from gan_style.core.runtime import PRECISIONS

ROOT = Path(__file__).resolve().parents[1]


def makefile_variables(text: str) -> dict[str, str]:
    """NAME := value (also =, ?=) of a Makefile whose continuation lines are joined."""
    return {m[1]: m[2].strip() for m in re.finditer(r"^([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=(.*)$", text, re.M)}


def expand(value: str, variables: dict[str, str]) -> str:
    """$(NAME) replaced by its value, recursively; undefined names are empty (as in make)."""
    for _ in range(10):
        expanded = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: variables.get(m[1], ""), value)
        if expanded == value:
            return expanded
        value = expanded
    raise ValueError(f"Makefile variables nest too deep in {value!r}")


def training_lines(makefile: Path = ROOT / "Makefile") -> dict[str, list[str]]:
    """{checkpoint name: the train CLI's argv} for every `-m gan_style.train ... --out
    checkpoints/<name>` line of the Makefile, Make variables expanded. A checkpoint written by
    `quality-average --out checkpoints/<name> FIRST SECOND` carries SECOND's recipe: SECOND's line."""
    text = makefile.read_text().replace("\\\n", " ")
    variables = makefile_variables(text)
    by_out = {}
    for line in text.splitlines():
        if "-m gan_style.train " not in line:
            continue
        argv = shlex.split(expand(line, variables).split("-m gan_style.train ", 1)[1])
        by_out[argv[argv.index("--out") + 1]] = argv
    lines = {}
    for out, argv in by_out.items():
        if out.startswith("checkpoints/"):
            lines[out.removeprefix("checkpoints/")] = by_out[argv[-1]] if argv[0] == "quality-average" else argv
    return lines


def test_the_makefile_parser_expands_variables(tmp_path):
    makefile = tmp_path / "Makefile"
    makefile.write_text("A := --steps 5 \\\n  $(B)\nB = --width 3\nt:\n"
                        "\t$(PY) -m gan_style.train repair --out checkpoints/r --init $(C) $(A) $(UNSET)\n")
    assert training_lines(makefile) == {"r": ["repair", "--out", "checkpoints/r", "--init", "--steps", "5",
                                              "--width", "3"]}


def test_an_averaged_checkpoint_takes_the_recipe_of_its_second_parent(tmp_path):
    makefile = tmp_path / "Makefile"
    makefile.write_text("t:\n\t$(PY) -m gan_style.train quality --out runs/a --steps 5\n"
                        "\t$(PY) -m gan_style.train quality --out runs/b --init runs/a --steps 7\n"
                        "\t$(PY) -m gan_style.train quality-average --out checkpoints/q runs/a runs/b\n")
    assert training_lines(makefile) == {"q": ["quality", "--out", "runs/b", "--init", "runs/a", "--steps", "7"]}


SHIPPED = sorted(p.parent.name for p in (ROOT / "checkpoints").glob("*/MANIFEST.json"))


def test_every_shipped_checkpoint_has_a_makefile_training_line():
    assert SHIPPED and set(SHIPPED) <= set(training_lines())


# {checkpoint: {field its manifest lacks: why today's default is what the run did}}. The repair runs
# (8d314dc, 2026-11-24) predate these options; repair_rgb's config was rewritten whole when it was
# re-saved on the biharmonic fill (scripts/refill_repairer.py).
UNRECORDED = {
    "quality_digits": {
        "style_sources": "'': the styles of stylised RGB crops; digits train on MNIST, never stylised",
    },
    "repair_digits": {
        "norm": "l1: the only norm of the hole/valid terms before the option existed",
        "vary": "False: turns, channel orders and intensity maps are RGB only",
        "pictures": "bundled: digits train on MNIST, the option is for RGB pictures",
        "intact_share": "0.3: 30% of the training holes were free-form strokes (repair_masks' choice >= 0.7)",
        "fill": "laplace: the only coarse fill then; the biharmonic one is RGB's (2026-12-07)",
    },
}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_manifest_records_every_field_or_says_why_not(name):
    _, expected = train.parse_config(training_lines()[name])
    raw = checkpoints.read_manifest(ROOT / "checkpoints" / name)["config"]
    missing = set(expected.to_dict()) - set(raw)
    assert missing == set(UNRECORDED.get(name, {})), f"{name}: unrecorded fields {sorted(missing)}"
    assert all(reason.strip() for reason in UNRECORDED.get(name, {}).values())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_manifest_config_is_what_the_makefile_gives(name):
    _, expected = train.parse_config(training_lines()[name])
    recorded = type(expected).from_dict(checkpoints.read_manifest(ROOT / "checkpoints" / name)["config"])
    differences = {}
    for field, want in expected.to_dict().items():
        got = getattr(recorded, field)
        if field == "precision" and want == "auto":  # the manifest records what auto resolved to
            if got not in PRECISIONS or got == "auto":
                differences[field] = (got, "float32 | mixed_bfloat16 | mixed_float16")
        elif got != want:
            differences[field] = (got, want)
    assert not differences, f"{name}: manifest vs Makefile {differences}"
