"""What a webhook delivery holds once read: the items to apply, in body order, and the
items that could not be understood.

A delivery is stored raw before anything reads it (acknowledged means durable); a reader
then turns it into a ``ReadDelivery``. Every part of the body becomes exactly one item:
a customer's message, a status, a marketing preference, a message the business sent from
the WhatsApp Business app (an echo), a channel event (template status, account alerts,
fields we do not know), or a ``Quarantined`` item that keeps its raw JSON, its place in
the body and the reason. Nothing a correctly signed body carries is dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crm_whatsapp.domain.delivery import StatusUpdate
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import IncomingMessage, MessageKind
from crm_whatsapp.domain.template_ports import TemplateUpdate

OLDEST_ACCEPTED_AGE = timedelta(days=30)
"""A message dated earlier than this before its receipt keeps the receipt time instead."""
FURTHEST_ACCEPTED_LEAD = timedelta(days=1)
"""A message dated later than this after its receipt keeps the receipt time instead."""


def bounded_time(claimed: datetime, received_at: datetime) -> datetime | None:
    """``claimed`` when it is plausible for something received at ``received_at``, else None.

    Meta's clocks are right, but a signed body can still carry year 9999 or 1970 (a test
    tool, a replayed capture); every date computed from such a time (the 24-hour window,
    statistics by day) would overflow or land decades away.
    """
    if received_at - OLDEST_ACCEPTED_AGE <= claimed <= received_at + FURTHEST_ACCEPTED_LEAD:
        return claimed
    return None


@dataclass(frozen=True, slots=True)
class RawDelivery:
    """One POST body as Meta signed it, stored before it is read."""

    id: int
    received_at: datetime
    body: bytes


class MarketingChoice(enum.Enum):
    STOP = "stop"
    RESUME = "resume"


@dataclass(frozen=True, slots=True)
class PreferenceUpdate:
    """A ``user_preferences`` webhook: the customer stopped or resumed marketing messages."""

    business_number_id: str
    customer: CustomerIdentity
    choice: MarketingChoice
    at: datetime
    category: str = "marketing_messages"


@dataclass(frozen=True, slots=True)
class MessageEcho:
    """A message the business sent from the WhatsApp Business app on the same number
    (coexistence, ``smb_message_echoes``): stored as outbound by the phone app, and the bot
    steps aside because a person is answering."""

    business_number_id: str
    customer: CustomerIdentity
    wamid: str
    kind: MessageKind
    timestamp: datetime
    text: str | None = None
    media_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    raw: str | None = None


class ChannelEventKind(enum.Enum):
    TEMPLATE = "template"
    """Template status, quality or category changes (the templates feature reads these)."""
    ACCOUNT = "account"
    """Account updates, reviews, bans, restrictions."""
    QUALITY = "quality"
    """A number's quality rating or messaging limit changed."""
    WEBHOOK_ERROR = "webhook_error"
    """Meta reported an error on a value (not tied to one message)."""
    UNKNOWN_STATUS = "unknown_status"
    """A message status we do not know yet."""
    OTHER = "other"
    """A field we do not handle; kept and counted."""


@dataclass(frozen=True, slots=True)
class ChannelEvent:
    """Something about the channel rather than a conversation, kept for channel health."""

    field: str
    kind: ChannelEventKind
    summary: str
    payload: str
    """The change's value as JSON text, exactly as received."""
    account_id: str | None = None
    business_number_id: str | None = None
    template_update: TemplateUpdate | None = None
    """For a template's status, quality or category webhook: the change, applied to the
    synced catalogue at once."""


def _nothing() -> tuple[str, bytes]:
    return "", b""


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A part of a signed body we could not understand: never applied, never dropped.

    ``contents()`` gives its raw JSON and a complete webhook body holding only this item
    (and the context it needs: the business number, the sender's contact), so a later
    version can read it again. Computed only when the item is stored: a body of many
    broken parts keeps a bounded number of them one by one (see the reader).
    """

    location: str
    reason: str
    describe: Callable[[], tuple[str, bytes]] = _nothing
    field: str | None = None
    business_number_id: str | None = None

    @classmethod
    def holding(cls, location: str, reason: str, raw: str, replay_body: bytes) -> Quarantined:
        return cls(location, reason, lambda: (raw, replay_body))

    def contents(self) -> tuple[str, bytes]:
        return self.describe()


Understood = IncomingMessage | StatusUpdate | PreferenceUpdate | MessageEcho | ChannelEvent


@dataclass(frozen=True, slots=True)
class ItemSource:
    """Where an item came from, to quarantine it if applying it fails.

    ``describe`` gives its raw JSON and a one-item replay body; it is only called for an
    item that fails, so a healthy batch never pays for the copies.
    """

    location: str
    field: str | None = None
    business_number_id: str | None = None
    describe: Callable[[], tuple[str, bytes]] = _nothing

    def quarantined(self, reason: str) -> Quarantined:
        return Quarantined(
            self.location, reason, self.describe, self.field, self.business_number_id
        )


@dataclass(frozen=True, slots=True)
class ReadItem:
    value: Understood | Quarantined
    source: ItemSource


@dataclass(frozen=True, slots=True)
class ReadDelivery:
    """Every item of one body, in document order."""

    items: tuple[ReadItem, ...] = ()


class QuarantineState(enum.Enum):
    OPEN = "open"
    REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A stored ``Quarantined`` item."""

    id: str
    delivery_id: int | None
    location: str
    reason: str
    raw: str
    replay_body: bytes
    created_at: datetime
    field: str | None = None
    business_number_id: str | None = None
    state: QuarantineState = QuarantineState.OPEN
    attempts: int = 0
    replayed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredChannelEvent:
    id: str
    event: ChannelEvent
    received_at: datetime


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one pass of the processor did."""

    deliveries: int = 0
    messages: int = 0
    duplicates: int = 0
    statuses: int = 0
    quarantined: int = 0
    other: int = 0

    def __add__(self, other: IngestReport) -> IngestReport:
        return IngestReport(
            self.deliveries + other.deliveries,
            self.messages + other.messages,
            self.duplicates + other.duplicates,
            self.statuses + other.statuses,
            self.quarantined + other.quarantined,
            self.other + other.other,
        )


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    """What an operator checks: is ingest keeping up, is anything quarantined, what did
    Meta say about the account and its numbers lately."""

    pending_deliveries: int
    oldest_pending_at: datetime | None
    quarantine_open: int
    events_by_kind: Mapping[str, int]
    """Channel events received since the window began, by ``ChannelEventKind`` value."""
    other_fields: Mapping[str, int]
    """Fields we do not handle, by name, in the same window: a rise means the app is
    subscribed to more than it needs."""
    latest_alerts: tuple[StoredChannelEvent, ...]
    """The newest account, quality and webhook-error events, newest first."""
