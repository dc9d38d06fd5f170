"""Hostile webhook bodies, named, with where the service must put what it cannot read.

Every body here is signed and answered 200: a correctly signed body is never refused for
its content (Meta would retry it for days, then drop the good messages with the bad). What
the processor cannot read lands in the quarantine at ``location``, with a reason naming
``reason_names``; everything else of the body is stored (``webhook_ledger`` checks it all).
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
from collections.abc import Callable
from typing import Any

from hostile_kit import encoded, meta_body

ANA = "5215512345678"
BRUNO = "5491155550000"
BODY = "body"
CHANGE = "entry[0].changes[0]"
SECOND = "entry[0].changes[0].value.messages[1]"
STATUS = "entry[0].changes[0].value.statuses[0]"
_serial = itertools.count(1)


def fresh_wamid() -> str:
    """Unique, and always as long (so that Hypothesis draws the same for the same choices)."""
    return f"wamid.hostile.{next(_serial):09d}"


def nested(depth: int, kind: str = "array") -> str:
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def hola(**changes: Any) -> bytes:
    return encoded(meta_body(ANA, "Hola", fresh_wamid(), **changes))


def with_message_field(field: str, raw_json: str) -> bytes:
    """A valid body whose message gets ``field`` with the raw JSON text ``raw_json``."""
    return hola().replace(b'"type": "text"', f'"type": "text", "{field}": {raw_json}'.encode())


def good_then(change: Callable[[dict[str, Any]], None]) -> bytes:
    """A good message followed by a second one that ``change`` spoils: the first is
    stored, what ``change`` spoilt is quarantined alone."""
    document = meta_body(ANA, "primero", fresh_wamid())
    value = document["entry"][0]["changes"][0]["value"]
    second = copy.deepcopy(value["messages"][0])
    second["id"] = fresh_wamid()
    second["text"] = {"body": "segundo"}
    value["messages"].append(second)
    change(document)
    return encoded(document)


def set_in(*path: Any, value: object) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        holder: Any = document["entry"][0]["changes"][0]["value"]
        for step in path[:-1]:
            holder = holder[step]
        holder[path[-1]] = value

    return change


def with_status(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        status = {"id": fresh_wamid(), "status": "failed", "timestamp": "1750000000"} | fields
        document["entry"][0]["changes"][0]["value"]["statuses"] = [status]

    return change


def second(*path: Any, value: object) -> bytes:
    """``good_then`` with one value of the second message set."""
    return good_then(set_in("messages", 1, *path, value=value))


def contact(field: str, value: object) -> bytes:
    return good_then(set_in("contacts", 0, field, value=value))


def another_product() -> bytes:
    """What an Instagram or Messenger subscription posts to the same URL."""
    document = meta_body(ANA, "Hola", fresh_wamid())
    document["object"] = "instagram"
    return encoded(document)


def with_change(change: object) -> bytes:
    """A good message, then a second change of the same entry."""
    document = meta_body(ANA, "primero", fresh_wamid())
    document["entry"][0]["changes"].append(change)
    return encoded(document)


def preference(value: object) -> bytes:
    """A ``user_preferences`` change (a customer stops marketing messages) with ``value``."""
    document = meta_body(ANA, "Hola", fresh_wamid())
    change = document["entry"][0]["changes"][0]
    change["field"] = "user_preferences"
    change["value"].pop("messages")
    change["value"]["user_preferences"] = [
        {"wa_id": ANA, "detail": "x", "category": "marketing_messages", "value": value,
         "timestamp": 1750000000}
    ]  # fmt: skip
    return encoded(document)


def two_messages_and_a_status() -> dict[str, Any]:
    """A valid body with something of everything a mutation can break: two messages of
    two customers (a text and an image answering it) and a status of an unknown message."""
    document = meta_body(ANA, "Hola, quiero información", fresh_wamid())
    value = document["entry"][0]["changes"][0]["value"]
    first = value["messages"][0]
    value["contacts"].append({"wa_id": BRUNO, "profile": {"name": "Bruno"}})
    value["messages"].append(
        {
            "from": BRUNO,
            "id": fresh_wamid(),
            "timestamp": first["timestamp"],
            "type": "image",
            "image": {"id": "1234567890", "mime_type": "image/jpeg", "caption": "mi pedido"},
            "context": {"id": first["id"], "from": ANA},
        }
    )
    value["statuses"] = [
        {"id": fresh_wamid(), "status": "delivered", "timestamp": first["timestamp"],
         "recipient_id": ANA}
    ]  # fmt: skip
    return document


def echoes_and_a_preference() -> dict[str, Any]:
    """The business's two messages from the WhatsApp Business app (coexistence), then a
    customer who stops marketing messages: two more fields read part by part."""
    document = two_messages_and_a_status()
    entry = document["entry"][0]
    value = entry["changes"][0]["value"]
    echoes = value.pop("messages")
    for echo in echoes:
        echo["to"], echo["from"] = echo["from"], value["metadata"]["display_phone_number"]
    del value["statuses"]
    entry["changes"] = [
        {"field": "smb_message_echoes", "value": {**value, "message_echoes": echoes}},
        json.loads(preference("stop"))["entry"][0]["changes"][0],
    ]
    return document


def errors_and_a_template_update() -> dict[str, Any]:
    """Meta's errors beside a message, and a change of another field (a channel event)."""
    document = two_messages_and_a_status()
    value = document["entry"][0]["changes"][0]["value"]
    value["errors"] = [{"code": 131000, "title": "Something", "error_data": {"details": "d"}}]
    template = {"event": "APPROVED", "message_template_id": 12, "message_template_name": "x"}
    document["entry"][0]["changes"].append(
        {"field": "message_template_status_update", "value": template}
    )
    return document


