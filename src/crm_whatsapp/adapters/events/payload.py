"""NOTIFY payloads: batches of events as JSON arrays, each under PostgreSQL's limit.

A NOTIFY payload must be shorter than 8000 bytes, so a large batch becomes several
payloads, in order. The JSON is ASCII-only (``ensure_ascii``), so its length in characters
is its length in bytes whatever the server's encoding. Decoding skips, with a warning, what
it cannot read, event by event: one event of an unknown type (a newer process during a
rolling deploy) costs that event, not its whole batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence

from crm_whatsapp.adapters.events.codec import event_from_json, event_to_json
from crm_whatsapp.domain.events import Event

logger = logging.getLogger("crm_whatsapp.events")

MAX_PAYLOAD_BYTES = 7999
"""PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (default build)."""


def encode_payloads(events: Sequence[Event], max_bytes: int = MAX_PAYLOAD_BYTES) -> list[str]:
    """The events as few JSON arrays as fit in ``max_bytes`` each, in order; an event too
    large for a payload of its own is logged and left out."""
    payloads: list[str] = []
    items: list[str] = []
    size = 2  # the brackets
    for event in events:
        item = json.dumps(event_to_json(event), separators=(",", ":"))
        if len(item) + 2 > max_bytes:
            logger.warning(
                "a %s event of %d bytes does not fit in a NOTIFY payload; not sent",
                type(event).__name__,
                len(item),
            )
            continue
        if items and size + 1 + len(item) > max_bytes:
            payloads.append(_array(items))
            items, size = [], 2
        size += len(item) + (1 if items else 0)
        items.append(item)
    if items:
        payloads.append(_array(items))
    return payloads


def decode_payload(payload: str) -> list[Event]:
    """The events of one payload; whatever cannot be read is logged and skipped."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        logger.warning("ignoring a NOTIFY payload that is not JSON: %s", exc)
        return []
    if not isinstance(data, list):
        logger.warning("ignoring a NOTIFY payload that is not a JSON array of events")
        return []
    events: list[Event] = []
    for item in data:
        if not isinstance(item, Mapping):
            logger.warning("ignoring an event that is not a JSON object: %.200r", item)
            continue
        try:
            events.append(event_from_json(item))
        except ValueError as exc:
            logger.warning("ignoring an event that cannot be read: %s", exc)
    return events


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"
