"""What changed, for the inbox's live updates; published only after the change is committed."""

from __future__ import annotations

from dataclasses import dataclass

from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.media import MediaStatus


@dataclass(frozen=True, slots=True)
class MessageStored:
    conversation_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class DeliveryStatusChanged:
    conversation_id: str
    message_id: str
    status: DeliveryStatus


@dataclass(frozen=True, slots=True)
class ConversationChanged:
    conversation_id: str


@dataclass(frozen=True, slots=True)
class MediaStatusChanged:
    """A message's file was fetched, failed, or was pruned: the inbox redraws that message."""

    conversation_id: str
    message_id: str
    status: MediaStatus


@dataclass(frozen=True, slots=True)
class ActivityRecorded:
    """Someone acted on a conversation (a note, an assignment...): the chat shows it."""

    conversation_id: str
    activity_id: str
    kind: str


Event = (
    MessageStored
    | DeliveryStatusChanged
    | ConversationChanged
    | MediaStatusChanged
    | ActivityRecorded
)
