"""Unique ids that sort by creation time (UUIDv7 layout), so index inserts stay local."""

from __future__ import annotations

import os
import time
import uuid


class TimeOrderedIds:
    def new_id(self) -> str:
        millis = time.time_ns() // 1_000_000
        value = (millis & ((1 << 48) - 1)) << 80
        value |= int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        value = (value & ~(0x3 << 62)) | (0x2 << 62)
        return str(uuid.UUID(int=value))
