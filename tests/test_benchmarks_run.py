"""Benchmarks stay runnable: each runs in --quick mode and prints its figures (no timing
is asserted; the figures are recorded in benchmarks/README.md).

The webhook benchmark starts real processes (the service, the fake Graph API, a reference
receiver, a load generator) on 127.0.0.1 for a few seconds; its exit code says whether every
request was answered 2xx, stored, and replied to.

The SQL benchmark runs once on SQLite and once on PostgreSQL. PostgreSQL's URL comes from the
``postgres_test_url`` fixture (``conftest.py``): without it the PostgreSQL run skips
locally and fails under ``CI=true``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
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


def test_the_queries_benchmark_runs_on_postgresql(postgres_test_url: str) -> None:
    url = postgres_test_url
    stdout = run_benchmark(
        str(BENCHMARKS / "queries.py"),
        "--quick",
        "--backends",
        "postgresql",
        "--postgres-url",
        url,
    )
    assert_every_query_measured(stdout, "PostgreSQL")


def test_the_webhook_ingest_benchmark_runs_end_to_end() -> None:
    stdout = run_benchmark(str(BENCHMARKS / "webhook_ingest.py"), "--quick")
    for target in ("reference", "service"):
        assert f"| **{target}** | both |" in stdout
    assert "ratio service/reference (requests/s):" in stdout
    assert "inbound-to-reply p50 ms" in stdout
    assert "FAILED" not in stdout
