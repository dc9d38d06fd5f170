"""Test-wide settings: Hypothesis profiles (CI runs each property with 200 examples), and a
run that fails when a test leaves a service's files in the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


# -- nothing left in the checkout ------------------------------------------------------------

CHECKOUT = Path(__file__).resolve().parent
LEFT_BEHIND = ("crm_whatsapp_media", "crm_whatsapp.db")
"""What a service keeps in its working directory by default. A test's service keeps it in
a folder of its own (tests/conftest.py's autouse ``media_in_a_temporary_folder``); one
built by a module-wide fixture, before that folder is set, must say where itself."""
_BEFORE = pytest.StashKey[set[str]]()


def _files_left_behind() -> set[str]:
    found: set[str] = set()
    for name in LEFT_BEHIND:
        path = CHECKOUT / name
        candidates = [path] if path.is_file() else path.rglob("*")
        found |= {str(p.relative_to(CHECKOUT)) for p in candidates if p.is_file()}
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = _files_left_behind()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run fails when a test left a file in the checkout's default places."""
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller looks once every test has run
    before = session.config.stash.get(_BEFORE, set[str]())
    new = sorted(_files_left_behind() - before)
    if not new:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"tests left files in the checkout: {', '.join(new)}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
