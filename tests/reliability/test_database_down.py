"""The database goes away in the middle of a load: the webhook answers 503 (Meta delivers
again later), never 200 for a message it could not store and never 500; once the database is
back, the redelivered messages are stored once and every reply goes out once.

PostgreSQL: the service reaches the server through a TCP proxy that the test cuts for 3 s
(every open connection reset, new ones refused). SQLite: another program holds the file's
write lock for 7 s, longer than the service waits for it (5 s).

CI size: 400 deliveries (30% duplicates) on each; ``CRM_WHATSAPP_RELIABILITY_SCALE``
multiplies it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from reliability_kit import (
    Process,
    Processes,
    Storm,
    TcpProxy,
    build_storm,
    copies_by_recipient,
    deliver,
    read_journal,
    read_stored_once_sent,
    scaled,
    service_env,
    silent_doubles,
    sqlite_write_lock,
    wait_for_replies,
)
from sqlalchemy import make_url

from crm_whatsapp.adapters.sql import Database, SqlUnitOfWork
from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.domain.errors import StorageUnavailable


def load_through_an_outage(
    storm: Storm,
    server: Process,
    outage: Callable[[], AbstractContextManager[object]],
    *,
    lasting: float,
) -> list[int]:
    """Deliver the storm from a thread; a quarter of the way in, the database goes away for
    ``lasting`` seconds (``outage()`` begins on enter and ends on exit).

    The second half of the storm waits until the outage has begun, so some deliveries
    always meet it: on a busy machine, taking SQLite's write lock can wait behind the
    service's own writers for longer than the whole load takes (CI once saw every one of
    400 deliveries answered 200, the lock taken only after the last)."""
    url = server.url + "/webhook"
    half = len(storm.deliveries) // 2
    answered = threading.Semaphore(0)
    begun = threading.Event()
    statuses: list[int] = []

    def load() -> None:
        statuses.extend(
            deliver(url, storm.deliveries[:half], on_answer=lambda *_: answered.release())
        )
        assert begun.wait(120), "the outage never began"
        statuses.extend(deliver(url, storm.deliveries[half:]))

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    for _ in range(len(storm.deliveries) // 4):
        assert answered.acquire(timeout=60), "the load stalled before the outage"
    with outage():
        begun.set()
        time.sleep(lasting)
    thread.join(180)
    assert not thread.is_alive()
    assert len(statuses) == len(storm.deliveries)
    return statuses


def assert_stored_once_after_redelivery(
    storm: Storm,
    *,
    statuses: list[int],
    server: Process,
    fake: RunningFakeGraphApi,
    database_url: str,
    prefix: str,
) -> None:
    counts = {status: statuses.count(status) for status in set(statuses)}
    assert set(counts) == {200, 503}, counts
    acknowledged = storm.wamids_of([i for i, s in enumerate(statuses) if s == 200])
    assert acknowledged <= read_journal(database_url, prefix).wamids

    again = [d for d, status in zip(storm.deliveries, statuses, strict=True) if status != 200]
    assert set(deliver(server.url + "/webhook", again)) == {200}
    wait_for_replies(fake.state, storm.wa_ids, timeout=120)
    stored = read_stored_once_sent(database_url, prefix, len(storm.wa_ids))
    copies = copies_by_recipient(fake.state)

    assert stored.inbound == dict.fromkeys(storm.messages, 1)
    assert set(copies) == set(storm.wa_ids)
    silent = silent_doubles(copies, stored)
    assert not silent, f"copies and unknown outcomes of replies doubled silently: {silent}"
    doubles = {wa_id: n for wa_id, n in copies.items() if n > 1}
    assert stored.replies_with("sent") == len(storm.wa_ids)
    if doubles:
        print(f"doubles, each counted as an unknown outcome: {doubles}")
    print(f"{len(storm.deliveries)} deliveries during the outage: {counts}")


def test_postgresql_cut_off_mid_load_answers_503_and_loses_nothing(
    postgres_test_url: str, table_prefix: str, processes: Processes
) -> None:
    storm = build_storm(scaled(400), duplicate_share=0.3, seed=41)
    url = make_url(postgres_test_url)
    with (
        TcpProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy,
        running_fake_graph_api() as fake,
    ):
        through_proxy = url.set(host="127.0.0.1", port=proxy.port)
        env = service_env(
            through_proxy.render_as_string(hide_password=False),
            fake.base_url,
            CRM_WHATSAPP_TABLE_PREFIX=table_prefix,
            # A reply sent just before the cut is recorded once the database is back, as
            # long as its claim's lease holds (after that, it could be sent twice).
            CRM_WHATSAPP_OUTBOX_LEASE_SECONDS="20",
        )
        server = processes.serve(env)

        class Cut:
            def __enter__(self) -> None:
                proxy.cut()

            def __exit__(self, *exc: object) -> None:
                proxy.restore()

        statuses = load_through_an_outage(storm, server, Cut, lasting=3)
        assert_stored_once_after_redelivery(
            storm,
            statuses=statuses,
            server=server,
            fake=fake,
            database_url=postgres_test_url,
            prefix=table_prefix,
        )


def test_a_locked_sqlite_file_answers_503_and_loses_nothing(
    tmp_path: Path, processes: Processes
) -> None:
    storm = build_storm(scaled(400), duplicate_share=0.3, seed=42)
    path = tmp_path / "locked.db"
    database_url = f"sqlite:///{path}"
    with running_fake_graph_api() as fake:
        server = processes.serve(service_env(database_url, fake.base_url))

        class Locked:
            def __enter__(self) -> None:
                self._lock = sqlite_write_lock(path)
                self._lock.__enter__()

            def __exit__(self, *exc: object) -> None:
                self._lock.__exit__(None, None, None)

        statuses = load_through_an_outage(storm, server, Locked, lasting=7)
        assert_stored_once_after_redelivery(
            storm,
            statuses=statuses,
            server=server,
            fake=fake,
            database_url=database_url,
            prefix="crm_whatsapp_",
        )


def test_a_unit_of_work_left_on_a_dropped_connection_says_storage_unavailable(
    postgres_test_url: str, table_prefix: str
) -> None:
    """Regression: a unit of work that ends without commit (a duplicate delivery stores
    nothing) rolls back; on a connection PostgreSQL dropped the rollback failed with the
    driver's error, and the webhook answered 500 instead of 503."""
    url = make_url(postgres_test_url)
    with TcpProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        database = Database(url.set(host="127.0.0.1", port=proxy.port), prefix=table_prefix)
        try:
            database.migrate()

            def read_then_lose_the_connection() -> None:
                with SqlUnitOfWork(database) as uow:
                    uow.conversations.due_outbound(datetime.now(UTC), 1)
                    proxy.cut()

            with pytest.raises(StorageUnavailable):
                read_then_lose_the_connection()
        finally:
            database.dispose()
