"""Whatever bytes reach the webhook, the answer is never a 5xx; a signed body is stored and
answered 200, then read part by part: what reads is stored whole, what does not is
quarantined at its place with its raw JSON, and nothing partial or foreign is left in the
inbox (``webhook_ledger`` checks every table after every delivery). The processor never
gets stuck on a body: each one is read past before the next example is posted.

Bodies are signed with the app secret, so that they get past the signature to the reader
and the database (the hostile sender here is one who holds the secret, or Meta on a bad
day); the same bodies unsigned or signed with another secret are a 401 that stores nothing,
not even the body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from hostile_bodies import (
    ANA,
    QUARANTINED,
    echoes_and_a_preference,
    errors_and_a_template_update,
    fresh_wamid,
    two_messages_and_a_status,
)
from hostile_kit import (
    APP_SECRET,
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
from webhook_ledger import check_delivery

from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign

__all__ = ["fake_graph", "live_service", "service"]  # fixtures, used by name


HYPOTHESIS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def outcome(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "stored whole"
    return "quarantined whole" if rows[0]["location"] == "body" else "stored part by part"


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
def test_random_json_is_quarantined_whole_and_stores_nothing_else(
    service: Service, value: object
) -> None:
    status, rows = check_delivery(service, encoded(value))
    assert status == 200
    assert [row["location"] for row in rows] == ["body"]


@settings(HYPOTHESIS, max_examples=40)
@given(body=st.binary(max_size=400))
def test_random_bytes_are_quarantined_whole_and_store_nothing_else(
    service: Service, body: bytes
) -> None:
    status, rows = check_delivery(service, body)
    assert status == 200
    assert [row["location"] for row in rows] == ["body"]


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


DOCUMENTS = [two_messages_and_a_status, echoes_and_a_preference, errors_and_a_template_update]


@st.composite
def mutated_bodies(draw: st.DrawFn) -> bytes:
    """A valid body where one or two values are replaced, deleted or truncated, or whose
    bytes are cut, corrupted or wrapped."""
    document = draw(st.sampled_from(DOCUMENTS))()
    how = "bytes"
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(paths_in(document)))
        *parents, key = path
        holder: Any = document
        for step in parents:
            holder = holder[step]
        how = draw(st.sampled_from(["replace", "replace", "delete", "truncate", "bytes"]))
        if how == "replace":
            holder[key] = draw(HOSTILE_VALUES)
        elif how == "delete":
            del holder[key]
        elif how == "truncate" and isinstance(holder[key], str):
            holder[key] = holder[key][: draw(st.integers(0, len(holder[key])))]
        if how == "bytes":
            break
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
def test_a_mutated_meta_body_is_stored_part_by_part(service: Service, body: bytes) -> None:
    """What validates is stored, the rest is quarantined: every message and status of the
    body in exactly one of the inbox, the parked statuses, the channel events and the
    quarantine; a readable body is never quarantined whole."""
    status, rows = check_delivery(service, body)
    assert status == 200
    event(outcome(rows))


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
def test_without_the_right_signature_nothing_is_stored_not_even_the_body(
    service: Service, body: bytes, make_headers: Callable[[bytes], dict[str, str]]
) -> None:
    before = service.rows()
    answer = service.post_webhook(body, make_headers(body))
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "invalid_signature"
    assert service.rows() == before
    assert service.channel_health()["pending_deliveries"] == 0


# -- over a real server --------------------------------------------------------------------


def chunked(body: bytes, size: int = 65536) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_hostile_bodies_over_loopback(live_service: Service) -> None:
    """A sample of the named bodies through uvicorn's HTTP parser, including a chunked
    2 MiB body (no Content-Length to check first: it is counted as it arrives)."""
    samples = [case for case in QUARANTINED if "nested" in case.what or "UTF" in case.what]
    for case in samples:
        status, rows = check_delivery(live_service, case.make())
        assert status == 200
        assert [row["location"] for row in rows] == [case.location], case.what
    big = encoded(meta_body(ANA, "x" * 2 * 1024 * 1024, fresh_wamid()))
    before = live_service.rows()
    answer = live_service.client.post("/webhook", content=chunked(big), headers=signed(big))
    assert answer.status_code == 413
    assert live_service.rows() == before
    status, rows = check_delivery(live_service, encoded(meta_body(ANA, "Hola", fresh_wamid())))
    assert (status, rows) == (200, [])


@settings(HYPOTHESIS, max_examples=15)
@given(body=mutated_bodies())
def test_mutated_bodies_over_loopback(live_service: Service, body: bytes) -> None:
    status, rows = check_delivery(live_service, body)
    assert status == 200
    event(outcome(rows))
