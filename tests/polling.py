"""Waiting for what happens in another process or thread: the one polling helper.

Importable from every test directory (``tests/`` is on ``sys.path`` once ``tests/conftest.py``
is loaded) and from ``benchmarks/soak.py``, which puts it there itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], timeout: float = 10.0, what: str = "", interval: float = 0.05
) -> T:
    """The first truthy value of ``condition()``; AssertionError naming ``what`` (or the
    condition) once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what or condition}")
        time.sleep(interval)
