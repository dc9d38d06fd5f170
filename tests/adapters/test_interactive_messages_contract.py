"""Reply buttons and lists on every backend (in-memory, SQLite, PostgreSQL): a message's
interactive content is stored without a column of its own (in ``details`` on SQL), read
back as the typed field, sent by the outbox as it was written, and held to the 24-hour
window like text."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.errors import OutsideServiceWindow
from crm_whatsapp.domain.interactive import InteractiveContent, ListRow, ListSection, ReplyButton
from crm_whatsapp.domain.message import Message, MessageKind
from crm_whatsapp.domain.use_cases import agent_reply, receive_inbound, send_due_outbound
from crm_whatsapp.testing import text_from
from crm_whatsapp.testing.interactive import interactive_contents

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
WA_ID = "5215512345678"
BUTTONS = InteractiveContent.with_buttons(
    "¿Confirmas tu cita de mañana?",
    [ReplyButton("cita_si", "Sí"), ReplyButton("cita_no", "No, cambiarla")],
    footer="Clínica Sonrisa",
)
LIST = InteractiveContent.with_list(
    "Elige tu sucursal",
    "Ver sucursales",
    [
        ListSection("CDMX", (ListRow("centro", "Centro", "Av. Juárez 10"), ListRow("sur", "Sur"))),
        ListSection("Jalisco", (ListRow("gdl", "Guadalajara"),)),
    ],
)


def conversation_with_customer(setup) -> str:
    """The customer wrote just now: the 24-hour window is open."""
    incoming = text_from(
        WA_ID, "Hola", setup.clock.now(), wamid="wamid.in.1", business_number_id=BUSINESS
    )
    conversation_id = receive_inbound(setup.deps, incoming).conversation_id
    assert conversation_id is not None
    return conversation_id


def read_back(setup, message_id: str) -> tuple[Message, Message]:
    """The message through the read side and through the unit of work."""
    with setup.deps.unit_of_work() as uow:
        written = uow.conversations.get_message(message_id)
    return setup.queries.message(message_id), written


@pytest.mark.parametrize("content", [BUTTONS, LIST], ids=["buttons", "list"])
def test_an_agents_interactive_message_reads_back_as_queued(backend, content) -> None:
    setup = backend(now=T0)
    conversation_id = conversation_with_customer(setup)

    queued = agent_reply(setup.deps, conversation_id, "Laura", interactive=content)

    assert (queued.kind, queued.text, queued.interactive) == (
        MessageKind.INTERACTIVE,
        content.body,
        content,
    )
    for message in read_back(setup, queued.id):
        assert message == queued
        assert "interactive" not in message.details
    page = setup.queries.messages(conversation_id, 50)
    assert [m.interactive for m in page.items if m.id == queued.id] == [content]
    assert setup.queries.conversation(conversation_id).last_preview == content.body


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=interactive_contents())
def test_any_content_within_the_limits_is_stored_and_sent_unchanged(backend, content) -> None:
    setup = backend(now=T0)
    conversation_id = conversation_with_customer(setup)
    queued = agent_reply(setup.deps, conversation_id, "Laura", interactive=content)

    asyncio.run(send_due_outbound(setup.deps, setup.gateway))

    assert setup.gateway.sent[-1].interactive == content
    sent, _ = read_back(setup, queued.id)
    assert sent.delivery_status is DeliveryStatus.SENT
    assert sent.interactive == content
    assert sent == replace(queued, wamid=sent.wamid, delivery=sent.delivery)


def test_buttons_wait_no_longer_than_the_24_hour_window(backend) -> None:
    setup = backend(now=T0)
    conversation_id = conversation_with_customer(setup)
    queued = agent_reply(setup.deps, conversation_id, "Laura", interactive=BUTTONS)

    setup.clock.advance(timedelta(hours=24, seconds=1))
    asyncio.run(send_due_outbound(setup.deps, setup.gateway))

    assert setup.gateway.sent == []
    message, _ = read_back(setup, queued.id)
    assert message.delivery_status is DeliveryStatus.FAILED
    assert message.delivery is not None
    assert message.delivery.last_error is not None
    assert message.delivery.last_error.code == "outside_service_window"
    with pytest.raises(OutsideServiceWindow):
        agent_reply(setup.deps, conversation_id, "Laura", interactive=BUTTONS)


def test_a_detail_of_that_name_that_is_no_content_stays_a_detail(backend) -> None:
    setup = backend(now=T0)
    incoming = text_from(WA_ID, "Hola", T0, wamid="wamid.in.odd", business_number_id=BUSINESS)
    incoming = replace(incoming, details={"interactive": {"kind": "carrusel"}, "otro": 1})
    stored = receive_inbound(setup.deps, incoming).message
    assert stored is not None

    for message in read_back(setup, stored.id):
        assert message.interactive is None
        assert message.details == {"interactive": {"kind": "carrusel"}, "otro": 1}
