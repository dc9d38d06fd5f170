"""Meta's side: the subscription check (GET) and the deliveries (POST).

A POST is answered 200 only after every message in it is stored with the bot's pending
reply (each message is one unit of work); if storage fails the answer is 503 and Meta
delivers the whole body again later, which is harmless because a known wamid stores nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.responses import PlainTextResponse

from crm_whatsapp.adapters.http import schemas
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.whatsapp.webhook import (
    SIGNATURE_HEADER,
    WebhookBatch,
    answer_verification,
    parse_webhook,
    verify_signature,
)
from crm_whatsapp.domain.use_cases import Dependencies, receive_inbound, record_status_update

logger = logging.getLogger("crm_whatsapp.webhook")


@dataclass(frozen=True, slots=True)
class StoredBatch:
    messages: int
    duplicates: int
    statuses: int


def store_batch(deps: Dependencies, batch: WebhookBatch) -> StoredBatch:
    """Every message and status of the body, in order; raises if storage fails."""
    duplicates = 0
    for message in batch.messages:
        if receive_inbound(deps, message).duplicate:
            duplicates += 1
    for status in batch.statuses:
        record_status_update(deps, status)
    for problem in batch.problems:
        logger.warning(
            "webhook problem for number %s: %s (code %s)",
            problem.business_number_id,
            problem.description,
            problem.code,
        )
    if batch.ignored_changes:
        logger.debug("webhook: %d changes of other fields ignored", batch.ignored_changes)
    return StoredBatch(len(batch.messages), duplicates, len(batch.statuses))


def verify_subscription(context: ApiContext, call: Call) -> PlainTextResponse:
    given = {name: value for name, value in call.values.items() if isinstance(value, str)}
    return PlainTextResponse(answer_verification(given, context.verify_token))


def receive_delivery(context: ApiContext, call: Call) -> schemas.WebhookAck:
    verify_signature(call.raw_body, call.headers.get(SIGNATURE_HEADER), context.app_secret)
    batch = parse_webhook(call.raw_body, max_bytes=context.max_body_bytes)
    stored = store_batch(context.deps, batch)
    return schemas.WebhookAck(
        messages=stored.messages, duplicates=stored.duplicates, statuses=stored.statuses
    )
