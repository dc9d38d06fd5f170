"""Live updates for the inbox: in one process (``LocalEventHub``) and across processes
(PostgreSQL LISTEN/NOTIFY).

Wiring: with SQLite (one process) the hub is the ``EventPublisher``. With PostgreSQL the
publisher is ``PostgresEventPublisher`` and a ``PostgresEventListener`` feeds the hub; the
hub is then never published to directly (each process hears its own NOTIFYs).
"""

from crm_whatsapp.adapters.events.codec import event_from_json, event_to_json
from crm_whatsapp.adapters.events.hub import LocalEventHub
from crm_whatsapp.adapters.events.postgres import PostgresEventListener, PostgresEventPublisher
from crm_whatsapp.adapters.events.subscription import EventSubscription, Lagged

__all__ = [
    "EventSubscription",
    "Lagged",
    "LocalEventHub",
    "PostgresEventListener",
    "PostgresEventPublisher",
    "event_from_json",
    "event_to_json",
]
