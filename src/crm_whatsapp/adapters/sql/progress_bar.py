"""A terminal progress bar for long runs such as ``ClientPhoneIndex.rebuild``.

Kept apart from the index: the index reports ``(done, total)`` and knows nothing of
terminals; this draws those calls for a person watching the command line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class ProgressBar:
    """A text progress bar for ``rebuild(progress=...)``: rows done of total, percent, rate,
    time left; redrawn in place with ``\\r`` and ended with a newline when done.

    Redraws at most every ``min_interval`` seconds (first and last always), so that a fast
    rebuild does not spend its time writing to a terminal. ``stream`` defaults to the
    ``sys.stderr`` of the moment the bar is made.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        label: str = "clients",
        width: int = 30,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._label = label
        self._width = max(1, width)
        self._min_interval = min_interval
        self._clock = clock
        self._started: float | None = None
        self._last_draw: float | None = None
        self._drawn_length = 0
        self._finished = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if self._finished:
            if done >= total:
                return
            # A new run with the same bar: start over on a fresh line.
            self._finished = False
            self._started = None
            self._last_draw = None
            self._drawn_length = 0
        if self._started is None:
            self._started = now
        finished = done >= total
        if (
            not finished
            and self._last_draw is not None
            and now - self._last_draw < self._min_interval
        ):
            return
        self._last_draw = now
        line = self._render(done, total, now - self._started)
        padding = " " * max(0, self._drawn_length - len(line))
        self._drawn_length = len(line)
        self._stream.write("\r" + line + padding)
        if finished:
            self._stream.write("\n")
            self._finished = True
        self._stream.flush()

    def _render(self, done: int, total: int, elapsed: float) -> str:
        fraction = 1.0 if total <= 0 else min(1.0, max(0.0, done / total))
        filled = int(fraction * self._width)
        bar = "#" * filled + "-" * (self._width - filled)
        line = f"{self._label} [{bar}] {fraction * 100:5.1f}% {done:,}/{total:,}"
        if elapsed > 0 and done > 0:
            rate = done / elapsed
            line += f" {rate:,.0f}/s"
            if done < total:
                line += f" {_clock_time((total - done) / rate)} left"
            else:
                line += f" in {_clock_time(elapsed)}"
        return line


def _clock_time(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
