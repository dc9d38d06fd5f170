"""Meta's side: the subscription check (GET) and the deliveries (POST).

A POST is checked (signature, size) and its body appended to the delivery journal; the 200
means only that, and it is the promise: the body survives a crash and a power cut. The
processor reads it right after (``domain/use_cases/ingest.py``): what it cannot understand
is quarantined, never refused, because Meta would retry a refused body for 7 days and then
drop the good messages in it with the bad. A failure to store is a 503, so Meta retries.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse

from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.ingest_schemas import WebhookAck
from crm_whatsapp.adapters.whatsapp.webhook import (
    SIGNATURE_HEADER,
    PayloadTooLarge,
    answer_verification,
    verify_signature,
)
from crm_whatsapp.domain.errors import StorageUnavailable


def verify_subscription(context: ApiContext, call: Call) -> PlainTextResponse:
    given = {name: value for name, value in call.values.items() if isinstance(value, str)}
    return PlainTextResponse(answer_verification(given, context.verify_token))


async def receive_delivery(context: ApiContext, call: Call) -> WebhookAck:
    """The operation's handler; in the running app ``WebhookFastPath`` answers first."""
    return await store_delivery(context, call.raw_body, call.headers.get(SIGNATURE_HEADER))


async def store_delivery(context: ApiContext, body: bytes, signature: str | None) -> WebhookAck:
    """On the event loop: the journal's writer thread does the I/O, many requests share
    one commit, and no threadpool slot is held while the commit runs."""
    verify_signature(body, signature, context.app_secret)
    if len(body) > context.max_body_bytes:
        raise PayloadTooLarge(len(body), context.max_body_bytes)
    if context.journal is None:
        raise StorageUnavailable("no delivery journal is configured")
    delivery_id = await context.journal.append(body)
    return WebhookAck(received=True, delivery_id=delivery_id)
