"""The CannedResponses port on the in-memory store: responses by id and an index of their
shortcut keys (the SQL unique index), every change in the unit of work's undo log."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

from crm_whatsapp.adapters.memory.undo import UndoLog
from crm_whatsapp.domain.canned_responses import CannedResponse, SearchTerms, shortcut_key
from crm_whatsapp.domain.errors import CannedResponseNotFound, DuplicateShortcut


class InMemoryCannedResponses:
    def __init__(
        self,
        responses: MutableMapping[str, CannedResponse],
        ids_by_key: MutableMapping[str, str],
        undo: UndoLog,
    ) -> None:
        self._responses = responses
        self._ids_by_key = ids_by_key
        self._undo = undo

    def add(self, response: CannedResponse) -> None:
        if response.key in self._ids_by_key:
            raise DuplicateShortcut(response.shortcut)
        self._undo.set(self._responses, response.id, response)
        self._undo.set(self._ids_by_key, response.key, response.id)

    def update(self, response: CannedResponse) -> None:
        before = self.get(response.id)
        holder = self._ids_by_key.get(response.key)
        if holder is not None and holder != response.id:
            raise DuplicateShortcut(response.shortcut)
        if before.key != response.key:
            self._undo.remove(self._ids_by_key, before.key)
            self._undo.set(self._ids_by_key, response.key, response.id)
        self._undo.set(self._responses, response.id, response)

    def delete(self, response_id: str) -> None:
        response = self.get(response_id)
        self._undo.remove(self._responses, response_id)
        self._undo.remove(self._ids_by_key, response.key)

    def get(self, response_id: str) -> CannedResponse:
        try:
            return self._responses[response_id]
        except KeyError:
            raise CannedResponseNotFound(repr(response_id)) from None

    def by_shortcut(self, shortcut: str) -> CannedResponse | None:
        response_id = self._ids_by_key.get(shortcut_key(shortcut))
        return None if response_id is None else self._responses[response_id]

    def search(self, query: str, limit: int) -> Sequence[CannedResponse]:
        terms = SearchTerms.of(query)
        found = [r for r in self._responses.values() if terms.matches(r)]
        return sorted(found, key=terms.order)[:limit]
