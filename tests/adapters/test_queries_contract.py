"""The read side's contract: the in-memory reference, SQLite and PostgreSQL answer alike."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import DeliveryStatus, StatusUpdate
from crm_whatsapp.domain.errors import (
    ConversationNotFound,
    GatewayError,
    InvalidCursor,
    InvalidQueryParameter,
)
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.statistics import DayCount, DurationSummary
from crm_whatsapp.domain.use_cases import (
    InboundOutcome,
    agent_reply,
    receive_inbound,
    record_status_update,
    send_due_outbound,
)
from crm_whatsapp.testing import text_from

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
MX, MX_OTHER, AR = "5215512345678", "5215587654321", "5491122334455"


def writes(setup, wa_id: str, text: str, ago: timedelta = timedelta(0)) -> InboundOutcome:
    """A customer's message, sent ``ago`` before it reaches us."""
    now = setup.clock.now()
    incoming = text_from(wa_id, text, now - ago, business_number_id=BUSINESS)
    outcome = receive_inbound(setup.deps, incoming)
    assert outcome.conversation_id is not None
    return outcome


def ids(items) -> list[str]:
    return [item.id for item in items]


@pytest.fixture
def inbox(backend):
    """Three customers: a linked one asking about a shipment, one who opted out, one handed
    off to a person; each wrote an hour after the previous one."""
    setup = backend([(ClientRef("c-1", "Ana López"), ["+52 55 1234 5678"])], now=T0)
    linked = writes(setup, MX, "¿Cuándo llega mi envío?").conversation_id
    setup.clock.advance(timedelta(hours=1))
    opted_out = writes(setup, MX_OTHER, "BAJA").conversation_id
    setup.clock.advance(timedelta(hours=1))
    handed_off = writes(setup, AR, "quiero hablar con un asesor").conversation_id
    return setup, {"linked": linked, "opted_out": opted_out, "handed_off": handed_off}


def listed(setup, **conditions) -> list[str]:
    return ids(setup.queries.conversations(ConversationFilter(**conditions), 50).items)


# -- conversations ------------------------------------------------------------------


def test_conversations_are_listed_newest_activity_first(inbox):
    setup, c = inbox

    assert listed(setup) == [c["handed_off"], c["opted_out"], c["linked"]]


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({"client_id": "c-1"}, ["linked"]),
        ({"client_id": "c-2"}, []),
        ({"number": PhoneNumber.parse("+52 55 1234 5678")}, ["linked"]),
        ({"number": PhoneNumber.parse("+54 9 11 2233-4455")}, ["handed_off"]),
        ({"since": T0 + timedelta(minutes=30)}, ["handed_off", "opted_out"]),
        ({"until": T0 + timedelta(minutes=30)}, ["linked"]),
        ({"since": T0 + timedelta(hours=1), "until": T0 + timedelta(hours=2)}, ["opted_out"]),
        ({"linked": True}, ["linked"]),
        ({"linked": False}, ["handed_off", "opted_out"]),
        ({"bot_paused": True}, ["handed_off"]),
        ({"bot_paused": False}, ["opted_out", "linked"]),
        ({"opted_out": True}, ["opted_out"]),
        ({"text": "ENVIO"}, ["linked"]),
        ({"text": "Envío"}, ["linked"]),
        ({"text": "ASESOR", "bot_paused": True}, ["handed_off"]),
        ({"text": "asesor", "linked": True}, []),
    ],
)
def test_each_filter_keeps_only_the_matching_conversations(inbox, conditions, expected):
    setup, c = inbox

    assert listed(setup, **conditions) == [c[name] for name in expected]


