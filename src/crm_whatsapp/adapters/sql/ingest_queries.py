"""The IngestQueries port on SQL: the quarantine, page by page, and the channel's health."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, RowMapping, String, and_, bindparam, func, or_, select

from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.adapters.sql.deliveries import quarantine_entry
from crm_whatsapp.adapters.sql.schema_types import UtcDateTime
from crm_whatsapp.adapters.system import process_cursors
from crm_whatsapp.domain.ingest import (
    ChannelEvent,
    ChannelEventKind,
    ChannelHealth,
    QuarantineEntry,
    QuarantineState,
    StoredChannelEvent,
)
from crm_whatsapp.domain.pagination import (
    CursorCodec,
    CursorKind,
    Page,
    Position,
    check_page_size,
)

ALERT_KINDS = (
    ChannelEventKind.ACCOUNT,
    ChannelEventKind.QUALITY,
    ChannelEventKind.WEBHOOK_ERROR,
)
LATEST_ALERTS = 10


class SqlIngestQueries:
    """``cursors``: as for ``SqlConversationQueries``."""

    def __init__(self, database: Database, cursors: CursorCodec | None = None) -> None:
        self._database = database
        self._t = database.tables.ingest
        self._cursors = cursors or process_cursors()

    def quarantine(
        self, state: QuarantineState | None, limit: int, cursor: str | None = None
    ) -> Page[QuarantineEntry]:
        check_page_size(limit)
        kind = CursorKind.QUARANTINE
        after = None if cursor is None else self._cursors.decode(cursor, kind)
        q = self._t.quarantine
        query = select(q).order_by(q.c.created_at.desc(), q.c.id.desc()).limit(limit + 1)
        if state is not None:
            query = query.where(q.c.state == state.value)
        if after is not None:
            at = bindparam(None, after.at, type_=UtcDateTime())
            query = query.where(
                or_(
                    q.c.created_at < at,
                    and_(q.c.created_at == at, q.c.id < bindparam(None, after.id, type_=String())),
                )
            )
        with self._read() as db:
            rows = db.execute(query).all()
        items = [quarantine_entry(row._mapping) for row in rows[:limit]]
        if len(rows) <= limit or not items:
            return Page(items, None)
        last = Position(items[-1].created_at, items[-1].id)
        return Page(items, self._cursors.encode(last, kind))

    def health(self, since: datetime) -> ChannelHealth:
        d, q, e = self._t.deliveries, self._t.quarantine, self._t.channel_events
        with self._read() as db:
            pending = db.execute(
                select(func.count()).where(d.c.processed_at.is_(None))
            ).scalar_one()
            oldest = db.execute(
                select(d.c.received_at).where(d.c.processed_at.is_(None)).order_by(d.c.id).limit(1)
            ).scalar()
            quarantined = db.execute(
                select(func.count()).where(q.c.state == QuarantineState.OPEN.value)
            ).scalar_one()
            by_kind = db.execute(
                select(e.c.kind, e.c.field, func.count())
                .where(e.c.received_at >= bindparam(None, since, type_=UtcDateTime()))
                .group_by(e.c.kind, e.c.field)
            ).all()
            alerts = db.execute(
                select(e)
                .where(e.c.kind.in_([kind.value for kind in ALERT_KINDS]))
                .order_by(e.c.received_at.desc(), e.c.id.desc())
                .limit(LATEST_ALERTS)
            ).all()
        events_by_kind: dict[str, int] = {}
        other_fields: dict[str, int] = {}
        for kind, field, count in by_kind:
            events_by_kind[kind] = events_by_kind.get(kind, 0) + count
            if kind == ChannelEventKind.OTHER.value:
                other_fields[field] = other_fields.get(field, 0) + count
        return ChannelHealth(
            pending_deliveries=pending,
            oldest_pending_at=oldest,
            quarantine_open=quarantined,
            events_by_kind=events_by_kind,
            other_fields=other_fields,
            latest_alerts=tuple(_stored_event(row._mapping) for row in alerts),
        )

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with translate_errors(self._database), self._database.reader.connect() as connection:
            yield connection


def _stored_event(row: RowMapping) -> StoredChannelEvent:
    return StoredChannelEvent(
        id=row["id"],
        event=ChannelEvent(
            field=row["field"],
            kind=ChannelEventKind(row["kind"]),
            summary=row["summary"],
            payload=row["payload"],
            account_id=row["account_id"],
            business_number_id=row["business_number_id"],
        ),
        received_at=row["received_at"],
    )
