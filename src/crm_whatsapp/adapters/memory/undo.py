"""The undo log of the in-memory unit of work: every change to the state's mappings with
the value it replaced, replayed in reverse to roll back (all of it, or to a savepoint)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

_MISSING = object()


class UndoLog:
    """Changes to the state, each with the value it replaced, to roll back in reverse."""

    def __init__(self) -> None:
        self._entries: list[tuple[MutableMapping[Any, Any], Any, Any]] = []

    def set(self, mapping: MutableMapping[Any, Any], key: Any, value: Any) -> None:
        self._entries.append((mapping, key, mapping.get(key, _MISSING)))
        mapping[key] = value

    def remove(self, mapping: MutableMapping[Any, Any], key: Any) -> None:
        if key in mapping:
            self._entries.append((mapping, key, mapping.pop(key)))

    def roll_back(self) -> None:
        for mapping, key, previous in reversed(self._entries):
            if previous is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = previous
        self._entries.clear()

    def forget(self) -> None:
        self._entries.clear()

    def mark(self) -> int:
        """Where a savepoint starts."""
        return len(self._entries)

    def roll_back_to(self, mark: int) -> None:
        while len(self._entries) > mark:
            mapping, key, previous = self._entries.pop()
            if previous is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = previous