def seeded(backend, minutes: list[int]):
    """Conversations whose last activity is ``T0 + minutes`` (ties included)."""
    setup = backend(now=T0)
    conversations = [
        replace(
            Conversation.start(
                f"conv-{i}", BUSINESS, CustomerIdentity.from_wa_id(f"52155{i:08d}"), T0
            ),
            last_activity_at=T0 + timedelta(minutes=m),
        )
        for i, m in enumerate(minutes)
    ]
    with setup.deps.unit_of_work() as uow:
        for conversation in conversations:
            uow.conversations.get_or_start(conversation)
        uow.commit()
    return setup.queries, conversations


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 5), max_size=30), st.integers(1, 10))
def test_cursor_pagination_walks_every_conversation_exactly_once(backend, minutes, page_size):
    queries, conversations = seeded(backend, minutes)
    walked: list[str] = []
    pages = 0
    cursor = None
    while True:
        page = queries.conversations(ConversationFilter(), page_size, cursor)
        pages += 1
        assert len(page.items) <= page_size
        walked += ids(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break

    newest_first = sorted(conversations, key=lambda c: (c.last_activity_at, c.id), reverse=True)
    assert walked == ids(newest_first)
    assert pages == max(1, -(-len(minutes) // page_size))


# -- messages -----------------------------------------------------------------------


def test_messages_are_listed_newest_first_and_the_cursor_leads_to_older_ones(backend):
    setup = backend(now=T0)
    conversation_id = ""
    for text in ("hola", "¿precio?", "¿horario?"):
        conversation_id = writes(setup, MX, text, ago=timedelta(seconds=10)).conversation_id
        setup.clock.advance(timedelta(minutes=1))

    first = setup.queries.messages(conversation_id, 4)
    assert first.next_cursor is not None
    rest = setup.queries.messages(conversation_id, 4, first.next_cursor)

    walked = [*first.items, *rest.items]
    assert rest.next_cursor is None
    assert [m.sent_at for m in walked] == sorted((m.sent_at for m in walked), reverse=True)
    assert [m.text for m in walked if m.is_inbound] == ["¿horario?", "¿precio?", "hola"]
    assert len(walked) == len(set(ids(walked))) == 6
    assert walked[0].sent_at == T0 + timedelta(minutes=2)


def tampered(cursor: str) -> str:
    """The same cursor pointing at another id, keeping its old checksum."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    payload, digest = json.loads(raw)
    kind, at, _ = json.loads(payload)
    forged = json.dumps([kind, at, "conv-0"], separators=(",", ":"))
    token = json.dumps([forged, digest], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def test_a_cursor_from_another_listing_or_altered_is_refused(inbox):
    setup, c = inbox
    conversations_cursor = setup.queries.conversations(ConversationFilter(), 1).next_cursor
    assert conversations_cursor is not None

    with pytest.raises(InvalidCursor):
        setup.queries.messages(c["linked"], 10, conversations_cursor)
    with pytest.raises(InvalidCursor):
        setup.queries.conversations(ConversationFilter(), 1, tampered(conversations_cursor))
    with pytest.raises(InvalidCursor):
        setup.queries.conversations(ConversationFilter(), 1, "not-a-cursor")


@pytest.mark.parametrize("size", [0, -1, 201])
def test_a_page_size_out_of_range_is_refused(inbox, size):
    setup, c = inbox

    with pytest.raises(InvalidQueryParameter) as raised:
        setup.queries.conversations(ConversationFilter(), size)
    with pytest.raises(InvalidQueryParameter):
        setup.queries.messages(c["linked"], size)

    assert raised.value.parameter == "limit"


def test_the_largest_page_size_is_accepted(inbox):
    setup, _ = inbox

    assert len(setup.queries.conversations(ConversationFilter(), 200).items) == 3


def test_an_unknown_conversation_is_not_found(inbox):
    setup, _ = inbox

    with pytest.raises(ConversationNotFound):
        setup.queries.conversation("nope")
    with pytest.raises(ConversationNotFound):
        setup.queries.messages("nope", 10)


# -- statistics ---------------------------------------------------------------------


@pytest.fixture
def busy_day(backend):
    """A greeting that fails to send, a handoff answered by an agent after 120 s, an opt-out,
    and an agent answering the first customer after 240 s."""
    setup = backend(now=T0)
    first = writes(setup, MX, "hola").conversation_id
    setup.clock.advance(timedelta(seconds=60))
    second = writes(setup, MX_OTHER, "quiero un asesor").conversation_id
    setup.clock.advance(timedelta(seconds=60))
    writes(setup, AR, "BAJA")
    setup.clock.advance(timedelta(seconds=60))
    agent_reply(setup.deps, second, "Luis", text="Hola, te atiendo")
    setup.clock.advance(timedelta(seconds=60))
    agent_reply(setup.deps, first, "Luis", text="¿Te ayudo?")
    setup.gateway.fail_next(GatewayError("not on WhatsApp", retryable=False, error_code="131026"))
    asyncio.run(send_due_outbound(setup.deps, setup.gateway))
    for wamid, status in [
        ("wamid.fake.1", DeliveryStatus.DELIVERED),
        ("wamid.fake.2", DeliveryStatus.READ),
        ("wamid.fake.3", DeliveryStatus.READ),
    ]:
        record_status_update(setup.deps, StatusUpdate(wamid, status, setup.clock.now()))
    return setup


def test_statistics_count_messages_by_direction_and_author(busy_day):
    stats = busy_day.queries.statistics(None, None, "UTC")

    assert (stats.inbound_messages, stats.outbound_messages) == (3, 5)
    assert (stats.bot_messages, stats.agent_messages) == (3, 2)
    assert (stats.conversations, stats.customers) == (3, 3)
    assert (stats.linked_conversations, stats.unlinked_conversations) == (0, 3)
    assert (stats.bot_replies, stats.handoffs, stats.opt_outs) == (3, 1, 1)


def test_statistics_report_failed_sends_by_code_and_delivery_and_read_rates(busy_day):
    stats = busy_day.queries.statistics(None, None, "UTC")

    assert stats.failed_sends == {"131026": 1}
    assert stats.delivery_rate == pytest.approx(3 / 5)
    assert stats.read_rate == pytest.approx(2 / 5)


def test_statistics_give_first_response_medians_for_bot_and_agents(busy_day):
    stats = busy_day.queries.statistics(None, None, "UTC")

    assert stats.first_response_bot == DurationSummary(3, 0.0, 0.0)
    assert stats.first_response_agent.count == 2
    assert stats.first_response_agent.median_seconds == pytest.approx(180.0)
    assert stats.first_response_agent.p90_seconds == pytest.approx(228.0)


def test_statistics_only_count_messages_in_the_range(busy_day):
    stats = busy_day.queries.statistics(
        T0 + timedelta(seconds=60), T0 + timedelta(seconds=180), "UTC"
    )

    assert (stats.inbound_messages, stats.outbound_messages) == (2, 2)
    assert (stats.delivery_rate, stats.read_rate) == (1.0, 0.5)
    assert stats.conversations == 2


class CountdownIds:
    """Ids that sort backwards, as random ids (uuid4) may: 'id-9999', 'id-9998', ..."""

    def __init__(self) -> None:
        self._next = 10_000

    def new_id(self) -> str:
        self._next -= 1
        return f"id-{self._next}"


def test_a_bot_reply_stored_in_the_same_instant_counts_as_a_first_response_whatever_the_ids(
    backend,
):
    setup = backend(now=T0)
    setup = replace(setup, deps=replace(setup.deps, ids=CountdownIds()))
    writes(setup, MX, "hola")
    setup.clock.advance(timedelta(minutes=5))
    writes(setup, MX_OTHER, "hola")

    stats = setup.queries.statistics(None, None, "UTC")

    assert stats.bot_messages == 2
    assert stats.first_response_bot == DurationSummary(2, 0.0, 0.0)


def test_days_and_hours_are_counted_in_the_given_timezone(backend):
    setup = backend(now=datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    writes(setup, MX, "hola")

    mexico = setup.queries.statistics(None, None, "America/Mexico_City")
    utc = setup.queries.statistics(None, None, "UTC")

    assert mexico.messages_per_day == (DayCount(date(2026, 3, 9), 1, 1),)
    assert mexico.heatmap[0][20] == 1  # Monday 20:00 in Mexico City
    assert sum(map(sum, mexico.heatmap)) == 1
    assert utc.messages_per_day == (DayCount(date(2026, 3, 10), 1, 1),)
    assert utc.heatmap[1][2] == 1  # Tuesday 02:00 UTC


def test_an_unknown_timezone_is_refused(busy_day):
    with pytest.raises(InvalidQueryParameter) as raised:
        busy_day.queries.statistics(None, None, "Mars/Olympus_Mons")

    assert raised.value.parameter == "timezone"


@pytest.mark.parametrize(
    ("since", "until", "parameter"),
    [
        (datetime(2026, 3, 10), None, "since"),
        (None, datetime(2026, 3, 10), "until"),
        (T0, T0, "since"),
        (T0 + timedelta(days=1), T0, "since"),
    ],
)
def test_a_naive_or_empty_statistics_range_is_refused(busy_day, since, until, parameter):
    with pytest.raises(InvalidQueryParameter) as raised:
        busy_day.queries.statistics(since, until, "UTC")

    assert raised.value.parameter == parameter
