"""Benchmarks stay runnable: each runs in --quick mode and prints its figures (no timing
is asserted; the figures are recorded in benchmarks/README.md).

The SQL benchmark runs once on SQLite and once on PostgreSQL. PostgreSQL's URL comes from
``CRM_WHATSAPP_TEST_POSTGRES_URL`` as in ``conftest.py``: without it the PostgreSQL run
skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
POSTGRES_URL_VARIABLE = "CRM_WHATSAPP_TEST_POSTGRES_URL"
QUERY_FIGURES = (
    "conversations, deep page",
    "filter: number (CRM spelling)",
    "text search, rare word",
    "messages, page 2 (cursor)",
    "client lookup by phone",
    "statistics, last 7 days",
    "statistics, all time",
)


def run_benchmark(*arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_domain_benchmark_runs_and_prints_every_figure() -> None:
    stdout = run_benchmark(str(BENCHMARKS / "domain.py"), "--quick")
    for figure in ("PhoneNumber.parse", "PhoneNumber.matches", "decide, 100", "receive_inbound"):
        assert figure in stdout
    assert stdout.count("ratio") == 2


def assert_every_query_measured(stdout: str, backend: str) -> None:
    assert "not measured" not in stdout
    assert f"| {backend} small | {backend} large | ratio | meets |" in stdout
    for figure in QUERY_FIGURES:
        assert figure in stdout
    for size in ("small", "large"):
        assert f"| {backend} {size} | " in stdout  # its seeding row


def test_the_queries_benchmark_runs_on_sqlite(tmp_path: Path) -> None:
    stdout = run_benchmark(
        str(BENCHMARKS / "queries.py"),
        "--quick",
        "--backends",
        "sqlite",
        "--sqlite-dir",
        str(tmp_path),
    )
    assert_every_query_measured(stdout, "SQLite")
    assert list(tmp_path.iterdir()) == []  # the databases are removed afterwards


def test_the_queries_benchmark_runs_on_postgresql() -> None:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        reason = f"the PostgreSQL benchmark run needs {POSTGRES_URL_VARIABLE}"
        if os.environ.get("CI"):
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    stdout = run_benchmark(
        str(BENCHMARKS / "queries.py"),
        "--quick",
        "--backends",
        "postgresql",
        "--postgres-url",
        url,
    )
    assert_every_query_measured(stdout, "PostgreSQL")
