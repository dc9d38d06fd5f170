"""Predictable ids for tests and examples: ``id-1``, ``id-2``, ..."""

from __future__ import annotations

import itertools
import threading


class SequentialIds:
    def __init__(self, prefix: str = "id-") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            return f"{self._prefix}{next(self._counter)}"
