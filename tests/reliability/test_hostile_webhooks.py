"""Whatever bytes reach the webhook, the answer is never a 5xx, and a refused body leaves
every table exactly as it was; an accepted one is stored completely.

Bodies are signed with the app secret, so that they get past the signature to the parser
and the database (the hostile sender here is one who holds the secret, or Meta on a bad
day); the same bodies unsigned or signed with another secret are a 401 that stores nothing.
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hostile_kit import (
    API,
    APP_SECRET,
    AUTH,
    BUSINESS_NUMBER_ID,
    Service,
    encoded,
    fake_graph,
    live_service,
    meta_body,
    service,
    signed,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign

__all__ = ["fake_graph", "live_service", "service"]  # fixtures, used by name

ANA = "5215512345678"
_serial = itertools.count(1)


def fresh_wamid() -> str:
    """Unique, and always as long (so that Hypothesis draws the same for the same choices)."""
    return f"wamid.hostile.{next(_serial):09d}"


def two_messages_and_a_status() -> dict[str, Any]:
    """A valid body with something of everything a mutation can break: two messages of
    two customers (a text and an image answering it) and a status of an unknown message."""
    document = meta_body(ANA, "Hola, quiero información", fresh_wamid())
    value = document["entry"][0]["changes"][0]["value"]
    first = value["messages"][0]
    value["contacts"].append({"wa_id": "5491155550000", "profile": {"name": "Bruno"}})
    value["messages"].append(
        {
            "from": "5491155550000",
            "id": fresh_wamid(),
            "timestamp": first["timestamp"],
            "type": "image",
            "image": {"id": "1234567890", "mime_type": "image/jpeg", "caption": "mi pedido"},
            "context": {"id": first["id"], "from": ANA},
        }
    )
    value["statuses"] = [
        {
            "id": fresh_wamid(),
            "status": "delivered",
            "timestamp": first["timestamp"],
            "recipient_id": ANA,
        }
    ]
    return document


# -- what must hold for every delivery -----------------------------------------------------


def messages_in(document: object) -> list[dict[str, Any]]:
    """The message objects of every ``messages`` change, as far as the shape allows."""
    found: list[dict[str, Any]] = []
    if not isinstance(document, dict) or not isinstance(document.get("entry"), list):
        return found
    for entry in document["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            messages = value.get("messages") if isinstance(value, dict) else None
            if isinstance(messages, list):
                found += [m for m in messages if isinstance(m, dict)]
    return found


def check_delivery(
    service: Service, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, object]:
    """Post the body and check the invariants; the status and the parsed document."""
    before = service.rows()
    answer = service.post_webhook(body, headers)
    assert answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == "application/json"
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert set(error) == {"code", "message"}
        assert service.rows() == before, f"a refused body ({answer.status_code}) stored data"
        return answer.status_code, None
    assert answer.status_code == 200
    document = json.loads(body)
    messages = messages_in(document)
    ack = answer.json()
    assert ack["messages"] == len(messages), "every message of the body is handled"
    first_of_each: dict[str, dict[str, Any]] = {}
    for message in messages:
        first_of_each.setdefault(message["id"].replace("\x00", "\ufffd"), message)
    stored = service.stored_texts(list(first_of_each))
    assert set(stored) == set(first_of_each), "an acknowledged message is missing"
    for wamid, message in first_of_each.items():
        text = message.get("text")
        if message.get("type") == "text" and ack["duplicates"] == 0 and isinstance(text, dict):
            assert stored[wamid] == text["body"].replace("\x00", "\ufffd"), "stored partially"
    return 200, document


HYPOTHESIS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- Hypothesis: random JSON, random bytes, mutated Meta bodies ---------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(HYPOTHESIS, max_examples=40)
@given(value=JSON)
def test_random_json_is_refused_cleanly(service: Service, value: object) -> None:
    check_delivery(service, encoded(value))


@settings(HYPOTHESIS, max_examples=40)
@given(body=st.binary(max_size=400))
def test_random_bytes_are_refused_cleanly(service: Service, body: bytes) -> None:
    check_delivery(service, body)


def paths_in(node: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value of the document (keys and indices), the root excluded."""
    found: list[tuple[Any, ...]] = []
    children: list[tuple[Any, object]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for key, child in children:
        found.append((*prefix, key))
        found += paths_in(child, (*prefix, key))
    return found


HOSTILE_VALUES = st.one_of(
    JSON,
    st.sampled_from(
        [
            "",
            "x" * 300,
            "9" * 40,
            "\x00",
            "\ud800",
            "' OR 1=1 --",
            "../../etc/passwd",
            -1,
            0,
            2**63,
            -(2**70),
            1e308,
            True,
            [],
            {},
            None,
        ]
    ),
    st.text(min_size=1000, max_size=5000),
)


@st.composite
def mutated_bodies(draw: st.DrawFn) -> bytes:
    """A valid body where one value is replaced, deleted, truncated or re-encoded, or whose
    bytes are cut, corrupted or wrapped."""
    document = two_messages_and_a_status()
    path = draw(st.sampled_from(paths_in(document)))
    *parents, key = path
    holder: Any = document
    for step in parents:
        holder = holder[step]
    how = draw(st.sampled_from(["replace", "delete", "truncate", "bytes"]))
    if how == "replace":
        holder[key] = draw(HOSTILE_VALUES)
    elif how == "delete":
        del holder[key]
    elif how == "truncate" and isinstance(holder[key], str):
        holder[key] = holder[key][: draw(st.integers(0, len(holder[key])))]
    body = encoded(document)
    if how != "bytes":
        return body
    at = draw(st.integers(0, len(body)))
    damage = draw(st.sampled_from(["cut", "invalid utf-8", "insert", "wrap"]))
    if damage == "cut":
        return body[:at]
    if damage == "invalid utf-8":
        return body[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + body[at:]
    if damage == "insert":
        return body[:at] + draw(st.binary(min_size=1, max_size=8)) + body[at:]
    return draw(st.sampled_from([b"\xef\xbb\xbf", b"[", b" ", b"\x00"])) + body


@settings(HYPOTHESIS, max_examples=100)
@given(body=mutated_bodies())
def test_a_mutated_meta_body_is_stored_whole_or_not_at_all(service: Service, body: bytes) -> None:
    status, _ = check_delivery(service, body)
    event(f"answered {status}")


BAD_SIGNATURES: list[Callable[[bytes], dict[str, str]]] = [
    lambda body: {"Content-Type": "application/json"},
    lambda body: {SIGNATURE_HEADER: ""},
    lambda body: {SIGNATURE_HEADER: "sha256=zz"},
    lambda body: {SIGNATURE_HEADER: "sha256="},
    lambda body: {SIGNATURE_HEADER: "md5=" + "0" * 32},
    lambda body: {SIGNATURE_HEADER: sign(body, APP_SECRET).replace("sha256=", "sha1=")[:45]},
    lambda body: {SIGNATURE_HEADER: sign(body, APP_SECRET).replace("sha256=", "SHA256=")},
    lambda body: {SIGNATURE_HEADER: sign(body, APP_SECRET)[:-1]},
    lambda body: {SIGNATURE_HEADER: sign(body, APP_SECRET) + "00"},
    lambda body: signed(body, "another-app-secret"),
    lambda body: signed(body + b" "),
    lambda body: signed(body, APP_SECRET.upper()),
]


@settings(HYPOTHESIS, max_examples=40)
@given(
    body=st.one_of(mutated_bodies(), st.builds(lambda: encoded(two_messages_and_a_status()))),
    make_headers=st.sampled_from(BAD_SIGNATURES),
)
def test_without_the_right_signature_nothing_is_read(
    service: Service, body: bytes, make_headers: Callable[[bytes], dict[str, str]]
) -> None:
    before = service.rows()
    answer = service.post_webhook(body, make_headers(body))
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "invalid_signature"
    assert service.rows() == before


# -- named hostile bodies ------------------------------------------------------------------


def nested(depth: int, kind: str = "array") -> str:
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def with_message_field(field: str, raw_json: str) -> bytes:
    """A valid body whose message gets ``field`` with the raw JSON text ``raw_json``."""
    body = encoded(meta_body(ANA, "Hola", fresh_wamid()))
    return body.replace(b'"type": "text"', f'"type": "text", "{field}": {raw_json}'.encode())


def good_then(change: Callable[[dict[str, Any]], None]) -> bytes:
    """A good message followed by a second one that ``change`` spoils: storing message by
    message would keep the first; the body must be refused as a whole."""
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


def hola(**changes: Any) -> bytes:
    return encoded(meta_body(ANA, "Hola", fresh_wamid(), **changes))


def second(*path: Any, value: object) -> bytes:
    """``good_then`` with one value of the second message set."""
    return good_then(set_in("messages", 1, *path, value=value))


def contact(field: str, value: object) -> bytes:
    return good_then(set_in("contacts", 0, field, value=value))


REFUSED: list[tuple[str, Callable[[], bytes]]] = [
    ("invalid UTF-8", lambda: hola().replace(b"Hola", b"H\xffla")),
    ("an overlong UTF-8 encoding", lambda: hola().replace(b"H", b"\xc1\x88")),
    ("a UTF-16 body", lambda: json.dumps(meta_body(ANA, "Hola", fresh_wamid())).encode("utf-16")),
    ("truncated in half", lambda: (body := hola())[: len(body) // 2]),
    ("truncated by one byte", lambda: hola()[:-1]),
    ("an empty body", lambda: b""),
    ("only spaces", lambda: b"   \n"),
    ("10 000 nested arrays", lambda: nested(10_000).encode()),
    ("10 000 nested objects", lambda: nested(10_000, "object").encode()),
    ("10 000 nested arrays in a message", lambda: with_message_field("extra", nested(10_000))),
    ("600 nested objects in a message", lambda: with_message_field("x", nested(600, "object"))),
    ("1e999 as a number", lambda: with_message_field("extra", "1e999")),
    (
        "1e999 as a latitude",
        lambda: second("location", value={"latitude": "L", "longitude": 0}).replace(
            b'"L"', b"1e999"
        ),
    ),
    ("NaN", lambda: with_message_field("extra", "NaN")),
    ("-Infinity", lambda: with_message_field("extra", "-Infinity")),
    ("an integer of 5000 digits", lambda: with_message_field("extra", "9" * 5000)),
    ("a timestamp of 40 digits", lambda: second("timestamp", value="9" * 40)),
    ("a float timestamp", lambda: second("timestamp", value=1750000000.5)),
    ("a lone surrogate escape", lambda: with_message_field("extra", '"\\ud800"')),
    ("a BOM", lambda: b"\xef\xbb\xbf" + hola()),
    ("gzip", lambda: gzip.compress(hola())),
    ("a JSON string", lambda: b'"whatsapp_business_account"'),
    ("a number", lambda: b"12345"),
    ("null", lambda: b"null"),
    ("entry as an object", lambda: b'{"object": "whatsapp_business_account", "entry": {}}'),
    ("a second message without an id", lambda: second("id", value=None)),
    ("a second message with text as a list", lambda: second("text", value=["a"])),
    ("a wamid of 256 characters", lambda: second("id", value="w" * 256)),
    ("a media id of 256 characters", lambda: second("image", value={"id": "i" * 256})),
    ("a context id of 256 characters", lambda: second("context", value={"id": "c" * 256})),
    ("a wa_id of 33 characters", lambda: second("from", value="1" * 33)),
    ("a contact wa_id of 33 characters", lambda: contact("wa_id", "1" * 33)),
    ("a user id of 129 characters", lambda: second("from_user_id", value="u" * 129)),
    ("a contact user id of 129 characters", lambda: contact("user_id", "u" * 129)),
    (
        "a phone number id of 65 characters",
        lambda: good_then(set_in("metadata", "phone_number_id", value="1" * 65)),
    ),
    ("a status id of 256 characters", lambda: good_then(with_status(id="s" * 256))),
    ("a recipient id of 129 characters", lambda: good_then(with_status(recipient_id="r" * 129))),
    ("an error code of 2**63", lambda: good_then(with_status(errors=[{"code": 2**63}]))),
]


def test_a_hostile_body_is_a_4xx_that_stores_nothing(
    service: Service, subtests: pytest.Subtests
) -> None:
    for what, make in REFUSED:
        with subtests.test(what):
            status, _ = check_delivery(service, make())
            assert 400 <= status < 500


def at_their_limits(document: dict[str, Any]) -> None:
    """Every bounded id one character short of being refused."""
    set_in("messages", 1, "id", value="w" * 255)(document)
    set_in("messages", 1, "from", value="1" * 32)(document)
    set_in("messages", 1, "from_user_id", value="u" * 128)(document)
    set_in("messages", 1, "context", value={"id": "c" * 255})(document)
    set_in("contacts", 0, "wa_id", value="1" * 32)(document)
    set_in("metadata", "phone_number_id", value="1" * 64)(document)
    with_status(id="s" * 255, recipient_id="r" * 128, errors=[{"code": 2**63 - 1}])(document)


ACCEPTED: list[tuple[str, Callable[[], bytes]]] = [
    ("a text of 900 000 bytes", lambda: encoded(meta_body(ANA, "ñ" * 450_000, fresh_wamid()))),
    ("a profile name of 300 000 characters", lambda: hola(profile_name="n" * 300_000)),
    (
        "SQL in the text",
        lambda: encoded(meta_body(ANA, "'); DROP TABLE crm_whatsapp_messages; --", fresh_wamid())),
    ),
    ("ids at their limits", lambda: good_then(at_their_limits)),
    (
        "duplicate keys (the last one counts)",
        lambda: hola().replace(b'{"body": "Hola"}', b'{"body": "uno", "body": "Hola"}'),
    ),
    ("200 nested arrays kept in the raw payload", lambda: with_message_field("x", nested(200))),
    (
        "an unknown type with nested data",
        lambda: with_message_field("unsupported", nested(100, "object")).replace(
            b'"type": "text"', b'"type": "hologram"'
        ),
    ),
    ("a NUL in the text", lambda: encoded(meta_body(ANA, "a\x00b", fresh_wamid()))),
]


def test_an_odd_but_valid_body_is_stored_completely(
    service: Service, subtests: pytest.Subtests
) -> None:
    for what, make in ACCEPTED:
        with subtests.test(what):
            status, document = check_delivery(service, make())
            assert status == 200
            assert messages_in(document)


def test_the_content_type_does_not_change_what_the_signed_bytes_say(
    service: Service, subtests: pytest.Subtests
) -> None:
    """Meta signs the bytes; a label on them cannot make the parser read them otherwise."""
    labels = [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ]
    for content_type in labels:
        with subtests.test(str(content_type)):
            body = encoded(meta_body(ANA, "Hola señor", fresh_wamid()))
            headers = {SIGNATURE_HEADER: sign(body, APP_SECRET)}
            if content_type is not None:
                headers["Content-Type"] = content_type
            status, _ = check_delivery(service, body, headers)
            assert status == 200


def test_a_gzip_content_encoding_is_not_unpacked(service: Service) -> None:
    """A compressed body would grow past the size limit after the check: it is read as the
    bytes that arrived (and refused), never inflated."""
    body = gzip.compress(encoded(meta_body(ANA, "x" * 5_000_000, fresh_wamid())))
    headers = {**signed(body), "Content-Encoding": "gzip"}
    status, _ = check_delivery(service, body, headers)
    assert status == 400


def test_a_2_mib_body_is_a_413_that_stores_nothing(service: Service) -> None:
    body = encoded(meta_body(ANA, "x" * 2 * 1024 * 1024, fresh_wamid()))
    before = service.rows()
    answer = service.post_webhook(body)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert service.rows() == before


def test_an_accepted_body_is_readable_through_the_api(service: Service) -> None:
    """The odd values stored above come back out of the API as they went in."""
    text = "'); DROP TABLE x; -- %_\\ " + "ñ" * 1000
    status, _ = check_delivery(service, encoded(meta_body(ANA, text, fresh_wamid())))
    assert status == 200
    conversations = service.client.get(API, headers=AUTH).json()["items"]
    messages = service.client.get(f"{API}/{conversations[0]['id']}/mensajes", headers=AUTH)
    assert text in [m["text"] for m in messages.json()["items"]]


# -- over a real server --------------------------------------------------------------------


def chunked(body: bytes, size: int = 65536) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_hostile_bodies_over_loopback(live_service: Service) -> None:
    """A sample of the above through uvicorn's HTTP parser, including a chunked 2 MiB body
    (no Content-Length to check first: it is counted as it arrives)."""
    samples = [make for what, make in REFUSED if "nested" in what or "UTF" in what]
    for make in samples:
        status, _ = check_delivery(live_service, make())
        assert 400 <= status < 500
    big = encoded(meta_body(ANA, "x" * 2 * 1024 * 1024, fresh_wamid()))
    before = live_service.rows()
    answer = live_service.client.post("/webhook", content=chunked(big), headers=signed(big))
    assert answer.status_code == 413
    assert live_service.rows() == before
    status, _ = check_delivery(live_service, encoded(meta_body(ANA, "Hola", fresh_wamid())))
    assert status == 200


@settings(HYPOTHESIS, max_examples=15)
@given(body=mutated_bodies())
def test_mutated_bodies_over_loopback(live_service: Service, body: bytes) -> None:
    check_delivery(live_service, body)


def test_the_business_number_of_a_refused_body_gets_no_conversation(service: Service) -> None:
    """A refused body with a new business number creates nothing for it either."""
    body = good_then(set_in("messages", 1, "id", value="w" * 256)).replace(
        BUSINESS_NUMBER_ID.encode(), b"999999999999999"
    )
    check_delivery(service, body)
    assert service.rows()["crm_whatsapp_conversations"] == 0
