"""Predictable stand-ins for the ports that have no storage: time, ids and live events.

Each is a few lines, and they are used together: a test fixes the clock, gets ``id-1``,
``id-2``... in order, and reads back the events a use case published.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from crm_whatsapp.domain.events import Event


class FixedClock:
    """A clock that only moves when a test says so."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> datetime:
        self._now += by
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now


class SequentialIds:
    """Ids for tests and examples: ``id-00000001``, ``id-00000002``, ... (thread-safe).

    Zero-padded so that they sort in creation order, as the production ids do: the outbox
    breaks ties between messages queued at the same instant by id."""

    def __init__(self, prefix: str = "id-") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            return f"{self._prefix}{next(self._counter):08d}"


class RecordingEventPublisher:
    """An EventPublisher that keeps what it was told, for tests and for polling callers."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: Sequence[Event]) -> None:
        self.events.extend(events)
