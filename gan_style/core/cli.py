"""argparse set-up shared by the CLIs: the module docstring as the description, defaults shown.

Imports nothing but argparse, so `--help` and usage errors answer without TensorFlow.
"""

from __future__ import annotations

import argparse
import sys
import time


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


PROGRESS_EVERY_S = 30.0  # seconds between two progress lines of a long run


class Progress:
    """`progress: DONE of TOTAL UNIT done (S s)` on stderr, at most once every `every_s` seconds
    and not for the last item (the run's summary line says that); `elapsed()` for the summary."""

    def __init__(self, unit: str = "images", every_s: float | None = None, stream=None, clock=time.monotonic):
        self.unit, self.clock = unit, clock
        self.every_s = PROGRESS_EVERY_S if every_s is None else every_s
        self.stream = stream
        self.started = self.last = clock()

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if done < total and now - self.last >= self.every_s:
            self.last = now
            print(f"progress: {done} of {total} {self.unit} done ({now - self.started:.0f} s)",
                  file=self.stream or sys.stderr, flush=True)

    def elapsed(self) -> float:
        return self.clock() - self.started
