"""Live updates across processes: what one instance NOTIFYs, every instance's hub gets,
exactly once and in order, also after its LISTEN connection was lost and reopened.

Each ``Database`` stands for one process; each test listens on a channel of its own.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from events_kit import TIMEOUT, Collector, started_listeners
from sqlalchemy import text

from crm_whatsapp.adapters.events import (
    Lagged,
    LocalEventHub,
    PostgresEventListener,
    PostgresEventPublisher,
)
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.events import (
    ConversationChanged,
    DeliveryStatusChanged,
    Event,
    MessageStored,
)
from crm_whatsapp.domain.ports import EventPublisher


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def channel() -> str:
    return f"test_events_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def process(postgres_test_url: str) -> Iterator[Callable[[], Database]]:
    """Opens a ``Database`` as one process would; all disposed afterwards."""
    opened: list[Database] = []

    def open_database() -> Database:
        database = Database(postgres_test_url, pool_size=2)
        opened.append(database)
        return database

    yield open_database
    for database in opened:
        database.dispose()


@pytest.fixture
def listen(channel: str) -> Iterator[Callable[..., PostgresEventListener]]:
    """Starts a listener on the test's channel and waits until LISTEN is active."""
    with started_listeners() as start:
        yield lambda database, hub, reconnect_delay=1.0: start(
            database, hub, channel, reconnect_delay
        )


def conversation_events(count: int) -> list[Event]:
    return [MessageStored(f"c{n % 7}", f"m{n:05}") for n in range(count)]


def test_every_process_receives_each_event_exactly_once_in_order(
    process: Callable[[], Database], listen: Callable[..., PostgresEventListener], channel: str
) -> None:
    hubs = [LocalEventHub(), LocalEventHub()]
    collectors = [Collector(hub) for hub in hubs]
    for hub in hubs:
        listen(process(), hub)
    publisher: EventPublisher = PostgresEventPublisher(process(), channel)
    events: list[Event] = [
        MessageStored("c1", "m1"),
        DeliveryStatusChanged("c1", "m1", DeliveryStatus.DELIVERED),
        ConversationChanged("c1"),
        ConversationChanged("c1"),  # the same event twice is two events, not one
    ]
    publisher.publish(events[:2])
    publisher.publish(events[2:3])
    publisher.publish(events[3:])
    done = ConversationChanged("done")
    publisher.publish([done])
    # Had any event come twice, it would be before "done", which comes last.
    for collector in collectors:
        assert collector.wait_for(len(events) + 1) == [*events, done]


def test_an_inbox_subscription_receives_what_another_process_published(
    process: Callable[[], Database], listen: Callable[..., PostgresEventListener], channel: str
) -> None:
    hub = LocalEventHub()
    listen(process(), hub)
    publisher = PostgresEventPublisher(process(), channel)

    async def scenario() -> list[Event | Lagged | None]:
        async with hub.subscribe() as subscription:
            await asyncio.to_thread(publisher.publish, [ConversationChanged("c1")])
            return [await subscription.next(TIMEOUT)]

    assert asyncio.run(scenario()) == [ConversationChanged("c1")]


def test_two_thousand_separate_publishes_all_arrive_in_order(
    process: Callable[[], Database], listen: Callable[..., PostgresEventListener], channel: str
) -> None:
    hub = LocalEventHub()
    collector = Collector(hub)
    listen(process(), hub)
    publisher = PostgresEventPublisher(process(), channel)
    events = conversation_events(2000)
    for event in events:
        publisher.publish([event])
    assert collector.wait_for(len(events)) == events


def test_a_batch_larger_than_one_notify_payload_arrives_whole_and_in_order(
    process: Callable[[], Database], listen: Callable[..., PostgresEventListener], channel: str
) -> None:
    hub = LocalEventHub()
    collector = Collector(hub)
    listen(process(), hub)
    publisher = PostgresEventPublisher(process(), channel)
    events = conversation_events(2000)  # about 100 kB of JSON
    repeated: list[Event] = [ConversationChanged("same")] * 2000  # identical payloads
    publisher.publish(events)
    publisher.publish(repeated)
    assert collector.wait_for(4000) == [*events, *repeated]


