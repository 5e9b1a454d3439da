"""argparse set-up shared by the CLIs: the module docstring as the description, defaults shown.

Imports nothing but argparse, so `--help` and usage errors answer without TensorFlow.
"""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The description keeps its line breaks; every option with a value shows `(default: ...)`.

    Left out where the default says nothing: `None` (the help text says what happens then) and
    on/off flags (`store_true`: off unless given).
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.nargs == 0:
            return action.help
        return super()._get_help_string(action)


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` with `HelpFormatter`; its subcommands' parsers get it too."""

    def __init__(self, *args, formatter_class=HelpFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


def parser(prog: str, doc: str | None, **kwargs) -> ArgumentParser:
    """The parser of `python -m <prog>`: `doc` (the module docstring, whole) is its description."""
    return ArgumentParser(prog=prog, description=(doc or "").strip(), **kwargs)
