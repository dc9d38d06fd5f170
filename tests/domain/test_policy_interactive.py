"""The bot answers with reply buttons or a list, and a customer's choice finds its rule by
the id of the button or row they tapped, before any keyword."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import InvalidBotRules
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent, ListRow, ListSection, ReplyButton
from crm_whatsapp.domain.message import (
    Author,
    Direction,
    IncomingMessage,
    Message,
    MessageKind,
    Processing,
    TemplateMessage,
)
from crm_whatsapp.domain.policy import (
    BotRules,
    KeywordRule,
    ReplyInteractive,
    ReplyText,
    decide,
    is_reply,
)
from crm_whatsapp.domain.use_cases import receive_inbound, send_due_outbound

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
ANA = ClientRef("42", "Ana López", {"plan": "Oro"})
MENU = KeywordRule(
    "menu",
    keywords=("menu", "opciones"),
    interactive=InteractiveContent.with_buttons(
        "Hola {nombre}, ¿qué necesitas?",
        [
            ReplyButton("precios", "Precios"),
            ReplyButton("horario", "Horario"),
            ReplyButton("pagar", "Pagar plan {plan}"),
        ],
        footer="Tu número: {numero}",
    ),
)
PRICES = KeywordRule("precios", reply_ids=("precios",), reply="Desde $99, {nombre}.")
HOURS = KeywordRule("horario", keywords=("horario",), reply_ids=("horario",), reply="9 a 18 h")
BRANCHES = KeywordRule(
    "sucursales",
    keywords=("sucursal",),
    interactive=InteractiveContent.with_list(
        "¿Qué sucursal te queda más cerca?",
        "Ver sucursales",
        [ListSection(None, (ListRow("suc_centro", "Centro"), ListRow("suc_sur", "Sur")))],
    ),
)
CENTER = KeywordRule("centro", reply_ids=("suc_centro",), reply="Av. Juárez 10")
# "Precios" is also a keyword of this rule: a tapped button must still find ``PRICES``
PRICE_WORDS = KeywordRule(
    "palabra_precio", keywords=("precios",), reply="(por palabra)", priority=9
)
RULES = BotRules(rules=(MENU, PRICES, HOURS, BRANCHES, CENTER, PRICE_WORDS))


def conversation() -> Conversation:
    base = Conversation.start(
        "c-1", "106540352242922", CustomerIdentity.from_wa_id("5215512345678"), NOW
    )
    return replace(base, last_inbound_at=NOW - timedelta(minutes=5))


def inbound(text: str, kind: MessageKind = MessageKind.TEXT, **details: str) -> Message:
    return Message(
        "m-1", "c-1", Direction.INBOUND, kind, NOW, Author.customer(), text=text,
        wamid="wamid.1", whatsapp_timestamp=NOW, details=details, processing=Processing(),
    )  # fmt: skip


def test_a_keyword_answers_with_buttons_whose_texts_and_titles_are_filled() -> None:
    decision = decide(conversation(), inbound("¿Tienen menú?"), ANA, NOW, RULES)

    assert isinstance(decision, ReplyInteractive)
    assert decision.rule == "keyword:menu"
    assert is_reply(decision)
    content = decision.content
    assert content.body == "Hola Ana López, ¿qué necesitas?"
    assert content.footer == "Tu número: +5215512345678"
    assert content.choices == (
        ("precios", "Precios"),
        ("horario", "Horario"),
        ("pagar", "Pagar plan Oro"),
    )


def test_a_keyword_answers_with_a_list() -> None:
    decision = decide(conversation(), inbound("sucursal?"), None, NOW, RULES)
    assert decision == ReplyInteractive(BRANCHES.interactive, "keyword:sucursales")  # type: ignore[arg-type]


def test_a_tapped_button_finds_its_rule_by_id_before_any_keyword() -> None:
    tapped = inbound(
        "Precios", MessageKind.INTERACTIVE, interactive_type="button_reply", reply_id="precios"
    )
    decision = decide(conversation(), tapped, ANA, NOW, RULES)
    assert decision == ReplyText("Desde $99, Ana López.", "keyword:precios")


def test_a_chosen_list_row_finds_its_rule_by_id() -> None:
    chosen = inbound(
        "Centro", MessageKind.INTERACTIVE, interactive_type="list_reply", reply_id="suc_centro"
    )
    assert decide(conversation(), chosen, None, NOW, RULES) == ReplyText(
        "Av. Juárez 10", "keyword:centro"
    )


def test_a_templates_quick_reply_finds_its_rule_by_its_payload() -> None:
    quick = inbound("Ver horario", MessageKind.BUTTON, button_payload="horario")
    assert decide(conversation(), quick, None, NOW, RULES) == ReplyText(
        "9 a 18 h", "keyword:horario"
    )


def test_an_id_no_rule_answers_falls_back_to_the_words_of_its_title() -> None:
    other = inbound("Horario", MessageKind.INTERACTIVE, reply_id="viejo_boton")
    assert decide(conversation(), other, None, NOW, RULES) == ReplyText(
        "9 a 18 h", "keyword:horario"
    )


def test_typing_a_buttons_id_is_not_tapping_it() -> None:
    typed = inbound("suc_centro")
    decision = decide(conversation(), typed, None, NOW, RULES)
    assert not (isinstance(decision, ReplyText) and decision.rule == "keyword:centro")


def test_a_rule_answers_once_with_one_kind_of_answer_and_needs_a_way_to_match() -> None:
    buttons = MENU.interactive
    with pytest.raises(InvalidBotRules, match="exactly one answer: reply, template or interactive"):
        KeywordRule("x", keywords=("x",), reply="hola", interactive=buttons)
    with pytest.raises(InvalidBotRules, match="exactly one answer: reply, template or interactive"):
        KeywordRule("x", keywords=("x",), template=TemplateMessage("t"), interactive=buttons)
    with pytest.raises(InvalidBotRules, match="keyword, pattern or reply id"):
        KeywordRule("x", interactive=buttons)
    with pytest.raises(InvalidBotRules) as blank:
        KeywordRule("x", reply_ids=(" ",), reply="hola")
    assert blank.value.field == "rules['x'].reply_ids"
    assert KeywordRule("solo_boton", reply_ids=("b1",), reply="hola").answers_choice("b1")


def test_the_bot_queues_its_buttons_in_the_same_unit_of_work_and_the_outbox_sends_them() -> None:
    crm = build_in_memory(clients=[(ANA, ["+52 55 1234 5678"])], rules=RULES, now=NOW)
    incoming = IncomingMessage(
        "106540352242922", CustomerIdentity.from_wa_id("5215512345678"), "wamid.menu",
        MessageKind.TEXT, NOW, text="menu",
    )  # fmt: skip

    outcome = receive_inbound(crm.deps, incoming)

    reply = outcome.reply
    assert reply is not None
    assert isinstance(outcome.decision, ReplyInteractive)
    assert (reply.kind, reply.author, reply.text) == (
        MessageKind.INTERACTIVE,
        Author.bot(),
        "Hola Ana López, ¿qué necesitas?",
    )
    assert reply.interactive == outcome.decision.content
    assert reply.details == {"rule": "keyword:menu", "in_reply_to": outcome.message.id}  # type: ignore[union-attr]
    assert crm.store.snapshot().messages[reply.id] == reply

    asyncio.run(send_due_outbound(crm.deps, crm.gateway))
    (sent,) = crm.gateway.sent
    assert sent.interactive == reply.interactive
    assert sent.text is None
