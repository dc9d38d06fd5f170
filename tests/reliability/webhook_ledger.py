"""Where every part of a signed webhook body went: the oracle of the hostile webhook suites.

A signed body is stored and answered 200 whatever it holds; the processor then reads it
part by part. Each part ends up in exactly one place:

- a customer's message: the messages table, whole (its text as sent);
- a status: parked until our message is known (or applied to it), or a channel event
  when it is a status we do not know;
- an error, or a change of a field other than ``messages``: a channel event;
- the quarantine, at its location, with its raw JSON and a reason that quotes no value.

A body that cannot be read as a whole (not UTF-8, not JSON we accept, not a WhatsApp
Business Account webhook, ``entry`` not a list) is one quarantine row at ``body``. An entry
or a change whose shape is broken, or a ``messages`` change without a usable business
number, is one row at its own location, and none of its parts is stored.

Nothing else changes: no inbound message that is not one of the body's, no conversation
without a message stored in it, no channel event or parked status of a quarantined part.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from hostile_kit import Service
from sqlalchemy import select

WABA = "whatsapp_business_account"
LISTED = {
    "messages": (("messages", "message"), ("statuses", "status"), ("errors", "error")),
    "smb_message_echoes": (("message_echoes", "echo"),),
    "user_preferences": (("user_preferences", "preference"),),
}
"""The fields whose value holds lists of parts, each read on its own; other fields are one
channel event each."""
UNREADABLE = object()
SHORTEST_QUOTE = 6
"""A value at least this long found in a reason is a quote of the body..."""
QUOTE_WINDOW = 16
"""...and so are this many characters of a longer one."""


@dataclass(frozen=True)
class Part:
    location: str
    kind: str
    """message, status, error, echo (the business's message from the phone app),
    preference (not checked here: it changes a conversation), event (a change of another
    field), broken (quarantined whole)"""
    raw: Any
    """What its quarantine row's raw JSON must parse back to."""
    field: str | None = None
    business_number_id: str | None = None


def readable(body: bytes) -> Any:
    """The document as the service may read it, or UNREADABLE: strict UTF-8, JSON without
    NaN, infinities or numbers too long, no lone surrogate; NUL read as U+FFFD."""
    try:
        text = body.decode("utf-8")
        document = json.loads(text, parse_constant=_refuse, parse_float=_finite)
        if re.search(r"\\u[dD][89a-fA-F]", text):
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        return _without_nul(document) if "\\u0000" in text else document
    except (ValueError, RecursionError):  # UnicodeError and JSONDecodeError included
        return UNREADABLE


def parts_of(document: Any) -> list[Part] | None:
    """Every part of a readable document in body order; None when the whole body is one
    part (not a WhatsApp Business Account webhook, or ``entry`` not a list)."""
    if not isinstance(document, dict) or document.get("object") != WABA:
        return None
    if not isinstance(document.get("entry"), list):
        return None
    parts: list[Part] = []
    for e, entry in enumerate(document["entry"]):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            parts.append(Part(f"entry[{e}]", "broken", entry))
            continue
        for c, change in enumerate(changes):
            parts += _parts_of_change(f"entry[{e}].changes[{c}]", change)
    return parts


def _parts_of_change(where: str, change: Any) -> list[Part]:
    if not isinstance(change, dict) or not isinstance(change.get("field"), str):
        return [Part(where, "broken", change)]
    field, value = change["field"], change.get("value")
    value = value if isinstance(value, dict) else {"value": value}
    number = business_number(value)
    if field not in LISTED:
        return [Part(where, "event", change, field, number)]
    if field == "messages" and number is None:
        return [Part(where, "broken", value, field)]
    parts = []
    for key, kind in LISTED[field]:
        items = value.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            parts.append(Part(where, "broken", {key: items}, field, number))
            continue
        parts += [
            Part(f"{where}.value.{key}[{i}]", kind, item, field, number)
            for i, item in enumerate(items)
        ]
    return parts


def business_number(value: dict[str, Any]) -> str | None:
    """The value's business number, when its metadata is usable."""
    metadata = value.get("metadata")
    if not isinstance(metadata, dict):
        return None
    number, display = metadata.get("phone_number_id"), metadata.get("display_phone_number")
    if not isinstance(number, str) or not 1 <= len(number) <= 64:
        return None
    return number if display is None or isinstance(display, str) else None


@dataclass(frozen=True)
class Snapshot:
    """What a delivery can change, read straight from the tables."""

    deliveries: frozenset[int]
    inbound: dict[str, str]
    """wamid -> conversation id of every inbound message"""
    outbound: dict[str, tuple[str | None, str]]
    """id -> wamid (of an echo) and conversation id of every other message"""
    conversations: frozenset[str]
    conversation_keys: frozenset[tuple[str, str]]
    parked: Counter[str]
    events: frozenset[str]


def snapshot(service: Service) -> Snapshot:
    t = service.database.tables
    m = t.messages
    with service.database.reader.connect() as db:
        messages = db.execute(select(m.c.id, m.c.wamid, m.c.direction, m.c.conversation_id))
        rows = list(messages)
        keys = db.execute(select(t.conversation_keys.c.business_number_id,
                                 t.conversation_keys.c.customer_key))  # fmt: skip
        return Snapshot(
            deliveries=frozenset(db.scalars(select(t.ingest.deliveries.c.id))),
            inbound={r.wamid: r.conversation_id for r in rows if r.direction == "inbound"},
            outbound={r.id: (r.wamid, r.conversation_id) for r in rows if r.direction != "inbound"},
            conversations=frozenset(db.scalars(select(t.conversations.c.id))),
            conversation_keys=frozenset((k[0], k[1]) for k in keys),
            parked=Counter(db.scalars(select(t.parked_statuses.c.wamid))),
            events=frozenset(db.scalars(select(t.ingest.channel_events.c.id))),
        )


def check_delivery(
    service: Service, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """Post the body (signed unless ``headers`` say otherwise) and check where everything
    went; the status and the delivery's quarantine rows.

    Never a 5xx. A 401 (signature) or a 413 (size) stores nothing at all, not even the
    body. A 200 stores the body, the processor reads it (``post_webhook`` waits), and
    ``account_for`` finds each of its parts in exactly one place.
    """
    before, rows_before = snapshot(service), service.rows()
    answer = service.post_webhook(body, headers)
    assert answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == "application/json"
    if answer.status_code != 200:
        assert answer.status_code in (401, 413), answer.text
        assert set(answer.json()["error"]) == {"code", "message"}
        assert service.rows() == rows_before, f"a refused body ({answer.status_code}) stored"
        return answer.status_code, []
    return 200, account_for(service, body, answer, before)


def account_for(
    service: Service, body: bytes, answer: httpx.Response, before: Snapshot
) -> list[dict[str, Any]]:
    """Check, after ``answer`` (a 200) was read by the processor, that every part of
    ``body`` is in exactly one place and nothing else changed; its quarantine rows."""
    ack = answer.json()
    assert set(ack) == {"received", "delivery_id"}, ack
    assert ack["received"] is True
    delivery_id = ack["delivery_id"]
    after = snapshot(service)
    assert after.deliveries - before.deliveries == {delivery_id}, "one delivery per 200"
    _check_the_delivery_is_kept_and_read(service, delivery_id, body)
    rows = [q for q in service.quarantine() if q["delivery_id"] == delivery_id]
    locations = [row["location"] for row in rows]
    assert len(locations) == len(set(locations)), f"a part quarantined twice: {locations}"
    quarantined = {row["location"]: row for row in rows}
    document = readable(body)
    parts = None if document is UNREADABLE else parts_of(document)
    if parts is None:
        assert locations == ["body"], f"an unreadable body, quarantined as {locations}"
        assert rows[0]["raw"] == body.decode("utf-8", "replace").replace("\x00", "\ufffd")
        parts = []
    else:
        _check_the_parts(service, parts, quarantined, before, after)
    echoes = {
        wamid
        for part in parts
        if part.kind == "echo" and part.location not in quarantined
        and isinstance(wamid := part.raw.get("id"), str)
    }  # fmt: skip
    preferences = any(p.kind == "preference" and p.location not in quarantined for p in parts)
    for row in rows:
        assert row["reason"].strip(), f"no reason at {row['location']}"
        assert row["state"] == "open"
        quoted = quoted_values(row["reason"], body, document)
        assert not quoted, f"the reason at {row['location']} quotes the body: {quoted}"
    _check_nothing_else_changed(before, after, echoes, preferences)
    return rows


def _check_the_delivery_is_kept_and_read(service: Service, delivery_id: int, body: bytes) -> None:
    d = service.database.tables.ingest.deliveries
    with service.database.reader.connect() as db:
        row = db.execute(select(d.c.body, d.c.processed_at).where(d.c.id == delivery_id)).one()
    assert bytes(row.body) == body, "the journal keeps the body as signed"
    assert row.processed_at is not None, "the processor read past it"


def _check_the_parts(
    service: Service,
    parts: list[Part],
    quarantined: dict[str, dict[str, Any]],
    before: Snapshot,
    after: Snapshot,
) -> None:
    unaccounted = set(quarantined) - {p.location for p in parts}
    assert not unaccounted, f"quarantined where the body has no part: {unaccounted}"
    new_inbound = after.inbound.keys() - before.inbound.keys()
    new_events = _events(service, after.events - before.events)
    expected_inbound: dict[str, Any] = {}
    parked = 0
    for part in parts:
        row = quarantined.get(part.location)
        if row is not None:
            assert json.loads(row["raw"]) == part.raw, f"the raw JSON of {part.location}"
            assert row["field"] == part.field, f"the field of {part.location}"
            if part.kind != "event":
                assert row["business_number_id"] == part.business_number_id, part.location
        stored = _stored(part, before, after, new_events)
        parked += part.kind == "status" and isinstance(stored, str)
        if part.kind == "message" and isinstance(stored, str):
            if stored in expected_inbound:
                continue  # twice in one body: the second copy is a duplicate
            expected_inbound[stored] = part.raw
        if stored is _UNKNOWABLE or part.kind == "preference":
            continue
        if part.kind == "broken":
            assert row is not None, f"{part.location} is broken and not quarantined"
            continue
        assert (stored is None) != (row is None), f"{part.kind} at {part.location}: " + (
            "stored and quarantined" if row else "neither stored nor quarantined"
        )
    assert new_inbound == expected_inbound.keys(), "inbound messages that are not the body's"
    assert not new_events, f"channel events of no part of the body: {new_events}"
    assert (after.parked - before.parked).total() == parked, "statuses of no part of the body"
    texts = service.stored_texts(list(expected_inbound))
    for wamid, message in expected_inbound.items():
        text = message.get("text")
        if message.get("type") == "text" and isinstance(text, dict):
            assert texts[wamid] == text["body"], f"message {wamid} stored partially"


_UNKNOWABLE: Any = object()


def _stored(part: Part, before: Snapshot, after: Snapshot, new_events: list[Any]) -> Any:
    """Where the part was stored: its wamid, an event; None when it was not."""
    item = part.raw
    wamid = item.get("id") if isinstance(item, dict) else None
    wamid = wamid if isinstance(wamid, str) else None
    known = before.inbound.keys() | {w for w, _ in before.outbound.values() if w is not None}
    if part.kind in ("message", "echo", "status") and wamid in known:
        return _UNKNOWABLE  # a wamid seen before: a duplicate, or a status of it
    if part.kind == "message":
        return wamid if wamid in after.inbound else None
    if part.kind == "echo":
        new = {w for i, (w, _) in after.outbound.items() if i not in before.outbound}
        return wamid if wamid in new else None
    if part.kind == "status":
        if wamid is not None and after.parked[wamid] > before.parked[wamid]:
            return wamid
        return _take_event(new_events, "unknown_status", item)
    if part.kind == "error":
        return _take_event(new_events, "webhook_error", item)
    if part.kind == "event":
        value = item.get("value")
        return _take_event(new_events, None, value if isinstance(value, dict) else {"value": value})
    return None


def _events(service: Service, ids: frozenset[str]) -> list[Any]:
    events = service.database.tables.ingest.channel_events
    query = select(events.c.kind, events.c.payload).where(events.c.id.in_(ids))
    with service.database.reader.connect() as db:
        return [(row.kind, json.loads(row.payload)) for row in db.execute(query)]


def _take_event(new_events: list[Any], kind: str | None, payload: Any) -> Any:
    for event in new_events:
        if event[1] == payload and (kind is None or event[0] == kind):
            new_events.remove(event)
            return event
    return None


def _check_nothing_else_changed(
    before: Snapshot, after: Snapshot, echoes: set[str], preferences: bool
) -> None:
    """Conversations and replies only where the body's messages or echoes were stored (a
    marketing preference may start a conversation of its own)."""
    assert after.conversations >= before.conversations, "a conversation disappeared"
    assert after.inbound.items() >= before.inbound.items(), "an inbound message changed"
    new_inbound = after.inbound.keys() - before.inbound.keys()
    touched = {after.inbound[wamid] for wamid in new_inbound}
    new_outbound = [v for i, v in after.outbound.items() if i not in before.outbound]
    touched |= {conversation for wamid, conversation in new_outbound if wamid in echoes}
    for wamid, conversation in new_outbound:
        assert wamid in echoes or conversation in touched, "a reply to no stored message"
    if not preferences:
        created = after.conversations - before.conversations
        assert created <= touched, "a conversation without a message of the body"
        if not touched:
            assert after.conversation_keys == before.conversation_keys, "a customer key"


def quoted_values(reason: str, body: bytes, document: Any) -> list[str]:
    """The body's string values (not its keys; the text of an unreadable body) that
    ``reason`` quotes, whole or ``QUOTE_WINDOW`` characters of them: bodies carry customers'
    data, and reasons are shown and logged."""
    texts: set[str] = set()
    if document is UNREADABLE:
        texts.add(body.decode("utf-8", "replace"))
    else:
        keys: set[str] = set()
        _collect(document, keys, texts)
        texts -= keys
    windows = {reason[i : i + QUOTE_WINDOW] for i in range(len(reason) - QUOTE_WINDOW + 1)}
    quoted = []
    for text in texts:
        if len(text) < SHORTEST_QUOTE:
            continue
        if len(text) <= QUOTE_WINDOW:
            if text in reason:
                quoted.append(text)
        elif any(text[i : i + QUOTE_WINDOW] in windows for i in range(len(text))):
            quoted.append(text[:40])
    return sorted(quoted)


def _collect(document: Any, keys: set[str], values: set[str]) -> None:
    waiting = [document]
    while waiting:
        node = waiting.pop()
        if isinstance(node, str):
            values.add(node)
        elif isinstance(node, list):
            waiting += node
        elif isinstance(node, dict):
            keys.update(node)
            waiting += node.values()


def _refuse(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value
