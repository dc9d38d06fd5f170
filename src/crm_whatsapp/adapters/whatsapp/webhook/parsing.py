"""One POST body to every message, status and problem it holds, or nothing.

All or nothing: a body with any malformed part (wrong type, missing field) raises and none
of it is stored, so the 400 tells the sender to fix it and resend the whole thing, instead of
us keeping half of a batch and acknowledging the rest away. Unknown message types, unknown
statuses and changes of other webhook fields are not malformed: they are kept (as
``unsupported`` messages, problems) or counted.

Decoding refuses what Python's json module would let through but storage would not:
``json.loads`` accepts ``NaN`` and ``Infinity``, turns ``1e999`` into ``inf`` and decodes a
lone ``\\ud800`` escape into a string that cannot be encoded as UTF-8. Each of these would
pass validation and fail later, when the message is written to the database, after the
webhook was already half stored; here they are a 400 before anything happens.

Error messages name what is wrong and where, never a value taken from the body: bodies carry
customers' personal data, and error messages end up in logs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crm_whatsapp.adapters.whatsapp.webhook.conversion import (
    WebhookBatch,
    WebhookProblem,
    incoming_message,
    status_update,
    webhook_error_problem,
)
from crm_whatsapp.adapters.whatsapp.webhook.payload import (
    MESSAGES_FIELD,
    WHATSAPP_BUSINESS_ACCOUNT,
    Envelope,
    MessagesValue,
)
from crm_whatsapp.domain.delivery import StatusUpdate
from crm_whatsapp.domain.errors import CrmWhatsAppError
from crm_whatsapp.domain.message import IncomingMessage


class InvalidWebhookPayload(CrmWhatsAppError, ValueError):
    """A POST body that is not a WhatsApp Business Account webhook we can store completely.

    ``location`` is the path of the offending part (``entry[0].changes[1].value.messages[0]
    .timestamp``, or ``body`` for the whole request); nothing of the body is stored when this
    is raised, so Meta's retry (or a fixed sender) gets a second chance at all of it.
    """

    code = "invalid_webhook_payload"

    def __init__(self, location: str, problem: str) -> None:
        super().__init__(f"{location}: {problem}")
        self.location = location
        self.problem = problem


class PayloadTooLarge(InvalidWebhookPayload):
    """A body over the size limit, refused before it is even decoded."""

    code = "payload_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__("body", f"{size} bytes, more than the limit of {limit} bytes")
        self.size = size
        self.limit = limit


DEFAULT_MAX_BYTES = 1024 * 1024
"""1 MiB: Meta batches at most a few hundred small events per request, far below this."""

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def decode_json(body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> object:
    """The JSON value of a UTF-8 body of at most ``max_bytes`` bytes."""
    if len(body) > max_bytes:
        raise PayloadTooLarge(len(body), max_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidWebhookPayload(
            "body", f"not UTF-8 (invalid byte at offset {error.start})"
        ) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise InvalidWebhookPayload(
            "body", f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except ValueError as error:  # our hooks, and integers longer than Python's digit limit
        raise InvalidWebhookPayload("body", f"not JSON we accept ({error})") from None
    except RecursionError:
        raise InvalidWebhookPayload("body", "JSON nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(value)
    if "\\u0000" in text:
        try:
            value = _without_nul(value)
        except RecursionError:
            raise InvalidWebhookPayload("body", "JSON nested too deeply") from None
    return value


NUL_REPLACEMENT = "\ufffd"


def _without_nul(value: object) -> object:
    """NUL (``\\u0000``) replaced by U+FFFD in every key and string.

    PostgreSQL cannot store NUL in text or JSONB, so a body carrying one would fail after
    its first messages were stored, and fail again on every retry: the message would be
    lost. WhatsApp users cannot type NUL; replacing it keeps the message, visibly altered.
    """
    if isinstance(value, str):
        return value.replace("\x00", NUL_REPLACEMENT)
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number too large for a float")
    return number


def _refuse_lone_surrogates(value: object) -> None:
    """Escaped surrogate pairs decode to one character; a lone one cannot be stored."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidWebhookPayload(
            "body", "a string has an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)"
        ) from None
    except RecursionError:
        raise InvalidWebhookPayload("body", "JSON nested too deeply") from None


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
        self.problems.extend(webhook_error_problem(error, number) for error in value.errors)

    def result(self) -> WebhookBatch:
        return WebhookBatch(
            messages=tuple(self.messages),
            statuses=tuple(self.statuses),
            problems=tuple(self.problems),
            ignored_changes=self.ignored_changes,
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
