"""In-memory IngestQueries: the reference behaviour the SQL queries must match."""

from __future__ import annotations

from datetime import datetime

from crm_whatsapp.adapters.memory.database import InMemoryStore
from crm_whatsapp.adapters.system import process_cursors
from crm_whatsapp.domain.ingest import (
    ChannelEventKind,
    ChannelHealth,
    QuarantineEntry,
    QuarantineState,
)
from crm_whatsapp.domain.pagination import (
    CursorCodec,
    CursorKind,
    Page,
    Position,
    check_page_size,
)

ALERT_KINDS = frozenset(
    {ChannelEventKind.ACCOUNT, ChannelEventKind.QUALITY, ChannelEventKind.WEBHOOK_ERROR}
)


class InMemoryIngestQueries:
    def __init__(self, store: InMemoryStore, cursors: CursorCodec | None = None) -> None:
        self._store = store
        self._cursors = cursors or process_cursors()

    def quarantine(
        self, state: QuarantineState | None, limit: int, cursor: str | None = None
    ) -> Page[QuarantineEntry]:
        check_page_size(limit)
        kind = CursorKind.QUARANTINE
        after = None if cursor is None else self._cursors.decode(cursor, kind)
        with self._store.lock:
            entries = list(self._store.state.quarantine.values())
        ordered = sorted(
            (e for e in entries if state is None or e.state is state),
            key=lambda e: (e.created_at, e.id),
            reverse=True,
        )
        if after is not None:
            ordered = [e for e in ordered if (e.created_at, e.id) < (after.at, after.id)]
        items = ordered[:limit]
        if len(ordered) <= limit or not items:
            return Page(items, None)
        last = Position(items[-1].created_at, items[-1].id)
        return Page(items, self._cursors.encode(last, kind))

    def health(self, since: datetime) -> ChannelHealth:
        with self._store.lock:
            state = self._store.state
            waiting = [state.deliveries[i] for i in sorted(state.deliveries)]
            open_count = sum(e.state is QuarantineState.OPEN for e in state.quarantine.values())
            events = list(state.channel_events.values())
        by_kind: dict[str, int] = {}
        other: dict[str, int] = {}
        for stored in events:
            if stored.received_at < since:
                continue
            kind = stored.event.kind
            by_kind[kind.value] = by_kind.get(kind.value, 0) + 1
            if kind is ChannelEventKind.OTHER:
                other[stored.event.field] = other.get(stored.event.field, 0) + 1
        alerts = sorted(
            (e for e in events if e.event.kind in ALERT_KINDS),
            key=lambda e: (e.received_at, e.id),
            reverse=True,
        )[:10]
        return ChannelHealth(
            pending_deliveries=len(waiting),
            oldest_pending_at=waiting[0].received_at if waiting else None,
            quarantine_open=open_count,
            events_by_kind=by_kind,
            other_fields=other,
            latest_alerts=tuple(alerts),
        )
