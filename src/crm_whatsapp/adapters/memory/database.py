"""The in-memory database: committed state, a unit of work, and its repository.

A unit of work holds the store's lock for its whole life, which is what row locks give the
SQL adapter (concurrent webhooks queue instead of racing). Its repository changes the state
in place and records in an undo log how to take each change back; leaving without a commit
replays the log, so a failed use case leaves nothing half-written, and every operation stays
O(1) however much the store holds.

One module, because these parts are one mechanism: none of them is used without the
others, and apart they could only refer to each other in a cycle. The undo log alone
stands apart (``undo.py``): it knows nothing of the state, so the port adapters beside
this module (activity, canned responses) use it too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import TracebackType
from typing import Self

from crm_whatsapp.adapters.memory.activity_log import InMemoryActivityLog
from crm_whatsapp.adapters.memory.canned_responses import InMemoryCannedResponses
from crm_whatsapp.adapters.memory.template_catalog import InMemoryTemplateCatalog, TemplateState
from crm_whatsapp.adapters.memory.undo import UndoLog
from crm_whatsapp.domain.activity import Activity
from crm_whatsapp.domain.canned_responses import CannedResponse
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import DeliveryStatus, StatusUpdate
from crm_whatsapp.domain.errors import ConversationNotFound, MessageNotFound, StorageUnavailable
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.ingest import (
    QuarantineEntry,
    QuarantineState,
    RawDelivery,
    StoredChannelEvent,
)
from crm_whatsapp.domain.media import MediaStatus, MediaUsage
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
    media_pending_ids: dict[str, None] = field(default_factory=dict)
    """Messages whose file is still to fetch."""
    deliveries: dict[int, RawDelivery] = field(default_factory=dict)
    """Raw webhook bodies still to read, by id (ids only grow)."""
    processed_deliveries: dict[int, datetime] = field(default_factory=dict)
    """Read deliveries' ids and when they were processed (bodies dropped)."""
    quarantine: dict[str, QuarantineEntry] = field(default_factory=dict)
    channel_events: dict[str, StoredChannelEvent] = field(default_factory=dict)
    activity: dict[str, Activity] = field(default_factory=dict)
    """The activity log's entries, by id."""
    canned_responses: dict[str, CannedResponse] = field(default_factory=dict)
    canned_shortcuts: dict[str, str] = field(default_factory=dict)
    """Canned responses by id, and their ids by ``shortcut_key`` (the unique index)."""
    templates: TemplateState = field(default_factory=dict)
    template_sync: dict[str, datetime] = field(default_factory=dict)

    def copy(self) -> StoreState:
        """Every collection copied (each is a dict; its values are immutable)."""
        return StoreState(**{f.name: dict(getattr(self, f.name)) for f in fields(self)})


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


def _customer_keys(
    business_number_id: str, customer: CustomerIdentity
) -> Iterator[tuple[str, str]]:
    for key in customer.conversation_keys():
        yield business_number_id, key


