"""In-memory unit of work: all or nothing, one at a time."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from crm_whatsapp.adapters.memory.repository import InMemoryConversationRepository
from crm_whatsapp.adapters.memory.undo_log import UndoLog
from crm_whatsapp.domain.errors import StorageUnavailable

if TYPE_CHECKING:
    from crm_whatsapp.adapters.memory.store import InMemoryStore


class InMemoryUnitOfWork:
    conversations: InMemoryConversationRepository

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        if not self._store.available:
            self._store.lock.release()
            raise StorageUnavailable("in-memory store marked unavailable")
        self._undo = UndoLog()
        self.conversations = InMemoryConversationRepository(self._store.state, self._undo)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._undo.roll_back()
        finally:
            self._store.lock.release()

    def commit(self) -> None:
        if not self._store.available:
            raise StorageUnavailable("in-memory store marked unavailable")
        self._undo.forget()
        self._store.commits += 1
