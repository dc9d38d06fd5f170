"""The in-memory database: committed state, indexes, and an undo log per transaction.

A unit of work holds the store's lock for its whole life, which is what row locks give the
SQL adapter (concurrent webhooks queue instead of racing). It changes the state in place
and records how to undo each change; leaving without a commit replays the undo log, so a
failed use case leaves nothing half-written, and every operation stays O(1) however much
the store holds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from crm_whatsapp.adapters.memory.unit_of_work import InMemoryUnitOfWork
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.inbound import StatusUpdate
from crm_whatsapp.domain.message import Message


@dataclass
class StoreState:
    conversations: dict[str, Conversation] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    message_ids_by_wamid: dict[str, str] = field(default_factory=dict)
    parked_statuses: dict[str, tuple[StatusUpdate, ...]] = field(default_factory=dict)
    conversation_ids_by_customer: dict[tuple[str, str], str] = field(default_factory=dict)
    """(business number, "w:" + wa_id or "u:" + user_id) -> conversation id."""
    pending_message_ids: dict[str, None] = field(default_factory=dict)
    """Outbound messages still to send (an insertion-ordered set)."""

    def copy(self) -> StoreState:
        return StoreState(
            dict(self.conversations),
            dict(self.messages),
            dict(self.message_ids_by_wamid),
            dict(self.parked_statuses),
            dict(self.conversation_ids_by_customer),
            dict(self.pending_message_ids),
        )


class InMemoryStore:
    """Holds the committed state shared by units of work and queries.

    ``available = False`` makes every transaction fail with ``StorageUnavailable``, to test
    what callers do when the database is down.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.state = StoreState()
        self.available = True
        self.commits = 0

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)

    def snapshot(self) -> StoreState:
        """A copy of the committed state (a unit of work in progress holds the lock)."""
        with self.lock:
            return self.state.copy()
