"""The activity log: every change a person or a system makes to a conversation, with who
made it and when.

Messages say what the customer read; the log says what the team did (took over, linked a
client, resolved, wrote a private note). It is appended in the same transaction as the
change it records, so the log and the state can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from crm_whatsapp.domain.access import Actor
from crm_whatsapp.domain.errors import InvalidNote

MAX_NOTE_LENGTH = 4096

Detail = str | int | bool | None


class ActivityKind(StrEnum):
    REPLY = "reply"
    TEMPLATE_SENT = "template_sent"
    TAKE_OVER = "take_over"
    GIVE_BACK = "give_back"
    ASSIGN = "assign"
    STATUS = "status"
    LINK = "link"
    UNLINK = "unlink"
    MARK_READ = "mark_read"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Activity:
    """One entry. ``details`` holds what the entry needs to be read on its own (the
    message id of a reply, the client linked, the new status, a note's text)."""

    id: str
    conversation_id: str
    at: datetime
    kind: ActivityKind
    actor: Actor
    details: Mapping[str, Detail] = field(default_factory=dict)

    @property
    def is_note(self) -> bool:
        return self.kind is ActivityKind.NOTE


def note_text(text: str) -> str:
    """A private note as stored: trimmed, not empty, not longer than a WhatsApp text."""
    stripped = text.strip()
    if "\x00" in stripped:
        raise InvalidNote("must not contain NUL characters")
    if not stripped:
        raise InvalidNote("must not be empty")
    if len(stripped) > MAX_NOTE_LENGTH:
        raise InvalidNote(f"at most {MAX_NOTE_LENGTH} characters")
    return stripped
