"""What a webhook tells us, in domain terms: messages from customers and status reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm_whatsapp.domain.delivery import DeliveryStatus, SendFailure
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import MessageKind


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


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """Meta's report on one of our outbound messages (sent, delivered, read, failed)."""

    wamid: str
    status: DeliveryStatus
    timestamp: datetime
    failure: SendFailure | None = None
    recipient_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
