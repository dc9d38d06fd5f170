"""A claimed batch is sent concurrently without reordering a conversation, and an outcome
that could not be stored at once is stored later instead of being sent again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway, InMemoryStore, build_in_memory
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.services import (
    RetryPolicy,
    agent_reply,
    receive_inbound,
    send_due_outbound,
)
from crm_whatsapp.testing import text_from

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
SLOW, FAST = "5215511111111", "5215522222222"


class SlowForOneCustomer(InMemoryMessagingGateway):
    """Meta answering one customer's sends slowly; records when each send ends."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: list[tuple[str, str | None]] = []

    async def send_text(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        text: str,
        *,
        reply_to_wamid: str | None = None,
        preview_url: bool = False,
    ) -> str:
        if to.wa_id == SLOW:
            await asyncio.sleep(0.2)
        wamid = await super().send_text(business_number_id, to, text)
        self.finished.append((to.wa_id or "", text))
        return wamid


def test_a_slow_conversation_does_not_hold_up_another_nor_lose_its_order() -> None:
    crm = build_in_memory(now=T0)
    slow = receive_inbound(crm.deps, text_from(SLOW, "hola", T0, wamid="w.1")).conversation_id
    receive_inbound(crm.deps, text_from(FAST, "hola", T0, wamid="w.2"))
    assert slow is not None
    agent_reply(crm.deps, slow, "Luis", text="primero")
    agent_reply(crm.deps, slow, "Luis", text="segundo")
    gateway = SlowForOneCustomer()

    report = asyncio.run(send_due_outbound(crm.deps, gateway))

    assert report.sent == 4
    order = [(who, text) for who, text in gateway.finished]
    assert order[0][0] == FAST  # did not wait behind the slow customer's three sends
    slow_texts = [text for who, text in order if who == SLOW]
    assert slow_texts[1:] == ["primero", "segundo"]


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
