"""Where canned responses are kept: a port of the unit of work (``uow.canned_responses``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from crm_whatsapp.domain.canned_responses import CannedResponse


class CannedResponses(Protocol):
    """The team's canned responses, inside the current unit of work. A shortcut is unique
    by its ``shortcut_key`` (case and accents ignored) on every backend."""

    def add(self, response: CannedResponse) -> None:
        """Store a new response; DuplicateShortcut if another has its shortcut."""
        ...

    def update(self, response: CannedResponse) -> None:
        """Store the new state of a stored response; CannedResponseNotFound if it is not
        stored, DuplicateShortcut if another response has its new shortcut."""
        ...

    def delete(self, response_id: str) -> None:
        """Forget the response; CannedResponseNotFound if it is not stored."""
        ...

    def get(self, response_id: str) -> CannedResponse:
        """The response; else CannedResponseNotFound."""
        ...

    def by_shortcut(self, shortcut: str) -> CannedResponse | None:
        """The response whose shortcut has the same ``shortcut_key``, if any."""
        ...

    def search(self, query: str, limit: int) -> Sequence[CannedResponse]:
        """At most ``limit`` responses matching ``SearchTerms.of(query)``, in its order
        (an empty query: every response, by shortcut)."""
        ...
