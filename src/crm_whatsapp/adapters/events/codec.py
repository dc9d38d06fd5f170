"""Events as flat JSON objects, the one wire format for NOTIFY payloads and the inbox.

Every field is a string, so the format reads the same in Python, SQL and JavaScript.
Decoding is strict about what it needs and ignores keys it does not know, so a process
of the next version may add fields while older ones keep running beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.events import (
    ActivityRecorded,
    ConversationChanged,
    DeliveryStatusChanged,
    Event,
    MediaStatusChanged,
    MessageStored,
)
from crm_whatsapp.domain.media import MediaStatus

MESSAGE_STORED = "message_stored"
DELIVERY_STATUS_CHANGED = "delivery_status_changed"
CONVERSATION_CHANGED = "conversation_changed"
MEDIA_STATUS_CHANGED = "media_status_changed"
ACTIVITY_RECORDED = "activity_recorded"

_STATUSES = {status.value: status for status in DeliveryStatus}
_MEDIA_STATUSES = {status.value: status for status in MediaStatus}


def event_to_json(event: Event) -> dict[str, str]:
    """The event as a JSON object, tagged by ``type``."""
    match event:
        case MessageStored():
            return {
                "type": MESSAGE_STORED,
                "conversation_id": event.conversation_id,
                "message_id": event.message_id,
            }
        case DeliveryStatusChanged():
            return {
                "type": DELIVERY_STATUS_CHANGED,
                "conversation_id": event.conversation_id,
                "message_id": event.message_id,
                "status": event.status.value,
            }
        case ConversationChanged():
            return {"type": CONVERSATION_CHANGED, "conversation_id": event.conversation_id}
        case MediaStatusChanged():
            return {
                "type": MEDIA_STATUS_CHANGED,
                "conversation_id": event.conversation_id,
                "message_id": event.message_id,
                "status": event.status.value,
            }
        case ActivityRecorded():
            return {
                "type": ACTIVITY_RECORDED,
                "conversation_id": event.conversation_id,
                "activity_id": event.activity_id,
                "kind": event.kind,
            }
    assert_never(event)


def event_from_json(data: Mapping[str, object]) -> Event:
    """The event ``event_to_json`` made; ValueError saying what is wrong for anything else."""
    if not isinstance(data, Mapping):
        raise ValueError(f"an event must be a JSON object, not {type(data).__name__}")
    kind = data.get("type")
    if kind == MESSAGE_STORED:
        return MessageStored(_text(data, kind, "conversation_id"), _text(data, kind, "message_id"))
    if kind == DELIVERY_STATUS_CHANGED:
        return DeliveryStatusChanged(
            _text(data, kind, "conversation_id"),
            _text(data, kind, "message_id"),
            _status(_text(data, kind, "status")),
        )
    if kind == CONVERSATION_CHANGED:
        return ConversationChanged(_text(data, kind, "conversation_id"))
    if kind == MEDIA_STATUS_CHANGED:
        status = _text(data, kind, "status")
        if status not in _MEDIA_STATUSES:
            known = ", ".join(_MEDIA_STATUSES)
            raise ValueError(f"unknown media status {status!r} (known: {known})")
        return MediaStatusChanged(
            _text(data, kind, "conversation_id"),
            _text(data, kind, "message_id"),
            _MEDIA_STATUSES[status],
        )
    if kind == ACTIVITY_RECORDED:
        return ActivityRecorded(
            _text(data, kind, "conversation_id"),
            _text(data, kind, "activity_id"),
            _text(data, kind, "kind"),
        )
    if "type" not in data:
        raise ValueError("an event needs a 'type'")
    known = ", ".join(
        (
            MESSAGE_STORED,
            DELIVERY_STATUS_CHANGED,
            CONVERSATION_CHANGED,
            MEDIA_STATUS_CHANGED,
            ACTIVITY_RECORDED,
        )
    )
    raise ValueError(f"unknown event type {kind!r} (known: {known})")


def _text(data: Mapping[str, object], kind: str, key: str) -> str:
    if key not in data:
        raise ValueError(f"a {kind} event needs {key!r}")
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"{key!r} of a {kind} event must be a string, not {type(value).__name__}")
    return value


def _status(value: str) -> DeliveryStatus:
    try:
        return _STATUSES[value]
    except KeyError:
        known = ", ".join(_STATUSES)
        raise ValueError(f"unknown delivery status {value!r} (known: {known})") from None
