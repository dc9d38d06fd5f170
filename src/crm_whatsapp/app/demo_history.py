"""Two weeks of past conversations for the demo, so the inbox and the dashboard are not empty.

The history goes through the same use cases as live traffic (parse the webhook body, store,
let the bot decide, send through a gateway, record the status webhooks, fetch customers'
files into the media store), only with a clock set to the past and an in-memory gateway
standing in for Meta: every figure the dashboard shows is one the real service would have
computed, and every photo, voice note and PDF is in the store from the start.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crm_whatsapp.adapters.memory import FixedClock, InMemoryMessagingGateway
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import StatusContext, status_webhook_body
from crm_whatsapp.adapters.whatsapp.webhook import WebhookBodyReader, parse_webhook
from crm_whatsapp.app.demo_data import (
    AGENT_TEXTS,
    DEMO_BUSINESS_ACCOUNT_ID,
    DEMO_DISPLAY_NUMBER,
    DEMO_PHONE_NUMBER_ID,
    HANDOFF_TEXT,
    OPT_OUT_TEXT,
    customer_message,
    message_webhook_body,
)
from crm_whatsapp.app.demo_files import CustomerFiles, held_by_gateway
from crm_whatsapp.app.demo_team import agent_of, team_work
from crm_whatsapp.domain.conversation import ConversationStatus
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.use_cases import (
    Dependencies,
    agent_reply,
    give_back_to_bot,
    mark_read,
    receive_inbound,
)
from crm_whatsapp.domain.use_cases.ingest import apply_body
from crm_whatsapp.domain.use_cases.media_fetch import fetch_due_media
from crm_whatsapp.domain.use_cases.outbox_pipeline import send_due_outbound
from crm_whatsapp.domain.use_cases.team import set_status

# Customers write more at midday and in the evening, little at night (local hours 0..23).
_HOUR_WEIGHTS = (1, 0, 0, 0, 0, 1, 2, 4, 7, 9, 10, 11, 12, 11, 9, 8, 9, 10, 11, 10, 8, 6, 4, 2)
_KINDS = ("text",) * 12 + ("image", "image", "document", "audio", "location")


@dataclass(frozen=True, slots=True)
class Customer:
    wa_id: str
    profile_name: str | None


@dataclass(frozen=True, slots=True)
class HistoryReport:
    conversations: int
    customer_messages: int
    outbound_messages: int


class _History:
    def __init__(
        self, deps: Dependencies, clock: FixedClock, gateway: InMemoryMessagingGateway
    ) -> None:
        self._deps = deps
        self._clock = clock
        self._gateway = gateway
        self._wamids = 0
        self.customer_messages = 0
        self._files_at_meta = InMemoryMessagingGateway()  # apart: the replies' failures stay
        self.files: CustomerFiles | None = (
            None if deps.media is None else held_by_gateway(self._files_at_meta)
        )

    def customer_writes(self, customer: Customer, part: Mapping[str, Any], at: datetime) -> str:
        """Store the message as the webhook would; the conversation's id."""
        self._clock.set(at)
        self._wamids += 1
        wamid = f"wamid.demo.history.{self._wamids:06d}"
        body = message_webhook_body(
            wa_id=customer.wa_id,
            profile_name=customer.profile_name,
            wamid=wamid,
            timestamp=int(at.timestamp()),
            part=part,
        )
        (incoming,) = parse_webhook(json.dumps(body).encode()).messages
        outcome = receive_inbound(self._deps, incoming)
        assert outcome.conversation_id is not None, "a new message always has a conversation"
        self.customer_messages += 1
        if incoming.kind.is_media and self._deps.media is not None:  # at once, as the service
            asyncio.run(fetch_due_media(self._deps, self._files_at_meta, self._deps.media))
        return outcome.conversation_id

    def send_and_report(self, at: datetime, rng: random.Random, *, fail: bool = False) -> None:
        """The outbox's pass at ``at``, then Meta's delivered and (mostly) read webhooks."""
        self._clock.set(at)
        already = len(self._gateway.sent)
        if fail:
            self._gateway.fail_next(
                GatewayError("El número no tiene WhatsApp", retryable=False, error_code="131026")
            )
        asyncio.run(send_due_outbound(self._deps, self._gateway))
        for sent in self._gateway.sent[already:]:
            delivered = at + timedelta(seconds=rng.randint(1, 20))
            self._status(sent.wamid, sent.to.wa_id or "", "delivered", delivered)
            if rng.random() < 0.75:
                read = delivered + timedelta(minutes=rng.randint(1, 90))
                self._status(sent.wamid, sent.to.wa_id or "", "read", read)

    def _status(self, wamid: str, recipient: str, status: str, at: datetime) -> None:
        context = StatusContext(
            wamid=wamid,
            phone_number_id=DEMO_PHONE_NUMBER_ID,
            recipient_field="to",
            recipient=recipient,
            is_template=False,
            conversation_id="demo-pricing-conversation",
            sent_at=int(at.timestamp()),
        )
        body = status_webhook_body(
            context,
            status,
            int(at.timestamp()),
            business_account_id=DEMO_BUSINESS_ACCOUNT_ID,
            display_phone_number=DEMO_DISPLAY_NUMBER,
        )
        self._clock.set(at)
        apply_body(self._deps, WebhookBodyReader(), json.dumps(body).encode(), at)


