"""What Meta's answers and status webhooks look like, as plain JSON-ready dicts.

Shapes follow the WhatsApp Cloud API reference: Graph error objects
(``{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}``), the messages
endpoint's success answer, and the ``statuses`` webhook envelope. Kept apart from the
server so that the shapes can be read (and checked) in one place.
"""

from __future__ import annotations

import base64
import random
import secrets
import string
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]

META_SUPPORTED_TYPES = frozenset(
    {
        "text",
        "template",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "reaction",
    }
)


@dataclass(frozen=True, slots=True)
class GraphErrorSample:
    """How Meta words one error code, and the HTTP status it usually comes with."""

    message: str
    http_status: int
    details: str | None = None
    is_transient: bool | None = None


GRAPH_ERROR_SAMPLES: dict[int, GraphErrorSample] = {
    1: GraphErrorSample("An unknown error has occurred.", 500, is_transient=True),
    2: GraphErrorSample("Service temporarily unavailable", 500, is_transient=True),
    4: GraphErrorSample("(#4) Application request limit reached", 400, is_transient=True),
    100: GraphErrorSample("(#100) Invalid parameter", 400),
    190: GraphErrorSample(
        "Error validating access token: Session has expired.", 401, is_transient=False
    ),
    80007: GraphErrorSample("(#80007) Rate limit issues", 400),
    130429: GraphErrorSample(
        "(#130429) Rate limit hit", 429, "Cloud API message throughput has been reached."
    ),
    131026: GraphErrorSample(
        "(#131026) Message Undeliverable.",
        400,
        "Message Undeliverable: the recipient is not a WhatsApp user or cannot receive it.",
    ),
    131030: GraphErrorSample(
        "(#131030) Recipient phone number not in allowed list",
        400,
        "Recipient phone number not in allowed list: Add recipient phone number to "
        "recipient list and try again.",
    ),
    131047: GraphErrorSample(
        "(#131047) Re-engagement message",
        400,
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131056: GraphErrorSample(
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        400,
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    ),
    131053: GraphErrorSample(
        "(#131053) Media upload error",
        400,
        "Unsupported file type or size: the file cannot be sent.",
    ),
    131008: GraphErrorSample(
        "(#131008) Required parameter is missing",
        400,
        "A parameter of the request has no value.",
    ),
    132000: GraphErrorSample(
        "(#132000) Number of parameters does not match the expected number of params",
        400,
        "body: number of localizable_params does not match the expected number of params",
    ),
    132001: GraphErrorSample(
        "(#132001) Template name does not exist in the translation",
        404,
        "The template does not exist in the specified language or has not been approved.",
    ),
    132012: GraphErrorSample(
        "(#132012) Parameter format does not match format in the created template",
        400,
        "Variable parameter values formatted incorrectly.",
    ),
    132015: GraphErrorSample(
        "(#132015) Template is Paused",
        400,
        "Template is paused due to low quality so it cannot be sent in a template message.",
    ),
    132016: GraphErrorSample(
        "(#132016) Template is disabled",
        400,
        "Template has been paused too many times due to low quality and is now permanently "
        "disabled.",
    ),
}


THROUGHPUT_CODE = 130429
THROUGHPUT_HTTP_STATUS = 400
"""Meta's error-code reference lists 130429 ("Rate limit hit": "Cloud API message
throughput has been reached.") with HTTP 400, as it does its other WhatsApp throttles. The
fake's limiter answers that way; the failures injected by ``fail_rate`` keep HTTP 429 (the
sample above), which also puts a client's handling of a plain 429 to work."""


def sample_for(code: int) -> GraphErrorSample:
    """Meta's wording for ``code``; a generic one for codes not in the table."""
    return GRAPH_ERROR_SAMPLES.get(code) or GraphErrorSample(f"(#{code}) Error", 400)


def fbtrace_id(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "_-"
    return "A" + "".join(rng.choice(alphabet) for _ in range(22))


def error_body(
    code: int,
    message: str,
    *,
    trace_id: str,
    details: str | None = None,
    is_transient: bool | None = None,
) -> JsonObject:
    """A Graph API error answer."""
    error: JsonObject = {"message": message, "type": "OAuthException", "code": code}
    if is_transient is not None:
        error["is_transient"] = is_transient
    error["error_data"] = {"messaging_product": "whatsapp", "details": details or message}
    error["fbtrace_id"] = trace_id
    return {"error": error}


def throughput_error_body(trace_id: str) -> JsonObject:
    """Meta's answer to a send past the number's throughput: no ``error_subcode`` (gone
    since Graph API v16) and no ``is_transient``, as in Meta's sample."""
    sample = GRAPH_ERROR_SAMPLES[THROUGHPUT_CODE]
    return error_body(THROUGHPUT_CODE, sample.message, trace_id=trace_id, details=sample.details)


def new_wamid(recipient: str) -> str:
    """A fresh WhatsApp message id in Meta's form: ``wamid.`` and base64 of a small binary
    record holding the recipient and a random hex id (random, hence unique in practice;
    the server still checks against those it issued)."""
    to = recipient.encode()[:200]
    record = (
        b"\x1c\x18"
        + bytes([len(to)])
        + to
        + b"\x15\x02\x00\x11\x18\x14"
        + secrets.token_hex(10).upper().encode()
        + b"\x00"
    )
    return "wamid." + base64.b64encode(record).decode()


def send_success_body(
    recipient_field: str, recipient: str, wamid: str, *, template: bool
) -> JsonObject:
    """The messages endpoint's answer to an accepted message.

    A phone-number send echoes ``wa_id``; a BSUID send (``recipient``) echoes ``user_id``.
    Template sends carry ``message_status: accepted`` as Meta's do.
    """
    contact = {"input": recipient}
    contact["wa_id" if recipient_field == "to" else "user_id"] = recipient
    message: JsonObject = {"id": wamid}
    if template:
        message["message_status"] = "accepted"
    return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}


@dataclass(frozen=True, slots=True)
class StatusContext:
    """What a status webhook says about the message it reports on."""

    wamid: str
    phone_number_id: str
    recipient_field: str
    recipient: str
    is_template: bool
    conversation_id: str
    sent_at: int


def status_webhook_body(
    context: StatusContext,
    status: str,
    timestamp: int,
    *,
    business_account_id: str,
    display_phone_number: str,
) -> JsonObject:
    """The full webhook envelope Meta posts for one status change of one message.

    ``sent`` and ``delivered`` carry the conversation and pricing objects (per-message
    pricing: a reply inside the service window is free, a template is billed); ``read``
    carries neither, as in Meta's payloads.
    """
    entry: JsonObject = {
        "id": context.wamid,
        "status": status,
        "timestamp": str(timestamp),
    }
    if context.recipient_field == "to":
        entry["recipient_id"] = context.recipient
    else:
        entry["recipient_user_id"] = context.recipient
    if status in ("sent", "delivered"):
        conversation: JsonObject = {
            "id": context.conversation_id,
            "origin": {"type": "utility" if context.is_template else "service"},
        }
        if status == "sent":
            conversation["expiration_timestamp"] = str(context.sent_at + 24 * 3600)
        entry["conversation"] = conversation
        entry["pricing"] = {
            "billable": context.is_template,
            "pricing_model": "PMP",
            "category": "utility" if context.is_template else "service",
            "type": "regular" if context.is_template else "free_customer_service",
        }
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": business_account_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_phone_number,
                                "phone_number_id": context.phone_number_id,
                            },
                            "statuses": [entry],
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def customer_text_webhook_body(
    *,
    wa_id: str,
    text: str,
    wamid: str,
    timestamp: int,
    phone_number_id: str,
    display_phone_number: str = "15550783881",
    business_account_id: str = "102290129340398",
    profile_name: str | None = None,
) -> JsonObject:
    """The envelope Meta posts when a customer writes a text: what the load tests send, so
    they exercise the same parser as production (``customer_message_webhook_body`` for
    any other kind of message)."""
    return customer_message_webhook_body(
        wa_id=wa_id,
        part={"type": "text", "text": {"body": text}},
        wamid=wamid,
        timestamp=timestamp,
        phone_number_id=phone_number_id,
        display_phone_number=display_phone_number,
        business_account_id=business_account_id,
        profile_name=profile_name,
    )


def customer_message_webhook_body(
    *,
    wa_id: str,
    part: JsonObject,
    wamid: str,
    timestamp: int,
    phone_number_id: str,
    display_phone_number: str = "15550783881",
    business_account_id: str = "102290129340398",
    profile_name: str | None = None,
) -> JsonObject:
    """The envelope Meta posts when a customer sends anything; ``part`` is the message's
    ``type`` and its object (``{"type": "image", "image": {...}}``, as
    ``customer_media_message`` makes for a file)."""
    contact: JsonObject = {"wa_id": wa_id}
    if profile_name:
        contact["profile"] = {"name": profile_name}
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": business_account_id,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_phone_number,
                                "phone_number_id": phone_number_id,
                            },
                            "contacts": [contact],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(timestamp),
                                    **part,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
