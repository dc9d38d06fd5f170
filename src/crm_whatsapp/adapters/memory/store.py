"""The in-memory database: committed state, and transactions that copy it.

A unit of work takes the store's lock for its whole life, which is what row locks give the
SQL adapter (concurrent webhooks queue instead of racing), and works on a copy that only a
commit publishes, so a failed use case leaves nothing half-written.
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
    parked_statuses: dict[str, list[StatusUpdate]] = field(default_factory=dict)

    def copy(self) -> StoreState:
        return StoreState(
            dict(self.conversations),
            dict(self.messages),
            dict(self.message_ids_by_wamid),
            {wamid: list(updates) for wamid, updates in self.parked_statuses.items()},
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
        with self.lock:
            return self.state.copy()
