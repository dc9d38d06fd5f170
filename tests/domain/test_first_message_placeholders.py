"""The reply to a customer's very first message knows what that message said of them.

Regression: the bot decided on the conversation as it was before the message, so the
profile name that arrived with a new customer's first message was unknown to its reply:
``{perfil}`` came out empty, and a template rule with it was refused by Meta (131008, a
value with no text), customer after customer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import IncomingMessage, MessageKind, TemplateMessage
from crm_whatsapp.domain.policy import BotRules, KeywordRule
from crm_whatsapp.domain.use_cases import receive_inbound

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
GREETING = KeywordRule("hola", keywords=("hola",), reply="Hola {perfil}, ¿en qué te ayudo?")
APPOINTMENT = KeywordRule(
    "cita",
    keywords=("cita",),
    template=TemplateMessage(
        "confirmacion_cita",
        "es",
        named_parameters=(("nombre", "{perfil}"), ("fecha", "martes"), ("hora", "10:30")),
    ),
)
RULES = BotRules(rules=(GREETING, APPOINTMENT), greeting_unknown=None, greeting_known=None)


def first_message(text: str, profile_name: str) -> IncomingMessage:
    return IncomingMessage(
        BUSINESS,
        CustomerIdentity.from_wa_id("5215512345678"),
        "wamid.first",
        MessageKind.TEXT,
        NOW,
        text=text,
        profile_name=profile_name,
    )


@given(profile_name=st.text(min_size=1, max_size=40))
def test_a_new_customer_s_first_reply_quotes_the_profile_name_it_came_with(
    profile_name: str,
) -> None:
    crm = build_in_memory(rules=RULES, now=NOW)

    outcome = receive_inbound(crm.deps, first_message("hola", profile_name))

    assert outcome.reply is not None
    assert outcome.reply.text == f"Hola {profile_name}, ¿en qué te ayudo?"


def test_a_rule_s_named_template_gets_the_first_message_s_profile_name() -> None:
    crm = build_in_memory(rules=RULES, now=NOW)

    outcome = receive_inbound(crm.deps, first_message("quiero confirmar mi cita", "Lucía"))

    assert outcome.reply is not None
    assert outcome.reply.template == TemplateMessage(
        "confirmacion_cita",
        "es",
        named_parameters=(("nombre", "Lucía"), ("fecha", "martes"), ("hora", "10:30")),
    )