class InMemoryConversationRepository:
    """The ConversationRepository port on the store's state, every change logged for undo."""

    def __init__(self, state: StoreState, undo: UndoLog) -> None:
        self._state = state
        self._undo = undo

    def get_or_start(self, new: Conversation) -> Conversation:
        index = self._state.conversation_ids_by_customer
        for key in _customer_keys(new.business_number_id, new.customer):
            found = self._state.conversations.get(index.get(key, ""))
            if found is not None and found.customer.is_same_customer(new.customer):
                return found
        self._store_conversation(new)
        return new

    def get(self, conversation_id: str) -> Conversation:
        try:
            return self._state.conversations[conversation_id]
        except KeyError:
            raise ConversationNotFound(conversation_id) from None

    def of_customer(self, customer: CustomerIdentity) -> Sequence[Conversation]:
        return [
            c for c in self._state.conversations.values() if c.customer.is_same_customer(customer)
        ]

    def save(self, conversation: Conversation) -> None:
        self.get(conversation.id)
        self._store_conversation(conversation)

    def add_inbound(self, message: Message) -> bool:
        if message.wamid is not None and message.wamid in self._state.message_ids_by_wamid:
            return False
        self._put(message)
        return True

    def add_outbound(self, message: Message) -> None:
        self._put(message)

    def update_message(self, message: Message) -> None:
        self.get_message(message.id)
        self._put(message)

    def get_message(self, message_id: str) -> Message:
        try:
            return self._state.messages[message_id]
        except KeyError:
            raise MessageNotFound(message_id) from None

    def get_messages(self, message_ids: Sequence[str]) -> dict[str, Message]:
        messages = self._state.messages
        return {i: messages[i] for i in message_ids if i in messages}

    def get_conversations(self, conversation_ids: Sequence[str]) -> dict[str, Conversation]:
        conversations = self._state.conversations
        return {i: conversations[i] for i in conversation_ids if i in conversations}

    def update_messages(self, messages: Sequence[Message]) -> None:
        for message in messages:
            self.update_message(message)

    def message_by_wamid(self, wamid: str) -> Message | None:
        message_id = self._state.message_ids_by_wamid.get(wamid)
        return None if message_id is None else self._state.messages[message_id]

    def due_outbound(self, now: datetime, limit: int) -> Sequence[Message]:
        heads: dict[str, Message] = {}  # each conversation's oldest pending message
        for message_id in self._state.pending_message_ids:
            message = self._state.messages[message_id]
            head = heads.get(message.conversation_id)
            if head is None or _queue_order(message) < _queue_order(head):
                heads[message.conversation_id] = message
        due = []
        for message in heads.values():
            delivery = message.delivery
            if delivery and delivery.next_attempt_at and delivery.next_attempt_at <= now:
                due.append((delivery.next_attempt_at, message.id))
        return [self._state.messages[message_id] for _, message_id in sorted(due)[:limit]]

    def due_media(self, now: datetime, limit: int) -> Sequence[Message]:
        due = []
        for message_id in self._state.media_pending_ids:
            media = self._state.messages[message_id].media
            if media and media.next_attempt_at and media.next_attempt_at <= now:
                due.append((media.next_attempt_at, message_id))
        return [self._state.messages[message_id] for _, message_id in sorted(due)[:limit]]

    def stored_media_older_than(self, before: datetime, limit: int) -> Sequence[Message]:
        old = [
            (message.created_at, message.id)
            for message in self._state.messages.values()
            if message.media is not None
            and message.media.status is MediaStatus.STORED
            and message.created_at < before
        ]
        return [self._state.messages[message_id] for _, message_id in sorted(old)[:limit]]

    def media_in_use(self, digests: Sequence[str]) -> set[str]:
        wanted = set(digests)
        used: set[str] = set()
        for message in self._state.messages.values():
            media = message.media
            if media is None:
                continue
            digest = media.sha256 if media.status is MediaStatus.STORED else None
            if media.status is MediaStatus.PENDING:
                digest = media.announced_sha256
            if digest is not None and digest in wanted:
                used.add(digest)
        return used

    def media_usage_older_than(
        self, before: datetime, after: str | None, limit: int
    ) -> Sequence[MediaUsage]:
        old: dict[str, int] = {}
        newer: set[str] = set()
        for message in self._state.messages.values():
            media = message.media
            if media is None or media.status is not MediaStatus.STORED or not media.sha256:
                continue
            if message.created_at >= before:
                newer.add(media.sha256)
            elif after is None or media.sha256 > after:
                old[media.sha256] = old.get(media.sha256, 0) + 1
        return [MediaUsage(digest, old[digest], digest in newer) for digest in sorted(old)[:limit]]

    def park_status(self, update: StatusUpdate) -> None:
        parked = self._state.parked_statuses.get(update.wamid, ())
        self._undo.set(self._state.parked_statuses, update.wamid, (*parked, update))

    def take_parked_statuses(self, wamid: str) -> Sequence[StatusUpdate]:
        return self.take_parked_statuses_of([wamid]).get(wamid, [])

    def take_parked_statuses_of(self, wamids: Sequence[str]) -> dict[str, list[StatusUpdate]]:
        taken = {}
        for wamid in wamids:
            parked = self._state.parked_statuses.get(wamid, ())
            if parked:
                taken[wamid] = list(parked)
                self._undo.remove(self._state.parked_statuses, wamid)
        return taken

    def _store_conversation(self, conversation: Conversation) -> None:
        self._undo.set(self._state.conversations, conversation.id, conversation)
        index = self._state.conversation_ids_by_customer
        for key in _customer_keys(conversation.business_number_id, conversation.customer):
            if index.get(key) != conversation.id:
                self._undo.set(index, key, conversation.id)

    def _put(self, message: Message) -> None:
        self.get(message.conversation_id)
        self._undo.set(self._state.messages, message.id, message)
        if message.wamid is not None:
            self._undo.set(self._state.message_ids_by_wamid, message.wamid, message.id)
        if message.delivery_status is DeliveryStatus.PENDING:
            self._undo.set(self._state.pending_message_ids, message.id, None)
        else:
            self._undo.remove(self._state.pending_message_ids, message.id)
        if message.media is not None and message.media.status is MediaStatus.PENDING:
            self._undo.set(self._state.media_pending_ids, message.id, None)
        else:
            self._undo.remove(self._state.media_pending_ids, message.id)


