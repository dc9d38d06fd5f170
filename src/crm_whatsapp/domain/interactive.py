"""Interactive messages: up to three reply buttons, or a list of rows in sections.

WhatsApp refuses the whole message when one part breaks its limits (a button title of 21
characters, an eleventh row), and only when it is sent. So the limits are checked when the
content is built: content that exists can be sent, whoever wrote it (an agent in the
composer, a bot rule loaded from a file). A problem raises ``InvalidOutboundMessage`` whose
``field`` names the part as the content's JSON writes it (``buttons[1].title``,
``sections[0].rows[2].description``), so each caller can put its own prefix in front.

Meta's limits (Cloud API, interactive reply buttons and list messages): body 1,024
characters with buttons and 4,096 in a list, header and footer 60; buttons 1 to 3, title
20 and unique, id 256; list: the button that opens it 20, 1 to 10 sections with 10 rows in
all, section title 24 (required when there is more than one section), row title 24,
description 72, row id 200. Ids are unique within the message and never blank: the
customer's reply names the one chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from crm_whatsapp.domain.errors import InvalidOutboundMessage

InteractiveKind = Literal["buttons", "list"]
KINDS: tuple[InteractiveKind, ...] = ("buttons", "list")

MAX_BODY = 1024
"""The body of a message with reply buttons."""
MAX_LIST_BODY = 4096
"""The body of a list message: Meta allows four times as much as with buttons."""
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_BUTTON = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
"""Rows of all the sections together."""
MAX_SECTION_TITLE = 24
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200


def body_limit(kind: str) -> int:
    """How long the body of an interactive message of ``kind`` may be."""
    return MAX_LIST_BODY if kind == "list" else MAX_BODY


@dataclass(frozen=True, slots=True)
class ReplyButton:
    """A button the customer taps; ``id`` comes back in their reply, ``title`` is shown."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class ListRow:
    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ListSection:
    """A group of rows; its title may be left out when it is the list's only section."""

    title: str | None
    rows: tuple[ListRow, ...]


