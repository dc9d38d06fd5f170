"""A stored delivery to items, one part at a time: what reads is applied, the rest quarantined.

``parse_webhook`` (all or nothing) is for callers that want a body refused as a whole; the
processor uses ``WebhookBodyReader`` instead, because a body Meta signed was acknowledged and
must not be lost for one irregular part. Each message, status, preference and echo is
validated on its own; one that fails becomes a ``Quarantined`` item with its raw JSON, its
place in the body, the reason, and a one-item body that a later version can read again.

What can be inferred is: a message without ``type`` that carries exactly one known object
(a location without its type) is of that type; a message without a timestamp keeps the
receipt time, flagged in its details.

Changes are routed by ``field`` (see ``routing.py``); a business number outside the
allowlist (``CRM_WHATSAPP_PHONE_NUMBER_IDS``) quarantines the whole change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from crm_whatsapp.adapters.whatsapp.webhook.conversion import (
    WebhookProblem,
    incoming_message,
    status_update,
)
from crm_whatsapp.adapters.whatsapp.webhook.parsing import (
    InvalidWebhookPayload,
    decode_json,
)
from crm_whatsapp.adapters.whatsapp.webhook.payload import (
    MESSAGES_FIELD,
    TYPES_WITH_OBJECT,
    WHATSAPP_BUSINESS_ACCOUNT,
    Contact,
    Metadata,
    WebhookMessage,
    WebhookStatus,
)
from crm_whatsapp.adapters.whatsapp.webhook.routing import (
    ECHOES_FIELD,
    PREFERENCES_FIELD,
    channel_event,
    echo_of,
    error_event,
    preference_of,
    unknown_status_event,
)
from crm_whatsapp.domain.ingest import (
    ItemSource,
    Quarantined,
    ReadDelivery,
    ReadItem,
    Understood,
)
from crm_whatsapp.domain.message import IncomingMessage

TIMESTAMP_MISSING_DETAIL = "whatsapp_timestamp_missing"
MAX_ITEMS = 5000
"""Items (messages, statuses, echoes...) one delivery may hold to be read part by part.
Meta batches a few hundred at most; a signed body of 250,000 tiny items once held the
processor for a minute. More than this, and the body is kept whole in the quarantine."""
MAX_QUARANTINED = 100
"""Irregular items kept one by one per delivery; past this, the rest of them are one
quarantine entry holding the whole body (whose good items are stored all the same)."""
_LIST_KEYS = ("messages", "statuses", "errors", "message_echoes", "user_preferences")
_UNLIMITED = 1 << 62  # the webhook already checked the size before storing the body


@dataclass(frozen=True, slots=True)
class _Change:
    """One change of the body, with what every item in it needs."""

    entry_id: str | None
    field: str
    value: Mapping[str, Any]
    location: str
    business_number_id: str | None

    def source(self, list_key: str | None, index: int | None, raw: object) -> ItemSource:
        location = self.location if list_key is None else f"{self.location}.value.{list_key}"
        if index is not None:
            location += f"[{index}]"

        def describe() -> tuple[str, bytes]:
            value: object = raw
            if list_key is not None:
                context = {k: v for k, v in self.value.items() if k not in _LIST_KEYS}
                value = {**context, list_key: [raw]}
            return _json(raw), _one_change_body(self.entry_id, self.field, value)

        return ItemSource(location, self.field, self.business_number_id, describe)


class WebhookBodyReader:
    """The ``WebhookReader`` port for Meta's webhooks; ``phone_number_ids`` is the allowlist
    (empty: every number)."""

    def __init__(self, phone_number_ids: Collection[str] = ()) -> None:
        self._allowed = frozenset(phone_number_ids)

    def read(self, body: bytes, received_at: datetime) -> ReadDelivery:
        try:
            return ReadDelivery(_capped(self._items(body, received_at), body))
        except RecursionError:
            return ReadDelivery((_whole_body(body, "JSON nested too deeply"),))

    def _items(self, body: bytes, received_at: datetime) -> Iterator[ReadItem]:
        try:
            document = decode_json(body, _UNLIMITED)
        except InvalidWebhookPayload as error:
            yield _whole_body(body, str(error))
            return
        if not isinstance(document, dict) or document.get("object") != WHATSAPP_BUSINESS_ACCOUNT:
            yield _whole_body(body, "not a WhatsApp Business Account webhook")
            return
        entries = document.get("entry")
        if not isinstance(entries, list):
            yield _whole_body(body, "entry: expected a list")
            return
        items = _item_count(entries)
        if items > MAX_ITEMS:
            yield _whole_body(body, f"{items} items in one delivery, more than {MAX_ITEMS}")
            return
        for e, entry in enumerate(entries):
            changes = entry.get("changes") if isinstance(entry, dict) else None
            if not isinstance(changes, list):
                reason = "expected an object with a list of changes"
                yield _part(f"entry[{e}]", entry, reason, _body_of([entry]))
                continue
            entry_id = entry.get("id") if isinstance(entry.get("id"), str) else None
            for c, change in enumerate(changes):
                yield from self._change(entry_id, f"entry[{e}].changes[{c}]", change, received_at)

    def _change(
        self, entry_id: str | None, location: str, change: object, received_at: datetime
    ) -> Iterator[ReadItem]:
        if not isinstance(change, dict) or not isinstance(change.get("field"), str):
            entry = (
                {"changes": [change]} if entry_id is None else {"id": entry_id, "changes": [change]}
            )
            yield _part(location, change, "expected an object with a field name", _body_of([entry]))
            return
        field, value = change["field"], change.get("value")
        if not isinstance(value, dict):
            value = {"value": value}
        number = _business_number(value)
        read = _Change(entry_id, field, value, location, number)
        if self._allowed and number is not None and number not in self._allowed:
            reason = f"business number {number} is not in CRM_WHATSAPP_PHONE_NUMBER_IDS"
            source = read.source(None, None, value)
            yield ReadItem(source.quarantined(reason), source)
            return
        if field == MESSAGES_FIELD:
            yield from _messages_change(read, received_at)
        elif field == ECHOES_FIELD:
            yield from _listed(read, "message_echoes", lambda raw: _echo(read, raw, received_at))
        elif field == PREFERENCES_FIELD:
            yield from _listed(read, "user_preferences", lambda raw: preference_of(raw, number))
        else:
            yield ReadItem(channel_event(field, value, entry_id), read.source(None, None, change))


def _item_count(entries: list[Any]) -> int:
    """How many items the body holds, counted before any is validated."""
    count = 0
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else ():
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                count += sum(
                    len(v) for k, v in value.items() if k in _LIST_KEYS and isinstance(v, list)
                )
    return count


def _capped(items: Iterator[ReadItem], body: bytes) -> tuple[ReadItem, ...]:
    """The items, with at most ``MAX_QUARANTINED`` quarantined ones; the others become
    one entry for the whole body, so that a body of many broken parts costs one row."""
    kept: list[ReadItem] = []
    quarantined = 0
    for item in items:
        if isinstance(item.value, Quarantined):
            quarantined += 1
            if quarantined > MAX_QUARANTINED:
                continue
        kept.append(item)
    if quarantined > MAX_QUARANTINED:
        more = quarantined - MAX_QUARANTINED
        reason = f"{more} more items could not be understood; the whole body is kept"
        kept.append(_whole_body(body, reason))
    return tuple(kept)


def _messages_change(change: _Change, received_at: datetime) -> Iterator[ReadItem]:
    number = change.business_number_id
    if number is None:
        source = change.source(None, None, change.value)
        yield ReadItem(source.quarantined(_metadata_problem(change.value)), source)
        return
    contacts = _contacts(change.value.get("contacts"))
    yield from _listed(change, "messages", lambda raw: _message(raw, number, contacts, received_at))
    yield from _listed(change, "statuses", lambda raw: _status(raw, number))
    yield from _listed(change, "errors", lambda raw: error_event(raw, number, change.entry_id))


def _listed(change: _Change, key: str, convert: Callable[[Any], Understood]) -> Iterator[ReadItem]:
    items = change.value.get(key)
    if items is None:
        return
    if not isinstance(items, list):
        source = change.source(None, None, {key: items})
        yield ReadItem(source.quarantined(f"{key}: expected a list"), source)
        return
    for index, raw in enumerate(items):
        source = change.source(key, index, raw)
        try:
            yield ReadItem(convert(raw), source)
        except ValidationError as error:
            yield ReadItem(source.quarantined(_problem(error)), source)
        except (ValueError, TypeError) as error:
            yield ReadItem(source.quarantined(str(error)), source)


def _message(
    raw: Any, number: str, contacts: tuple[Contact, ...], received_at: datetime
) -> IncomingMessage:
    if not isinstance(raw, dict):
        raise ValueError("expected a message object")
    data, missing_time = _inferred(raw, received_at)
    message = WebhookMessage.model_validate(data)
    incoming = incoming_message(message, raw, number, contacts)
    if missing_time:
        incoming = replace(incoming, details={**incoming.details, TIMESTAMP_MISSING_DETAIL: True})
    return incoming


def _inferred(raw: dict[str, Any], received_at: datetime) -> tuple[dict[str, Any], bool]:
    """The message with what can be inferred filled in; whether the time was missing."""
    data = raw
    if not isinstance(raw.get("type"), str) or not raw.get("type"):
        carried = [key for key in TYPES_WITH_OBJECT if raw.get(key) is not None]
        if len(carried) == 1:
            data = {**data, "type": carried[0]}
    missing_time = "timestamp" not in raw
    if missing_time:
        data = {**data, "timestamp": str(int(received_at.timestamp()))}
    return data, missing_time


def _status(raw: Any, number: str) -> Understood:
    update = status_update(WebhookStatus.model_validate(raw), number)
    if isinstance(update, WebhookProblem):  # a status we do not know yet
        return unknown_status_event(raw, number, update.description)
    return update


def _echo(change: _Change, raw: Any, received_at: datetime) -> Understood:
    if not isinstance(raw, dict):
        raise ValueError("expected a message echo object")
    data, _ = _inferred(raw, received_at)
    number = change.business_number_id
    if number is None:
        raise ValueError(_metadata_problem(change.value))
    return echo_of(data, raw, number)


def _contacts(raw: object) -> tuple[Contact, ...]:
    """The contacts that read; a broken one only costs its profile name."""
    if not isinstance(raw, list):
        return ()
    contacts = []
    for item in raw:
        try:
            contacts.append(Contact.model_validate(item))
        except ValidationError:
            continue
    return tuple(contacts)


def _business_number(value: Mapping[str, Any]) -> str | None:
    try:
        return Metadata.model_validate(value.get("metadata")).phone_number_id
    except ValidationError:
        return None


def _metadata_problem(value: Mapping[str, Any]) -> str:
    try:
        Metadata.model_validate(value.get("metadata"))
    except ValidationError as error:
        return "metadata: " + _problem(error)
    return "metadata: missing"


def _problem(error: ValidationError) -> str:
    """The first problem, located; pydantic's messages never quote the input."""
    first = error.errors(include_url=False, include_input=False, include_context=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    problem = first["msg"].removeprefix("Value error, ")
    if error.error_count() > 1:
        problem += f" (and {error.error_count() - 1} more problems)"
    return f"{where}: {problem}" if where else problem


def _part(location: str, raw: object, reason: str, replay_body: bytes) -> ReadItem:
    source = ItemSource(location, None, None, lambda: (_json(raw), replay_body))
    return ReadItem(source.quarantined(reason), source)


def _whole_body(body: bytes, reason: str) -> ReadItem:
    text = body.decode("utf-8", errors="replace")
    source = ItemSource("body", None, None, lambda: (text, body))
    return ReadItem(source.quarantined(reason), source)


def _one_change_body(entry_id: str | None, field: str, value: object) -> bytes:
    entry: dict[str, Any] = {"changes": [{"field": field, "value": value}]}
    if entry_id is not None:
        entry = {"id": entry_id, **entry}
    return _body_of([entry])


def _body_of(entries: list[Any]) -> bytes:
    return _json({"object": WHATSAPP_BUSINESS_ACCOUNT, "entry": entries}).encode()


def _json(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:10_000]
