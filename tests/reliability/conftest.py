"""Fixtures of the reliability suite: real ``crm-whatsapp`` processes (stopped at the end,
their logs shown when a test fails) and PostgreSQL tables of each test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_kit import Processes, drop_prefixed_tables


@pytest.fixture
def processes(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(f"--- logs of the processes ---\n{started.logs()[-20000:]}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep each phase's report on the test item, so that fixtures know the test failed."""
    report = yield
    setattr(item, f"rep_{call.when}", report)
    return report


@pytest.fixture
def table_prefix(postgres_test_url: str) -> Iterator[str]:
    """A table prefix of this test's own on the PostgreSQL test server, dropped afterwards.

    A test asks for it before ``processes``: fixtures end in the reverse order, so the
    processes stop before their tables go (else their last polls log missing tables)."""
    prefix = f"rel{uuid.uuid4().hex[:8]}_"
    yield prefix
    drop_prefixed_tables(postgres_test_url, prefix)
