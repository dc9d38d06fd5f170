"""Cursor pagination shared by every query adapter: opaque cursors, never OFFSET.

A cursor is the sort key of the last item of a page, signed with a server key
(HMAC-SHA256, ``CursorCodec``): an altered, forged or foreign cursor is refused with
``InvalidCursor`` instead of silently paging from somewhere else. The signature binds the
listing (``CursorKind``) and, for what belongs to one conversation (its messages, its
activity), that conversation: a cursor made for one is refused on another. Only a server
holding the key makes cursors, so a client cannot aim a seek at rows of its choosing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from crm_whatsapp.domain.errors import InvalidCursor, InvalidQueryParameter

T = TypeVar("T")

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MIN_CURSOR_KEY_BYTES = 16
CURSOR_KEY_LABEL = b"crm_whatsapp cursors v1"
"""What a key derived for cursors is for: the same secret gives other keys elsewhere."""
_TAG_HEX = 32  # 128 bits of HMAC-SHA256


class CursorKind(StrEnum):
    """What a cursor pages through: one listing's cursors are refused by every other.
    A new listing is one line here."""

    CONVERSATIONS = "c"
    MESSAGES = "m"
    ACTIVITY = "a"
    QUARANTINE = "q"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a page ends in a (timestamp, id) ordering."""

    at: datetime
    id: str


@dataclass(frozen=True, slots=True)
class CursorCodec:
    """Makes and checks cursors with ``key``, a secret every server of one deployment
    shares (so a cursor survives a restart and works on any of them).

    ``scope`` is what else the cursor belongs to (a conversation's id for its messages and
    activity; empty for a listing of everything): it is signed, not written in the cursor.
    """

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) < MIN_CURSOR_KEY_BYTES:
            raise ValueError(f"a cursor key needs at least {MIN_CURSOR_KEY_BYTES} bytes")

    @classmethod
    def derived_from(cls, secret: str | bytes) -> CursorCodec:
        """A codec whose key is derived from ``secret`` (HMAC-SHA256 with a fixed label):
        the same secret gives the same key everywhere, and the key reveals nothing of it."""
        material = secret.encode("utf-8", "surrogatepass") if isinstance(secret, str) else secret
        if not material:
            raise ValueError("no secret to derive the cursor key from")
        return cls(hmac.new(CURSOR_KEY_LABEL, material, hashlib.sha256).digest())

    def encode(self, position: Position, kind: CursorKind, scope: str = "") -> str:
        payload = json.dumps(
            [kind.value, position.at.isoformat(), position.id], separators=(",", ":")
        )
        token = json.dumps([payload, self._tag(payload, scope)], separators=(",", ":"))
        return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")

    def decode(
        self, cursor: str, kind: CursorKind, scope: str = "", parameter: str = "cursor"
    ) -> Position:
        """The position ``cursor`` holds; ``InvalidCursor`` naming ``parameter`` unless this
        key made it for this ``kind`` and ``scope``."""
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            payload, tag = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(tag, str) or not hmac.compare_digest(self._tag(payload, scope), tag):
                raise InvalidCursor(parameter)
            cursor_kind, at, item_id = json.loads(payload)
            if cursor_kind != kind.value or not isinstance(item_id, str):
                raise InvalidCursor(parameter)
            moment = datetime.fromisoformat(at)
        except InvalidCursor:
            raise
        except (ValueError, TypeError, AttributeError, binascii.Error, UnicodeError) as exc:
            raise InvalidCursor(parameter) from exc
        if moment.tzinfo is None:
            raise InvalidCursor(parameter)
        return Position(moment, item_id)

    def _tag(self, payload: str, scope: str) -> str:
        signed = json.dumps([scope, payload], separators=(",", ":")).encode()
        return hmac.new(self.key, signed, hashlib.sha256).hexdigest()[:_TAG_HEX]


def check_page_size(size: int, parameter: str = "limit") -> int:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidQueryParameter(parameter, f"must be between 1 and {MAX_PAGE_SIZE}")
    return size
