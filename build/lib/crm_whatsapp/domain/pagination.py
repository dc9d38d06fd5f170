"""Cursor pagination shared by every query adapter: opaque cursors, never OFFSET.

A cursor is the sort key of the last item of a page. It is encoded with a checksum so that
an altered or foreign cursor is refused with ``InvalidCursor`` instead of silently paging
from somewhere else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from crm_whatsapp.domain.errors import InvalidCursor, InvalidQueryParameter

T = TypeVar("T")

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a page ends in a (timestamp, id) ordering."""

    at: datetime
    id: str

    def encode(self, kind: str) -> str:
        payload = json.dumps([kind, self.at.isoformat(), self.id], separators=(",", ":"))
        digest = hashlib.sha256(payload.encode()).hexdigest()[:12]
        token = json.dumps([payload, digest], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, kind: str, parameter: str = "cursor") -> Position:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            payload, digest = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if hashlib.sha256(payload.encode()).hexdigest()[:12] != digest:
                raise InvalidCursor(parameter)
            cursor_kind, at, item_id = json.loads(payload)
            if cursor_kind != kind or not isinstance(item_id, str):
                raise InvalidCursor(parameter)
            moment = datetime.fromisoformat(at)
        except InvalidCursor:
            raise
        except (ValueError, TypeError, AttributeError, binascii.Error, UnicodeError) as exc:
            raise InvalidCursor(parameter) from exc
        if moment.tzinfo is None:
            raise InvalidCursor(parameter)
        return cls(moment, item_id)


def check_page_size(size: int, parameter: str = "limit") -> int:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidQueryParameter(parameter, f"must be between 1 and {MAX_PAGE_SIZE}")
    return size
