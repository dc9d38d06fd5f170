"""The ActivityLog port on the in-memory store: entries kept by id, each insertion in the
unit of work's undo log, so leaving without a commit (or a savepoint with an exception)
takes them back like every other change."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, Protocol

from crm_whatsapp.domain.activity import Activity
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ConversationNotFound


class Undo(Protocol):
    """What this log needs of the unit of work's ``UndoLog`` (``database`` builds the log
    with it, so importing it here would make the two modules a cycle)."""

    def set(self, mapping: MutableMapping[Any, Any], key: Any, value: Any) -> None: ...


class InMemoryActivityLog:
    def __init__(
        self,
        conversations: Mapping[str, Conversation],
        entries: MutableMapping[str, Activity],
        undo: Undo,
    ) -> None:
        self._conversations = conversations
        self._entries = entries
        self._undo = undo

    def record(self, activity: Activity) -> None:
        """ConversationNotFound for a conversation not stored, as SQL's foreign key says."""
        if activity.conversation_id not in self._conversations:
            raise ConversationNotFound(activity.conversation_id)
        self._undo.set(self._entries, activity.id, activity)
