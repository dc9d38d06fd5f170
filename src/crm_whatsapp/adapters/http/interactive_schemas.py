"""Reply buttons and lists in the API: what an agent sends, and what a message shows.

The request model only bounds the input's size; WhatsApp's own limits (three buttons, a
title of 20 characters, ten rows...) are the domain's to check (``domain/interactive.py``),
so the 422 names the part as the body writes it (``interactive.buttons[1].title``) and says
what WhatsApp allows.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_whatsapp.domain.errors import InvalidOutboundMessage
from crm_whatsapp.domain.interactive import (
    InteractiveContent,
    ListRow,
    ListSection,
    ReplyButton,
)

_TEXT = 4096
"""No text of an interactive message may be longer; WhatsApp's limits are lower still."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReplyButtonIn(_In):
    id: str = Field(max_length=_TEXT, description="comes back in the customer's reply")
    title: str = Field(max_length=_TEXT, description="at most 20 characters, unique")


class ListRowIn(_In):
    id: str = Field(max_length=_TEXT, description="comes back in the customer's reply")
    title: str = Field(max_length=_TEXT, description="at most 24 characters")
    description: str | None = Field(default=None, max_length=_TEXT)


class ListSectionIn(_In):
    title: str | None = Field(
        default=None, max_length=_TEXT, description="required when there are several"
    )
    rows: list[ListRowIn] = Field(max_length=50)


class InteractiveIn(_In):
    """Reply buttons (``kind`` "buttons": 1 to 3 ``buttons``) or a list (``kind`` "list":
    ``button_label`` and 1 to 10 ``sections`` with 10 rows in all)."""

    kind: Literal["buttons", "list"]
    body: str = Field(
        max_length=_TEXT,
        description="the message's text: at most 1024 characters with buttons, 4096 in a list",
    )
    header: str | None = Field(default=None, max_length=_TEXT)
    footer: str | None = Field(default=None, max_length=_TEXT)
    buttons: list[ReplyButtonIn] = Field(default_factory=list, max_length=50)
    button_label: str | None = Field(
        default=None, max_length=_TEXT, description="a list's button that opens it"
    )
    sections: list[ListSectionIn] = Field(default_factory=list, max_length=50)

    def to_domain(self) -> InteractiveContent:
        """Raises ``InvalidOutboundMessage`` naming the field under ``interactive.``."""
        try:
            return InteractiveContent(
                self.kind,
                self.body,
                self.header,
                self.footer,
                buttons=tuple(ReplyButton(b.id, b.title) for b in self.buttons),
                button_label=self.button_label,
                sections=tuple(
                    ListSection(
                        s.title, tuple(ListRow(r.id, r.title, r.description) for r in s.rows)
                    )
                    for s in self.sections
                ),
            )
        except InvalidOutboundMessage as error:
            raise InvalidOutboundMessage(f"interactive.{error.field}", error.problem) from None


class ReplyButtonOut(_Out):
    id: str
    title: str


class ListRowOut(_Out):
    id: str
    title: str
    description: str | None


class ListSectionOut(_Out):
    title: str | None
    rows: list[ListRowOut]


class InteractiveOut(_Out):
    kind: Literal["buttons", "list"]
    body: str
    header: str | None
    footer: str | None
    buttons: list[ReplyButtonOut]
    button_label: str | None
    sections: list[ListSectionOut]


def interactive_out(content: InteractiveContent) -> InteractiveOut:
    return InteractiveOut(
        kind=content.kind,
        body=content.body,
        header=content.header,
        footer=content.footer,
        buttons=[ReplyButtonOut(id=b.id, title=b.title) for b in content.buttons],
        button_label=content.button_label,
        sections=[
            ListSectionOut(
                title=s.title,
                rows=[
                    ListRowOut(id=r.id, title=r.title, description=r.description) for r in s.rows
                ],
            )
            for s in content.sections
        ],
    )
