"""Order per conversation under concurrency (DESIGN.md: a conversation's replies leave in
the order they were queued), as a property over interleavings.

Many conversations, several queued messages each, sends that take random times and fail
at random (retryable, unknown outcome, final). The worker runs with many sends in flight.
Whatever the interleaving:

* a conversation never has two sends in flight at once;
* once a message has been tried, no message queued before it in its conversation is tried
  again (the order holds across retries);
* every message ends sent or failed (nothing lost, nothing stuck);
* a message reaches the gateway more than once only after a failure, and a copy that
  may have been delivered (unknown outcome) is counted on the message.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
OUTCOMES = ("ok", "retryable", "unknown", "throttled", "final")
OUTCOME_WEIGHTS = st.sampled_from(("ok",) * 6 + OUTCOMES)


@dataclass
class Attempt:
    text: str
    started: int
    ended: int = -1
    outcome: str = ""


ERRORS = {
    "retryable": GatewayError("sobrecarga", retryable=True, error_code="131016"),
    "unknown": GatewayError("timeout", retryable=True, outcome_unknown=True),
    "throttled": GatewayError("throughput", retryable=True, error_code="130429"),
    "final": GatewayError("no es usuario", retryable=False, error_code="131026"),
}


@dataclass
class Script:
    """Each send sleeps its drawn latency and answers its drawn outcome (``ok`` after the
    first 40, so that everything settles); starts and ends are kept on one counter."""

    latencies_ms: list[int]
    outcomes: list[str]
    attempts: dict[str, list[Attempt]] = field(default_factory=lambda: defaultdict(list))
    clock: int = 0
    calls: int = 0

    def _tick(self) -> int:
        self.clock += 1
        return self.clock

    async def before_send(self, message: SentMessage) -> None:
        call = self.calls
        self.calls += 1
        attempt = Attempt(message.text or "", self._tick())
        self.attempts[message.to.wa_id or ""].append(attempt)
        await asyncio.sleep(self.latencies_ms[call % len(self.latencies_ms)] / 1000)
        attempt.outcome = self.outcomes[call % len(self.outcomes)] if call < 40 else "ok"
        attempt.ended = self._tick()
        if attempt.outcome in ERRORS:
            raise ERRORS[attempt.outcome]


def queue(
    setup: InMemorySetup, conversations: int, per_conversation: int
) -> dict[str, tuple[str, list[str]]]:
    """Each customer writes (the bot's greeting is queued), then an agent queues more;
    returns each customer's conversation and queued texts in queue order."""
    queued: dict[str, tuple[str, list[str]]] = {}
    for c in range(conversations):
        wa_id = f"52155{c:08d}"
        now = setup.deps.clock.now()
        outcome = receive_inbound(setup.deps, text_from(wa_id, "hola", now, wamid=f"w.{c}"))
        assert outcome.reply is not None
        assert outcome.conversation_id is not None
        texts = [outcome.reply.text or ""]
        for n in range(per_conversation - 1):
            text = f"mensaje {n} para {wa_id}"
            agent_reply(setup.deps, outcome.conversation_id, "Luis", text=text)
            texts.append(text)
        queued[wa_id] = (outcome.conversation_id, texts)
    return queued


def replies(setup: InMemorySetup) -> list[Message]:
    return [m for m in setup.store.snapshot().messages.values() if not m.is_inbound]


async def run_until_settled(worker: OutboxWorker, setup: InMemorySetup) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while any(m.delivery_status is DeliveryStatus.PENDING for m in replies(setup)):
        assert loop.time() < deadline, "messages still pending after 20 s"
        await asyncio.sleep(0.005)
    stop.set()
    await asyncio.wait_for(task, 5)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    conversations=st.integers(1, 5),
    per_conversation=st.integers(1, 4),
    latencies_ms=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    outcomes=st.lists(OUTCOME_WEIGHTS, min_size=1, max_size=12),
    concurrency=st.integers(1, 8),
    batch_size=st.integers(1, 6),
    rate_limited=st.booleans(),
)
def test_a_conversations_messages_leave_in_order_whatever_the_interleaving(
    *,
    conversations: int,
    per_conversation: int,
    latencies_ms: list[int],
    outcomes: list[str],
    concurrency: int,
    batch_size: int,
    rate_limited: bool,
) -> None:
    setup = build_in_memory(now=datetime.now(UTC))
    setup = replace(setup, deps=replace(setup.deps, clock=SystemClock()))
    queued = queue(setup, conversations, per_conversation)
    script = Script(latencies_ms, outcomes)
    gateway = InMemoryMessagingGateway(before_send=script.before_send)
    policy = RetryPolicy(
        max_attempts=4,
        first_delay=timedelta(milliseconds=1),
        max_delay=timedelta(milliseconds=4),
        throttle_pause=timedelta(milliseconds=2),
        max_throttle_pause=timedelta(milliseconds=4),
        concurrency=concurrency,
        batch_size=batch_size,
    )
    limiter = SlotRateLimiter(MemoryRateSlots(), SendRates(default=500)) if rate_limited else None
    worker = OutboxWorker(setup.deps, gateway, policy, limiter=limiter, poll_interval=0.01)

    asyncio.run(run_until_settled(worker, setup))

    by_text = {(m.conversation_id, m.text): m for m in replies(setup)}
    for wa_id, (conversation_id, texts) in queued.items():
        attempts = script.attempts[wa_id]
        for before, after in itertools.pairwise(attempts):
            assert before.ended < after.started, "two sends of one conversation overlapped"
        order = [texts.index(a.text) for a in attempts]
        assert order == sorted(order), f"{wa_id}: tried out of order {order}"
        for text in texts:
            message = by_text[(conversation_id, text)]
            assert message.delivery is not None
            tries = [a for a in attempts if a.text == text]
            accepted = sum(a.outcome in ("ok", "unknown") for a in tries)
            if message.delivery_status is DeliveryStatus.SENT:
                assert tries[-1].outcome == "ok"
            else:
                assert message.delivery_status is DeliveryStatus.FAILED
            assert accepted <= 1 + message.delivery.unknown_outcomes
            assert not message.delivery.in_flight
