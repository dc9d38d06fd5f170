"""The production clock and id generator."""

from __future__ import annotations

import time
import uuid
from datetime import UTC

from crm_whatsapp.adapters.system import SystemClock, TimeOrderedIds


def test_the_system_clock_is_timezone_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_ids_are_unique_version_7_uuids() -> None:
    ids = [TimeOrderedIds().new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ids_made_in_later_milliseconds_sort_later() -> None:
    generator = TimeOrderedIds()
    first = generator.new_id()
    time.sleep(0.002)
    assert generator.new_id() > first
