"""A hung test fails by name instead of stalling the suite.

The demo's history once looped forever just after midnight (Mexico City time); every test
that prepared a short demo hung, and CI would have sat there until its 90 minutes ran out
with no name to look at. pytest-timeout, set in pyproject.toml, turns such a hang into one
failure with a stack trace and lets the rest of the suite run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_limits_each_test_to_minutes_not_ci_s_whole_budget() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "pytest"
    ]["ini_options"]
    assert 60 <= int(options["timeout"]) <= 20 * 60


def test_a_hanging_test_fails_with_its_name_and_the_next_test_still_runs(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_hang.py").write_text(
        textwrap.dedent(
            """
            import threading

            def test_waits_for_an_event_nobody_sets():
                threading.Event().wait()

            def test_after_the_hang():
                assert True
            """
        ),
        encoding="utf-8",
    )
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "timeout=2", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 1, output
    assert "FAILED test_hang.py::test_waits_for_an_event_nobody_sets" in output, output
    assert "Timeout" in output, output
    assert "1 failed, 1 passed" in output, output
