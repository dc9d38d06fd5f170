"""``parse_webhook``: one POST body to every message, status and problem it holds, or nothing.

All or nothing: a body with any malformed part (wrong type, missing field) raises and none
of it is stored, so the 400 tells the sender to fix it and resend the whole thing, instead of
us keeping half of a batch and acknowledging the rest away. Unknown message types, unknown
statuses and changes of other webhook fields are not malformed: they are kept (as
``unsupported`` messages, problems) or counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crm_whatsapp.adapters.whatsapp.webhook.base import MetaError
from crm_whatsapp.adapters.whatsapp.webhook.batch import ProblemKind, WebhookBatch, WebhookProblem
from crm_whatsapp.adapters.whatsapp.webhook.convert_message import incoming_message
from crm_whatsapp.adapters.whatsapp.webhook.convert_status import status_update
from crm_whatsapp.adapters.whatsapp.webhook.decode import DEFAULT_MAX_BYTES, decode_json
from crm_whatsapp.adapters.whatsapp.webhook.errors import InvalidWebhookPayload
from crm_whatsapp.adapters.whatsapp.webhook.models import (
    MESSAGES_FIELD,
    WHATSAPP_BUSINESS_ACCOUNT,
    Envelope,
    MessagesValue,
)
from crm_whatsapp.domain.inbound import IncomingMessage, StatusUpdate

_Model = TypeVar("_Model", bound=BaseModel)


def parse_webhook(body: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> WebhookBatch:
    """Everything in a webhook POST body, in document order.

    Raises ``PayloadTooLarge`` for a body over ``max_bytes`` and ``InvalidWebhookPayload``
    for anything else wrong with it; never any other exception, whatever the bytes.
    Check the signature first (``verify_signature``): this function trusts what it reads.
    """
    document = decode_json(body, max_bytes)
    if not isinstance(document, dict):
        raise InvalidWebhookPayload("body", "expected a JSON object")
    if document.get("object") != WHATSAPP_BUSINESS_ACCOUNT:
        raise InvalidWebhookPayload(
            "object",
            f"not a WhatsApp Business Account webhook (expected {WHATSAPP_BUSINESS_ACCOUNT!r})",
        )
    envelope = _validated(Envelope, document, "")
    batch = _Collector()
    for e, entry in enumerate(envelope.entry):
        for c, change in enumerate(entry.changes):
            if change.field != MESSAGES_FIELD:
                batch.ignored_changes += 1
                continue
            raw_value = document["entry"][e]["changes"][c].get("value")
            value = _validated(MessagesValue, raw_value, f"entry[{e}].changes[{c}].value")
            batch.add(value, raw_value.get("messages", ()))
    return batch.result()


@dataclass
class _Collector:
    messages: list[IncomingMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    problems: list[WebhookProblem] = field(default_factory=list)
    ignored_changes: int = 0

    def add(self, value: MessagesValue, raw_messages: Sequence[Mapping[str, Any]]) -> None:
        """One ``messages`` value; ``raw_messages`` are its message dicts as decoded."""
        number = value.metadata.phone_number_id
        for message, raw in zip(value.messages, raw_messages, strict=True):
            self.messages.append(incoming_message(message, raw, number, value.contacts))
        for status in value.statuses:
            update = status_update(status, number)
            if isinstance(update, WebhookProblem):
                self.problems.append(update)
            else:
                self.statuses.append(update)
        self.problems.extend(_webhook_error(error, number) for error in value.errors)

    def result(self) -> WebhookBatch:
        return WebhookBatch(
            messages=tuple(self.messages),
            statuses=tuple(self.statuses),
            problems=tuple(self.problems),
            ignored_changes=self.ignored_changes,
        )


def _webhook_error(error: MetaError, business_number_id: str) -> WebhookProblem:
    return WebhookProblem(
        kind=ProblemKind.WEBHOOK_ERROR,
        business_number_id=business_number_id,
        description=error.describe(),
        code=str(error.code),
        details=error.as_details(),
    )


def _validated(model: type[_Model], data: object, prefix: str) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _invalid(error, prefix) from None
    except RecursionError:
        raise InvalidWebhookPayload(prefix or "body", "JSON nested too deeply") from None


def _invalid(error: ValidationError, prefix: str) -> InvalidWebhookPayload:
    """The first problem, located; pydantic's messages never quote the input."""
    first = error.errors(include_url=False, include_input=False, include_context=False)[0]
    location = _location(prefix, first["loc"]) or "body"
    problem = first["msg"].removeprefix("Value error, ")
    if error.error_count() > 1:
        problem += f" (and {error.error_count() - 1} more problems)"
    return InvalidWebhookPayload(location, problem)


def _location(prefix: str, loc: tuple[int | str, ...]) -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
