"""The webhook envelope: entries, their changes, and the value of a ``messages`` change.

Everything is a list: one POST may carry several entries (WhatsApp Business Accounts),
each with several changes, each with several messages and statuses. Reading only the first
of each, as many libraries do, silently loses customers' messages under load, when Meta
batches the most.
"""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue

from crm_whatsapp.adapters.whatsapp.webhook.base import (
    BusinessNumberIdStr,
    MetaError,
    UserIdStr,
    WaIdStr,
    WebhookModel,
)
from crm_whatsapp.adapters.whatsapp.webhook.message_models import WebhookMessage
from crm_whatsapp.adapters.whatsapp.webhook.status_models import WebhookStatus

WHATSAPP_BUSINESS_ACCOUNT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"


class Change(WebhookModel):
    """One change; its ``value`` is only read when ``field`` is ``messages``.

    Other fields (template status, account updates, quality ratings) have their own shapes,
    which we neither need nor want to refuse a body for.
    """

    field: str
    value: JsonValue = None


class Entry(WebhookModel):
    id: str | None = None
    changes: tuple[Change, ...]


class Envelope(WebhookModel):
    object: Literal["whatsapp_business_account"]
    entry: tuple[Entry, ...]


class Metadata(WebhookModel):
    phone_number_id: BusinessNumberIdStr
    display_phone_number: str | None = None


class Profile(WebhookModel):
    name: str | None = None
    username: str | None = None


class Contact(WebhookModel):
    """Who sent the messages of a value: profile name, wa_id and business-scoped user id."""

    profile: Profile | None = None
    wa_id: WaIdStr | None = None
    user_id: UserIdStr | None = None
    parent_user_id: str | None = None


class MessagesValue(WebhookModel):
    """The value of a ``messages`` change: one business number's messages and statuses."""

    metadata: Metadata
    contacts: tuple[Contact, ...] = ()
    messages: tuple[WebhookMessage, ...] = ()
    statuses: tuple[WebhookStatus, ...] = ()
    errors: tuple[MetaError, ...] = ()
