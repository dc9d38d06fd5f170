"""Bytes to JSON, refusing what Python's json module would let through but storage would not.

``json.loads`` accepts ``NaN`` and ``Infinity``, turns ``1e999`` into ``inf`` and decodes a
lone ``\\ud800`` escape into a string that cannot be encoded as UTF-8. Each of these would
pass validation and fail later, when the message is written to the database, after the
webhook was already half stored; here they are a 400 before anything happens.
"""

from __future__ import annotations

import json
import math
import re

from crm_whatsapp.adapters.whatsapp.webhook.errors import InvalidWebhookPayload, PayloadTooLarge

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