PRIVATE = "PRIVADO-Ana-Lopez-5512345678"
"""A customer's data in a part that cannot be read: no reason may quote it."""


class Quarantined:
    """A hostile body: what cannot be read, where it lands, and what the reason names."""

    def __init__(self, what: str, make: Callable[[], bytes], location: str, names: str) -> None:
        self.what, self.make, self.location, self.reason_names = what, make, location, names


QUARANTINED: list[Quarantined] = [
    Quarantined("invalid UTF-8", lambda: hola().replace(b"Hola", b"H\xffla"), BODY, "UTF-8"),
    Quarantined("an overlong UTF-8 encoding", lambda: hola().replace(b"H", b"\xc1\x88"), BODY,
                "UTF-8"),
    Quarantined("a UTF-16 body", lambda: json.dumps(meta_body(ANA, "Hola", fresh_wamid()))
                .encode("utf-16"), BODY, "UTF-8"),
    Quarantined("truncated in half", lambda: (body := hola())[: len(body) // 2], BODY, "JSON"),
    Quarantined("truncated by one byte", lambda: hola()[:-1], BODY, "JSON"),
    Quarantined("an empty body", lambda: b"", BODY, "JSON"),
    Quarantined("only spaces", lambda: b"   \n", BODY, "JSON"),
    Quarantined("a NUL byte outside any string", lambda: hola() + b"\x00", BODY, "JSON"),
    Quarantined("a raw NUL byte in a string", lambda: hola().replace(b"Hola", b"Ho\x00la"), BODY,
                "JSON"),
    Quarantined("10 000 nested arrays", lambda: nested(10_000).encode(), BODY, "nested"),
    Quarantined("10 000 nested objects", lambda: nested(10_000, "object").encode(), BODY,
                "nested"),
    Quarantined("10 000 nested arrays in a message",
                lambda: with_message_field("extra", nested(10_000)), BODY, "nested"),
    Quarantined("1e999 as a number", lambda: with_message_field("extra", "1e999"), BODY,
                "number"),
    Quarantined("1e999 as a latitude",
                lambda: second("location", value={"latitude": "L", "longitude": 0})
                .replace(b'"L"', b"1e999"), BODY, "number"),
    Quarantined("NaN", lambda: with_message_field("extra", "NaN"), BODY, "NaN"),
    Quarantined("-Infinity", lambda: with_message_field("extra", "-Infinity"), BODY,
                "Infinity"),
    Quarantined("an integer of 5000 digits", lambda: with_message_field("extra", "9" * 5000),
                BODY, "digits"),
    Quarantined("a lone surrogate escape", lambda: with_message_field("extra", '"\\ud800"'),
                BODY, "surrogate"),
    Quarantined("a BOM", lambda: b"\xef\xbb\xbf" + hola(), BODY, "BOM"),
    Quarantined("gzip", lambda: gzip.compress(hola()), BODY, "UTF-8"),
    Quarantined("a JSON string", lambda: b'"whatsapp_business_account"', BODY,
                "WhatsApp Business Account"),
    Quarantined("a number", lambda: b"12345", BODY, "WhatsApp Business Account"),
    Quarantined("null", lambda: b"null", BODY, "WhatsApp Business Account"),
    Quarantined("a body of another product", another_product, BODY,
                "WhatsApp Business Account"),
    Quarantined("entry as an object",
                lambda: b'{"object": "whatsapp_business_account", "entry": {}}', BODY, "entry"),
    Quarantined("an entry that is a string", lambda: hola().replace(b'"entry": [',
                b'"entry": ["x", '), "entry[0]", "changes"),
    Quarantined("a change without a field", lambda: with_change({"value": {"a": PRIVATE}}),
                "entry[0].changes[1]", "field"),
    Quarantined("a timestamp of 40 digits", lambda: second("timestamp", value="9" * 40), SECOND,
                "timestamp"),
    Quarantined("a float timestamp", lambda: second("timestamp", value=1750000000.5), SECOND,
                "timestamp"),
    Quarantined("a second message without an id", lambda: second("id", value=None), SECOND,
                "id"),
    Quarantined("a second message that is a string",
                lambda: good_then(set_in("messages", 1, value=PRIVATE)), SECOND, "message"),
    Quarantined("a second message with text as a list", lambda: second("text", value=[PRIVATE]),
                SECOND, "text"),
    Quarantined("a second message of type text with no text",
                lambda: second("text", value=None), SECOND, "text"),
    Quarantined("a wamid of 256 characters", lambda: second("id", value="w" * 256), SECOND,
                "id"),
    Quarantined("a media id of 256 characters", lambda: second("image", value={"id": "i" * 256}),
                SECOND, "image.id"),
    Quarantined("a context id of 256 characters",
                lambda: second("context", value={"id": "c" * 256}), SECOND, "context.id"),
    Quarantined("a wa_id of 33 characters", lambda: second("from", value="1" * 33), SECOND,
                "from"),
    Quarantined("a user id of 129 characters", lambda: second("from_user_id", value="u" * 129),
                SECOND, "from_user_id"),
    Quarantined("a phone number id of 65 characters",
                lambda: good_then(set_in("metadata", "phone_number_id", value="1" * 65)), CHANGE,
                "phone_number_id"),
    Quarantined("no metadata", lambda: good_then(set_in("metadata", value=None)), CHANGE,
                "metadata"),
    Quarantined("statuses as an object", lambda: good_then(set_in("statuses", value={})), CHANGE,
                "statuses"),
    Quarantined("a status id of 256 characters", lambda: good_then(with_status(id="s" * 256)),
                STATUS, "id"),
    Quarantined("a recipient id of 129 characters",
                lambda: good_then(with_status(recipient_id="r" * 129)), STATUS, "recipient_id"),
    Quarantined("an error code of 2**63",
                lambda: good_then(with_status(errors=[{"code": 2**63}])), STATUS, "code"),
    Quarantined("a marketing preference neither stop nor resume", lambda: preference(PRIVATE),
                "entry[0].changes[0].value.user_preferences[0]", "value"),
]  # fmt: skip


def at_their_limits(document: dict[str, Any]) -> None:
    """Every bounded id one character short of being quarantined."""
    set_in("messages", 1, "id", value="w" * 255)(document)
    set_in("messages", 1, "from", value="1" * 32)(document)
    set_in("messages", 1, "from_user_id", value="u" * 128)(document)
    set_in("messages", 1, "context", value={"id": "c" * 255})(document)
    set_in("contacts", 0, "wa_id", value="1" * 32)(document)
    set_in("metadata", "phone_number_id", value="1" * 64)(document)
    with_status(id="s" * 255, recipient_id="r" * 128, errors=[{"code": 2**63 - 1}])(document)


STORED_WHOLE: list[tuple[str, Callable[[], bytes]]] = [
    ("a text of 900 000 bytes", lambda: encoded(meta_body(ANA, "ñ" * 450_000, fresh_wamid()))),
    ("a profile name of 300 000 characters", lambda: hola(profile_name="n" * 300_000)),
    ("SQL in the text", lambda: encoded(
        meta_body(ANA, "'); DROP TABLE crm_whatsapp_messages; --", fresh_wamid()))),
    ("ids at their limits", lambda: good_then(at_their_limits)),
    ("duplicate keys (the last one counts)",
     lambda: hola().replace(b'{"body": "Hola"}', b'{"body": "uno", "body": "Hola"}')),
    ("200 nested arrays kept in the raw payload", lambda: with_message_field("x", nested(200))),
    ("600 nested objects kept in the raw payload",
     lambda: with_message_field("x", nested(600, "object"))),
    ("an unknown type with nested data",
     lambda: with_message_field("unsupported", nested(100, "object"))
     .replace(b'"type": "text"', b'"type": "hologram"')),
    ("a NUL in the text", lambda: encoded(meta_body(ANA, "a\x00b", fresh_wamid()))),
    ("a NUL in the wamid", lambda: encoded(meta_body(ANA, "Hola", fresh_wamid() + "\x00"))),
    ("a NUL in a key", lambda: with_message_field("ex\\u0000tra", '"x"')),
    ("leading whitespace", lambda: b" \r\n\t" + hola()),
    ("a contact wa_id of 33 characters (only a profile name is lost)",
     lambda: contact("wa_id", "1" * 33)),
    ("a contact user id of 129 characters", lambda: contact("user_id", "u" * 129)),
    ("a status we do not know (a channel event)",
     lambda: good_then(with_status(status="teleported"))),
    ("an error of the whole value (a channel event)",
     lambda: good_then(set_in("errors", value=[{"code": 131051, "title": "Unsupported"}]))),
    ("echoes and a marketing preference", lambda: encoded(echoes_and_a_preference())),
    ("Meta's errors and a template update (channel events)",
     lambda: encoded(errors_and_a_template_update())),
    ("a field we do not handle (a channel event)",
     lambda: with_change({"field": "hologram_update", "value": {"event": PRIVATE}})),
]  # fmt: skip
"""Odd but valid: every part is stored, nothing is quarantined."""
