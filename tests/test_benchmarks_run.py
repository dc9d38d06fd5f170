"""Benchmarks stay runnable: each runs in --quick mode and prints its figures (no timing
is asserted; the figures are recorded in benchmarks/README.md).

The webhook benchmark starts real processes (the service, the fake Graph API, two reference
receivers, wrk) on 127.0.0.1 for a few seconds; its exit code says whether every request was
answered 2xx, every acknowledged message stored, and replied to.

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


def require_wrk() -> None:
    """The webhook benchmark's load generator; like the browser test, a missing one skips,
    except under CI."""
    import os

    import pytest

    if Path("/usr/bin/wrk").exists():
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("the webhook ingest benchmark needs wrk (apt-get install wrk)")
    pytest.skip("no /usr/bin/wrk (apt-get install wrk)")


def assert_the_ingest_figures(stdout: str, configs: tuple[str, ...]) -> None:
    assert "load generator wrk" in stdout
    for config in configs:
        assert f"### {config}" in stdout
        assert f"| {config}" in stdout  # its summary row
    for target in ("reference NORMAL", "reference FULL", "service"):
        assert f"| {target} |" in stdout
    assert "| service / NORMAL | service / FULL | max backlog | drain s |" in stdout
    assert "| to the fake p50 ms |" in stdout
    assert "FAILED" not in stdout


def test_the_webhook_ingest_benchmark_runs_end_to_end() -> None:
    """wrk against the service on SQLite (the processor in the server, then in a worker)
    and the reference at NORMAL and FULL, 1-second rounds; then 100 messages at 100/s to
    the fake at Meta's pace (~40 s)."""
    require_wrk()
    stdout = run_benchmark(str(BENCHMARKS / "webhook_ingest.py"), "--quick")
    assert_the_ingest_figures(stdout, ("(a) SQLite, serve alone", "(b) SQLite, serve + 1 worker"))


def test_the_webhook_ingest_benchmark_runs_on_postgresql(postgres_test_url: str) -> None:
    """Configuration (c), serve and one worker on PostgreSQL, under a table prefix of the
    run's own that is dropped at the end (~45 s)."""
    require_wrk()
    stdout = run_benchmark(
        str(BENCHMARKS / "webhook_ingest.py"),
        "--quick",
        "--configs",
        "c",
        "--postgres-url",
        postgres_test_url,
    )
    assert_the_ingest_figures(stdout, ("(c) PostgreSQL, serve + 1 worker",))


def test_the_inbox_browser_benchmark_opens_the_inbox_and_scrolls_the_long_chat(
    tmp_path: Path,
) -> None:
    """Seeds 2,000 conversations and a chat of 1,000 messages, then drives Chromium (~20 s).
    Like the browser tests, it skips without Chromium or Playwright, except under CI."""
    import importlib.util
    import os

    import pytest

    chromium = os.environ.get("CRM_WHATSAPP_CHROMIUM", "/usr/bin/chromium")
    missing = None
    if importlib.util.find_spec("playwright") is None:
        missing = "the playwright package is not installed (pip install -e '.[dev]')"
    elif not Path(chromium).exists():
        missing = f"no Chromium at {chromium} (apt-get install chromium)"
    if missing is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the inbox benchmark cannot run in CI: {missing}")
        pytest.skip(missing)

    stdout = run_benchmark(
        str(BENCHMARKS / "inbox_browser.py"), "--quick", "--profile", "--sqlite-dir", str(tmp_path)
    )
    for figure in (
        "Chromium ",
        "SQLite ",
        "first page: navigation start → first conversation row painted",
        "first page / 1 s target",
        "API alone: GET conversaciones-whatsapp?limit=50",
        "open the long chat",
        "scroll up through 1,000 messages",
        "message pages requested on the way",
        "longest frame gap while scrolling up",
        "longest main-thread task while scrolling up",
        "message rows in the DOM at the top",
        "scroll back down through all 1,000",
        "longest frame gap while scrolling down",
        "message rows in the DOM at the bottom",
        "CPU profile, scrolling up",
        "Seeding: 2,000 conversations",
    ):
        assert figure in stdout
    assert "FAILED" not in stdout
    assert list(tmp_path.iterdir()) == []  # the database is removed afterwards


