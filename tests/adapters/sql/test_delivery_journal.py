"""The webhook's journal on SQLite and PostgreSQL: concurrent appends share commits, every
acknowledged body is there byte for byte, and batches are read one at a time in order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from crm_whatsapp.adapters.memory import FixedClock, build_in_memory
from crm_whatsapp.adapters.sql import Database, SqlUnitOfWork
from crm_whatsapp.adapters.sql.delivery_journal import GroupCommitJournal
from crm_whatsapp.adapters.whatsapp.webhook import WebhookBodyReader
from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.message import AuthorKind, Direction
from crm_whatsapp.domain.use_cases.ingest import process_deliveries
from webhook_bodies import body, change, encoded, messages_value, text_message

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_concurrent_appends_share_commits_and_every_body_is_kept_byte_for_byte(
    database: Database,
) -> None:
    journal = GroupCommitJournal(database, FixedClock(T0))
    bodies = [f'{{"n": {n}, "pad": "{"x" * (n % 50)}"}}'.encode() for n in range(400)]
    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            ids = list(pool.map(journal.append_now, bodies))
    finally:
        journal.close()

    assert len(set(ids)) == len(bodies)
    assert journal.commits < len(bodies)  # group commit: one transaction served several
    deliveries = database.tables.ingest.deliveries
    with database.reader.connect() as connection:
        rows = dict(connection.execute(select(deliveries.c.id, deliveries.c.body)).all())
    assert {bytes(rows[i]) for i in ids} == set(bodies)
    assert dict(zip(ids, bodies, strict=True)) == {i: bytes(rows[i]) for i in ids}


def test_an_append_to_a_database_that_is_gone_fails_instead_of_answering(
    database: Database,
) -> None:
    journal = GroupCommitJournal(database, FixedClock(T0))
    with database.writer.begin() as connection:
        connection.execute(database.tables.ingest.deliveries.delete())
        database.tables.ingest.deliveries.drop(connection)
    try:
        with pytest.raises(StorageUnavailable):
            journal.append_now(b"{}")
    finally:
        journal.close()
    with pytest.raises(StorageUnavailable):
        journal.submit(b"{}")  # closed: refuses rather than queue for nobody


def test_two_processors_on_postgresql_keep_each_customers_order(
    postgresql_database: Database,
) -> None:
    """Each customer writes twice, in two deliveries a few apart in the journal (so in two
    batches); two processors drain it at once. Every first message must be stored and
    decided before its second."""
    memory = build_in_memory(now=T0)
    deps = memory.deps.__class__(
        unit_of_work=lambda: SqlUnitOfWork(postgresql_database),
        clients=memory.deps.clients,
        clock=memory.deps.clock,
        ids=memory.deps.ids,
        rules=memory.deps.rules,
    )
    journal = GroupCommitJournal(postgresql_database, memory.clock)
    customers = [f"52155{n:08d}" for n in range(60)]
    seconds = str(int(T0.timestamp()))

    def append(wa_id: str, turn: str) -> None:
        message = text_message(wa_id, f"hola {turn}", f"w.{wa_id}.{turn}", seconds)
        journal.append_now(encoded(body(change("messages", messages_value([message])))))

    try:
        for n, wa_id in enumerate(customers):
            append(wa_id, "uno")
            if n >= 4:
                append(customers[n - 4], "dos")
        for wa_id in customers[-4:]:
            append(wa_id, "dos")
    finally:
        journal.close()

    reader = WebhookBodyReader()

    def drain() -> None:
        while process_deliveries(deps, reader, batch=7).deliveries:
            pass

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    messages = postgresql_database.tables.messages
    with postgresql_database.reader.connect() as connection:
        rows = connection.execute(
            select(messages.c.wamid, messages.c.direction, messages.c.author_kind, messages.c.id)
            .where(messages.c.direction == Direction.INBOUND.value)
            .order_by(messages.c.id)
        ).all()
    assert len(rows) == 2 * len(customers)
    position = {row.wamid: index for index, row in enumerate(rows)}
    for wa_id in customers:  # ids are time-ordered: the order the processor stored them in
        assert position[f"w.{wa_id}.uno"] < position[f"w.{wa_id}.dos"], wa_id
    assert all(row.author_kind == AuthorKind.CUSTOMER.value for row in rows)
