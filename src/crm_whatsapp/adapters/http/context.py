"""What a handler is given: the ``ApiContext`` of the whole app and the ``Call`` of one request.

The context is what the HTTP layer needs from the rest of the system, handed over by the
composition root: ports and the live event hub only, so which database or gateway stands
behind them stays the composition root's choice. The call holds one request's parameters
and body, already parsed and checked against the operation's declaration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel
from starlette.datastructures import Headers, UploadFile

from crm_whatsapp.adapters.events import LocalEventHub
from crm_whatsapp.adapters.http.auth import Authenticator
from crm_whatsapp.adapters.http.media_links import MediaLinks
from crm_whatsapp.adapters.http.stream_slots import StreamSlots
from crm_whatsapp.adapters.whatsapp.webhook import DEFAULT_MAX_BYTES
from crm_whatsapp.domain.access import Access
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.ports import (
    ConversationQueries,
    DeliveryJournal,
    IngestQueries,
    MessagingGateway,
)
from crm_whatsapp.domain.templates import SyncReport
from crm_whatsapp.domain.use_cases import Dependencies


@dataclass(frozen=True)
class ApiContext:
    """``read_receipts`` (optional) sends blue ticks when a CRM user marks a conversation
    read; it must be usable from the server's event loop."""

    deps: Dependencies
    queries: ConversationQueries
    auth: Authenticator
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    live_events: LocalEventHub | None = None
    read_receipts: MessagingGateway | None = None
    default_timezone: str = "America/Mexico_City"
    default_region: str | None = "MX"
    max_body_bytes: int = DEFAULT_MAX_BYTES
    cors_origins: Sequence[str] = ()
    keepalive_seconds: float = 15.0
    media_links: MediaLinks | None = None
    """Signs the ``url`` of each file in the API; None: files are served to the token only."""
    upload_max_bytes: int = 100 * 1024 * 1024
    """The largest file an agent may send (``CRM_WHATSAPP_MEDIA_MAX_BYTES``)."""
    journal: DeliveryJournal | None = None
    """Where the webhook stores bodies before it answers; None: the webhook answers 503."""
    ingest: IngestQueries | None = None
    """The quarantine and channel health, for operators."""
    max_streams_per_token: int = 20
    """Live event streams one credential may hold open at once (an agent's tabs)."""
    stream_slots: StreamSlots = field(default_factory=StreamSlots)
    sync_templates: Callable[[], Awaitable[SyncReport]] | None = None
    """Syncs the template catalogue from Meta; None without a WhatsApp Business Account."""
    default_business_number_id: str | None = None
    """The number a conversation the CRM starts is written from (``PHONE_NUMBER_ID``)."""


Value = str | int | bool | datetime | PhoneNumber | None
BodyModel = TypeVar("BodyModel", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Call:
    """A request as a handler sees it: parameters parsed by their declaration, the body
    validated by its model (or the raw bytes, for Meta's signed webhook)."""

    values: Mapping[str, Value]
    body: BaseModel | None
    raw_body: bytes
    headers: Headers
    upload: UploadFile | None = None
    """The ``file`` of a multipart request (spooled to disk past 1 MB by Starlette); the
    other form fields are in ``body``."""
    address: str = "unknown"
    """The client's address, as the throttle on failed authentications counts it."""
    access: Access | None = None
    """Who is calling, from their token; None only on the unauthenticated operations
    (Meta's webhook, the probes)."""

    @property
    def caller(self) -> Access:
        assert self.access is not None, "an authenticated operation"
        return self.access

    def text(self, name: str) -> str | None:
        value = self.values[name]
        assert value is None or isinstance(value, str), name
        return value

    def required(self, name: str) -> str:
        """A path value or a required text: the declaration guarantees it is there."""
        value = self.values[name]
        assert isinstance(value, str), name
        return value

    def integer(self, name: str) -> int:
        value = self.values[name]
        assert isinstance(value, int), name
        return value

    def flag(self, name: str) -> bool | None:
        value = self.values[name]
        assert value is None or isinstance(value, bool), name
        return value

    def moment(self, name: str) -> datetime | None:
        value = self.values[name]
        assert value is None or isinstance(value, datetime), name
        return value

    def phone(self, name: str) -> PhoneNumber | None:
        value = self.values[name]
        assert value is None or isinstance(value, PhoneNumber), name
        return value

    def body_as(self, model: type[BodyModel]) -> BodyModel:
        assert isinstance(self.body, model), model.__name__
        return self.body
