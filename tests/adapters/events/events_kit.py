"""Shared by the live-events tests: listeners started and stopped for a test, and what a
``LocalEventHub`` delivered, for the test thread to wait on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from crm_whatsapp.adapters.events import LocalEventHub, PostgresEventListener
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.domain.events import Event

TIMEOUT = 10.0


class Collector:
    """Every event the hub delivers, in order."""

    def __init__(self, hub: LocalEventHub) -> None:
        self.events: list[Event] = []
        self._condition = threading.Condition()
        hub.add_listener(self._add)

    def _add(self, events: Sequence[Event]) -> None:
        with self._condition:
            self.events.extend(events)
            self._condition.notify_all()

    def wait_for(self, count: int) -> list[Event]:
        """The events once ``count`` have come (or what came within the timeout)."""
        with self._condition:
            self._condition.wait_for(lambda: len(self.events) >= count, TIMEOUT)
            return list(self.events)

    def wait_until_heard(self, event: Event) -> list[Event]:
        """The events once ``event`` is among them; fails if it never comes."""
        with self._condition:
            heard = self._condition.wait_for(lambda: event in self.events, TIMEOUT)
            assert heard, f"{event} never came; heard {self.events}"
            return list(self.events)


StartListener = Callable[[Database, LocalEventHub, str | None, float], PostgresEventListener]


@contextmanager
def started_listeners() -> Iterator[StartListener]:
    """Starts listeners, each once LISTEN is active; stops them all at the end."""
    started: list[PostgresEventListener] = []

    def start(
        database: Database, hub: LocalEventHub, channel: str | None, reconnect_delay: float
    ) -> PostgresEventListener:
        listener = PostgresEventListener(database, hub, channel, reconnect_delay)
        started.append(listener)
        listener.start()
        assert listener.ready.wait(TIMEOUT), "LISTEN never became active"
        return listener

    try:
        yield start
    finally:
        for listener in started:
            listener.stop()
