"""Waiting for what happens in another process or thread: the one polling helper.

Importable from every test directory (``tests/`` is on ``sys.path`` once ``tests/conftest.py``
is loaded) and from ``benchmarks/soak.py``, which puts it there itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

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


def processed(app: Any, timeout: float = 30.0) -> None:
    """Wait until the service's processor has read every webhook delivery stored so far.

    The webhook answers 200 once a body is stored; reading it (messages, statuses, the
    quarantine) happens right after, on the processor's thread. ``app`` is the Starlette
    app of ``create_app``, started (its lifespan runs the processor).
    """
    ingest = app.state.ingest
    if ingest is None:
        raise AssertionError("the app runs no ingest processor (ingest_in_process is off)")
    if not ingest.wait_idle(timeout):
        raise AssertionError(f"the ingest processor did not catch up within {timeout:g} s")


def processed_over_http(http: Any, timeout: float = 30.0) -> None:
    """``processed`` for a service in another process: wait until its channel health
    (``GET /api/v1/salud-canal``) reports no stored webhook delivery left to read (``http``
    is an httpx client on its base URL, with an API token)."""

    def caught_up() -> bool:
        answer = http.get("api/v1/salud-canal")
        answer.raise_for_status()
        return bool(answer.json()["pending_deliveries"] == 0)

    wait_until(caught_up, timeout, "the ingest processor to read every stored delivery")
