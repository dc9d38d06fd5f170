"""What the use cases need, gathered once by the composition root (or by a test)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from crm_whatsapp.domain.events import Event
from crm_whatsapp.domain.policy.rules import BotRules
from crm_whatsapp.domain.ports import (
    ClientLookup,
    Clock,
    EventPublisher,
    IdGenerator,
    MediaStore,
    UnitOfWork,
)


class _NoEvents:
    def publish(self, events: Sequence[Event]) -> None:
        """Nobody is listening."""


@dataclass(frozen=True)
class Dependencies:
    """The ports every use case draws from; ``unit_of_work`` opens one transaction per call."""

    unit_of_work: Callable[[], UnitOfWork]
    clients: ClientLookup
    clock: Clock
    ids: IdGenerator
    rules: BotRules = field(default_factory=BotRules)
    events: EventPublisher = field(default_factory=_NoEvents)
    media: MediaStore | None = None
    """Our copies of media files; None where nothing handles files (then the outbox fails a
    file message with a clear reason rather than guess)."""
    client_fields: frozenset[str] = frozenset()
    """The CRM columns ``clients`` offers as ``{placeholders}`` beyond the built-in ones
    (``CRM_WHATSAPP_CLIENTS_FIELDS``): what a canned response may quote."""
