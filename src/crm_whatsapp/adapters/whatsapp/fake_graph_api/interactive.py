"""How the fake checks an interactive message (reply buttons or a list) as Meta does.

Meta refuses a part that is missing with ``(#131008) Required parameter is missing`` and a
value out of its limits with ``(#131009) Parameter value is not valid``; ``error_data
.details`` says which part, in Meta's words (``Button title length invalid. Min length: 1,
Max length: 20``). The fake only knows ``button`` and ``list`` (the kinds this library
sends); others are accepted unchecked, as the fake does with the types it does not model.
The limits are the domain's table of Meta's (``domain/interactive.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_whatsapp.domain.interactive import (
    MAX_BUTTON_ID,
    MAX_BUTTON_TITLE,
    MAX_BUTTONS,
    MAX_FOOTER,
    MAX_HEADER,
    MAX_LIST_BUTTON,
    MAX_ROW_DESCRIPTION,
    MAX_ROW_ID,
    MAX_ROW_TITLE,
    MAX_ROWS,
    MAX_SECTION_TITLE,
    MAX_SECTIONS,
    body_limit,
)

MISSING = 131008
INVALID = 131009
_MESSAGES = {
    MISSING: "(#131008) Required parameter is missing",
    INVALID: "(#131009) Parameter value is not valid",
}


@dataclass(frozen=True, slots=True)
class InteractiveProblem:
    """Why Meta would refuse the message: its error code and words, and the details."""

    code: int
    details: str

    @property
    def message(self) -> str:
        return _MESSAGES[self.code]


class _Refused(Exception):
    def __init__(self, code: int, details: str) -> None:
        super().__init__(details)
        self.problem = InteractiveProblem(code, details)


def interactive_problem(message: Mapping[str, Any]) -> InteractiveProblem | None:
    """Why Meta would refuse ``message`` (a messages request's body) for its interactive
    object; None when it would take it, or when the message is of another type."""
    if message.get("type") != "interactive" or not isinstance(message.get("interactive"), Mapping):
        return None  # not interactive, or no object: the fake's general checks say so
    try:
        _check(message["interactive"])
    except _Refused as refused:
        return refused.problem
    return None


def _check(interactive: Mapping[str, Any]) -> None:
    kind = interactive.get("type")
    if not isinstance(kind, str) or not kind:
        raise _Refused(MISSING, "The parameter interactive['type'] is required.")
    if kind not in ("button", "list"):
        return
    body = interactive.get("body")
    limit = body_limit("list" if kind == "list" else "buttons")
    _length("Body text", _text_of(body, "interactive['body']['text']"), 1, limit)
    header = interactive.get("header")
    if header is not None:
        if not isinstance(header, Mapping) or header.get("type") != "text":
            raise _Refused(INVALID, "Only a text header is supported here.")
        _length("Header text", _text_of(header, "interactive['header']['text']"), 1, MAX_HEADER)
    footer = interactive.get("footer")
    if footer is not None:
        _length("Footer text", _text_of(footer, "interactive['footer']['text']"), 1, MAX_FOOTER)
    action = interactive.get("action")
    if not isinstance(action, Mapping):
        raise _Refused(MISSING, "The parameter interactive['action'] is required.")
    if kind == "button":
        _check_buttons(action)
    else:
        _check_list(action)


def _check_buttons(action: Mapping[str, Any]) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise _Refused(MISSING, "The parameter interactive['action']['buttons'] is required.")
    if len(buttons) > MAX_BUTTONS:
        raise _Refused(
            INVALID,
            f"Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: {MAX_BUTTONS}",
        )
    ids: set[str] = set()
    titles: set[str] = set()
    for index, button in enumerate(buttons):
        where = f"interactive['action']['buttons'][{index}]"
        reply = button.get("reply") if isinstance(button, Mapping) else None
        if not isinstance(button, Mapping) or button.get("type") != "reply":
            raise _Refused(INVALID, f"{where}['type'] must be reply.")
        if not isinstance(reply, Mapping):
            raise _Refused(MISSING, f"The parameter {where}['reply'] is required.")
        title = _length("Button title", _string(reply, "title", where), 1, MAX_BUTTON_TITLE)
        button_id = _length("Button id", _string(reply, "id", where), 1, MAX_BUTTON_ID)
        if button_id in ids or title in titles:
            raise _Refused(INVALID, "Duplicate buttons. Button titles and ids must be unique.")
        ids.add(button_id)
        titles.add(title)


def _check_list(action: Mapping[str, Any]) -> None:
    label = action.get("button")
    if not isinstance(label, str):
        raise _Refused(MISSING, "The parameter interactive['action']['button'] is required.")
    _length("Button text", label, 1, MAX_LIST_BUTTON)
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        raise _Refused(MISSING, "The parameter interactive['action']['sections'] is required.")
    if len(sections) > MAX_SECTIONS:
        raise _Refused(
            INVALID, f"Too many sections. Min allowed sections: 1, Max allowed: {MAX_SECTIONS}"
        )
    ids: set[str] = set()
    for s, section in enumerate(sections):
        where = f"interactive['action']['sections'][{s}]"
        if not isinstance(section, Mapping):
            raise _Refused(INVALID, f"{where} must be an object.")
        title = section.get("title")
        if title is None and len(sections) > 1:
            raise _Refused(
                MISSING, f"Section title is required when there is more than one section ({where})."
            )
        if title is not None:
            _length("Section title", title if isinstance(title, str) else "", 1, MAX_SECTION_TITLE)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise _Refused(MISSING, f"The parameter {where}['rows'] is required.")
        for r, row in enumerate(rows):
            row_at = f"{where}['rows'][{r}]"
            if not isinstance(row, Mapping):
                raise _Refused(INVALID, f"{row_at} must be an object.")
            row_id = _length("Row id", _string(row, "id", row_at), 1, MAX_ROW_ID)
            _length("Row title", _string(row, "title", row_at), 1, MAX_ROW_TITLE)
            description = row.get("description")
            if description is not None:
                text = description if isinstance(description, str) else ""
                _length("Row description", text, 0, MAX_ROW_DESCRIPTION)
            if row_id in ids:
                raise _Refused(INVALID, "Duplicate row ids. Row ids must be unique.")
            ids.add(row_id)
    rows_total = sum(len(section["rows"]) for section in sections)
    if rows_total > MAX_ROWS:
        raise _Refused(INVALID, f"Total row count exceed max allowed count: {MAX_ROWS}")


def _text_of(part: object, name: str) -> str:
    text = part.get("text") if isinstance(part, Mapping) else None
    if not isinstance(text, str):
        raise _Refused(MISSING, f"The parameter {name} is required.")
    return text


def _string(part: Mapping[str, Any], key: str, where: str) -> str:
    value = part.get(key)
    if not isinstance(value, str):
        raise _Refused(MISSING, f"The parameter {where}['{key}'] is required.")
    return value


def _length(what: str, text: str, least: int, most: int) -> str:
    length = len(text) if text.strip() else 0  # blank counts as empty
    if not least <= length <= most:
        raise _Refused(INVALID, f"{what} length invalid. Min length: {least}, Max length: {most}")
    return text
