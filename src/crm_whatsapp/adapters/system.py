"""The real clock and ids, for production: the Clock and IdGenerator ports on the system.

Tests and examples use ``FixedClock`` and ``SequentialIds`` (``adapters.memory``) instead,
which is why these are kept apart from everything else and small. ``process_cursors`` is
the cursor codec of query adapters built without the deployment's (``app/factories.py``
gives them one): a random key of this process.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

from crm_whatsapp.domain.pagination import CursorCodec


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class TimeOrderedIds:
    """Unique ids that sort by creation time (UUIDv7 layout), so index inserts stay local."""

    def new_id(self) -> str:
        millis = time.time_ns() // 1_000_000
        value = (millis & ((1 << 48) - 1)) << 80
        value |= int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        value = (value & ~(0x3 << 62)) | (0x2 << 62)
        return str(uuid.UUID(int=value))


_PROCESS_CURSORS = CursorCodec(os.urandom(32))


def process_cursors() -> CursorCodec:
    """A codec whose key lives and dies with this process: its cursors fail on another
    process and after a restart. The service passes its adapters the deployment's codec
    instead (``CRM_WHATSAPP_CURSOR_KEY`` or derived from its secrets)."""
    return _PROCESS_CURSORS


__all__ = ["SystemClock", "TimeOrderedIds", "process_cursors"]
