"""What the bot decided about one inbound message."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.message import TemplateMessage


class SkipReason(enum.Enum):
    """Why the bot stayed silent; stored with the message, shown in the inbox."""

    OWN_MESSAGE = "own_message"
    NOT_ANSWERABLE = "not_answerable"
    TOO_OLD = "too_old"
    OPTED_OUT = "opted_out"
    BOT_PAUSED = "bot_paused"
    FLOOD_LIMIT = "flood_limit"
    NO_RULE_MATCHED = "no_rule_matched"
    OUTSIDE_SERVICE_WINDOW = "outside_service_window"


class Effect(enum.Enum):
    """A change to the conversation that comes with a decision, even a silent one.

    An opt-out or a request for a person is honoured even when the bot may not answer (the
    message is late, an agent has the chat, the flood limit is reached): the customer's wish
    does not depend on the bot's manners.
    """

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HAND_OFF = "hand_off"
    AFTER_HOURS_NOTICE = "after_hours_notice"


@dataclass(frozen=True, slots=True)
class ReplyText:
    text: str
    rule: str
    effects: frozenset[Effect] = frozenset()


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    template: TemplateMessage
    rule: str
    effects: frozenset[Effect] = frozenset()


@dataclass(frozen=True, slots=True)
class ReplyInteractive:
    """Answer with reply buttons or a list (placeholders already filled)."""

    content: InteractiveContent
    rule: str
    effects: frozenset[Effect] = frozenset()


@dataclass(frozen=True, slots=True)
class HandOff:
    """Pause the bot so that a person answers; ``text`` tells the customer (once)."""

    text: str | None
    rule: str = "handoff"
    effects: frozenset[Effect] = frozenset({Effect.HAND_OFF})


@dataclass(frozen=True, slots=True)
class NoReply:
    reason: SkipReason
    rule: str | None = None
    """The rule the message triggered, if any (e.g. ``opt_out`` while an agent has the chat)."""
    effects: frozenset[Effect] = frozenset()


Decision = ReplyText | ReplyTemplate | ReplyInteractive | HandOff | NoReply
"""The bot's answer: reply text, a template, buttons or a list, hand off to a person, or no
reply."""


def is_reply(decision: Decision) -> bool:
    """Whether the decision sends something to the customer."""
    if isinstance(decision, HandOff):
        return decision.text is not None
    return isinstance(decision, ReplyText | ReplyTemplate | ReplyInteractive)
