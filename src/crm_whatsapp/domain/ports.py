"""The ports: what the core needs from the outside world, as small ``typing.Protocol``s.

Adapters implement them without inheriting from them. The write side works inside a
``UnitOfWork`` (one transaction per use case); the read side (``ConversationQueries``) is
separate so that inbox queries can be tuned without touching the use cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from crm_whatsapp.domain.activity import Activity
from crm_whatsapp.domain.canned_response_ports import CannedResponses
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import StatusUpdate
from crm_whatsapp.domain.events import Event
from crm_whatsapp.domain.identity import ClientMatch, ClientRef, CustomerIdentity
from crm_whatsapp.domain.ingest_ports import (
    DeliveryJournal,
    DeliveryRepository,
    IngestQueries,
    WebhookReader,
)
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.media import MediaUsage
from crm_whatsapp.domain.media_ports import MediaDownload, MediaStore
from crm_whatsapp.domain.message import Message, MessageKind, TemplateMessage
from crm_whatsapp.domain.pagination import Page
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.statistics import Statistics
from crm_whatsapp.domain.template_ports import TemplateCatalog

__all__ = [
    "ActivityLog",
    "CannedResponses",
    "ClientLookup",
    "Clock",
    "ConversationQueries",
    "ConversationRepository",
    "DeliveryJournal",
    "DeliveryRepository",
    "EventPublisher",
    "IdGenerator",
    "IngestQueries",
    "MediaDownload",
    "MediaStore",
    "MessagingGateway",
    "SendRateLimiter",
    "UnitOfWork",
    "WebhookReader",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new unique id for a conversation or a message."""
        ...


class ConversationRepository(Protocol):
    """Conversations and their messages, inside the current unit of work."""

    def get_or_start(self, new: Conversation) -> Conversation:
        """The stored conversation with ``new``'s business number and customer, else ``new``
        (now stored); locked until the unit of work ends, so concurrent webhooks queue."""
        ...

    def get(self, conversation_id: str) -> Conversation:
        """The conversation, locked until the unit of work ends; else ConversationNotFound."""
        ...

    def of_customer(self, customer: CustomerIdentity) -> Sequence[Conversation]:
        """Every conversation with this customer, on any business number."""
        ...

    def save(self, conversation: Conversation) -> None:
        """Store the new state of a conversation already stored."""
        ...

    def add_inbound(self, message: Message) -> bool:
        """Store a customer's message; False (and nothing stored) if its wamid is known."""
        ...

    def add_outbound(self, message: Message) -> None:
        """Store a message of ours (pending until the outbox sends it)."""
        ...

    def update_message(self, message: Message) -> None:
        """Store the new state of a message already stored."""
        ...

    def get_message(self, message_id: str) -> Message:
        """The message, locked until the unit of work ends; else MessageNotFound."""
        ...

    def get_messages(self, message_ids: Sequence[str]) -> dict[str, Message]:
        """The messages that exist among these, by id, locked until the unit of work ends
        (one query for a batch: the outbox records dozens of outcomes at once)."""
        ...

    def get_conversations(self, conversation_ids: Sequence[str]) -> dict[str, Conversation]:
        """The conversations that exist among these, by id, locked like ``get``."""
        ...

    def update_messages(self, messages: Sequence[Message]) -> None:
        """``update_message`` for each, in as few statements as the database allows."""
        ...

    def message_by_wamid(self, wamid: str) -> Message | None:
        """The message with this WhatsApp id, if stored; locked until the unit of work ends."""
        ...

    def due_outbound(self, now: datetime, limit: int) -> Sequence[Message]:
        """Pending outbound messages due by ``now``, oldest first, locked for this unit of
        work; messages another worker has locked are skipped, not waited for.

        Only each conversation's first pending message (by ``created_at``, then id) can be
        due: the next one waits until the first is sent or has failed, so a conversation's
        replies leave in the order they were queued however many sends are in flight."""
        ...

    def due_media(self, now: datetime, limit: int) -> Sequence[Message]:
        """Messages whose file is pending and due by ``now`` (the fetch job's queue),
        oldest due first, locked for this unit of work; rows other workers hold are skipped."""
        ...

    def stored_media_older_than(self, before: datetime, limit: int) -> Sequence[Message]:
        """Messages stored before ``before`` whose file we still keep (for retention),
        oldest first, locked for this unit of work."""
        ...

    def media_in_use(self, digests: Sequence[str]) -> set[str]:
        """Which of these digests a message still keeps as its stored file, or is about to
        (a pending fetch announced it): content addressing lets two messages share one
        object, which only goes with the last, and a fetch racing retention must not lose
        the object it is about to point at."""
        ...

    def media_usage_older_than(
        self, before: datetime, after: str | None, limit: int
    ) -> Sequence[MediaUsage]:
        """The objects that messages stored before ``before`` keep, by digest greater than
        ``after`` (None: from the first), at most ``limit``: what retention would prune,
        counted a page at a time without locking or changing anything."""
        ...

    def park_status(self, update: StatusUpdate) -> None:
        """Keep a status report for a wamid we do not know yet (it raced our own send)."""
        ...

    def take_parked_statuses(self, wamid: str) -> Sequence[StatusUpdate]:
        """Remove and return the status reports parked for this wamid."""
        ...

    def take_parked_statuses_of(self, wamids: Sequence[str]) -> dict[str, list[StatusUpdate]]:
        """``take_parked_statuses`` for many wamids in one query; only those with some."""
        ...


