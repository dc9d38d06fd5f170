"""Issue 17, "A double send seen this week": a reply Meta accepted must not go out again
because the database was unavailable while its outcome waited to be recorded.

Before (up to 1d312e9), with the timings of ``reliability_kit.service_env`` (lease 5 s,
poll 0.1 s) and the 7 s of the locked-SQLite test:

* t=0: a pass claims the reply (hidden until t=5) and Meta accepts it; right then the
  database goes away for 7 s.
* Recording "sent" fails. The pass retried ``record_attempts`` times, then while inside
  80% of the lease (until t=4), then gave up: ``StorageUnavailable`` ended the pass and
  the outcome it held (sent, with its wamid) was forgotten.
* The worker survives the failed pass and keeps polling. At t=5 the claim's lease ends;
  at t=7 the database is back, the next pass finds the reply due and sends it again,
  counting no unknown outcome: as far as the outbox knew, the first send never happened.

Here each try fails at once, as on PostgreSQL refusing connections. On a locked SQLite
file each try waits out the 5 s busy timeout first, so the same path needs a lock of
about 27 s (five tries), not 7.

Time is the event loop's: a sleep returns at once with the clock moved on, and the
domain's clock moves with it, so the test takes milliseconds and no load can change it.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, TypeVarTuple

from crm_whatsapp.adapters.memory import (
    FixedClock,
    InMemoryMessagingGateway,
    InMemoryStore,
    build_in_memory,
)
from crm_whatsapp.app.outbox_worker import OutboxWorker
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.use_cases import RetryPolicy, receive_inbound
from crm_whatsapp.testing import text_from

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
WA_ID = "5215500000056"
LEASE = timedelta(seconds=5)  # service_env's CRM_WHATSAPP_OUTBOX_LEASE_SECONDS
LOCK_SECONDS = 7.0  # how long the reliability test holds SQLite's write lock
T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose time only moves when every task waits for a timer: it then
    jumps to the next timer, and ``clock`` (the domain's) jumps with it. Work handed to a
    thread (``run_in_executor``) is waited for in real time, so time never jumps past it."""

    def __init__(self, clock: FixedClock) -> None:
        self.now = 0.0
        self.in_threads = 0
        self.clock = clock
        super().__init__(_SkipAhead(self))

    def time(self) -> float:
        return self.now

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.in_threads += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: object) -> None:
        self.in_threads -= 1


class _SkipAhead(selectors.DefaultSelector):
    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        if self._loop.in_threads:
            return super().select(timeout)  # a thread's result wakes the loop
        events = super().select(0)
        if events or not timeout:
            return events
        self._loop.now += timeout
        self._loop.clock.advance(timedelta(seconds=timeout))
        return []


class LockedRightAfterMetaAccepts(InMemoryMessagingGateway):
    """Records every send (``sent``); the first one Meta accepts, the database goes away
    for ``outage`` seconds, as when another program takes SQLite's write lock."""

    def __init__(self, store: InMemoryStore, outage: float) -> None:
        super().__init__()
        self._store, self._outage = store, outage

    async def send_text(self, *args: Any, **kwargs: Any) -> str:
        wamid = await super().send_text(*args, **kwargs)
        if len(self.sent) == 1:
            self._store.available = False
            asyncio.get_running_loop().call_later(self._outage, self._back)
        return wamid

    def _back(self) -> None:
        self._store.available = True


def test_a_reply_meta_accepted_is_not_sent_again_after_its_outcome_waited_for_the_lock() -> None:
    """Invariant: a reply whose send succeeded reaches the customer once, or else every
    extra copy is counted in ``Delivery.unknown_outcomes``."""
    crm = build_in_memory(now=T0)
    reply = receive_inbound(crm.deps, text_from(WA_ID, "hola", T0, wamid="wamid.in.56")).reply
    assert reply is not None
    gateway = LockedRightAfterMetaAccepts(crm.store, outage=LOCK_SECONDS)
    worker = OutboxWorker(crm.deps, gateway, RetryPolicy(lease=LEASE), poll_interval=0.1)

    async def serve_for(seconds: float) -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        await worker.run(stop)

    with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(crm.clock)) as runner:
        runner.run(serve_for(30.0))

    copies = [s for s in gateway.sent if s.to.wa_id == WA_ID]
    delivery = crm.store.snapshot().messages[reply.id].delivery
    assert delivery is not None
    assert delivery.status is DeliveryStatus.SENT
    assert 1 <= len(copies) <= 1 + delivery.unknown_outcomes, (
        f"{WA_ID} got the reply {len(copies)} times "
        f"({', '.join(c.wamid for c in copies)}), "
        f"{delivery.unknown_outcomes} counted as unknown outcomes; "
        f"worker: {worker.totals}"
    )
