"""Status reports, agents answering, and what CRM users do to a conversation."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.domain.delivery import DeliveryStatus, SendFailure, StatusUpdate
from crm_whatsapp.domain.errors import (
    ClientLookupUnavailable,
    ClientNotFound,
    ConversationNotFound,
    CustomerOptedOut,
    InvalidActor,
    InvalidOutboundMessage,
    OutsideServiceWindow,
    StorageUnavailable,
)
from crm_whatsapp.domain.events import DeliveryStatusChanged
from crm_whatsapp.domain.identity import ClientMatch, ClientRef
from crm_whatsapp.domain.message import (
    Author,
    Direction,
    MessageKind,
    ProcessingState,
    TemplateMessage,
)
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.policy import BotRules, FloodLimit
from crm_whatsapp.domain.use_cases import (
    InboundOutcome,
    StatusOutcome,
    agent_reply,
    give_back_to_bot,
    link_client,
    mark_read,
    receive_inbound,
    record_status_update,
    send_due_outbound,
    take_over,
    unlink_client,
)
from crm_whatsapp.testing import text_from

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
OTHER_BUSINESS = "207651463353033"
WA_ID = "5215512345678"
ANA = ClientRef("c-1", "Ana López")
TEMPLATE = TemplateMessage("seguimiento", "es_MX", ("Ana",))


@pytest.fixture
def setup(backend):
    return backend([(ANA, ["+52 55 1234 5678"])], now=T0)


@pytest.fixture
def stranger(backend):
    """Nobody in the CRM has the customer's number."""
    return backend([(ANA, ["+52 55 9999 0000"])], now=T0)


def writes(setup, text: str = "hola", business: str = BUSINESS, deps=None) -> InboundOutcome:
    incoming = text_from(WA_ID, text, setup.clock.now(), business_number_id=business)
    return receive_inbound(deps or setup.deps, incoming)


def conversation(setup, conversation_id: str):
    return setup.snapshot().conversations[conversation_id]


def sent_reply_wamid(setup) -> tuple[str, str]:
    """A customer writes and the bot's reply goes out; returns (message id, wamid)."""
    reply = writes(setup).reply
    assert reply is not None
    asyncio.run(send_due_outbound(setup.deps, setup.gateway))
    wamid = setup.snapshot().messages[reply.id].wamid
    assert wamid is not None
    return reply.id, wamid


def status_of(setup, message_id: str):
    return setup.snapshot().messages[message_id].delivery


# -- record_status_update -----------------------------------------------------------


def test_a_status_report_for_a_sent_message_is_applied_and_published(setup):
    message_id, wamid = sent_reply_wamid(setup)
    at = T0 + timedelta(seconds=3)

    outcome = record_status_update(setup.deps, StatusUpdate(wamid, DeliveryStatus.DELIVERED, at))

    assert outcome is StatusOutcome.APPLIED
    delivery = status_of(setup, message_id)
    assert (delivery.status, delivery.delivered_at) == (DeliveryStatus.DELIVERED, at)
    conversation_id = setup.snapshot().messages[message_id].conversation_id
    assert setup.events.events[-1] == DeliveryStatusChanged(
        conversation_id, message_id, DeliveryStatus.DELIVERED
    )


def test_delivered_after_read_changes_nothing(setup):
    message_id, wamid = sent_reply_wamid(setup)
    read_at = T0 + timedelta(seconds=5)
    record_status_update(setup.deps, StatusUpdate(wamid, DeliveryStatus.READ, read_at))
    before = setup.snapshot()
    events = len(setup.events.events)

    late = StatusUpdate(wamid, DeliveryStatus.DELIVERED, T0 + timedelta(seconds=2))
    outcome = record_status_update(setup.deps, late)

    assert outcome is StatusOutcome.STALE
    assert setup.snapshot() == before
    assert status_of(setup, message_id).status is DeliveryStatus.READ
    assert status_of(setup, message_id).read_at == read_at
    assert len(setup.events.events) == events


def test_a_failure_report_after_read_is_stale(setup):
    message_id, wamid = sent_reply_wamid(setup)
    record_status_update(setup.deps, StatusUpdate(wamid, DeliveryStatus.READ, T0))
    failure = SendFailure("131047", "Re-engagement message")

    outcome = record_status_update(
        setup.deps, StatusUpdate(wamid, DeliveryStatus.FAILED, T0, failure)
    )

    assert outcome is StatusOutcome.STALE
    assert status_of(setup, message_id).status is DeliveryStatus.READ


def test_a_failed_report_carries_its_send_failure(setup):
    message_id, wamid = sent_reply_wamid(setup)
    failure = SendFailure("131047", "Re-engagement message")
    at = T0 + timedelta(seconds=9)

    outcome = record_status_update(
        setup.deps, StatusUpdate(wamid, DeliveryStatus.FAILED, at, failure)
    )

    assert outcome is StatusOutcome.APPLIED
    delivery = status_of(setup, message_id)
    assert (delivery.status, delivery.last_error, delivery.failed_at) == (
        DeliveryStatus.FAILED,
        failure,
        at,
    )