@dataclass(frozen=True, slots=True)
class InteractiveContent:
    """What an interactive message says: ``kind`` "buttons" (with ``buttons``) or "list"
    (with ``button_label``, the button that opens it, and ``sections``)."""

    kind: InteractiveKind
    body: str
    header: str | None = None
    footer: str | None = None
    buttons: tuple[ReplyButton, ...] = ()
    button_label: str | None = None
    sections: tuple[ListSection, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidOutboundMessage("kind", f"must be one of {', '.join(KINDS)}")
        _text("body", self.body, body_limit(self.kind))
        _optional_text("header", self.header, MAX_HEADER)
        _optional_text("footer", self.footer, MAX_FOOTER)
        if self.kind == "buttons":
            self._check_buttons()
        else:
            self._check_list()

    @classmethod
    def with_buttons(
        cls,
        body: str,
        buttons: Sequence[ReplyButton],
        *,
        header: str | None = None,
        footer: str | None = None,
    ) -> InteractiveContent:
        return cls("buttons", body, header, footer, buttons=tuple(buttons))

    @classmethod
    def with_list(
        cls,
        body: str,
        button_label: str,
        sections: Sequence[ListSection],
        *,
        header: str | None = None,
        footer: str | None = None,
    ) -> InteractiveContent:
        return cls(
            "list", body, header, footer, button_label=button_label, sections=tuple(sections)
        )

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """Every option as ``(id, title)``, in the order the customer sees them."""
        if self.kind == "buttons":
            return tuple((b.id, b.title) for b in self.buttons)
        return tuple((r.id, r.title) for s in self.sections for r in s.rows)

    def _check_buttons(self) -> None:
        if self.sections or self.button_label is not None:
            raise InvalidOutboundMessage("sections", "reply buttons take no list")
        if not 1 <= len(self.buttons) <= MAX_BUTTONS:
            raise InvalidOutboundMessage("buttons", f"give 1 to {MAX_BUTTONS} buttons")
        titles: set[str] = set()
        for index, button in enumerate(self.buttons):
            where = f"buttons[{index}]"
            _id(f"{where}.id", button.id, MAX_BUTTON_ID)
            _text(f"{where}.title", button.title, MAX_BUTTON_TITLE)
            if button.title in titles:
                raise InvalidOutboundMessage(f"{where}.title", "two buttons have this title")
            titles.add(button.title)
        _unique_ids((f"buttons[{i}].id", b.id) for i, b in enumerate(self.buttons))

    def _check_list(self) -> None:
        if self.buttons:
            raise InvalidOutboundMessage("buttons", "a list takes no reply buttons")
        if self.button_label is None:
            raise InvalidOutboundMessage("button_label", "a list needs the button that opens it")
        _text("button_label", self.button_label, MAX_LIST_BUTTON)
        if not 1 <= len(self.sections) <= MAX_SECTIONS:
            raise InvalidOutboundMessage("sections", f"give 1 to {MAX_SECTIONS} sections")
        rows = sum(len(section.rows) for section in self.sections)
        if rows > MAX_ROWS:
            raise InvalidOutboundMessage("sections", f"at most {MAX_ROWS} rows in all, not {rows}")
        for s, section in enumerate(self.sections):
            where = f"sections[{s}]"
            if section.title is None and len(self.sections) > 1:
                raise InvalidOutboundMessage(
                    f"{where}.title", "required when the list has more than one section"
                )
            _optional_text(f"{where}.title", section.title, MAX_SECTION_TITLE)
            if not section.rows:
                raise InvalidOutboundMessage(f"{where}.rows", "a section needs at least one row")
            for r, row in enumerate(section.rows):
                _id(f"{where}.rows[{r}].id", row.id, MAX_ROW_ID)
                _text(f"{where}.rows[{r}].title", row.title, MAX_ROW_TITLE)
                _optional_text(
                    f"{where}.rows[{r}].description", row.description, MAX_ROW_DESCRIPTION
                )
        _unique_ids(
            (f"sections[{s}].rows[{r}].id", row.id)
            for s, section in enumerate(self.sections)
            for r, row in enumerate(section.rows)
        )

    # -- the JSON form (stored with the message, and the API's) -----------------------------

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "body": self.body}
        if self.header is not None:
            data["header"] = self.header
        if self.footer is not None:
            data["footer"] = self.footer
        if self.kind == "buttons":
            data["buttons"] = [{"id": b.id, "title": b.title} for b in self.buttons]
            return data
        data["button_label"] = self.button_label
        data["sections"] = [
            {"title": section.title, "rows": [_row_json(row) for row in section.rows]}
            for section in self.sections
        ]
        return data

    @classmethod
    def from_json(cls, data: object) -> InteractiveContent:
        """The content ``to_json`` wrote; anything else raises ``InvalidOutboundMessage``."""
        parts = _mapping("interactive", data)
        kind = parts.get("kind")
        if kind not in KINDS:
            raise InvalidOutboundMessage("kind", f"must be one of {', '.join(KINDS)}")
        buttons = tuple(
            ReplyButton(_string(where, button, "id"), _string(where, button, "title"))
            for where, button in _items("buttons", parts)
        )
        sections = tuple(
            ListSection(
                _string(where, section, "title", optional=True),
                tuple(
                    ListRow(
                        _string(row_at, row, "id"),
                        _string(row_at, row, "title"),
                        _string(row_at, row, "description", optional=True),
                    )
                    for row_at, row in _items("rows", section, where)
                ),
            )
            for where, section in _items("sections", parts)
        )
        return cls(
            kind,
            _string("", parts, "body"),
            _string("", parts, "header", optional=True),
            _string("", parts, "footer", optional=True),
            buttons=buttons,
            button_label=_string("", parts, "button_label", optional=True),
            sections=sections,
        )

    # -- placeholders -------------------------------------------------------------------------

    def rendered(self, render: Callable[[str], str]) -> InteractiveContent:
        """The same content with ``render`` applied to every text a customer reads (ids stay
        as written, so a reply still matches them).

        Filled placeholders can make a text longer than Meta allows: it is cut, with "…".
        One that renders blank keeps its text as written. Should the result still break a
        rule (two titles that became equal), the content is sent as written.
        """

        def fill(text: str, limit: int) -> str:
            filled = render(text)
            if not filled.strip():
                filled = text
            return filled if len(filled) <= limit else filled[: limit - 1] + "…"

        def maybe(text: str | None, limit: int) -> str | None:
            return None if text is None else fill(text, limit)

        try:
            return InteractiveContent(
                self.kind,
                fill(self.body, body_limit(self.kind)),
                maybe(self.header, MAX_HEADER),
                maybe(self.footer, MAX_FOOTER),
                buttons=tuple(
                    ReplyButton(b.id, fill(b.title, MAX_BUTTON_TITLE)) for b in self.buttons
                ),
                button_label=maybe(self.button_label, MAX_LIST_BUTTON),
                sections=tuple(
                    ListSection(
                        maybe(section.title, MAX_SECTION_TITLE),
                        tuple(
                            ListRow(
                                row.id,
                                fill(row.title, MAX_ROW_TITLE),
                                maybe(row.description, MAX_ROW_DESCRIPTION),
                            )
                            for row in section.rows
                        ),
                    )
                    for section in self.sections
                ),
            )
        except InvalidOutboundMessage:
            return self


def _text(field: str, value: object, limit: int) -> None:
    if not isinstance(value, str):
        raise InvalidOutboundMessage(field, "must be a text")
    if not value.strip():
        raise InvalidOutboundMessage(field, "must not be empty")
    if len(value) > limit:
        raise InvalidOutboundMessage(
            field, f"at most {limit} characters (WhatsApp's limit), not {len(value)}"
        )


def _optional_text(field: str, value: object, limit: int) -> None:
    if value is not None:
        _text(field, value, limit)


def _id(field: str, value: object, limit: int) -> None:
    _text(field, value, limit)
    assert isinstance(value, str)
    if value != value.strip():
        raise InvalidOutboundMessage(field, "must not begin or end with a space")


def _unique_ids(ids: Iterator[tuple[str, str]]) -> None:
    seen: set[str] = set()
    for field, value in ids:
        if value in seen:
            raise InvalidOutboundMessage(field, f"the id {value!r} is used twice in the message")
        seen.add(value)


def _row_json(row: ListRow) -> dict[str, Any]:
    data = {"id": row.id, "title": row.title}
    if row.description is not None:
        data["description"] = row.description
    return data


def _mapping(field: str, data: object) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidOutboundMessage(field, "must be an object")
    return data


def _items(
    key: str, parent: Mapping[str, Any], at: str = ""
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The objects of the list ``parent[key]`` (absent: none), each with its place."""
    field = f"{at}.{key}" if at else key
    items = parent.get(key, [])
    if not isinstance(items, list | tuple):
        raise InvalidOutboundMessage(field, "must be a list")
    for index, item in enumerate(items):
        yield f"{field}[{index}]", _mapping(f"{field}[{index}]", item)


def _string(at: str, parent: Mapping[str, Any], key: str, *, optional: bool = False) -> Any:
    value = parent.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidOutboundMessage(f"{at}.{key}" if at else key, "must be a text")
    return value
