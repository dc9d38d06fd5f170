"""What the HTTP layer needs from the rest of the system, handed over by the composition root.

The HTTP adapter knows ports and the live event hub only: which database or gateway stands
behind them is the composition root's choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from crm_whatsapp.adapters.events import LocalEventHub
from crm_whatsapp.adapters.http.auth import BearerTokens
from crm_whatsapp.adapters.whatsapp.webhook import DEFAULT_MAX_BYTES
from crm_whatsapp.domain.ports import ConversationQueries, MessagingGateway
from crm_whatsapp.domain.use_cases import Dependencies


@dataclass(frozen=True)
class ApiContext:
    """``read_receipts`` (optional) sends blue ticks when a CRM user marks a conversation
    read; it must be usable from the server's event loop."""

    deps: Dependencies
    queries: ConversationQueries
    tokens: BearerTokens
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    live_events: LocalEventHub | None = None
    read_receipts: MessagingGateway | None = None
    default_timezone: str = "America/Mexico_City"
    default_region: str | None = "MX"
    max_body_bytes: int = DEFAULT_MAX_BYTES
    cors_origins: Sequence[str] = ()
    keepalive_seconds: float = 15.0
