"""The per-number send rate: slots in memory and in the database, shared across processes.

Meta answers 130429 past 80 messages/s per number (1,000 on the upgraded tier). What is
checked here is the count per slot the limiter hands out (never above the slot's cap) and
a lower bound on how long N sends take (load can only make it slower, never faster).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crm_whatsapp.adapters.rate_limit import (
    MemoryRateSlots,
    SendRates,
    SlotRateLimiter,
    SlotShape,
)
from crm_whatsapp.adapters.sql import Database, SqlRateSlots
from crm_whatsapp.app.settings import Settings

NUMBER = "106540352242922"
OTHER = "106540352242923"


def test_a_rate_becomes_a_cap_per_slot_of_at_least_100_ms() -> None:
    assert SlotShape.for_rate(80) == SlotShape(100, 8)
    assert SlotShape.for_rate(1000) == SlotShape(100, 100)
    assert SlotShape.for_rate(5) == SlotShape(200, 1)
    assert SlotShape.for_rate(0.5) == SlotShape(2000, 1)
    assert SlotShape.for_rate(80).slot_of(1_234_567) == 1_234_500


@pytest.mark.parametrize(
    ("text", "default", "per_number"),
    [
        ("80", 80.0, {}),
        ("106540352242922=1000", 80.0, {NUMBER: 1000.0}),
        (" 50 , 106540352242922=1000,106540352242923=250 ", 50.0, {NUMBER: 1000, OTHER: 250}),
        ("", 80.0, {}),
    ],
)
def test_send_rates_are_read_from_one_setting(
    text: str, default: float, per_number: dict[str, float]
) -> None:
    rates = SendRates.parse(text)
    assert (rates.default, dict(rates.per_number)) == (default, per_number)
    assert rates.of(NUMBER) == per_number.get(NUMBER, default)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("rápido", "must be a number"),
        ("0", "positive"),
        ("106540352242922=-5", "positive"),
        ("abc=80", "digits"),
        ("inf", "positive"),
    ],
)
def test_a_wrong_send_rate_is_refused_with_the_item_named(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        SendRates.parse(text)


def test_the_service_refuses_to_start_with_a_wrong_send_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_WHATSAPP_SEND_RATE", "106540352242922=mucho")
    with pytest.raises(ValueError, match=r"send_rate"):
        Settings()


async def _acquire_all(limiter: SlotRateLimiter, number: str, count: int) -> list[int]:
    """Acquire ``count`` turns at once; the wall-clock ms at which each was granted."""

    async def one() -> int:
        await limiter.acquire(number)
        return time.time_ns() // 1_000_000

    return list(await asyncio.gather(*(one() for _ in range(count))))


def test_turns_are_handed_out_no_faster_than_the_rate() -> None:
    slots = MemoryRateSlots()
    limiter = SlotRateLimiter(slots, SendRates(default=100))  # 10 per 100 ms

    started = time.monotonic()
    asyncio.run(_acquire_all(limiter, NUMBER, 45))
    elapsed = time.monotonic() - started

    assert elapsed >= 0.3  # 45 turns need 5 slots: past 4 slot starts, the first one late
    used = {slot: count for (number, slot), count in slots._used.items() if number == NUMBER}
    assert sum(used.values()) == 45
    assert max(used.values()) <= 10


def test_each_number_has_its_own_rate() -> None:
    limiter = SlotRateLimiter(MemoryRateSlots(), SendRates(default=10, per_number={OTHER: 1000}))

    async def both() -> float:
        started = time.monotonic()
        await _acquire_all(limiter, OTHER, 50)  # one slot of 100 on the fast number
        return time.monotonic() - started

    assert asyncio.run(both()) < 1.0  # the slow number's 1 per 100 ms would need 5 s


def test_slowing_a_number_down_holds_every_turn_for_the_pause() -> None:
    limiter = SlotRateLimiter(MemoryRateSlots(), SendRates(default=1000))

    async def scenario() -> float:
        await limiter.slow_down(NUMBER, 0.5)
        started = time.monotonic()
        await limiter.acquire(NUMBER)
        return time.monotonic() - started

    assert asyncio.run(scenario()) >= 0.4  # the current slot may already be 100 ms old


def test_a_waiter_that_gives_up_does_not_block_the_others() -> None:
    limiter = SlotRateLimiter(MemoryRateSlots(), SendRates(default=10))  # 1 per 100 ms

    async def scenario() -> None:
        await limiter.acquire(NUMBER)
        impatient = asyncio.ensure_future(limiter.acquire(NUMBER))
        await asyncio.sleep(0)
        impatient.cancel()
        await asyncio.wait_for(limiter.acquire(NUMBER), 1.0)

    asyncio.run(scenario())


def test_a_store_that_fails_fails_the_waiters_instead_of_hanging_them() -> None:
    class Down:
        def reserve(self, business_number_id: str, slot: int, want: int, cap: int) -> int:
            raise RuntimeError("database down")

        def fill(self, business_number_id: str, slots: list[int], cap: int) -> None:
            raise RuntimeError("database down")

    limiter = SlotRateLimiter(Down(), in_thread=True)

    async def scenario() -> None:
        with pytest.raises(RuntimeError, match="down"):
            await asyncio.wait_for(limiter.acquire(NUMBER), 1.0)

    asyncio.run(scenario())


# -- in the database, shared by every worker ------------------------------------------------


def test_database_slots_never_hand_out_more_than_the_cap(database: Database) -> None:
    slots = SqlRateSlots(database)

    assert slots.reserve(NUMBER, 1000, 5, 8) == 5
    assert slots.reserve(NUMBER, 1000, 5, 8) == 3
    assert slots.reserve(NUMBER, 1000, 5, 8) == 0
    assert slots.reserve(OTHER, 1000, 5, 8) == 5
    slots.fill(NUMBER, [1100, 1200], 8)
    assert slots.reserve(NUMBER, 1100, 1, 8) == 0
    assert slots.reserve(NUMBER, 1300, 1, 8) == 1


def test_old_slots_are_deleted_as_new_ones_open(database: Database) -> None:
    slots = SqlRateSlots(database)
    slots.reserve(NUMBER, 0, 1, 8)
    slots.reserve(NUMBER, 120_000, 1, 8)

    assert [slot for slot, _ in _rows(database, NUMBER)] == [120_000]


def _rows(database: Database, number: str) -> list[tuple[int, int]]:
    t = database.tables.send_rate_slots
    with database.reader.connect() as connection:
        rows = connection.execute(
            select(t.c.slot, t.c.used).where(t.c.business_number_id == number).order_by(t.c.slot)
        )
        return [(row.slot, row.used) for row in rows]


def _worker_process(url: str, engine_options: dict[str, Any], count: int, rate: float) -> int:
    database = Database(url, engine_options=engine_options)
    try:
        limiter = SlotRateLimiter(SqlRateSlots(database), SendRates(default=rate), in_thread=True)
        return len(asyncio.run(_acquire_all(limiter, NUMBER, count)))
    finally:
        database.dispose()


def test_two_processes_share_one_rate_through_the_database(
    database: Database, tmp_path: Path
) -> None:
    """Two worker processes, 60 turns each, at 200/s in all (20 per 100 ms slot): never
    more than 20 in a slot between them, so 120 turns need at least 6 slots."""
    url = database.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with context.Pool(2) as pool:
        results = [
            pool.apply_async(_worker_process, (url, database.engine_options, 60, 200.0))
            for _ in range(2)
        ]
        granted = [r.get(timeout=60) for r in results]
    elapsed = time.monotonic() - started

    rows = _rows(database, NUMBER)
    assert granted == [60, 60]
    assert sum(used for _, used in rows) == 120
    assert max(used for _, used in rows) <= 20
    assert len(rows) >= 6
    assert elapsed >= 0.4
