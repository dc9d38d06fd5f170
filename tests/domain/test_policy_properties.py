"""Invariants of the bot (DESIGN.md) for any conversation, message, client, rules and time."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from crm_whatsapp.domain.conversation import SERVICE_WINDOW, Conversation
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.message import Author, Direction, Message, MessageKind
from crm_whatsapp.domain.policy import BotRules, Effect, NoReply, SkipReason, decide, is_reply
from crm_whatsapp.domain.policy.text import normalize
from crm_whatsapp.testing import NOW, bot_rules, clients, conversations, inbound_messages, moments

any_now = moments(NOW, before=timedelta(days=2), after=timedelta(days=2))


@given(conversations(), inbound_messages(), st.none() | clients(), any_now, bot_rules())
def test_decide_is_deterministic(
    conversation: Conversation,
    message: Message,
    client: ClientRef | None,
    now: datetime,
    rules: BotRules,
) -> None:
    first = decide(conversation, message, client, now, rules)
    again = decide(
        copy.deepcopy(conversation), copy.deepcopy(message), client, now, copy.deepcopy(rules)
    )
    assert first == again


@given(conversations(), inbound_messages(), st.none() | clients(), bot_rules())
def test_an_opted_out_customer_only_ever_hears_the_opt_in_confirmation(
    conversation: Conversation, message: Message, client: ClientRef | None, rules: BotRules
) -> None:
    decision = decide(replace(conversation, opted_out=True), message, client, NOW, rules)
    if is_reply(decision):
        assert decision.effects == {Effect.OPT_IN}
        assert normalize(message.text or "") in rules.opt_in_keys


@given(conversations(), inbound_messages(), st.none() | clients(), bot_rules())
def test_the_bot_never_answers_a_conversation_an_agent_has_taken_over(
    conversation: Conversation, message: Message, client: ClientRef | None, rules: BotRules
) -> None:
    paused = replace(conversation, bot_paused=True, assigned_agent="Laura")
    assert not is_reply(decide(paused, message, client, NOW, rules))


@given(conversations(), inbound_messages(), st.none() | clients(), bot_rules())
def test_the_bot_never_answers_its_own_or_an_agents_messages(
    conversation: Conversation, message: Message, client: ClientRef | None, rules: BotRules
) -> None:
    for author in (Author.bot(), Author.agent("Laura")):
        own = replace(message, direction=Direction.OUTBOUND, author=author)
        assert decide(conversation, own, client, NOW, rules) == NoReply(SkipReason.OWN_MESSAGE)


@given(conversations(), inbound_messages(), st.none() | clients(), bot_rules(), st.data())
def test_the_bot_never_answers_a_message_older_than_the_limit(
    conversation: Conversation,
    message: Message,
    client: ClientRef | None,
    rules: BotRules,
    data: st.DataObject,
) -> None:
    limit = rules.max_message_age
    sent = data.draw(moments(NOW - limit - timedelta(seconds=1), before=timedelta(days=3)))
    old = replace(message, whatsapp_timestamp=sent)
    assert not is_reply(decide(conversation, old, client, NOW, rules))


@given(conversations(), inbound_messages(), st.none() | clients(), bot_rules(), any_now)
def test_a_bot_reply_is_always_inside_the_24_hour_window_of_the_message(
    conversation: Conversation,
    message: Message,
    client: ClientRef | None,
    rules: BotRules,
    now: datetime,
) -> None:
    decision = decide(conversation, message, client, now, rules)
    if is_reply(decision):
        assert now - message.sent_at < SERVICE_WINDOW


@given(conversations(), inbound_messages(), st.none() | clients(), bot_rules())
def test_no_reply_once_the_flood_limit_is_reached(
    conversation: Conversation, message: Message, client: ClientRef | None, rules: BotRules
) -> None:
    window = rules.flood_limit.window
    replies = tuple(
        NOW - window * (i + 1) / (rules.flood_limit.max_replies + 1)
        for i in range(rules.flood_limit.max_replies)
    )
    flooded = replace(conversation, recent_bot_replies=replies)
    assert not is_reply(decide(flooded, message, client, NOW, rules))


@given(conversations(), inbound_messages(), st.none() | clients(), bot_rules())
def test_an_opt_out_keyword_always_opts_out_even_when_the_bot_stays_silent(
    conversation: Conversation, message: Message, client: ClientRef | None, rules: BotRules
) -> None:
    assume(not conversation.opted_out)
    keyword = sorted(rules.opt_out_keywords)[0].upper() + "."
    opt_out = replace(message, kind=MessageKind.TEXT, text=keyword)
    decision = decide(conversation, opt_out, client, NOW, rules)
    assert Effect.OPT_OUT in decision.effects
