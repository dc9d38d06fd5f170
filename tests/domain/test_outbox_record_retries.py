"""An outcome the database could not take at once is stored later, not sent again.

Before: the outbox gave up on the batch at the first ``StorageUnavailable``, the message
stayed claimed, and the end of its lease sent it a second time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway, InMemoryStore, build_in_memory
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.use_cases import (
    RetryPolicy,
    agent_reply,
    receive_inbound,
    send_due_outbound,
)
from crm_whatsapp.testing import text_from

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
SLOW, FAST = "5215511111111", "5215522222222"


class FlakyStoreAfterSend(InMemoryMessagingGateway):
    """The database goes away for a moment right after Meta accepted the message."""

    def __init__(self, store: InMemoryStore, outage: float) -> None:
        super().__init__()
        self._store, self._outage = store, outage

    async def send_template(
        self, business_number_id: str, to: CustomerIdentity, template: TemplateMessage
    ) -> str:
        wamid = await super().send_template(business_number_id, to, template)
        self._store.available = False
        asyncio.get_running_loop().call_later(self._outage, self._back)
        return wamid

    def _back(self) -> None:
        self._store.available = True


def test_an_outcome_the_database_could_not_take_at_once_is_stored_not_sent_twice() -> None:
    crm = build_in_memory(now=T0)
    conversation = receive_inbound(
        crm.deps, text_from(SLOW, "hola", T0, wamid="w.1")
    ).conversation_id
    assert conversation is not None
    asyncio.run(send_due_outbound(crm.deps, crm.gateway))  # the greeting, out of the way
    reply = agent_reply(crm.deps, conversation, "Luis", template=TemplateMessage("seguimiento"))
    gateway = FlakyStoreAfterSend(crm.store, outage=0.15)

    report = asyncio.run(send_due_outbound(crm.deps, gateway, RetryPolicy(record_attempts=5)))
    crm.clock.advance(timedelta(minutes=10))  # long after the claim's lease
    again = asyncio.run(send_due_outbound(crm.deps, gateway))

    assert report.sent == 1
    assert again.claimed == 0
    assert len(gateway.sent) == 1
    stored = crm.store.snapshot().messages[reply.id]
    assert stored.delivery_status is DeliveryStatus.SENT
    assert stored.wamid == gateway.sent[0].wamid


def test_an_outage_longer_than_the_record_retries_is_waited_out_within_the_lease() -> None:
    """Before: five tries over 1.5 s, then the pass gave up; the reply stayed claimed and went
    out a second time when the lease ended (seen with PostgreSQL cut off for 3 s under load,
    ``tests/reliability/test_database_down.py``). Within the lease no other worker can take
    the message, so the outbox keeps trying to record what it sent."""
    crm = build_in_memory(now=T0)
    conversation = receive_inbound(
        crm.deps, text_from(SLOW, "hola", T0, wamid="w.1")
    ).conversation_id
    assert conversation is not None
    asyncio.run(send_due_outbound(crm.deps, crm.gateway))
    reply = agent_reply(crm.deps, conversation, "Luis", template=TemplateMessage("seguimiento"))
    gateway = FlakyStoreAfterSend(crm.store, outage=2.0)

    report = asyncio.run(send_due_outbound(crm.deps, gateway, RetryPolicy(record_attempts=2)))
    crm.clock.advance(timedelta(minutes=10))
    again = asyncio.run(send_due_outbound(crm.deps, gateway))

    assert (report.sent, again.claimed, len(gateway.sent)) == (1, 0, 1)
    assert crm.store.snapshot().messages[reply.id].delivery_status is DeliveryStatus.SENT


class SlowGateway(InMemoryMessagingGateway):
    async def send_text(self, *args: object, **kwargs: object) -> str:
        await asyncio.sleep(0.3)
        return await super().send_text(*args, **kwargs)  # type: ignore[arg-type]


def test_a_pass_leaves_what_it_claimed_once_the_lease_is_nearly_over() -> None:
    """A worker still busy with its batch when the lease ends would send messages another
    worker has claimed again by then: each would reach the customer twice. So a pass stops
    sending at 80% of the lease; what it leaves is due again when the lease ends."""
    crm = build_in_memory(now=T0)
    for n, wa_id in enumerate((SLOW, FAST, "5215533333333", "5215544444444")):
        receive_inbound(crm.deps, text_from(wa_id, "hola", T0, wamid=f"w.{n}"))
    gateway = SlowGateway()
    policy = RetryPolicy(lease=timedelta(seconds=1), concurrency=1)  # one send at a time

    report = asyncio.run(send_due_outbound(crm.deps, gateway, policy))
    crm.clock.advance(policy.lease)
    rest = asyncio.run(send_due_outbound(crm.deps, gateway, policy))

    assert report.sent == 3  # 0.3 s each: the fourth would start after 0.8 s
    assert rest.sent == 1
    assert len(gateway.sent) == 4
