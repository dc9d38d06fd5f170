"""The DeliveryRepository port on SQL: raw deliveries, the quarantine, channel events.

``claim`` runs in the processor's transaction: on PostgreSQL the rows are locked
``FOR UPDATE SKIP LOCKED`` until it commits, so several workers take disjoint batches and a
worker that dies releases its batch with its connection; on SQLite the transaction already
holds the database's write lock. No lease is needed either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, delete, select, update

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
        if connection.dialect.name == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        self._claim = claim

    def claim(self, limit: int) -> Sequence[RawDelivery]:
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
                "field": e.field[:128],
                "kind": e.kind.value,
                "summary": e.summary,
                "payload": e.payload,
                "account_id": (e.account_id or "")[:64] or None,
                "business_number_id": e.business_number_id,
                "received_at": event.received_at,
            },
        )


def _quarantine_values(entry: QuarantineEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "delivery_id": entry.delivery_id,
        "location": entry.location,
        "reason": entry.reason,
        "raw": entry.raw,
        "replay_body": entry.replay_body,
        "field": (entry.field or "")[:128] or None,
        "business_number_id": (entry.business_number_id or "")[:64] or None,
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
