"""The ports of ingest: the webhook's journal, the reader of stored bodies, the deliveries
repository (inside a unit of work) and the operators' read side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from crm_whatsapp.domain.ingest import (
    ChannelHealth,
    QuarantineEntry,
    QuarantineState,
    RawDelivery,
    ReadDelivery,
    StoredChannelEvent,
)
from crm_whatsapp.domain.pagination import Page


class DeliveryRepository(Protocol):
    """Raw deliveries waiting to be read, the quarantine, and channel events."""

    def claim(self, limit: int) -> Sequence[RawDelivery]:
        """The oldest unprocessed deliveries, held by this transaction until it ends (on
        PostgreSQL, ``SKIP LOCKED``: another worker takes the next ones)."""
        ...

    def finish(self, delivery_ids: Sequence[int], at: datetime) -> None:
        """Mark deliveries processed; they are kept for audit until pruned."""
        ...

    def prune_processed(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` deliveries processed before ``before``; how many went."""
        ...

    def quarantine(self, entry: QuarantineEntry) -> None:
        """Keep an item that could not be understood."""
        ...

    def quarantined(
        self, state: QuarantineState, limit: int, after_id: str | None = None
    ) -> Sequence[QuarantineEntry]:
        """Quarantined items in the given state, oldest first, after ``after_id``."""
        ...

    def update_quarantined(self, entry: QuarantineEntry) -> None:
        """Store a replay's outcome (replayed, or a new reason and one more attempt)."""
        ...

    def add_channel_event(self, event: StoredChannelEvent) -> None:
        """Keep an event about the channel (template status, account alerts, other fields)."""
        ...


class DeliveryJournal(Protocol):
    """Where the webhook puts a body before it answers 200."""

    def on_append(self, listener: Callable[[], object]) -> None:
        """Call ``listener`` after bodies are stored (the processor's wake-up); it may run
        on another thread and must be quick."""
        ...

    async def append(self, body: bytes) -> int:
        """Store the body durably (survives a crash and a power cut) and return its id;
        raises StorageUnavailable if it could not."""
        ...


class WebhookReader(Protocol):
    """Turns a raw body into items; never raises, whatever the bytes (what it cannot read
    becomes a quarantined item)."""

    def read(self, body: bytes, received_at: datetime) -> ReadDelivery: ...


class IngestQueries(Protocol):
    """The read side of ingest, for operators: the quarantine and the channel's health."""

    def quarantine(
        self, state: QuarantineState | None, limit: int, cursor: str | None = None
    ) -> Page[QuarantineEntry]:
        """Quarantined items, newest first; ``state`` None: every state."""
        ...

    def health(self, since: datetime) -> ChannelHealth:
        """The backlog, the open quarantine, and channel events since ``since``."""
        ...
