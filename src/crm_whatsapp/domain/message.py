"""A message of a conversation, in either direction, with its processing or delivery state;
and a customer's message as the webhook delivered it, before it becomes one."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from crm_whatsapp.domain.delivery import Delivery, DeliveryStatus, SendFailure
from crm_whatsapp.domain.errors import InvalidStateTransition
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.media import MediaFile
from crm_whatsapp.domain.template_message import TemplateMessage as TemplateMessage  # noqa: PLC0414 (public re-export)


class Direction(enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageKind(enum.Enum):
    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    INTERACTIVE = "interactive"
    BUTTON = "button"
    REACTION = "reaction"
    ORDER = "order"
    SYSTEM = "system"
    TEMPLATE = "template"
    UNSUPPORTED = "unsupported"

    @property
    def is_media(self) -> bool:
        return self in _MEDIA_KINDS

    @property
    def carries_words(self) -> bool:
        """Kinds whose text a person typed or chose (a button title counts): rules read it."""
        return self in (MessageKind.TEXT, MessageKind.INTERACTIVE, MessageKind.BUTTON)


_MEDIA_KINDS = frozenset(
    {
        MessageKind.IMAGE,
        MessageKind.AUDIO,
        MessageKind.VIDEO,
        MessageKind.DOCUMENT,
        MessageKind.STICKER,
    }
)


class AuthorKind(enum.Enum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    PHONE_APP = "phone_app"
    """The business wrote from the WhatsApp Business app on the same number (coexistence)."""


@dataclass(frozen=True, slots=True)
class Author:
    kind: AuthorKind
    name: str | None = None

    @classmethod
    def customer(cls) -> Author:
        return cls(AuthorKind.CUSTOMER)

    @classmethod
    def bot(cls) -> Author:
        return cls(AuthorKind.BOT, "bot")

    @classmethod
    def agent(cls, name: str) -> Author:
        return cls(AuthorKind.AGENT, name)

    @classmethod
    def phone_app(cls) -> Author:
        return cls(AuthorKind.PHONE_APP, "WhatsApp Business")


class ProcessingState(enum.Enum):
    """Inbound: received -> replied | skipped(reason) | failed(error)."""

    RECEIVED = "received"
    REPLIED = "replied"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Processing:
    state: ProcessingState = ProcessingState.RECEIVED
    detail: str | None = None
    """The skip reason or the error; None while received or once replied."""
    rule: str | None = None
    """The bot rule the message triggered (``handoff``, ``opt_out``, ``keyword:precios``)."""

    @property
    def is_final(self) -> bool:
        return self.state is not ProcessingState.RECEIVED


@dataclass(frozen=True, slots=True)
class Message:
    """One stored message.

    ``wamid`` is WhatsApp's id: unique, set on arrival for inbound and once sent for
    outbound. ``details`` holds what only some kinds have (location, contacts, reaction,
    button payload, file name) as JSON-compatible values; ``raw`` is the payload exactly as
    Meta sent it, kept for audit and for kinds we do not understand yet.
    """

    id: str
    conversation_id: str
    direction: Direction
    kind: MessageKind
    created_at: datetime
    author: Author
    text: str | None = None
    wamid: str | None = None
    whatsapp_timestamp: datetime | None = None
    media_id: str | None = None
    reply_to_wamid: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    raw: str | None = None
    processing: Processing | None = None
    delivery: Delivery | None = None
    template: TemplateMessage | None = None
    media: MediaFile | None = None
    """The file of an image, audio, video, document or sticker: fetch state and our copy."""
    interactive: InteractiveContent | None = None
    """Reply buttons or a list we send (``kind`` interactive); its body is also ``text``."""

    @property
    def is_inbound(self) -> bool:
        return self.direction is Direction.INBOUND

    @property
    def sent_at(self) -> datetime:
        """When the author sent it: WhatsApp's timestamp when known, else when we stored it."""
        return self.whatsapp_timestamp or self.created_at

    @property
    def delivery_status(self) -> DeliveryStatus | None:
        return self.delivery.status if self.delivery else None

    def preview(self, limit: int = 80) -> str:
        """One line for the inbox list."""
        if self.template is not None and not self.text:
            body = self.template.describe()
        elif self.interactive is not None and not self.text:
            body = " ".join(self.interactive.body.split())
        elif self.text:
            body = " ".join(self.text.split())
        else:
            body = f"[{self.kind.value}]"
        return body if len(body) <= limit else body[: limit - 1] + "…"

    def with_processing(
        self, state: ProcessingState, detail: str | None = None, rule: str | None = None
    ) -> Message:
        """Received -> replied | skipped | failed, once: a message is never processed twice."""
        if self.processing is not None and self.processing.is_final:
            raise InvalidStateTransition(
                f"message {self.id} was already {self.processing.state.value}"
            )
        return replace(self, processing=Processing(state, detail, rule))

    def with_media(self, media: MediaFile) -> Message:
        return replace(self, media=media)

    def with_delivery(self, delivery: Delivery) -> Message:
        return replace(self, delivery=delivery)

    def sent_as(self, wamid: str, at: datetime) -> Message:
        delivery = self.delivery or Delivery()
        return replace(self, wamid=wamid, delivery=delivery.advance(DeliveryStatus.SENT, at))

    def failed(self, failure: SendFailure, at: datetime) -> Message:
        delivery = self.delivery or Delivery()
        return replace(self, delivery=delivery.advance(DeliveryStatus.FAILED, at, failure))


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A customer's message as the webhook delivered it, before we store it."""

    business_number_id: str
    customer: CustomerIdentity
    wamid: str
    kind: MessageKind
    timestamp: datetime
    text: str | None = None
    profile_name: str | None = None
    media_id: str | None = None
    reply_to_wamid: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    raw: str | None = None
