"""Invariants of the use cases for any sequence of deliveries; the storms of duplicates run on
the in-memory adapters, SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.domain.delivery import DeliveryStatus, StatusUpdate
from crm_whatsapp.domain.errors import OutsideServiceWindow
from crm_whatsapp.domain.message import AuthorKind, IncomingMessage, Message, ProcessingState
from crm_whatsapp.domain.policy import BotRules, FloodLimit
from crm_whatsapp.domain.use_cases import agent_reply, receive_inbound, record_status_update
from crm_whatsapp.testing import (
    NOW,
    customer_identities,
    incoming_messages,
    message_texts,
    text_from,
)

few_customers = st.lists(customer_identities(), min_size=1, max_size=3, unique_by=lambda c: c.key)


def messages_of(setup) -> list[Message]:
    snapshot = setup.snapshot() if hasattr(setup, "snapshot") else setup.store.snapshot()
    return list(snapshot.messages.values())


@st.composite
def delivery_storms(draw: st.DrawFn) -> list[IncomingMessage]:
    """Distinct messages, each delivered one to four times, in any order."""
    customers = draw(few_customers)
    distinct = draw(
        st.lists(
            incoming_messages(customers=st.sampled_from(customers)),
            min_size=1,
            max_size=8,
            unique_by=lambda m: m.wamid,
        )
    )
    copies = [m for m in distinct for _ in range(draw(st.integers(1, 4)))]
    return list(draw(st.permutations(copies)))


def assert_each_message_stored_once_and_decided_at_most_once(
    setup, deliveries: list[IncomingMessage]
) -> None:
    stored = messages_of(setup)
    inbound = [m for m in stored if m.is_inbound]
    assert sorted(m.wamid or "" for m in inbound) == sorted({d.wamid for d in deliveries})
    assert all(m.processing is not None and m.processing.is_final for m in inbound)
    replies = [m for m in stored if m.author.kind is AuthorKind.BOT]
    answered = [r.details["in_reply_to"] for r in replies]
    assert len(answered) == len(set(answered))
    replied = {
        m.id
        for m in inbound
        if m.processing is not None and m.processing.state is ProcessingState.REPLIED
    }
    assert set(answered) == replied


ON_EVERY_BACKEND = settings(
    max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@ON_EVERY_BACKEND
@given(delivery_storms())
def test_any_interleaving_of_duplicates_stores_each_message_once(
    backend, deliveries: list[IncomingMessage]
) -> None:
    setup = backend(now=NOW)
    outcomes = [receive_inbound(setup.deps, d) for d in deliveries]
    assert sum(not o.duplicate for o in outcomes) == len({d.wamid for d in deliveries})
    assert_each_message_stored_once_and_decided_at_most_once(setup, deliveries)


@ON_EVERY_BACKEND
@given(delivery_storms())
def test_concurrent_duplicate_deliveries_store_each_message_once(
    backend, deliveries: list[IncomingMessage]
) -> None:
    setup = backend(now=NOW)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda d: receive_inbound(setup.deps, d), deliveries))
    assert sum(not o.duplicate for o in outcomes) == len({d.wamid for d in deliveries})
    assert_each_message_stored_once_and_decided_at_most_once(setup, deliveries)


@given(
    st.lists(st.integers(0, 15 * 60), min_size=1, max_size=25),
    st.lists(message_texts(), min_size=25, max_size=25),
    st.integers(1, 4),
    st.integers(1, 20),
)
def test_the_flood_limit_holds_for_any_sequence_of_messages(
    gaps: list[int], texts: list[str], max_replies: int, window_minutes: int
) -> None:
    window = timedelta(minutes=window_minutes)
    rules = BotRules(flood_limit=FloodLimit(max_replies, window))
    setup = build_in_memory(now=NOW, rules=rules)
    for number, (gap, text) in enumerate(zip(gaps, texts, strict=False)):
        now = setup.clock.advance(timedelta(seconds=gap))
        receive_inbound(
            setup.deps,
            text_from("5215512345678", text, now, wamid=f"wamid.{number}"),
        )
    times = sorted(m.created_at for m in messages_of(setup) if m.author.kind is AuthorKind.BOT)
    for start in times:
        assert sum(start <= t < start + window for t in times) <= max_replies


@given(st.integers(-3 * 24 * 3600, 3 * 24 * 3600))
def test_agents_may_send_free_text_only_within_24_hours_of_the_last_customer_message(
    offset_seconds: int,
) -> None:
    setup = build_in_memory(now=NOW)
    outcome = receive_inbound(setup.deps, text_from("5491123456789", "hola", NOW))
    assert outcome.conversation_id is not None
    later = setup.clock.advance(timedelta(seconds=offset_seconds))
    if later < NOW + timedelta(hours=24):
        agent_reply(setup.deps, outcome.conversation_id, "Laura", text="¿En qué te ayudo?")
    else:
        with pytest.raises(OutsideServiceWindow) as refused:
            agent_reply(setup.deps, outcome.conversation_id, "Laura", text="¿En qué te ayudo?")
        assert refused.value.window_closed_at == NOW + timedelta(hours=24)


STATUSES = [
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.FAILED,
]


@given(st.lists(st.sampled_from(STATUSES), max_size=10), st.data())
def test_status_updates_never_make_the_bot_speak_or_move_a_status_backwards(
    statuses: list[DeliveryStatus], data: st.DataObject
) -> None:
    setup = build_in_memory(now=NOW)
    outcome = receive_inbound(setup.deps, text_from("5491123456789", "hola", NOW))
    assert outcome.reply is not None
    with setup.store.unit_of_work() as uow:
        uow.conversations.update_message(outcome.reply.sent_as("wamid.out", NOW))
        uow.commit()
    before = len(messages_of(setup))
    rank = DeliveryStatus.SENT.rank
    for status in statuses:
        at: datetime = NOW + timedelta(seconds=data.draw(st.integers(0, 600)))
        record_status_update(setup.deps, StatusUpdate("wamid.out", status, at))
        stored = setup.store.snapshot().messages[outcome.reply.id]
        assert stored.delivery is not None
        assert (
            stored.delivery.status.rank >= rank or stored.delivery.status is DeliveryStatus.FAILED
        )
        rank = stored.delivery.status.rank
    assert len(messages_of(setup)) == before


def test_the_property_helpers_notice_a_double_reply() -> None:
    setup = build_in_memory(now=NOW)
    delivery = text_from("5491123456789", "hola", NOW)
    outcome = receive_inbound(setup.deps, delivery)
    assert outcome.reply is not None
    with setup.store.unit_of_work() as uow:
        uow.conversations.add_outbound(replace(outcome.reply, id="double"))
        uow.commit()
    try:
        assert_each_message_stored_once_and_decided_at_most_once(setup, [delivery])
    except AssertionError:
        return
    raise AssertionError("a second reply to the same message went unnoticed")
