"""From the validated file to the domain's ``BotRules``, locating the domain's own complaints.

The dataclasses validate themselves (regexes, keyword overlaps, duplicate names) and name
a rule by its ``name``; a file's reader looks for its position, so ``rules['precios']`` is
reported as ``rules[1]``.
"""

from __future__ import annotations

from crm_whatsapp.adapters.rules_file.models import (
    BotRulesFile,
    BusinessHoursFile,
    RuleFile,
    TemplateFile,
)
from crm_whatsapp.domain.errors import InvalidBotRules
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.policy.rules import BotRules, BusinessHours, FloodLimit, KeywordRule


def bot_rules(file: BotRulesFile) -> BotRules:
    """Raises ``InvalidBotRules`` whose ``field`` is written as in the file."""
    return BotRules(
        greeting_known=file.greeting_known,
        greeting_unknown=file.greeting_unknown,
        greet_again_after=file.greet_again_after,
        rules=tuple(_keyword_rule(rule, index) for index, rule in enumerate(file.rules)),
        business_hours=_business_hours(file.business_hours) if file.business_hours else None,
        opt_out_keywords=tuple(file.opt_out_keywords),
        opt_out_reply=file.opt_out_reply,
        opt_in_keywords=tuple(file.opt_in_keywords),
        opt_in_reply=file.opt_in_reply,
        handoff_keywords=tuple(file.handoff_keywords),
        handoff_reply=file.handoff_reply,
        media_ack=file.media_ack,
        fallback_reply=file.fallback_reply,
        flood_limit=FloodLimit(file.flood_limit.max_replies, file.flood_limit.window),
        max_message_age=file.max_message_age,
    )


def _keyword_rule(rule: RuleFile, index: int) -> KeywordRule:
    try:
        return KeywordRule(
            name=rule.name,
            keywords=tuple(rule.keywords),
            patterns=tuple(rule.patterns),
            reply=rule.reply,
            template=_template(rule.template) if rule.template else None,
            priority=rule.priority,
        )
    except InvalidBotRules as error:
        raise InvalidBotRules(_rule_field(error.field, rule.name, index), error.problem) from None


def _rule_field(domain_field: str, name: str, index: int) -> str:
    if domain_field == "rules":  # the domain's only rule-level complaint without a name
        return f"rules[{index}].name"
    named = f"rules[{name!r}]"
    if domain_field.startswith(named):
        return f"rules[{index}]" + domain_field.removeprefix(named)
    return domain_field


def _template(template: TemplateFile) -> TemplateMessage:
    return TemplateMessage(template.name, template.language, tuple(template.parameters))


def _business_hours(hours: BusinessHoursFile) -> BusinessHours:
    return BusinessHours(
        timezone=hours.timezone,
        weekly={day: spans for day, spans in hours.weekly.items() if spans},
        closed_dates=frozenset(hours.closed_dates),
        after_hours_reply=hours.after_hours_reply,
        notice_every=hours.notice_every,
    )
