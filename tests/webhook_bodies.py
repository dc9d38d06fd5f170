"""Webhook bodies as Meta writes them, built from parts, for the ingest tests.

Importable from every test directory (``tests/`` is on ``sys.path``). Each function returns
plain dicts, so a test can break any part of them on purpose.
"""

from __future__ import annotations

import json
import time
from typing import Any

NUMBER_ID = "106540352242922"
ACCOUNT_ID = "102290129340398"

JsonObject = dict[str, Any]


def now_seconds() -> str:
    return str(int(time.time()))


def text_message(wa_id: str, text: str, wamid: str, at: str | None = None) -> JsonObject:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": at or now_seconds(),
        "type": "text",
        "text": {"body": text},
    }


def contact(wa_id: str, name: str = "Cliente") -> JsonObject:
    return {"profile": {"name": name}, "wa_id": wa_id}


def messages_value(
    messages: list[Any] | None = None,
    statuses: list[Any] | None = None,
    contacts: list[Any] | None = None,
    number_id: str = NUMBER_ID,
    **extra: Any,
) -> JsonObject:
    value: JsonObject = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": number_id},
    }
    if contacts is not None:
        value["contacts"] = contacts
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    value.update(extra)
    return value


def change(field: str, value: Any) -> JsonObject:
    return {"field": field, "value": value}


def body(*changes: Any, account_id: str = ACCOUNT_ID) -> JsonObject:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": account_id, "changes": list(changes)}],
    }


def encoded(document: Any) -> bytes:
    return json.dumps(document).encode()


def status(wamid: str, recipient: str, value: str = "delivered") -> JsonObject:
    return {
        "id": wamid,
        "status": value,
        "timestamp": now_seconds(),
        "recipient_id": recipient,
    }


def preference(wa_id: str, value: str, at: int) -> JsonObject:
    return {
        "wa_id": wa_id,
        "detail": "User requested to stop marketing messages",
        "category": "marketing_messages",
        "value": value,
        "timestamp": at,
    }


def echo(to: str, text: str, wamid: str) -> JsonObject:
    return {
        "from": "15550001111",
        "to": to,
        "id": wamid,
        "timestamp": now_seconds(),
        "type": "text",
        "text": {"body": text},
    }
