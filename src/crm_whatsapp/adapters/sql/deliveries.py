"""The DeliveryRepository port on SQL: raw deliveries, the quarantine, channel events.

``claim`` runs in the processor's transaction and holds its batch until the commit; a
worker that dies releases it with its connection, so no lease is needed. Batches are
processed one at a time, in the journal's order, whichever worker takes them: a customer's
second message must never be decided before their first, and two messages of one customer
may be in any two deliveries. On PostgreSQL each batch first takes a transaction-level
advisory lock on the journal (the next worker waits for the commit, then takes the next
batch), and the rows are claimed ``FOR UPDATE SKIP LOCKED`` as well; on SQLite the
transaction already holds the database's write lock. Several workers therefore give
failover, not parallel ingest: one processor reads thousands of items per second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    TextClause,
    bindparam,
    delete,
    select,
    text,
    update,
)

from crm_whatsapp.adapters.sql.ingest_schema import IngestTables
from crm_whatsapp.domain.ingest import (
    QuarantineEntry,
    QuarantineState,
    RawDelivery,
    StoredChannelEvent,
)


class SqlDeliveryRepository:
    def __init__(self, connection: Connection, tables: IngestTables) -> None:
        self._db = connection
        self._t = tables
        d = tables.deliveries
        claim = (
            select(d.c.id, d.c.received_at, d.c.body)
            .where(d.c.processed_at.is_(None))
            .order_by(d.c.id)
            .limit(bindparam("limit"))
        )
        self._turn: TextClause | None = None
        if connection.dialect.name == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
            self._turn = text("SELECT pg_advisory_xact_lock(:key)").bindparams(
                key=journal_lock_key(d.name)
            )
        self._claim = claim

    def claim(self, limit: int) -> Sequence[RawDelivery]:
        if self._turn is not None:
            self._db.execute(self._turn)
        rows = self._db.execute(self._claim, {"limit": limit})
        return [RawDelivery(row.id, row.received_at, bytes(row.body)) for row in rows]

    def finish(self, delivery_ids: Sequence[int], at: datetime) -> None:
        d = self._t.deliveries
        self._db.execute(update(d).where(d.c.id.in_(list(delivery_ids))).values(processed_at=at))

    def prune_processed(self, before: datetime, limit: int) -> int:
        d = self._t.deliveries
        oldest = (
            select(d.c.id)
            .where(d.c.processed_at.is_not(None), d.c.processed_at < before)
            .order_by(d.c.processed_at)
            .limit(limit)
        )
        ids = [row.id for row in self._db.execute(oldest)]
        if ids:
            self._db.execute(delete(d).where(d.c.id.in_(ids)))
        return len(ids)

    def quarantine(self, entry: QuarantineEntry) -> None:
        self._db.execute(self._t.quarantine.insert(), _quarantine_values(entry))

    def quarantined(
        self, state: QuarantineState, limit: int, after_id: str | None = None
    ) -> Sequence[QuarantineEntry]:
        q = self._t.quarantine
        query = select(q).where(q.c.state == state.value).order_by(q.c.id).limit(limit)
        if after_id is not None:
            query = query.where(q.c.id > after_id)
        return [quarantine_entry(row._mapping) for row in self._db.execute(query)]

    def update_quarantined(self, entry: QuarantineEntry) -> None:
        q = self._t.quarantine
        values = _quarantine_values(entry)
        del values["id"]
        self._db.execute(update(q).where(q.c.id == entry.id).values(**values))

    def add_channel_event(self, event: StoredChannelEvent) -> None:
        e = event.event
        self._db.execute(
            self._t.channel_events.insert(),
            {
                "id": event.id,
                "field": storable(e.field)[:128],
                "kind": e.kind.value,
                "summary": storable(e.summary),
                "payload": storable(e.payload),
                "account_id": storable(e.account_id or "")[:64] or None,
                "business_number_id": storable(e.business_number_id or "")[:64] or None,
                "received_at": event.received_at,
            },
        )


def journal_lock_key(table_name: str) -> int:
    """A stable signed 64-bit advisory lock key per journal table (per table prefix)."""
    digest = hashlib.sha256(f"crm_whatsapp journal {table_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def storable(value: str) -> str:
    """PostgreSQL text cannot hold NUL: a quarantined item is kept with U+FFFD instead."""
    return value.replace("\x00", "\ufffd")


def _quarantine_values(entry: QuarantineEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "delivery_id": entry.delivery_id,
        "location": storable(entry.location),
        "reason": storable(entry.reason),
        "raw": storable(entry.raw),
        "replay_body": entry.replay_body,
        "field": storable(entry.field or "")[:128] or None,
        "business_number_id": storable(entry.business_number_id or "")[:64] or None,
        "created_at": entry.created_at,
        "state": entry.state.value,
        "attempts": entry.attempts,
        "replayed_at": entry.replayed_at,
    }


def quarantine_entry(row: RowMapping) -> QuarantineEntry:
    return QuarantineEntry(
        id=row["id"],
        delivery_id=row["delivery_id"],
        location=row["location"],
        reason=row["reason"],
        raw=row["raw"],
        replay_body=bytes(row["replay_body"]),
        created_at=row["created_at"],
        field=row["field"],
        business_number_id=row["business_number_id"],
        state=QuarantineState(row["state"]),
        attempts=row["attempts"],
        replayed_at=row["replayed_at"],
    )
