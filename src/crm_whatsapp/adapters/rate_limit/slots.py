"""Slot counts kept in this process: for tests, the demo and a single worker on SQLite."""

from __future__ import annotations

import threading


class MemoryRateSlots:
    """``RateSlots`` in a dict; thread-safe, forgets slots a minute old."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def reserve(self, business_number_id: str, slot: int, want: int, cap: int) -> int:
        with self._lock:
            key = (business_number_id, slot)
            used = self._used.get(key, 0)
            granted = max(0, min(want, cap - used))
            if granted:
                self._used[key] = used + granted
            self._forget_before(slot - 60_000)
            return granted

    def fill(self, business_number_id: str, slots: list[int], cap: int) -> None:
        with self._lock:
            for slot in slots:
                self._used[(business_number_id, slot)] = cap

    def _forget_before(self, oldest: int) -> None:
        if len(self._used) < 4096:
            return
        for key in [k for k in self._used if k[1] < oldest]:
            del self._used[key]
