"""``decide``: the bot as a pure, deterministic function, easy to property-test."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.message import AuthorKind, Message, MessageKind, TemplateMessage
from crm_whatsapp.domain.policy.decision import (
    Decision,
    Effect,
    HandOff,
    NoReply,
    ReplyInteractive,
    ReplyTemplate,
    ReplyText,
    SkipReason,
)
from crm_whatsapp.domain.policy.placeholders import placeholder_values
from crm_whatsapp.domain.policy.rules import BotRules, KeywordRule
from crm_whatsapp.domain.policy.text import contains_phrase, is_exactly, normalize, render

_NOT_ANSWERABLE = frozenset({MessageKind.REACTION, MessageKind.SYSTEM, MessageKind.UNSUPPORTED})


def decide(
    conversation: Conversation,
    message: Message,
    client: ClientRef | None,
    now: datetime,
    rules: BotRules,
) -> Decision:
    """What the bot does about ``message``.

    ``conversation`` is the state *before* this message arrived (so the first message of a
    thread is recognisable). The order of checks is the contract: silence for what is not
    a fresh customer message; opt-out/opt-in and handoff keywords (their effect holds even
    when the bot must stay silent); too old; opted out; an agent's takeover; the flood
    limit; the consent confirmation; handoff; the after-hours notice (once per period);
    rules answering the button or list row the customer chose (by its id), then keyword
    rules, by priority; media acknowledgement; greeting; fallback.
    """
    if not message.is_inbound or message.author.kind is not AuthorKind.CUSTOMER:
        return NoReply(SkipReason.OWN_MESSAGE)
    if message.kind in _NOT_ANSWERABLE:
        return NoReply(SkipReason.NOT_ANSWERABLE)

    words = normalize(message.text or "") if message.kind.carries_words else ""
    consent = _consent_change(conversation, words, rules)
    wants_person = consent is None and contains_phrase(words, rules.handoff_keys)
    effects: frozenset[Effect] = frozenset()
    rule_name = None
    if consent is not None:
        effects, rule_name = frozenset({consent[0]}), consent[0].value
    elif wants_person:
        effects, rule_name = frozenset({Effect.HAND_OFF}), "handoff"

    if now - message.sent_at > rules.max_message_age:
        return NoReply(SkipReason.TOO_OLD, rule_name, effects)
    if conversation.opted_out and consent is None:
        return NoReply(SkipReason.OPTED_OUT, rule_name, effects)
    if conversation.bot_paused:
        return NoReply(SkipReason.BOT_PAUSED, rule_name, effects)
    window = rules.flood_limit.window
    if conversation.bot_replies_since(now - window) >= rules.flood_limit.max_replies:
        return NoReply(SkipReason.FLOOD_LIMIT, rule_name, effects)

    values = placeholder_values(conversation, client)
    if consent is not None:
        effect, text = consent
        if text is None:
            return NoReply(SkipReason.NO_RULE_MATCHED, effect.value, effects)
        return ReplyText(render(text, values), effect.value, effects)
    if wants_person:
        handoff_text = rules.handoff_reply
        return HandOff(render(handoff_text, values) if handoff_text else None)
    return _answer(
        conversation, message, words=words, client=client, now=now, rules=rules, values=values
    )


def _consent_change(
    conversation: Conversation, words: str, rules: BotRules
) -> tuple[Effect, str | None] | None:
    """Opt-out / opt-in keywords: the whole message must be the keyword ("BAJA", "Stop.")."""
    if is_exactly(words, rules.opt_out_keys) and not conversation.opted_out:
        return Effect.OPT_OUT, rules.opt_out_reply
    if is_exactly(words, rules.opt_in_keys) and conversation.opted_out:
        return Effect.OPT_IN, rules.opt_in_reply
    return None


def _answer(
    conversation: Conversation,
    message: Message,
    *,
    words: str,
    client: ClientRef | None,
    now: datetime,
    rules: BotRules,
    values: dict[str, str],
) -> Decision:
    hours = rules.business_hours
    if hours is not None and not hours.is_open(now):
        noticed = conversation.after_hours_notice_at
        if noticed is None or now - noticed >= hours.notice_every:
            return ReplyText(
                render(hours.after_hours_reply, values),
                "after_hours",
                frozenset({Effect.AFTER_HOURS_NOTICE}),
            )
    chosen = _chosen_id(message)
    for rule in rules.rules_by_priority:
        if chosen is not None and rule.answers_choice(chosen):
            return _rule_answer(rule, values)
    for rule in rules.rules_by_priority:
        if words and rule.matches(words):
            return _rule_answer(rule, values)
    if message.kind.is_media and rules.media_ack:
        return ReplyText(render(rules.media_ack, values), "media_ack")
    last_inbound = conversation.last_inbound_at
    if last_inbound is None or message.sent_at - last_inbound >= rules.greet_again_after:
        greeting, name = (
            (rules.greeting_known, "greeting_known")
            if client is not None
            else (rules.greeting_unknown, "greeting_unknown")
        )
        if greeting:
            return ReplyText(render(greeting, values), name)
    if rules.fallback_reply:
        return ReplyText(render(rules.fallback_reply, values), "fallback")
    return NoReply(SkipReason.NO_RULE_MATCHED)


CHOSEN_ID_DETAILS = {MessageKind.INTERACTIVE: "reply_id", MessageKind.BUTTON: "button_payload"}
"""Where the webhook's reading keeps the id of the customer's choice: a reply button's or
list row's id, or the payload of a template's quick-reply button."""


def _chosen_id(message: Message) -> str | None:
    key = CHOSEN_ID_DETAILS.get(message.kind)
    chosen = message.details.get(key) if key is not None else None
    return chosen if isinstance(chosen, str) and chosen else None


def _rule_answer(rule: KeywordRule, values: dict[str, str]) -> Decision:
    name = f"keyword:{rule.name}"
    if rule.template is not None:
        return ReplyTemplate(_render_template(rule.template, values), name)
    if rule.interactive is not None:
        return ReplyInteractive(rule.interactive.rendered(lambda text: render(text, values)), name)
    return ReplyText(render(rule.reply or "", values), name)


def _render_template(template: TemplateMessage, values: dict[str, str]) -> TemplateMessage:
    return replace(
        template,
        parameters=tuple(render(p, values) for p in template.parameters),
        named_parameters=tuple((n, render(v, values)) for n, v in template.named_parameters),
    )
