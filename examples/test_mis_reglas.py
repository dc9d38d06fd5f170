"""A CRM team property-tests its own bot rules with crm_whatsapp.testing.

Run with ``pytest examples``. Each test states a promise the shop makes to its customers
and lets Hypothesis look for a conversation, a message and a moment that break it.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.message import Message, MessageKind
from crm_whatsapp.domain.policy import Effect, ReplyTemplate, ReplyText, decide, is_reply
from crm_whatsapp.testing import NOW, clients, conversations, inbound_messages
from examples.mis_reglas import PALABRAS_CLAVE, REGLAS

open_conversations = conversations().map(
    lambda c: replace(c, opted_out=False, bot_paused=False, recent_bot_replies=())
)
opening_hours = st.integers(15, 23).map(lambda hour: NOW.replace(hour=hour))  # 9-17 h in CDMX


@given(conversations(), inbound_messages(), st.none() | clients())
def test_no_rule_ever_answers_an_opted_out_customer(
    conversation: Conversation, message: Message, client: ClientRef | None
) -> None:
    decision = decide(replace(conversation, opted_out=True), message, client, NOW, REGLAS)
    assert not is_reply(decision) or decision.effects == {Effect.OPT_IN}


@given(
    open_conversations,
    inbound_messages(),
    st.none() | clients(),
    st.sampled_from(sorted(PALABRAS_CLAVE)),
    st.data(),
)
def test_every_keyword_gets_exactly_one_reply_from_its_rule(
    conversation: Conversation,
    message: Message,
    client: ClientRef | None,
    rule_name: str,
    data: st.DataObject,
) -> None:
    keyword = data.draw(st.sampled_from(PALABRAS_CLAVE[rule_name]))
    shouted = data.draw(st.sampled_from([keyword, keyword.upper(), f"¿{keyword.title()}?"]))
    now = data.draw(opening_hours)
    asked = replace(message, kind=MessageKind.TEXT, text=shouted, whatsapp_timestamp=now)
    decision = decide(conversation, asked, client, now, REGLAS)
    assert isinstance(decision, ReplyText | ReplyTemplate)
    assert decision.rule == f"keyword:{rule_name}"


@given(open_conversations, inbound_messages(), clients())
def test_the_price_list_template_always_names_the_client(
    conversation: Conversation, message: Message, client: ClientRef
) -> None:
    now = NOW.replace(hour=17)  # 11:00 in Mexico City, a Tuesday
    asked = replace(message, kind=MessageKind.TEXT, text="precios", whatsapp_timestamp=now)
    decision = decide(conversation, asked, client, now, REGLAS)
    assert isinstance(decision, ReplyTemplate)
    assert decision.template.parameters == (client.name,)
