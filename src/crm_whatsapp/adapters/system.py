"""The real clock and ids, for production: the Clock and IdGenerator ports on the system.

Tests and examples use ``FixedClock`` and ``SequentialIds`` (``adapters.memory``) instead,
which is why these two are kept apart from everything else and small.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime


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


__all__ = ["SystemClock", "TimeOrderedIds"]
