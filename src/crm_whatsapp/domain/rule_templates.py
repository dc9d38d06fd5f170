"""The bot's own templates, checked against the catalogue at each sync.

A keyword rule may answer with a template. The rules load when the service starts,
before the first sync, so they cannot be checked then; and a rule's reply is queued
without a person waiting on a form, so a template Meta would refuse (unknown, paused, one
value too few) fails quietly, customer after customer. Each complete sync checks every
rule's template the way an agent's send is checked and reports what would be refused,
naming the rule. The rule stays: Meta has the last word, and a template under review may
be approved by the next sync.
"""

from __future__ import annotations

from collections.abc import Callable

from crm_whatsapp.domain.policy.rules import BotRules
from crm_whatsapp.domain.template_check import checked_template
from crm_whatsapp.domain.template_errors import InvalidTemplateParameters, TemplateNotSendable
from crm_whatsapp.domain.templates import Template

FindTemplate = Callable[[str, str], Template | None]
"""The catalogue's template of a name and a language, or None."""


def rule_template_problems(rules: BotRules, find: FindTemplate) -> tuple[str, ...]:
    """What Meta would refuse of each rule's template, one line per problem, in the
    order of the rules; empty when every rule's template would go.

    A rule's values are sent as its file writes them after the placeholders are filled,
    so they are checked as written: their number, names and kind, which filling cannot
    change. A template with a media header cannot be the bot's: a rule sends no file.
    """
    problems: list[str] = []
    for rule in rules.rules:
        request = rule.template
        if request is None:
            continue
        where = f"rule {rule.name!r}: template {request.name!r} ({request.language})"
        template = find(request.name, request.language)
        if template is None:
            problems.append(f"{where}: not in the catalogue")
            continue
        try:
            checked_template(template, request)
        except TemplateNotSendable:
            problems.append(f"{where}: {template.status}, not approved for sending")
        except InvalidTemplateParameters as refused:
            problems.extend(f"{where}: {problem}" for problem in refused.problems)
    return tuple(problems)