class InMemoryUnitOfWork:
    """All or nothing, one at a time: holds the store's lock from enter to exit."""

    conversations: InMemoryConversationRepository
    deliveries: InMemoryDeliveryRepository
    activity: InMemoryActivityLog
    canned_responses: InMemoryCannedResponses
    templates: InMemoryTemplateCatalog

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        if not self._store.available:
            self._store.lock.release()
            raise StorageUnavailable("in-memory store marked unavailable")
        self._undo = UndoLog()
        self.conversations = InMemoryConversationRepository(self._store.state, self._undo)
        self.deliveries = InMemoryDeliveryRepository(self._store.state, self._undo)
        state = self._store.state
        self.activity = InMemoryActivityLog(state.conversations, state.activity, self._undo)
        self.canned_responses = InMemoryCannedResponses(
            state.canned_responses, state.canned_shortcuts, self._undo
        )
        self.templates = InMemoryTemplateCatalog(state.templates, state.template_sync, self._undo)
        return self

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        mark = self._undo.mark()
        try:
            yield
        except BaseException:
            self._undo.roll_back_to(mark)
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._undo.roll_back()
        finally:
            self._store.lock.release()

    def commit(self) -> None:
        if not self._store.available:
            raise StorageUnavailable("in-memory store marked unavailable")
        self._undo.forget()
        self._store.commits += 1


def _queue_order(message: Message) -> tuple[datetime, str]:
    """The order a conversation's replies must leave in (as the SQL adapter orders them)."""
    return (message.created_at, message.id)


class InMemoryDeliveryRepository:
    """The DeliveryRepository port on the store's state; the unit of work's lock is the
    claim (one unit of work at a time)."""

    def __init__(self, state: StoreState, undo: UndoLog) -> None:
        self._state = state
        self._undo = undo

    def claim(self, limit: int) -> Sequence[RawDelivery]:
        waiting = self._state.deliveries
        return [waiting[i] for i in sorted(waiting)[:limit]]

    def finish(self, delivery_ids: Sequence[int], at: datetime) -> None:
        for delivery_id in delivery_ids:
            self._undo.remove(self._state.deliveries, delivery_id)
            self._undo.set(self._state.processed_deliveries, delivery_id, at)

    def prune_processed(self, before: datetime, limit: int) -> int:
        done = self._state.processed_deliveries
        old = [i for i, at in sorted(done.items(), key=lambda kv: kv[1]) if at < before][:limit]
        for delivery_id in old:
            self._undo.remove(done, delivery_id)
        return len(old)

    def quarantine(self, entry: QuarantineEntry) -> None:
        self._undo.set(self._state.quarantine, entry.id, entry)

    def quarantined(
        self, state: QuarantineState, limit: int, after_id: str | None = None
    ) -> Sequence[QuarantineEntry]:
        entries = sorted(
            (e for e in self._state.quarantine.values() if e.state is state), key=lambda e: e.id
        )
        return [e for e in entries if after_id is None or e.id > after_id][:limit]

    def update_quarantined(self, entry: QuarantineEntry) -> None:
        if entry.id in self._state.quarantine:
            self._undo.set(self._state.quarantine, entry.id, entry)

    def add_channel_event(self, event: StoredChannelEvent) -> None:
        self._undo.set(self._state.channel_events, event.id, event)
