"""An EventPublisher that keeps what it was told, for tests and for polling callers."""

from __future__ import annotations

from collections.abc import Sequence

from crm_whatsapp.domain.events import Event


class RecordingEventPublisher:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: Sequence[Event]) -> None:
        self.events.extend(events)
