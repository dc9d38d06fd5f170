"""In-memory ConversationQueries: the reference behaviour the SQL queries must match."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from crm_whatsapp.adapters.memory.database import InMemoryStore
from crm_whatsapp.adapters.system import process_cursors
from crm_whatsapp.domain.activity import Activity
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ActivityNotFound, ConversationNotFound, MessageNotFound
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.pagination import (
    CursorCodec,
    CursorKind,
    Page,
    Position,
    check_page_size,
)
from crm_whatsapp.domain.policy.text import normalize
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.statistics import Statistics, check_statistics_range, compute_statistics

T = TypeVar("T")


class InMemoryConversationQueries:
    def __init__(self, store: InMemoryStore, cursors: CursorCodec | None = None) -> None:
        self._store = store
        self._cursors = cursors or process_cursors()

    def conversation(self, conversation_id: str) -> Conversation:
        with self._store.lock:
            found = self._store.state.conversations.get(conversation_id)
        if found is None:
            raise ConversationNotFound(conversation_id)
        return found

    def conversations(
        self, filter: ConversationFilter, limit: int, cursor: str | None = None
    ) -> Page[Conversation]:
        state = self._store.snapshot()
        matching = [c for c in state.conversations.values() if filter.admits(c)]
        if filter.text is not None:
            wanted = normalize(filter.text)
            with_text = {
                m.conversation_id
                for m in state.messages.values()
                if m.text and wanted in normalize(m.text)
            }
            matching = [c for c in matching if c.id in with_text]
        return self._page(
            matching, lambda c: Position(c.last_activity_at, c.id), CursorKind.CONVERSATIONS,
            limit=limit, cursor=cursor,
        )  # fmt: skip

    def messages(
        self, conversation_id: str, limit: int, cursor: str | None = None
    ) -> Page[Message]:
        state = self._store.snapshot()
        if conversation_id not in state.conversations:
            raise ConversationNotFound(conversation_id)
        own = [m for m in state.messages.values() if m.conversation_id == conversation_id]
        return self._page(
            own, lambda m: Position(m.sent_at, m.id), CursorKind.MESSAGES,
            limit=limit, cursor=cursor, scope=conversation_id,
        )  # fmt: skip

    def message(self, message_id: str) -> Message:
        message = self._store.snapshot().messages.get(message_id)
        if message is None:
            raise MessageNotFound(message_id)
        return message

    def activity(
        self, conversation_id: str, limit: int, cursor: str | None = None
    ) -> Page[Activity]:
        state = self._store.snapshot()
        if conversation_id not in state.conversations:
            raise ConversationNotFound(conversation_id)
        own = [a for a in state.activity.values() if a.conversation_id == conversation_id]
        return self._page(
            own, lambda a: Position(a.at, a.id), CursorKind.ACTIVITY,
            limit=limit, cursor=cursor, scope=conversation_id,
        )  # fmt: skip

    def activity_entry(self, activity_id: str) -> Activity:
        with self._store.lock:
            entry = self._store.state.activity.get(activity_id)
        if entry is None:
            raise ActivityNotFound(activity_id)
        return entry

    def statistics(
        self, since: datetime | None, until: datetime | None, timezone: str
    ) -> Statistics:
        check_statistics_range(since, until, timezone)
        state = self._store.snapshot()
        return compute_statistics(
            state.conversations.values(), state.messages.values(), since, until, timezone
        )

    def _page(
        self,
        items: Iterable[T],
        position: Callable[[T], Position],
        kind: CursorKind,
        *,
        limit: int,
        cursor: str | None,
        scope: str = "",
    ) -> Page[T]:
        """Newest first; the cursor is the position of the last item of the previous page,
        signed for this listing (and conversation)."""
        check_page_size(limit)
        ordered = sorted(items, key=position, reverse=True)
        if cursor is not None:
            after = self._cursors.decode(cursor, kind, scope)
            ordered = [item for item in ordered if position(item) < after]
        page = ordered[:limit]
        if len(ordered) <= limit or not page:
            return Page(page, None)
        return Page(page, self._cursors.encode(position(page[-1]), kind, scope))