def test_the_listener_reconnects_after_its_connection_is_killed_and_says_lagged(
    process: Callable[[], Database], listen: Callable[..., PostgresEventListener], channel: str
) -> None:
    hub = LocalEventHub()
    listener = listen(process(), hub, reconnect_delay=0.05)
    first_pid = listener.backend_pid
    admin = process()
    publisher = PostgresEventPublisher(admin, channel)

    async def scenario() -> list[Event | Lagged | None]:
        async with hub.subscribe() as subscription:
            await asyncio.to_thread(publisher.publish, [ConversationChanged("before")])
            received = [await subscription.next(TIMEOUT)]
            with admin.writer.connect() as connection:
                killed = connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE query LIKE 'LISTEN%' AND query LIKE :channel"
                    ),
                    {"channel": f"%{channel}%"},
                ).all()
                connection.commit()
            assert [tuple(row) for row in killed] == [(True,)]
            reconnected = await asyncio.to_thread(
                wait_until,
                lambda: listener.ready.is_set() and listener.backend_pid not in (None, first_pid),
            )
            assert reconnected, "the listener did not reconnect"
            await asyncio.to_thread(publisher.publish, [ConversationChanged("after")])
            received += [await subscription.next(TIMEOUT), await subscription.next(TIMEOUT)]
            return received

    assert asyncio.run(scenario()) == [
        ConversationChanged("before"),
        Lagged(),  # what was published while it reconnected is lost: refetch
        ConversationChanged("after"),
    ]


def test_a_payload_that_is_not_ours_is_skipped(
    process: Callable[[], Database],
    listen: Callable[..., PostgresEventListener],
    channel: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = LocalEventHub()
    collector = Collector(hub)
    database = process()
    listen(process(), hub)
    with caplog.at_level(logging.WARNING, logger="crm_whatsapp.events"):
        with database.writer.connect() as connection:
            connection.execute(text("SELECT pg_notify(:c, 'hello')"), {"c": channel})
            connection.commit()
        PostgresEventPublisher(database, channel).publish([ConversationChanged("c1")])
        assert collector.wait_for(1) == [ConversationChanged("c1")]
    assert "not JSON" in caplog.text


def test_publishing_with_the_database_down_logs_a_warning_and_does_not_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database("postgresql+psycopg://crm:s3cret-pw@127.0.0.1:1/crm")
    try:
        publisher = PostgresEventPublisher(database)
        with caplog.at_level(logging.WARNING, logger="crm_whatsapp.events"):
            started = time.monotonic()
            publisher.publish([ConversationChanged("c1")])
        assert time.monotonic() - started < 5
    finally:
        database.dispose()
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "crm_whatsapp_events" in record.getMessage()
    assert "127.0.0.1:1" in record.getMessage()
    assert "s3cret-pw" not in caplog.text


def test_a_listener_with_the_database_down_retries_quietly_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = Database("postgresql+psycopg://crm:s3cret-pw@127.0.0.1:1/crm")
    listener = PostgresEventListener(database, LocalEventHub(), "down", reconnect_delay=0.02)
    with caplog.at_level(logging.WARNING, logger="crm_whatsapp.events"):
        listener.start()
        assert wait_until(lambda: len(caplog.records) >= 3), "it should keep retrying"
        started = time.monotonic()
        listener.stop()
        assert time.monotonic() - started < 2
    assert not listener.ready.is_set()
    assert not any(thread.name.endswith("-listen-down") for thread in threading.enumerate())
    assert "reconnecting" in caplog.text
    assert "s3cret-pw" not in caplog.text


def test_stop_ends_the_listening_thread_promptly(
    process: Callable[[], Database], listen: Callable[..., PostgresEventListener], channel: str
) -> None:
    listener = listen(process(), LocalEventHub())
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 2
    assert not listener.ready.is_set()
    assert not any(thread.name.endswith(f"-listen-{channel}") for thread in threading.enumerate())


def test_sqlite_has_no_listen_notify(tmp_path: Path) -> None:
    sqlite = Database(f"sqlite:///{tmp_path / 'crm.db'}")
    try:
        with pytest.raises(ValueError, match="LocalEventHub"):
            PostgresEventPublisher(sqlite)
        with pytest.raises(ValueError, match="LocalEventHub"):
            PostgresEventListener(sqlite, LocalEventHub())
    finally:
        sqlite.dispose()


def test_importing_the_package_does_not_need_psycopg() -> None:
    code = (
        "import sys, crm_whatsapp.adapters.events; "
        "assert 'psycopg' not in sys.modules, 'psycopg imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
