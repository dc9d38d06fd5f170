"""In-memory ConversationRepository: changes the store in place, logging how to undo them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.errors import ConversationNotFound, MessageNotFound
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.inbound import StatusUpdate
from crm_whatsapp.domain.message import Message

if TYPE_CHECKING:
    from crm_whatsapp.adapters.memory.store import StoreState
    from crm_whatsapp.adapters.memory.undo_log import UndoLog


def _customer_keys(
    business_number_id: str, customer: CustomerIdentity
) -> Iterator[tuple[str, str]]:
    for key in customer.conversation_keys():
        yield business_number_id, key


class InMemoryConversationRepository:
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

    def message_by_wamid(self, wamid: str) -> Message | None:
        message_id = self._state.message_ids_by_wamid.get(wamid)
        return None if message_id is None else self._state.messages[message_id]

    def due_outbound(self, now: datetime, limit: int) -> Sequence[Message]:
        due = []
        for message_id in self._state.pending_message_ids:
            delivery = self._state.messages[message_id].delivery
            if delivery and delivery.next_attempt_at and delivery.next_attempt_at <= now:
                due.append((delivery.next_attempt_at, message_id))
        return [self._state.messages[message_id] for _, message_id in sorted(due)[:limit]]

    def park_status(self, update: StatusUpdate) -> None:
        parked = self._state.parked_statuses.get(update.wamid, ())
        self._undo.set(self._state.parked_statuses, update.wamid, (*parked, update))

    def take_parked_statuses(self, wamid: str) -> Sequence[StatusUpdate]:
        parked = self._state.parked_statuses.get(wamid, ())
        self._undo.remove(self._state.parked_statuses, wamid)
        return parked

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
