"""The bot: declarative rules (``BotRules``) and the pure function ``decide``."""

from crm_whatsapp.domain.policy.decide import decide
from crm_whatsapp.domain.policy.decision import (
    Decision,
    Effect,
    HandOff,
    NoReply,
    ReplyInteractive,
    ReplyTemplate,
    ReplyText,
    SkipReason,
    is_reply,
)
from crm_whatsapp.domain.policy.rules import (
    BotRules,
    BusinessHours,
    FloodLimit,
    KeywordRule,
    OpeningHours,
)

__all__ = [
    "BotRules",
    "BusinessHours",
    "Decision",
    "Effect",
    "FloodLimit",
    "HandOff",
    "KeywordRule",
    "NoReply",
    "OpeningHours",
    "ReplyInteractive",
    "ReplyTemplate",
    "ReplyText",
    "SkipReason",
    "decide",
    "is_reply",
]
