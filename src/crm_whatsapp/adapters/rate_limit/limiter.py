"""Pace the sends of each business number to its rate, counted in slots that every worker
can share.

Each number has a queue of senders waiting for a turn and one pump that serves it: the
pump asks the slot store for as many turns as there are waiters in the current slot (one
round trip for all of them, so a shared store costs a few queries per second, not one per
send), lets that many go in arrival order, and sleeps until the next slot if some are left.
A slot the store says is full (other workers used it, or Meta throttled the number and
``slow_down`` filled the next ones) grants nothing, and the waiters wait for the next.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from crm_whatsapp.adapters.rate_limit.rates import SendRates

logger = logging.getLogger("crm_whatsapp.outbox")
T = TypeVar("T")

LONGEST_PAUSE_SECONDS = 60.0
"""``slow_down`` fills at most this far ahead (a pause is a row per slot)."""


class RateSlots(Protocol):
    """Sends counted per business number and slot (its start, in ms since the epoch)."""

    def reserve(self, business_number_id: str, slot: int, want: int, cap: int) -> int:
        """Take up to ``want`` of the slot's ``cap`` turns; how many were taken (0 if full)."""
        ...

    def fill(self, business_number_id: str, slots: list[int], cap: int) -> None:
        """Mark these slots full, so that no worker sends from the number in them."""
        ...


class MemoryRateSlots:
    """``RateSlots`` in this process (tests, the demo, one worker): a dict under a lock.

    It forgets slots a minute old once it holds a few thousand."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def reserve(self, business_number_id: str, slot: int, want: int, cap: int) -> int:
        with self._lock:
            key = (business_number_id, slot)
            used = self._used.get(key, 0)
            granted = max(0, min(want, cap - used))
            if granted:
                self._used[key] = used + granted
            self._forget_before(slot - 60_000)
            return granted

    def fill(self, business_number_id: str, slots: list[int], cap: int) -> None:
        with self._lock:
            for slot in slots:
                self._used[(business_number_id, slot)] = cap

    def _forget_before(self, oldest: int) -> None:
        if len(self._used) < 4096:
            return
        for key in [k for k in self._used if k[1] < oldest]:
            del self._used[key]


@dataclass(slots=True)
class _Queue:
    waiting: collections.deque[asyncio.Future[None]] = field(default_factory=collections.deque)
    pump: asyncio.Task[None] | None = None


class SlotRateLimiter:
    """``SendRateLimiter``: at most ``rates.of(number)`` sends per second from each number.

    ``in_thread`` runs the store's calls on a thread (a database store blocks); an
    in-memory store is called directly. ``now_ms`` is the wall clock, which every process
    sharing the store must agree on to the slot.
    """

    def __init__(
        self,
        slots: RateSlots,
        rates: SendRates | None = None,
        *,
        in_thread: bool = False,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self._slots = slots
        self.rates = rates or SendRates()
        self._in_thread = in_thread
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        # Futures and tasks belong to one event loop; a limiter used from several (tests
        # that call asyncio.run repeatedly) keeps one set of queues per loop.
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Queue]] = (
            weakref.WeakKeyDictionary()
        )

    async def acquire(self, business_number_id: str) -> None:
        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(loop, {}).setdefault(business_number_id, _Queue())
        turn: asyncio.Future[None] = loop.create_future()
        queue.waiting.append(turn)
        if queue.pump is None or queue.pump.done():
            queue.pump = loop.create_task(self._pump(business_number_id, queue))
        await turn

    async def slow_down(self, business_number_id: str, seconds: float) -> None:
        shape = self.rates.shape(business_number_id)
        now = self._now_ms()
        until = now + math.ceil(min(max(seconds, 0.0), LONGEST_PAUSE_SECONDS) * 1000)
        first = shape.slot_of(now)
        slots = list(range(first, until, shape.length_ms))
        if slots:
            await self._call(self._slots.fill, business_number_id, slots, shape.cap)

    async def _pump(self, business_number_id: str, queue: _Queue) -> None:
        shape = self.rates.shape(business_number_id)
        while True:
            while queue.waiting and queue.waiting[0].done():  # given up (cancelled)
                queue.waiting.popleft()
            if not queue.waiting:
                return
            now = self._now_ms()
            slot = shape.slot_of(now)
            try:
                granted = await self._call(
                    self._slots.reserve, business_number_id, slot, len(queue.waiting), shape.cap
                )
            except Exception as exc:  # the store is down: the senders decide what to do
                while queue.waiting:
                    waiter = queue.waiting.popleft()
                    if not waiter.done():
                        waiter.set_exception(exc)
                return
            while granted > 0 and queue.waiting:
                waiter = queue.waiting.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    granted -= 1
            if queue.waiting:
                await asyncio.sleep(max(slot + shape.length_ms - self._now_ms(), 1) / 1000)

    async def _call(self, function: Callable[..., T], *args: object) -> T:
        if self._in_thread:
            return await asyncio.to_thread(function, *args)
        return function(*args)
