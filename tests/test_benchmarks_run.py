"""Benchmarks stay runnable: each runs in --quick mode and prints its figures (no timing
is asserted; the figures are recorded in benchmarks/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_the_domain_benchmark_runs_and_prints_every_figure() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "domain.py"), "--quick"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for figure in ("PhoneNumber.parse", "PhoneNumber.matches", "decide, 100", "receive_inbound"):
        assert figure in result.stdout
    assert result.stdout.count("ratio") == 2