class ActivityLog(Protocol):
    """The activity log, inside the current unit of work: appended with the change it
    records, never edited."""

    def record(self, activity: Activity) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: everything a use case changes is committed together or not at all."""

    @property
    def conversations(self) -> ConversationRepository:
        """The repository bound to this transaction."""
        ...

    @property
    def deliveries(self) -> DeliveryRepository:
        """Raw deliveries and the quarantine, in this same transaction."""
        ...

    @property
    def activity(self) -> ActivityLog:
        """The activity log, appended in this same transaction."""
        ...

    @property
    def canned_responses(self) -> CannedResponses:
        """The team's canned responses, in this same transaction."""
        ...

    @property
    def templates(self) -> TemplateCatalog:
        """The synced template catalogue, in this same transaction."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested transaction: leaving it with an exception takes back only what was done
        inside, and the exception goes on; the rest of the unit of work stays."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make the changes durable; raises StorageUnavailable if they could not be."""
        ...


class ConversationQueries(Protocol):
    """The inbox's read side; every page query costs O(page), never O(table)."""

    def conversation(self, conversation_id: str) -> Conversation:
        """The conversation; else ConversationNotFound."""
        ...

    def conversations(
        self, filter: ConversationFilter, limit: int, cursor: str | None = None
    ) -> Page[Conversation]:
        """Conversations by last activity, newest first."""
        ...

    def messages(
        self, conversation_id: str, limit: int, cursor: str | None = None
    ) -> Page[Message]:
        """Messages of a conversation, newest first (the cursor leads to older ones)."""
        ...

    def message(self, message_id: str) -> Message:
        """One message, read without locking; else MessageNotFound."""
        ...

    def activity(
        self, conversation_id: str, limit: int, cursor: str | None = None
    ) -> Page[Activity]:
        """The conversation's activity log, newest first (the cursor leads to older ones)."""
        ...

    def activity_entry(self, activity_id: str) -> Activity:
        """One entry of the log; else ActivityNotFound."""
        ...

    def statistics(
        self, since: datetime | None, until: datetime | None, timezone: str
    ) -> Statistics:
        """Figures for messages in [since, until), bucketed by days and hours in timezone."""
        ...


class MessagingGateway(Protocol):
    """Sends through WhatsApp; failures raise GatewayError(retryable=...)."""

    async def send_text(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        text: str,
        *,
        reply_to_wamid: str | None = None,
        preview_url: bool = False,
    ) -> str:
        """Send free-form text; returns the new message's wamid."""
        ...

    async def send_template(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        template: TemplateMessage,
        *,
        header_media_id: str | None = None,
        header_filename: str | None = None,
    ) -> str:
        """Send an approved template; returns the new message's wamid. A media header
        names the file uploaded for it (``upload_media``) by ``header_media_id``."""
        ...

    async def send_interactive(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        content: InteractiveContent,
        *,
        reply_to_wamid: str | None = None,
    ) -> str:
        """Send reply buttons or a list (free-form: within the 24-hour window); the wamid."""
        ...

    async def send_media(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        kind: MessageKind,
        media_id: str,
        *,
        caption: str | None = None,
        filename: str | None = None,
        voice: bool = False,
        reply_to_wamid: str | None = None,
    ) -> str:
        """Send a file already uploaded to Meta (``upload_media``); returns the wamid.

        ``kind`` is image, audio, video, document or sticker; ``filename`` is shown for
        documents, ``voice`` sends an OGG/Opus audio as a voice note."""
        ...

    async def upload_media(
        self, business_number_id: str, content: bytes, mime_type: str, filename: str
    ) -> str:
        """Give Meta a file to send; returns its media id (Meta checks type and size too)."""
        ...

    def download_media(
        self, business_number_id: str, media_id: str
    ) -> AbstractAsyncContextManager[MediaDownload]:
        """A customer's file, by the media id of their message.

        Meta answers the media id with a download URL valid for about 5 minutes; a URL
        that expired before the download started is looked up again. Raises GatewayError:
        ``retryable`` for load and outages, not for an id Meta no longer knows (7 days)."""
        ...

    async def mark_read(self, business_number_id: str, wamid: str) -> None:
        """Show the customer blue ticks on their message."""
        ...


class SendRateLimiter(Protocol):
    """Meta's throughput limit per business number (80 messages/s by default, 1,000 on the
    upgraded tier), kept by every worker together: past it Meta answers 130429."""

    async def acquire(self, business_number_id: str) -> None:
        """Wait until one more send from this number fits in its rate."""
        ...

    async def slow_down(self, business_number_id: str, seconds: float) -> None:
        """Meta said this number is sending too fast: no send from it for ``seconds``."""
        ...


class ClientLookup(Protocol):
    """The host CRM's clients."""

    def by_phone(self, phone: PhoneNumber) -> ClientMatch:
        """Every client with this number, whatever format the CRM stored it in."""
        ...

    def by_id(self, client_id: str) -> ClientRef | None:
        """The client, if it exists."""
        ...

    def search(self, text: str, limit: int = 20) -> Sequence[ClientRef]:
        """Clients whose id or name matches, for a person linking a conversation."""
        ...


@runtime_checkable
class ClientPhoneBook(Protocol):
    """A ClientLookup that can also tell a client's numbers: what starting a conversation
    with a client by id needs. Optional, so a host's own lookup need not offer it."""

    def phones_of(self, client_id: str) -> Sequence[PhoneNumber]:
        """The client's numbers that parse, the CRM's preferred one first."""
        ...


class EventPublisher(Protocol):
    def publish(self, events: Sequence[Event]) -> None:
        """Tell live listeners (the inbox) what changed; called after commit, never fails."""
        ...
