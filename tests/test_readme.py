"""README.md as a new user meets it: every ```python block runs as written, every picture exists.

Each block runs on its own (a fresh namespace) in a temporary folder, with the shipped checkpoints;
```bash blocks are not run. A block that fails names itself by its first line.
"""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PICTURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_has_python_blocks():
    assert len(python_blocks()) >= 3


def test_readme_pictures_exist():
    pictures = PICTURE.findall(README.read_text(encoding="utf-8"))
    assert pictures, "README.md shows no picture"
    for link in pictures:
        path = README.parent / link
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link


@pytest.mark.slow
@pytest.mark.parametrize("code", python_blocks(), ids=lambda code: code.splitlines()[0][:40])
def test_readme_block_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md python block: {code.splitlines()[0]}", "exec"), {"__name__": "__readme__"})