def test_a_report_for_an_unknown_wamid_is_parked(setup):
    update = StatusUpdate("wamid.unknown", DeliveryStatus.DELIVERED, T0)

    outcome = record_status_update(setup.deps, update)

    assert outcome is StatusOutcome.PARKED
    assert setup.snapshot().parked_statuses == {"wamid.unknown": (update,)}


# -- agent_reply --------------------------------------------------------------------


def test_within_24_hours_an_agents_text_is_queued_and_the_agent_takes_over(setup):
    conversation_id = writes(setup).conversation_id
    setup.clock.advance(timedelta(hours=23, minutes=59))

    message = agent_reply(setup.deps, conversation_id, "Luis", text="Hola, soy Luis")

    stored = setup.snapshot().messages[message.id]
    assert stored == message
    assert (stored.direction, stored.kind, stored.author) == (
        Direction.OUTBOUND,
        MessageKind.TEXT,
        Author.agent("Luis"),
    )
    assert stored.delivery is not None
    assert stored.delivery.status is DeliveryStatus.PENDING
    assert stored.delivery.next_attempt_at == setup.clock.now()
    after = conversation(setup, conversation_id)
    assert (after.bot_paused, after.assigned_agent) == (True, "Luis")
    assert after.last_preview == "Hola, soy Luis"


def test_an_agent_may_answer_without_taking_the_conversation_over(setup):
    conversation_id = writes(setup).conversation_id

    agent_reply(setup.deps, conversation_id, "Luis", text="Un momento", take_over=False)

    after = conversation(setup, conversation_id)
    assert (after.bot_paused, after.assigned_agent) == (False, None)


def test_outside_the_window_text_is_refused_naming_when_it_closed_and_nothing_is_stored(setup):
    conversation_id = writes(setup).conversation_id
    setup.clock.advance(timedelta(hours=24))
    before = setup.snapshot()

    with pytest.raises(OutsideServiceWindow) as raised:
        agent_reply(setup.deps, conversation_id, "Luis", text="¿Sigues ahí?")

    assert raised.value.window_closed_at == T0 + timedelta(hours=24)
    assert raised.value.conversation_id == conversation_id
    assert "2026-03-11T15:00:00+00:00" in str(raised.value)
    assert setup.snapshot() == before


def test_a_template_is_allowed_outside_the_window(setup):
    conversation_id = writes(setup).conversation_id
    setup.clock.advance(timedelta(days=5))

    message = agent_reply(setup.deps, conversation_id, "Luis", template=TEMPLATE)

    stored = setup.snapshot().messages[message.id]
    assert (stored.kind, stored.template, stored.text) == (MessageKind.TEMPLATE, TEMPLATE, None)
    assert conversation(setup, conversation_id).last_preview == "[plantilla seguimiento: Ana]"


def test_a_template_to_a_customer_who_opted_out_is_refused(setup):
    conversation_id = writes(setup, "BAJA").conversation_id
    assert conversation(setup, conversation_id).opted_out
    before = setup.snapshot()

    with pytest.raises(CustomerOptedOut):
        agent_reply(setup.deps, conversation_id, "Luis", template=TEMPLATE)

    assert setup.snapshot() == before


@pytest.mark.parametrize(
    ("agent", "content", "field"),
    [
        ("Luis", {"text": ""}, "text"),
        ("Luis", {"text": "  \n "}, "text"),
        ("Luis", {"text": "x" * 4097}, "text"),
        ("Luis", {"text": "hola", "template": TEMPLATE}, "text"),
        ("Luis", {}, "text"),
        ("Luis", {"template": TemplateMessage("  ")}, "template.name"),
    ],
)
def test_an_agent_reply_whatsapp_would_refuse_names_the_field(setup, agent, content, field):
    conversation_id = writes(setup).conversation_id
    before = setup.snapshot()

    with pytest.raises(InvalidOutboundMessage) as raised:
        agent_reply(setup.deps, conversation_id, agent, **content)

    assert raised.value.field == field
    assert setup.snapshot() == before


def test_a_reply_signed_by_nobody_is_refused_and_writes_nothing(setup):
    conversation_id = writes(setup).conversation_id
    before = setup.snapshot()

    with pytest.raises(InvalidActor) as raised:
        agent_reply(setup.deps, conversation_id, "   ", text="hola")

    assert raised.value.field == "agent"
    assert setup.snapshot() == before


def test_text_of_exactly_4096_characters_is_accepted(setup):
    conversation_id = writes(setup).conversation_id

    message = agent_reply(setup.deps, conversation_id, "Luis", text="x" * 4096)

    assert setup.snapshot().messages[message.id].text == "x" * 4096


