"""The slow-test opt-in of tests/conftest.py: skipped unless --slow, GAN_STYLE_SLOW=1 or -m slow."""

import pytest

from tests import conftest


class Config:
    def __init__(self, slow=False, markexpr=""):
        self.options = {"--slow": slow, "-m": markexpr}

    def getoption(self, name):
        return self.options[name]


class Item:
    def __init__(self, *marks):
        self.keywords = set(marks)
        self.added = []

    def add_marker(self, marker):
        self.added.append(marker)


@pytest.mark.parametrize(("config", "env", "enabled"), [
    (Config(), "", False),
    (Config(), "0", False),
    (Config(slow=True), "", True),  # make test
    (Config(), "1", True),
    (Config(markexpr="slow"), "", True),
    (Config(markexpr="not slow"), "", True),  # the marker expression decides itself
])
def test_slow_enabled(config, env, enabled, monkeypatch):
    monkeypatch.setenv("GAN_STYLE_SLOW", env)
    assert conftest.slow_enabled(config) is enabled


def test_only_slow_items_are_skipped_by_default(monkeypatch):
    monkeypatch.delenv("GAN_STYLE_SLOW", raising=False)
    slow, fast = Item("slow"), Item()
    conftest.pytest_collection_modifyitems(Config(), [slow, fast])
    assert [m.name for m in slow.added] == ["skip"] and fast.added == []
    slow = Item("slow")
    conftest.pytest_collection_modifyitems(Config(slow=True), [slow])
    assert slow.added == []


def test_make_test_runs_the_slow_tests():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "pytest -q --slow" in recipe
