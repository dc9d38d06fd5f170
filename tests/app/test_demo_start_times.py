"""When the demo's customers first wrote: always in the past with two hours to talk, within
the history's days (one more at most), whatever the hour the demo starts at.

Regression: drawing again until a start was old enough never ended between 00:00 and 02:00
in the demo's time zone with a history of one day (or none), so ``crm-whatsapp demo
--history-days 1`` and every test preparing a short demo hung at that hour.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.app.demo_history import start_time

ZONES = ("America/Mexico_City", "Europe/Madrid", "America/Argentina/Buenos_Aires", "UTC")


@given(
    now=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    days=st.integers(0, 30),
    seed=st.integers(0, 2**32),
    zone=st.sampled_from(ZONES),
)
def test_a_start_is_in_the_past_with_room_to_talk_and_within_the_history(
    now: datetime, days: int, seed: int, zone: str
) -> None:
    start = start_time(random.Random(seed), now, days, ZoneInfo(zone))

    assert start < now - timedelta(hours=2)
    assert start > now - timedelta(days=max(days, 1) + 2)


def test_a_one_day_history_just_after_midnight_starts_the_day_before() -> None:
    midnight_in_mexico = datetime(2026, 12, 5, 6, 20, tzinfo=UTC)  # 00:20 in Mexico City
    zone = ZoneInfo("America/Mexico_City")

    starts = [start_time(random.Random(seed), midnight_in_mexico, 1, zone) for seed in range(50)]

    assert {start.astimezone(zone).date() for start in starts} == {datetime(2026, 12, 4).date()}