def write_history(
    deps: Dependencies,
    clock: FixedClock,
    customers: list[Customer],
    *,
    now: datetime,
    days: int,
    timezone: str,
    seed: int = 11,
) -> HistoryReport:
    """One conversation per customer, started at a random hour of the last ``days`` days.

    Some customers ask for a person (an agent answers and later gives the conversation back,
    sometimes resolved), a few opt out, one reply fails as Meta fails it for a number without
    WhatsApp, about half of the conversations have been read by the CRM's users, and the
    demo's own agent has some of them (``demo_team``).
    """
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    gateway = InMemoryMessagingGateway(wamid_prefix="wamid.demo.reply.")
    history = _History(deps, clock, gateway)
    starts = sorted(  # chronological, as the service would have lived it
        ((start_time(rng, now, days, zone), customer) for customer in customers),
        key=lambda start_and_customer: start_and_customer[0],  # two may start in one minute
    )
    conversations = 0
    for number, (start, customer) in enumerate(starts):
        at = start
        exchanges = rng.randint(1, 4)
        conversation_id = ""
        for exchange in range(exchanges):
            kind = "text" if exchange == 0 else rng.choice(_KINDS)
            part = customer_message(kind, rng, history.files)
            conversation_id = history.customer_writes(customer, part, at)
            history.send_and_report(at + timedelta(seconds=2), rng, fail=number == 5)
            at += timedelta(minutes=rng.randint(1, 25))
        if number % 4 == 2:  # asks for a person; an agent answers, then gives it back
            handoff = {"type": "text", "text": {"body": HANDOFF_TEXT}}
            history.customer_writes(customer, handoff, at)
            history.send_and_report(at + timedelta(seconds=2), rng)
            agent = agent_of(number)
            at += timedelta(minutes=rng.randint(2, 40))
            clock.set(at)
            text = rng.choice(AGENT_TEXTS).format(agent=agent.name)
            agent_reply(deps, conversation_id, agent, text=text)
            history.send_and_report(at + timedelta(seconds=1), rng)
            if number % 8 == 2:
                clock.set(at + timedelta(minutes=30))
                give_back_to_bot(deps, conversation_id, agent)
            if number % 16 == 2:
                clock.set(at + timedelta(minutes=31))
                set_status(deps, conversation_id, ConversationStatus.RESOLVED, agent)
        if number % 20 == 7:  # had enough of us
            history.customer_writes(customer, {"type": "text", "text": {"body": OPT_OUT_TEXT}}, at)
            history.send_and_report(at + timedelta(seconds=2), rng)
        if rng.random() < 0.5:
            clock.set(at + timedelta(minutes=5))
            mark_read(deps, conversation_id, agent_of(number + 1))
        team_work(deps, clock, number, conversation_id, at)
        conversations += 1
    return HistoryReport(conversations, history.customer_messages, len(gateway.sent))


def start_time(rng: random.Random, now: datetime, days: int, zone: ZoneInfo) -> datetime:
    """When a customer of the history first wrote: a day of the last ``days`` (today
    included) at an hour people write, at least two hours ago (history is the past, with
    room to talk).

    A draw too late for that moves back a day. Drawing again instead never ended shortly
    after midnight with a history of one day: no hour of today was two hours old yet, and
    ``crm-whatsapp demo --history-days 1`` (and every test that prepares a short demo)
    hung between 00:00 and 02:00 in the demo's time zone.
    """
    local_now = now.astimezone(zone)
    day = local_now.date() - timedelta(days=rng.randint(0, max(days - 1, 0)))
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    start = datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=zone)
    while start >= local_now - timedelta(hours=2):
        start -= timedelta(days=1)
    return start
