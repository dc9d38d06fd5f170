"""In-memory ConversationRepository over one transaction's working copy."""

from __future__ import annotations

from collections.abc import Sequence
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


class InMemoryConversationRepository:
    def __init__(self, state: StoreState) -> None:
        self._state = state

    def get_or_start(self, new: Conversation) -> Conversation:
        for existing in self._state.conversations.values():
            if existing.business_number_id == new.business_number_id and (
                existing.customer.is_same_customer(new.customer)
            ):
                return existing
        self._state.conversations[new.id] = new
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
        self._state.conversations[conversation.id] = conversation

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
        due = [
            m
            for m in self._state.messages.values()
            if m.delivery is not None
            and m.delivery.status is DeliveryStatus.PENDING
            and m.delivery.next_attempt_at is not None
            and m.delivery.next_attempt_at <= now
        ]
        due.sort(key=lambda m: (m.delivery.next_attempt_at if m.delivery else now, m.id))
        return due[:limit]

    def park_status(self, update: StatusUpdate) -> None:
        self._state.parked_statuses.setdefault(update.wamid, []).append(update)

    def take_parked_statuses(self, wamid: str) -> Sequence[StatusUpdate]:
        return self._state.parked_statuses.pop(wamid, [])

    def _put(self, message: Message) -> None:
        self.get(message.conversation_id)
        self._state.messages[message.id] = message
        if message.wamid is not None:
            self._state.message_ids_by_wamid[message.wamid] = message.id