def test_the_soak_runs_end_to_end_and_finds_no_loss_and_no_uncounted_double() -> None:
    stdout = run_benchmark(str(BENCHMARKS / "soak.py"), "--quick")
    for figure in ("| deliveries | 100 |", "| faults injected |", "| doubles |", "| losses | 0 "):
        assert figure in stdout
    assert "FAILED" not in stdout


def test_the_http_overhead_benchmark_runs_and_prints_every_figure() -> None:
    stdout = run_benchmark(str(BENCHMARKS / "http_overhead.py"), "--quick")
    for figure in (
        "through the operation wrapper",
        "with an agent token",
        "a new agent token each time",
        "bare Starlette endpoint",
        "POST /webhook",
    ):
        assert figure in stdout
    assert "ratio wrapper/bare" in stdout
    assert "ratio agent token/service token" in stdout


def test_the_templates_benchmark_runs_and_prints_every_figure() -> None:
    stdout = run_benchmark(
        str(BENCHMARKS / "templates.py"), "--quick", "--templates", "120", "--latency-ms", "20"
    )
    for figure in ("a page", "25 a page / 100 a page", "CPU ms a send", "checked / unchecked"):
        assert figure in stdout


def test_the_outbox_pace_benchmark_runs_and_finds_no_reply_lost_doubled_or_out_of_order() -> None:
    """The fake at 50 ms and 80/s, the service on SQLite: 50 customers × 2 texts at once,
    then 1 s at 50 and at 100 messages/s (~15 s)."""
    stdout = run_benchmark(str(BENCHMARKS / "outbox_pace.py"), "--quick")
    for figure in (
        "| burst | SQLite, serve (1 process, outbox inside) | 50 × 2 |",
        "of the 80/s cap — target ≥ 0.75",
        "at 50 messages/s: p50",
        "at 100 messages/s: p50",
        "load generator (bursts, 64 clients)",
        "load generator (open loop)",
    ):
        assert figure in stdout
    assert "FAILED" not in stdout


def test_the_outbox_pace_benchmark_drains_the_upgraded_tier_on_postgresql(
    postgres_test_url: str,
) -> None:
    """A backlog of 200 customers × 2 texts, then 2 worker processes at a 1,000/s fake."""
    stdout = run_benchmark(
        str(BENCHMARKS / "outbox_pace.py"),
        "--quick",
        "--scenarios",
        "tier",
        "--postgres-url",
        postgres_test_url,
    )
    assert "| tier | PostgreSQL, serve --workers 2 + 2 workers | 200 × 2 |" in stdout
    assert "first reply → last reply" in stdout
    assert "replies/s — target ≥ 500" in stdout
    assert "FAILED" not in stdout


def test_the_media_serving_benchmark_fetches_and_streams_a_file_and_prints_the_memory() -> None:
    """The service and the fake as processes: a 1 MiB and an 8 MiB document fetched on
    arrival, each downloaded once, by 2 clients at once, by a slow reader and as a range
    (~10 s)."""
    stdout = run_benchmark(str(BENCHMARKS / "media_serving.py"), "--quick")
    for figure in (
        "| figure | 1 MiB | 8 MiB | large/small |",
        "| RSS before the webhook (baseline) |",
        "| peak RSS during the fetch |",
        "| peak − before serving, sequential |",
        "| peak − before serving, concurrent |",
        "| peak − before serving, slow reader |",
        "| Range request in the middle → 206: bytes, p50 of 1 (first) | 512 KiB: ",
        "| RSS after serving |",
    ):
        assert figure in stdout
    assert "FAILED" not in stdout
    assert "not measured: a file" not in stdout
