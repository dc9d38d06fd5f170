"""In-memory adapters: real, documented fakes for tests and for trying the library.

``build_in_memory()`` wires them all into the domain's ``Dependencies`` in one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from crm_whatsapp.adapters.media.memory import InMemoryMediaStore
from crm_whatsapp.adapters.memory.client_lookup import InMemoryClientLookup
from crm_whatsapp.adapters.memory.database import (
    InMemoryConversationRepository,
    InMemoryStore,
    InMemoryUnitOfWork,
)
from crm_whatsapp.adapters.memory.fakes import FixedClock, RecordingEventPublisher, SequentialIds
from crm_whatsapp.adapters.memory.gateway import InMemoryMessagingGateway, SentMessage
from crm_whatsapp.adapters.memory.ingest_queries import InMemoryIngestQueries
from crm_whatsapp.adapters.memory.journal import InMemoryDeliveryJournal
from crm_whatsapp.adapters.memory.queries import InMemoryConversationQueries
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.policy.rules import BotRules
from crm_whatsapp.domain.use_cases.dependencies import Dependencies


@dataclass(frozen=True)
class InMemorySetup:
    """Every in-memory adapter, and the ``Dependencies`` built from them."""

    deps: Dependencies
    store: InMemoryStore
    queries: InMemoryConversationQueries
    gateway: InMemoryMessagingGateway
    clients: InMemoryClientLookup
    clock: FixedClock
    events: RecordingEventPublisher
    media: InMemoryMediaStore
    journal: InMemoryDeliveryJournal
    ingest: InMemoryIngestQueries


def build_in_memory(
    clients: Iterable[tuple[ClientRef, Sequence[str]]] = (),
    rules: BotRules | None = None,
    now: datetime | None = None,
    default_region: str | None = None,
) -> InMemorySetup:
    store = InMemoryStore()
    lookup = InMemoryClientLookup(clients, default_region)
    clock = FixedClock(now)
    events = RecordingEventPublisher()
    media = InMemoryMediaStore()
    deps = Dependencies(
        unit_of_work=store.unit_of_work,
        clients=lookup,
        clock=clock,
        ids=SequentialIds(),
        rules=rules or BotRules(),
        events=events,
        media=media,
    )
    return InMemorySetup(
        deps=deps,
        store=store,
        queries=InMemoryConversationQueries(store),
        gateway=InMemoryMessagingGateway(),
        clients=lookup,
        clock=clock,
        events=events,
        media=media,
        journal=InMemoryDeliveryJournal(store, clock),
        ingest=InMemoryIngestQueries(store),
    )


__all__ = [
    "FixedClock",
    "InMemoryClientLookup",
    "InMemoryConversationQueries",
    "InMemoryConversationRepository",
    "InMemoryDeliveryJournal",
    "InMemoryIngestQueries",
    "InMemoryMessagingGateway",
    "InMemorySetup",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "RecordingEventPublisher",
    "SentMessage",
    "SequentialIds",
    "build_in_memory",
]
