"""Meta's throttles and a hanging Graph API, with many sends in flight.

* 130429 (the number sends faster than its tier allows) and HTTP 429 pause the whole
  number and send again without spending an attempt: a storm of them delays replies but
  fails none.
* 131056 (too many messages to one customer) delays that conversation only.
* A send that hangs until the timeout holds its own conversation, not the others.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway, InMemorySetup, build_in_memory
from crm_whatsapp.adapters.memory.gateway import SentMessage
from crm_whatsapp.adapters.rate_limit import MemoryRateSlots, SendRates, SlotRateLimiter
from crm_whatsapp.adapters.system import SystemClock
from crm_whatsapp.app.outbox_worker import OutboxWorker
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.use_cases import RetryPolicy, agent_reply, receive_inbound
from crm_whatsapp.testing import text_from

BUSINESS = "106540352242922"
FAST_RETRIES = RetryPolicy(
    max_attempts=2,
    first_delay=timedelta(milliseconds=5),
    throttle_pause=timedelta(milliseconds=20),
    max_throttle_pause=timedelta(milliseconds=80),
    pair_delay=timedelta(milliseconds=300),
)


def live_setup() -> InMemorySetup:
    """The real clock, so that retry times pass by themselves."""
    setup = build_in_memory(now=datetime.now(UTC))
    return replace(setup, deps=replace(setup.deps, clock=SystemClock()))


def customers_write(setup: InMemorySetup, count: int) -> dict[str, Message]:
    replies = {}
    for n in range(count):
        wa_id = f"52155{n:08d}"
        incoming = text_from(wa_id, "hola", setup.deps.clock.now(), business_number_id=BUSINESS)
        outcome = receive_inbound(setup.deps, incoming)
        assert outcome.reply is not None
        replies[wa_id] = outcome.reply
    return replies


def outbound(setup: InMemorySetup) -> list[Message]:
    return [m for m in setup.store.snapshot().messages.values() if not m.is_inbound]


async def run_until(worker: OutboxWorker, done: object, timeout: float = 10.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done():  # type: ignore[operator]
        assert loop.time() < deadline, "not done in time"
        await asyncio.sleep(0.005)
    stop.set()
    await asyncio.wait_for(task, 5)


def throttling(throttles: int, code: str = "130429") -> tuple[InMemoryMessagingGateway, list[int]]:
    """A gateway that answers ``code`` to the first ``throttles`` sends; and their count."""
    answered = [0]

    async def refuse(message: SentMessage) -> None:
        await asyncio.sleep(0.002)
        if answered[0] < throttles:
            answered[0] += 1
            raise GatewayError("demasiado rápido", retryable=True, error_code=code)

    return InMemoryMessagingGateway(before_send=refuse), answered


def test_a_storm_of_130429_slows_the_number_down_and_fails_nothing() -> None:
    setup = live_setup()
    replies = customers_write(setup, 20)
    gateway, answered = throttling(60)
    limiter = SlotRateLimiter(MemoryRateSlots(), SendRates(default=1000))
    worker = OutboxWorker(setup.deps, gateway, FAST_RETRIES, limiter=limiter, poll_interval=0.01)

    asyncio.run(run_until(worker, lambda: len(gateway.sent) == 20))

    assert answered == [60]
    assert sorted(s.to.wa_id for s in gateway.sent) == sorted(replies)
    for message in outbound(setup):
        assert message.delivery is not None
        assert message.delivery_status is DeliveryStatus.SENT
        assert message.delivery.attempts <= 1  # max_attempts is 2: throttles spent none


def test_http_429_without_a_graph_code_is_a_throttle_too() -> None:
    setup = live_setup()
    customers_write(setup, 3)
    gateway, _ = throttling(9, code="http_429")
    worker = OutboxWorker(setup.deps, gateway, FAST_RETRIES, poll_interval=0.01)

    asyncio.run(run_until(worker, lambda: len(gateway.sent) == 3))

    assert all(m.delivery_status is DeliveryStatus.SENT for m in outbound(setup))


def test_131056_delays_only_that_customers_conversation_and_keeps_its_order() -> None:
    setup = live_setup()
    replies = customers_write(setup, 3)
    limited = next(iter(replies))
    follow_up = agent_reply(
        setup.deps, replies[limited].conversation_id, "Luis", text="¿Sigue ahí?"
    )
    refused: list[str] = []

    async def pair_limit_once(message: SentMessage) -> None:
        if message.to.wa_id == limited and not refused:
            refused.append(limited)
            raise GatewayError("par limitado", retryable=True, error_code="131056")

    gateway = InMemoryMessagingGateway(before_send=pair_limit_once)
    worker = OutboxWorker(setup.deps, gateway, FAST_RETRIES, poll_interval=0.01)

    asyncio.run(run_until(worker, lambda: len(gateway.sent) == 4))

    order = [(s.to.wa_id, s.text) for s in gateway.sent]
    assert order[-2:] == [(limited, replies[limited].text), (limited, follow_up.text)]
    delayed = setup.store.snapshot().messages[replies[limited].id]
    assert delayed.delivery is not None
    assert delayed.delivery.attempts == 1  # the pair limit spent no attempt
    assert delayed.delivery.sent_at is not None
    others_sent = [
        setup.store.snapshot().messages[replies[w].id].delivery for w in replies if w != limited
    ]
    assert all(d is not None and d.sent_at is not None for d in others_sent)
    assert all(
        d.sent_at + FAST_RETRIES.pair_delay / 2 < delayed.delivery.sent_at  # type: ignore[union-attr,operator]
        for d in others_sent
    )


def test_a_hanging_send_holds_its_own_conversation_and_no_other() -> None:
    setup = live_setup()
    replies = customers_write(setup, 12)
    hanging = next(iter(replies))

    async def scenario() -> None:
        release = asyncio.Event()

        async def hang_then_time_out(message: SentMessage) -> None:
            if message.to.wa_id == hanging and not release.is_set():
                await release.wait()
                raise GatewayError("sin respuesta", retryable=True, outcome_unknown=True)

        gateway = InMemoryMessagingGateway(before_send=hang_then_time_out)
        worker = OutboxWorker(
            setup.deps, gateway, replace(FAST_RETRIES, batch_size=4), poll_interval=0.01
        )
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(gateway.sent) < 11:  # everyone else, while the one send still hangs
            assert loop.time() < deadline, "the hanging send held the others"
            await asyncio.sleep(0.005)
        assert not release.is_set()
        release.set()
        while len(gateway.sent) < 12:
            assert loop.time() < deadline
            await asyncio.sleep(0.005)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())

    retried = setup.store.snapshot().messages[replies[hanging].id]
    assert retried.delivery is not None
    assert retried.delivery_status is DeliveryStatus.SENT
    assert retried.delivery.unknown_outcomes == 1
