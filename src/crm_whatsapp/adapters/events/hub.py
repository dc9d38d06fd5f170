"""Live updates inside one process: the use cases publish, every open inbox receives.

Use cases publish right after their commit, from whatever thread ran them (a threadpool
worker in the HTTP service), so publishing only takes a lock and hands the events to each
subscriber's loop with ``call_soon_threadsafe``: it never waits for a reader and never
raises. With SQLite (one process) the hub is the ``EventPublisher``; with PostgreSQL the
``PostgresEventListener`` feeds it through ``deliver`` instead (see ``postgres``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence

from crm_whatsapp.adapters.events.subscription import EventSubscription
from crm_whatsapp.domain.events import Event

logger = logging.getLogger("crm_whatsapp.events")

Listener = Callable[[Sequence[Event]], None]


class LocalEventHub:
    """Fans events out to asyncio subscribers (the inbox) and synchronous listeners
    (the outbox worker's wake-up) in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Insertion-ordered set; held under the lock while offering, so every subscriber
        # sees concurrent publishers' batches in the same order.
        self._subscriptions: dict[EventSubscription, None] = {}
        # Replaced, never mutated, so publishers call a snapshot outside the lock.
        self._listeners: tuple[tuple[object, Listener], ...] = ()

    def subscribe(self, max_queued: int = 1000) -> EventSubscription:
        """A new subscription read in the running loop; at most ``max_queued`` events wait
        in it (beyond that the reader gets ``Lagged``). Call it inside that loop."""
        loop = asyncio.get_running_loop()
        subscription = EventSubscription(loop, max_queued, on_close=self._forget)
        with self._lock:
            self._subscriptions[subscription] = None
        return subscription

    def add_listener(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback`` in the delivering thread for every batch; returns its removal.

        A callback must be quick; if it raises, the error is logged and delivery goes on.
        """
        token = object()
        with self._lock:
            self._listeners = (*self._listeners, (token, callback))

        def remove() -> None:
            with self._lock:
                self._listeners = tuple(entry for entry in self._listeners if entry[0] is not token)

        return remove

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def publish(self, events: Sequence[Event]) -> None:
        """``EventPublisher``: deliver in this process; thread-safe, never blocks or raises."""
        self.deliver(events)

    def deliver(self, events: Sequence[Event]) -> None:
        """Hand events to every subscriber and listener here, without publishing them
        anywhere else (the PostgreSQL listener calls this)."""
        try:
            batch = tuple(events)
            if not batch:
                return
            with self._lock:
                self._offer_locked(lambda subscription: subscription.offer(batch))
                listeners = self._listeners
            for _, callback in listeners:
                try:
                    callback(batch)
                except Exception:
                    logger.exception("an event listener failed; the other ones still ran")
        except Exception:
            logger.exception("live update lost: delivering events failed")

    def mark_lagged(self) -> None:
        """Tell every subscriber that events may have been missed (e.g. while the
        PostgreSQL listener was reconnecting), so each inbox refetches."""
        try:
            with self._lock:
                self._offer_locked(lambda subscription: subscription.mark_lagged())
        except Exception:
            logger.exception("could not tell subscribers that events were missed")

    def close_all(self) -> None:
        """End every subscription (the server is stopping): each reader's stream ends
        instead of holding the shutdown open. Safe from any thread."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.close()

    def _offer_locked(self, offer: Callable[[EventSubscription], bool]) -> None:
        gone = [subscription for subscription in self._subscriptions if not offer(subscription)]
        for subscription in gone:
            del self._subscriptions[subscription]

    def _forget(self, subscription: EventSubscription) -> None:
        with self._lock:
            self._subscriptions.pop(subscription, None)