def test_an_agent_reply_to_an_unknown_conversation_is_refused(setup):
    with pytest.raises(ConversationNotFound) as raised:
        agent_reply(setup.deps, "no-such-id", "Luis", text="hola")

    assert raised.value.conversation_id == "no-such-id"


# -- link / unlink, take over, give back, read --------------------------------------


def test_linking_a_client_links_every_conversation_of_the_customer(stranger):
    first = writes(stranger, business=BUSINESS).conversation_id
    second = writes(stranger, business=OTHER_BUSINESS).conversation_id
    assert first != second

    linked = link_client(stranger.deps, first, "c-1")

    assert (linked.client_id, linked.client_name) == ("c-1", "Ana López")
    for conversation_id in (first, second):
        after = conversation(stranger, conversation_id)
        assert (after.client_id, after.client_linked_manually) == ("c-1", True)


def test_linking_an_unknown_client_is_refused_and_changes_nothing(stranger):
    conversation_id = writes(stranger).conversation_id
    before = stranger.snapshot()

    with pytest.raises(ClientNotFound) as raised:
        link_client(stranger.deps, conversation_id, "c-404")

    assert raised.value.client_id == "c-404"
    assert stranger.snapshot() == before


def test_after_a_manual_unlink_the_phone_lookup_does_not_relink(setup):
    first = writes(setup, business=BUSINESS).conversation_id
    second = writes(setup, business=OTHER_BUSINESS).conversation_id
    assert conversation(setup, first).client_id == "c-1"

    unlink_client(setup.deps, first)
    setup.clock.advance(timedelta(minutes=1))
    outcome = writes(setup, "¿me ayudan?", business=BUSINESS)

    assert outcome.conversation_id == first
    for conversation_id in (first, second):
        after = conversation(setup, conversation_id)
        assert (after.client_id, after.client_name) == (None, None)


def test_an_agent_takes_over_and_the_bot_stays_silent_until_given_back(setup):
    conversation_id = writes(setup).conversation_id

    taken = take_over(setup.deps, conversation_id, "Luis")
    silent = writes(setup, "¿hola?")
    given_back = give_back_to_bot(setup.deps, conversation_id)
    answered = writes(setup, "¿alguien?")

    assert (taken.bot_paused, taken.assigned_agent) == (True, "Luis")
    assert silent.reply is None
    assert silent.message is not None
    assert silent.message.processing is not None
    assert silent.message.processing.detail == "bot_paused"
    assert (given_back.bot_paused, given_back.assigned_agent) == (False, None)
    assert answered.reply is not None


def test_marking_a_conversation_read_clears_its_unread_count(setup):
    conversation_id = writes(setup).conversation_id
    writes(setup, "¿sigue abierto?")
    assert conversation(setup, conversation_id).unread_count == 2

    read = mark_read(setup.deps, conversation_id)

    assert read.unread_count == 0
    assert conversation(setup, conversation_id).unread_count == 0


# -- failures of the outside world --------------------------------------------------


def test_when_the_store_is_down_receiving_raises_and_nothing_is_stored():
    """(The SQL unit of work's own failures are tested with a database that is down.)"""
    setup = build_in_memory([(ANA, ["+52 55 1234 5678"])], now=T0)
    setup.store.available = False

    with pytest.raises(StorageUnavailable):
        writes(setup)

    setup.store.available = True
    state = setup.store.snapshot()
    assert (state.conversations, state.messages) == ({}, {})


class UnavailableClientLookup:
    """The CRM's client table cannot be read."""

    def by_phone(self, phone: PhoneNumber) -> ClientMatch:
        raise ClientLookupUnavailable("crm database timed out")

    def by_id(self, client_id: str) -> ClientRef | None:
        raise ClientLookupUnavailable("crm database timed out")

    def search(self, text: str, limit: int = 20) -> list[ClientRef]:
        raise ClientLookupUnavailable("crm database timed out")


def test_when_the_client_lookup_fails_the_message_is_stored_as_failed_without_a_reply(setup):
    deps = replace(setup.deps, clients=UnavailableClientLookup())

    outcome = writes(setup, deps=deps)

    assert outcome.duplicate is False
    assert outcome.reply is None
    state = setup.snapshot()
    assert list(state.messages.values()) == [outcome.message]
    stored = state.messages[outcome.message.id]
    assert stored.processing is not None
    assert stored.processing.state is ProcessingState.FAILED
    assert stored.processing.detail == "client lookup: crm database timed out"
    after = state.conversations[outcome.conversation_id]
    assert (after.client_id, after.unread_count) == (None, 1)


def test_asking_for_a_person_pauses_the_bot_even_when_the_flood_limit_silences_it(backend):
    rules = BotRules(flood_limit=FloodLimit(max_replies=1))
    setup = backend(now=T0, rules=rules)
    first = writes(setup, "hola")
    second = writes(setup, "quiero hablar con un asesor")
    assert second.reply is None
    paused = conversation(setup, first.conversation_id)
    assert paused.bot_paused
    assert paused.assigned_agent is None
