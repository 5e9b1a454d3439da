"""Every CLI's `--help`: the whole module docstring, each option's default, and no TensorFlow."""

import argparse
import configparser
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gan_style.core import cli

CLIS = ("train", "evaluate", "generate", "stylize", "repair", "scale", "demo")
SUBCOMMANDS = {"train": ("dcgan", "classifier", "quality", "quality-average", "style", "repair"),
               "evaluate": ("dcgan", "quality", "style")}
SETUP_CFG = Path(__file__).resolve().parents[1] / "setup.cfg"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

# fails the run at the first import of a heavy framework: --help must answer from argparse alone
BLOCK = ("import sys\n"
         "class Block:\n"
         "    def find_spec(self, name, path=None, target=None):\n"
         "        if name.split('.')[0] in ('tensorflow', 'keras', 'tensorflow_datasets', 'apache_beam'):\n"
         "            raise ImportError(name + ' imported before argument parsing')\n"
         "sys.meta_path.insert(0, Block())\n")


def module_of(verb: str):
    return importlib.import_module("gan_style.scale.__main__" if verb == "scale" else f"gan_style.{verb}")


def console_scripts() -> dict[str, str]:
    config = configparser.ConfigParser()
    config.read(SETUP_CFG)
    lines = config["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(tuple(part.strip() for part in line.split("=", 1)) for line in lines)


def words(text: str) -> str:
    return " ".join(text.split())


def run_blocked(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True, env=ENV, timeout=120)


def _cases():
    for verb in CLIS:
        yield pytest.param(f"gan_style.{verb}", ["--help"], verb, id=f"{verb}")
        for sub in SUBCOMMANDS.get(verb, ()):
            yield pytest.param(f"gan_style.{verb}", [sub, "--help"], verb, id=f"{verb}-{sub}")


@pytest.mark.parametrize(("module", "argv", "verb"), list(_cases()))
def test_help_gives_description_and_defaults_without_tensorflow(module, argv, verb):
    """`python -m gan_style.X [SUB] --help` (import hook: TensorFlow, Keras, TFDS and Beam cannot be
    imported) exits 0 with the module docstring whole and `(default: ...)` beside the options."""
    code = f"import runpy\nsys.argv = [{module!r}, *{argv!r}]\nrunpy.run_module({module!r}, run_name='__main__')\n"
    result = run_blocked(code)
    assert "imported before argument parsing" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m gan_style.{verb}")
    if argv == ["--help"]:
        assert words(module_of(verb).__doc__) in words(result.stdout)
    if verb not in SUBCOMMANDS or len(argv) == 2:  # the options live on the subcommands
        assert "(default: " in result.stdout


@pytest.mark.parametrize(("script", "target"), sorted(console_scripts().items()))
def test_console_script_help_without_tensorflow(script, target):
    """The console scripts' `main` answers --help the same way, TensorFlow blocked."""
    module, function = target.split(":")
    code = (f"sys.argv = [{script!r}, '--help']\n"
            f"from {module} import {function}\n"
            f"{function}()\n")
    result = run_blocked(code)
    assert "imported before argument parsing" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert words(importlib.import_module(module).__doc__) in words(result.stdout)


def _parsers(parser: argparse.ArgumentParser, name: str):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from _parsers(subparser, f"{name} {sub}")


@pytest.mark.parametrize("verb", CLIS)
def test_every_option_has_help_and_the_defaults_formatter(verb):
    """argparse shows `(default: ...)` only beside options with help text: every option has some,
    and every parser (subcommands too) uses the shared formatter."""
    parser = module_of(verb).build_parser()
    found = list(_parsers(parser, verb))
    assert len(found) == 1 + len(SUBCOMMANDS.get(verb, ()))
    for name, p in found:
        assert p.formatter_class is cli.HelpFormatter, name
        missing = [a.dest for a in p._actions if not a.help and not isinstance(a, argparse._SubParsersAction)]
        assert missing == [], f"{name}: options without help {missing}"


def test_formatter_shows_defaults_but_not_none_or_flags():
    parser = cli.parser("prog", "First line.\n\n  indented second paragraph\n")
    parser.add_argument("--num", type=int, default=64, help="how many")
    parser.add_argument("--out", help="where (default: beside the input)")
    parser.add_argument("--quiet", action="store_true", help="say nothing")
    text = parser.format_help()
    assert "  indented second paragraph" in text  # raw description: line breaks and indents kept
    assert re.search(r"how many \(default: 64\)", text)
    assert "(default: None)" not in text and "(default: False)" not in text
