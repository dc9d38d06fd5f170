"""One inbox connection's feed of events: a bounded queue filled from any thread, read
from the asyncio loop that serves the connection.

The queue is bounded because a browser that reads slowly must not make the process hold
unbounded memory: when it is full the queued events are dropped and the reader gets one
``Lagged`` instead, then the newer events. The inbox answers ``Lagged`` by refetching what
it shows, which is cheaper than replaying a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from crm_whatsapp.domain.events import Event


@dataclass(frozen=True, slots=True)
class Lagged:
    """Events were lost for this subscriber: refetch whatever is on screen."""


class EventSubscription:
    """Made by ``LocalEventHub.subscribe``; read it with ``next`` in the loop it was made in."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        max_queued: int,
        on_close: Callable[[EventSubscription], None],
    ) -> None:
        if max_queued < 1:
            raise ValueError(f"max_queued must be at least 1, not {max_queued}")
        self._loop = loop
        self._max_queued = max_queued
        self._on_close = on_close
        self._lock = threading.Lock()
        self._queue: deque[Event] = deque()
        self._lagged = False
        self._closed = False
        # At most one wake-up is in flight: publishers coalesce instead of flooding the loop.
        self._wake_scheduled = False
        self._signal = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self._closed

    async def next(self, timeout: float) -> Event | Lagged | None:
        """The next event, ``Lagged`` once after a loss, or None if ``timeout`` seconds pass
        without either (time for a keep-alive)."""
        if asyncio.get_running_loop() is not self._loop:
            raise RuntimeError("read a subscription in the event loop that subscribed")
        deadline = self._loop.time() + timeout
        while True:
            item = self._take()
            if item is not None:
                return item
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                return None
            # Nothing awaits between _take and clear(), so a wake-up scheduled by a
            # publisher after _take runs after clear(): none is lost.
            self._signal.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._signal.wait()
            except TimeoutError:
                return self._take()

    def close(self) -> None:
        """Stop receiving; a pending ``next`` raises RuntimeError. Safe from any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.clear()
        self._on_close(self)
        self._schedule_wake()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def offer(self, events: Sequence[Event]) -> bool:
        """Queue events, from any thread, without blocking; False once the subscription
        is gone (closed, or its loop is), so the hub can forget it."""
        with self._lock:
            if self._closed or self._loop.is_closed():
                self._closed = True
                return False
            for event in events:
                if len(self._queue) >= self._max_queued:
                    self._queue.clear()
                    self._lagged = True
                else:
                    self._queue.append(event)
            return self._wake_reader_locked()

    def mark_lagged(self) -> bool:
        """Tell the reader events may have been lost elsewhere; False once gone."""
        with self._lock:
            if self._closed or self._loop.is_closed():
                self._closed = True
                return False
            self._queue.clear()
            self._lagged = True
            return self._wake_reader_locked()

    def _wake_reader_locked(self) -> bool:
        if self._wake_scheduled:
            return True
        self._wake_scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop closed after the check above
            self._closed = True
            return False
        return True

    def _schedule_wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        with self._lock:
            self._wake_scheduled = False
        self._signal.set()

    def _take(self) -> Event | Lagged | None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the subscription is closed")
            if self._lagged:
                self._lagged = False
                return Lagged()
            return self._queue.popleft() if self._queue else None
