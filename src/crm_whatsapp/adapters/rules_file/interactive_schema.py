"""A rule that answers with reply buttons or a list, as a rules file writes it.

``reply`` is the message's text; ``buttons`` (up to three ``{id, title}``) or ``list``
(``button``, the label that opens it, and ``sections`` of ``rows``) are its choices;
``header`` and ``footer`` go with either. Titles and texts take ``{placeholders}`` like any
reply; ids are written as they are, since the customer's reply names one and a rule's
``reply_ids`` match it.

WhatsApp's limits (``domain/interactive.py``) are checked when the file loads, so a title
one character too long stops the service at start-up, naming the rule and the field,
instead of failing every time a customer writes the keyword.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from crm_whatsapp.domain.errors import InvalidBotRules, InvalidOutboundMessage
from crm_whatsapp.domain.interactive import (
    InteractiveContent,
    ListRow,
    ListSection,
    ReplyButton,
)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ButtonFile(_Part):
    id: str
    title: str


class RowFile(_Part):
    id: str
    title: str
    description: str | None = None


class SectionFile(_Part):
    title: str | None = None
    rows: list[RowFile]


class ListFile(_Part):
    button: str
    sections: list[SectionFile]


class InteractiveRule(Protocol):
    """The keys of a rule that an interactive answer uses (``RuleFile`` has them)."""

    @property
    def name(self) -> str: ...
    @property
    def reply(self) -> str | None: ...
    @property
    def template(self) -> object | None: ...
    @property
    def buttons(self) -> list[ButtonFile] | None: ...
    @property
    def choices(self) -> ListFile | None: ...
    @property
    def header(self) -> str | None: ...
    @property
    def footer(self) -> str | None: ...


def rule_interactive(rule: InteractiveRule, index: int) -> InteractiveContent | None:
    """The rule's buttons or list with its ``reply`` as their text, or None when it has
    neither. Raises ``InvalidBotRules`` whose field is the file's (``rules[2].buttons[0]
    .title``) and whose problem names the rule."""
    at = f"rules[{index}]"
    if rule.buttons is None and rule.choices is None:
        for key in ("header", "footer"):
            if getattr(rule, key) is not None:
                raise InvalidBotRules(f"{at}.{key}", "goes only with buttons or a list")
        return None
    if rule.buttons is not None and rule.choices is not None:
        raise InvalidBotRules(f"{at}.list", "give buttons or a list, not both")
    if rule.template is not None:
        raise InvalidBotRules(f"{at}.template", "a template goes without buttons or a list")
    if rule.reply is None:
        raise InvalidBotRules(f"{at}.reply", "required with buttons or a list: it is their text")
    try:
        if rule.buttons is not None:
            buttons = [ReplyButton(button.id, button.title) for button in rule.buttons]
            return InteractiveContent.with_buttons(
                rule.reply, buttons, header=rule.header, footer=rule.footer
            )
        assert rule.choices is not None
        sections = [
            ListSection(s.title, tuple(ListRow(r.id, r.title, r.description) for r in s.rows))
            for s in rule.choices.sections
        ]
        return InteractiveContent.with_list(
            rule.reply, rule.choices.button, sections, header=rule.header, footer=rule.footer
        )
    except InvalidOutboundMessage as error:
        raise InvalidBotRules(
            f"{at}.{_file_field(error.field)}", f"{error.problem} (rule {rule.name!r})"
        ) from None


def _file_field(field: str) -> str:
    """The content's field as the file writes it: the text is ``reply``, the list's parts
    are under ``list``."""
    if field == "body":
        return "reply"
    if field == "button_label":
        return "list.button"
    if field.startswith("sections"):
        return f"list.{field}"
    return field
