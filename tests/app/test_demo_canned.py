"""The demo's canned responses: stored for its team, each one usable in a chat."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.app.demo_canned import CANNED_RESPONSES, seed_canned_responses
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.use_cases.canned_responses import (
    expand_canned_response,
    find_canned_responses,
)

NOW = datetime(2026, 3, 10, 15, tzinfo=UTC)


def test_the_demo_seeds_spanish_canned_responses_that_fill_for_a_known_client() -> None:
    ana = ClientRef("17", "Ana López")
    setup = build_in_memory([(ana, [])], now=NOW)
    conversation = Conversation.start(
        "conv-1", "1065", CustomerIdentity.from_wa_id("5215512345678"), NOW
    ).linked_to(ana, manually=True)
    with setup.deps.unit_of_work() as uow:
        uow.conversations.get_or_start(conversation)
        uow.commit()

    assert seed_canned_responses(setup.deps) == len(CANNED_RESPONSES) >= 4

    stored = {r.shortcut: r for r in find_canned_responses(setup.deps, limit=100)}
    assert {"saludo", "pago_pendiente", "horario", "despedida"} <= stored.keys()
    assert "nombre" in stored["pago_pendiente"].placeholders
    assert len({r.created_by for r in stored.values()}) > 1  # saved by several agents
    pago = expand_canned_response(setup.deps, "conv-1", "/pago_pendiente")
    assert pago.text.startswith("Hola Ana López, ")
    assert "(17)" in pago.text
    assert pago.missing == ()
