"""Webhook payloads to domain values: messages, status updates, send failures, problems.

A message becomes an ``IncomingMessage``: who, what kind, the words, and the rest. ``text``
is what a person would read in the inbox and what the bot's rules match: the text body, a
media caption, the title of the chosen button or list row, a template button's label, the
reaction emoji (None once removed), the note on an order, the notice of a change of number.
A completed Flow has no text: its "Sent" is Meta's word, not the customer's, and a keyword
rule must not fire on it. What only some kinds have goes to ``details`` as JSON-compatible
values; ``raw`` is the message object itself, for audit and for kinds we do not understand
yet.

A status becomes a ``StatusUpdate``, or a problem when the status is new to us. Meta's error
on a failed message becomes a ``SendFailure`` that says whether to try again: only errors
about load or Meta's own trouble are worth a retry; anything about the recipient or the
message (not on WhatsApp, outside the 24-hour window, template rejected) fails the same way
every time.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_whatsapp.adapters.whatsapp.graph_api.errors import GRAPH_ERROR_CODES
from crm_whatsapp.adapters.whatsapp.webhook.payload import (
    Contact,
    MediaPart,
    MetaError,
    WebhookMessage,
    WebhookStatus,
)
from crm_whatsapp.domain.delivery import DeliveryStatus, SendFailure, StatusUpdate
from crm_whatsapp.domain.errors import InvalidPhoneNumber
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import IncomingMessage, MessageKind
from crm_whatsapp.domain.phone import PhoneNumber


class ProblemKind(enum.Enum):
    WEBHOOK_ERROR = "webhook_error"
    """``value.errors``: Meta could not deliver something to us (not tied to a message)."""
    UNKNOWN_STATUS = "unknown_status"
    """A status value we do not know yet: kept for a person to look at, not applied."""


@dataclass(frozen=True, slots=True)
class WebhookProblem:
    """Something the webhook reported that is neither a message nor a status we can apply.

    Kept rather than dropped so that the application can log or show it; none of them makes
    the body invalid. ``details`` is JSON-compatible (Meta's error fields, or the status).
    """

    kind: ProblemKind
    business_number_id: str
    description: str
    code: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookBatch:
    """The messages, statuses and problems of one POST body.

    ``ignored_changes`` counts changes of other webhook fields (template status, account
    updates...), which are not ours to handle but are worth a metric: a sudden rise means the
    app is subscribed to more than it needs.
    """

    messages: tuple[IncomingMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    problems: tuple[WebhookProblem, ...] = ()
    ignored_changes: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.messages or self.statuses or self.problems)


RETRYABLE_ERROR_CODES = frozenset(
    code for code, kind in GRAPH_ERROR_CODES.items() if kind.retryable
)
"""One table for the whole adapter: what the gateway retries, a failed status says too."""

UNKNOWN_FAILURE = SendFailure(code="unknown", title="failed without an error from Meta")


def is_retryable(code: int) -> bool:
    return code in RETRYABLE_ERROR_CODES


def send_failure(error: MetaError) -> SendFailure:
    """The code as a string, Meta's words for it, and whether a retry can help."""
    return SendFailure(
        code=str(error.code), title=error.describe(), retryable=is_retryable(error.code)
    )


@dataclass(frozen=True, slots=True)
class _Content:
    kind: MessageKind
    text: str | None = None
    media_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def incoming_message(
    message: WebhookMessage,
    raw: Mapping[str, Any],
    business_number_id: str,
    contacts: Sequence[Contact],
) -> IncomingMessage:
    """``raw`` is the message's dict as decoded from the body, before validation."""
    contact = matching_contact(message, contacts)
    content = _READERS.get(message.type, _unsupported)(message)
    details = content.details | _common_details(message, contact)
    return IncomingMessage(
        business_number_id=business_number_id,
        customer=customer_identity(message, contact),
        wamid=message.id,
        kind=content.kind,
        timestamp=message.timestamp,
        text=content.text,
        profile_name=contact.profile.name if contact and contact.profile else None,
        media_id=content.media_id,
        reply_to_wamid=message.context.id if message.context and message.context.id else None,
        details=details,
        raw=json.dumps(raw, ensure_ascii=False),
    )


def matching_contact(message: WebhookMessage, contacts: Sequence[Contact]) -> Contact | None:
    """The contact of the message's sender, by wa_id or by business-scoped user id.

    A value may hold messages of several customers (and so several contacts); taking the
    first contact would give one customer's name to another's message.
    """
    for contact in contacts:
        if message.from_ and contact.wa_id == message.from_:
            return contact
        if message.from_user_id and contact.user_id == message.from_user_id:
            return contact
    return None


def customer_identity(message: WebhookMessage, contact: Contact | None) -> CustomerIdentity:
    """Every id Meta gave for the sender; the message's own ids win over the contact's.

    A wa_id that is not a phone number's digits is kept as the id, without a phone: refusing
    the message would lose it, and only client lookup needs the phone.
    """
    wa_id = message.from_ or (contact.wa_id if contact else None) or None
    user_id = message.from_user_id or (contact.user_id if contact else None) or None
    return CustomerIdentity(wa_id=wa_id, user_id=user_id, phone=_phone(wa_id))


def _phone(wa_id: str | None) -> PhoneNumber | None:
    if wa_id is None:
        return None
    try:
        return PhoneNumber.from_wa_id(wa_id)
    except InvalidPhoneNumber:
        return None


def _common_details(message: WebhookMessage, contact: Contact | None) -> dict[str, Any]:
    details: dict[str, Any] = {}
    context = message.context
    if context is not None:
        if context.forwarded:
            details["forwarded"] = True
        if context.frequently_forwarded:
            details["frequently_forwarded"] = True
        if context.referred_product is not None:
            details["referred_product"] = context.referred_product
    if message.referral is not None:
        details["referral"] = message.referral.model_dump(mode="json", exclude_none=True)
    if message.errors:
        details["errors"] = [error.as_details() for error in message.errors]
    if contact is not None:
        if contact.profile is not None and contact.profile.username:
            details["username"] = contact.profile.username
        if contact.parent_user_id:
            details["parent_user_id"] = contact.parent_user_id
    return details


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _text(message: WebhookMessage) -> _Content:
    assert message.text is not None, "checked by WebhookMessage"
    return _Content(MessageKind.TEXT, text=message.text.body)


def _media(kind: MessageKind) -> Callable[[WebhookMessage], _Content]:
    def read(message: WebhookMessage) -> _Content:
        part: MediaPart | None = getattr(message, kind.value)
        assert part is not None, "checked by WebhookMessage"
        details = _without_none(
            {
                "mime_type": part.mime_type,
                "sha256": part.sha256,
                "filename": part.filename,
                "voice": part.voice,
                "animated": part.animated,
            }
        )
        return _Content(kind, text=part.caption or None, media_id=part.id, details=details)

    return read


def _location(message: WebhookMessage) -> _Content:
    assert message.location is not None, "checked by WebhookMessage"
    return _Content(
        MessageKind.LOCATION,
        details={"location": message.location.model_dump(mode="json", exclude_none=True)},
    )


def _contacts(message: WebhookMessage) -> _Content:
    assert message.contacts is not None, "checked by WebhookMessage"
    return _Content(MessageKind.CONTACTS, details={"contacts": message.contacts})


def _interactive(message: WebhookMessage) -> _Content:
    part = message.interactive
    assert part is not None, "checked by WebhookMessage"
    details: dict[str, Any] = {"interactive_type": part.type}
    reply = {"button_reply": part.button_reply, "list_reply": part.list_reply}.get(part.type)
    if reply is not None:
        details["reply_id"] = reply.id
        if reply.description:
            details["reply_description"] = reply.description
        return _Content(MessageKind.INTERACTIVE, text=reply.title, details=details)
    if part.type == "nfm_reply" and part.nfm_reply is not None:
        flow = part.nfm_reply
        details |= _without_none(
            {"flow_name": flow.name, "flow_body": flow.body, "response_json": flow.response_json}
        )
    return _Content(MessageKind.INTERACTIVE, details=details)


def _button(message: WebhookMessage) -> _Content:
    assert message.button is not None, "checked by WebhookMessage"
    details = _without_none({"button_payload": message.button.payload})
    return _Content(MessageKind.BUTTON, text=message.button.text, details=details)


def _reaction(message: WebhookMessage) -> _Content:
    assert message.reaction is not None, "checked by WebhookMessage"
    emoji = message.reaction.emoji or None
    reaction = {"message_id": message.reaction.message_id, "emoji": emoji, "removed": emoji is None}
    return _Content(MessageKind.REACTION, text=emoji, details={"reaction": reaction})


def _order(message: WebhookMessage) -> _Content:
    assert message.order is not None, "checked by WebhookMessage"
    order = message.order.model_dump(mode="json", exclude_none=True)
    return _Content(MessageKind.ORDER, text=message.order.text or None, details={"order": order})


def _system(message: WebhookMessage) -> _Content:
    """A change of number: the body says it in words; ``new_wa_id`` is the number now."""
    assert message.system is not None, "checked by WebhookMessage"
    system = message.system.model_dump(mode="json", exclude_none=True)
    new_wa_id = message.system.new_wa_id or message.system.wa_id
    if new_wa_id:
        system["new_wa_id"] = new_wa_id
    return _Content(
        MessageKind.SYSTEM, text=message.system.body or None, details={"system": system}
    )


def _unsupported(message: WebhookMessage) -> _Content:
    """``unsupported`` (Meta could not show it either) and every type we do not know."""
    details: dict[str, Any] = {"type": message.type}
    if message.unsupported is not None:
        details["unsupported"] = message.unsupported
    return _Content(MessageKind.UNSUPPORTED, details=details)


_READERS: dict[str, Callable[[WebhookMessage], _Content]] = {
    "text": _text,
    "image": _media(MessageKind.IMAGE),
    "audio": _media(MessageKind.AUDIO),
    "video": _media(MessageKind.VIDEO),
    "document": _media(MessageKind.DOCUMENT),
    "sticker": _media(MessageKind.STICKER),
    "location": _location,
    "contacts": _contacts,
    "interactive": _interactive,
    "button": _button,
    "reaction": _reaction,
    "order": _order,
    "system": _system,
}


_STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    # A voice note was played: it was read, and more. Our delivery states stop at read;
    # ``details["meta_status"]`` keeps the difference.
    "played": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def status_update(status: WebhookStatus, business_number_id: str) -> StatusUpdate | WebhookProblem:
    """The update, or a problem for a status we cannot place (``deleted``, future ones)."""
    delivery_status = _STATUSES.get(status.status)
    details = _details(status, business_number_id)
    if delivery_status is None:
        return WebhookProblem(
            kind=ProblemKind.UNKNOWN_STATUS,
            business_number_id=business_number_id,
            description=f"status {status.status!r} of message {status.id} is unknown",
            details=details | {"wamid": status.id, "timestamp": status.timestamp.isoformat()},
        )
    failure = None
    if delivery_status is DeliveryStatus.FAILED:
        failure = send_failure(status.errors[0]) if status.errors else UNKNOWN_FAILURE
    return StatusUpdate(
        wamid=status.id,
        status=delivery_status,
        timestamp=status.timestamp,
        failure=failure,
        recipient_id=status.recipient_id or None,
        details=details,
    )


def _details(status: WebhookStatus, business_number_id: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "meta_status": status.status,
        "business_number_id": business_number_id,
    }
    optional: dict[str, Any] = {
        "recipient_user_id": status.recipient_user_id,
        "recipient_parent_user_id": status.recipient_parent_user_id,
        "conversation": status.conversation,
        "pricing": status.pricing,
        "biz_opaque_callback_data": status.biz_opaque_callback_data,
    }
    details |= {key: value for key, value in optional.items() if value is not None}
    if status.errors:
        details["errors"] = [error.as_details() for error in status.errors]
    return details


def webhook_error_problem(error: MetaError, business_number_id: str) -> WebhookProblem:
    """``value.errors``: something Meta could not deliver to us, not tied to a message."""
    return WebhookProblem(
        kind=ProblemKind.WEBHOOK_ERROR,
        business_number_id=business_number_id,
        description=error.describe(),
        code=str(error.code),
        details=error.as_details(),
    )
