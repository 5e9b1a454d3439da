"""core.cli: the CLIs' help formatter and progress lines."""

import io

from gan_style.core import cli


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_prints_at_most_every_interval_and_not_the_last_item():
    clock, stream = Clock(), io.StringIO()
    progress = cli.Progress("pairs", every_s=10, stream=stream, clock=clock)
    clock.now += 5
    progress(1, 4)  # too soon
    clock.now += 6
    progress(2, 4)
    clock.now += 1
    progress(3, 4)  # too soon after the last line
    clock.now += 30
    progress(4, 4)  # the last: the summary says it
    assert stream.getvalue().splitlines() == ["progress: 2 of 4 pairs done (11 s)"]
    assert progress.elapsed() == 42
