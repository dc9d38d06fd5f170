"""The DeliveryJournal port in memory, for tests and the in-memory setup."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from crm_whatsapp.adapters.memory.database import InMemoryStore
from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.ingest import RawDelivery
from crm_whatsapp.domain.ports import Clock


class InMemoryDeliveryJournal:
    """Appends to the store under its lock; ``on_append`` callbacks run after each append
    (the processor's wake-up)."""

    def __init__(self, store: InMemoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._ids = itertools.count(1)
        self._listeners: list[Callable[[], object]] = []

    def on_append(self, listener: Callable[[], object]) -> None:
        self._listeners.append(listener)

    async def append(self, body: bytes) -> int:
        return self.append_now(body)

    def append_now(self, body: bytes) -> int:
        with self._store.lock:
            if not self._store.available:
                raise StorageUnavailable("in-memory store marked unavailable")
            delivery_id = next(self._ids)
            self._store.state.deliveries[delivery_id] = RawDelivery(
                delivery_id, self._clock.now(), bytes(body)
            )
        for listener in self._listeners:
            listener()
        return delivery_id
