"""The CRM API against hostile callers: SQL in every parameter, odd credentials, broken
bodies. Never a 5xx, never a row that does not match, never a change after a refusal, and
never a secret in an answer (the ``service`` fixture checks every answer for that).
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hostile_kit import (
    API,
    API_TOKENS,
    APP_SECRET,
    AUTH,
    VERIFY_TOKEN,
    Service,
    build_app,
    encoded,
    fake_graph,
    leaked_from,
    leaked_in,
    live_service,
    meta_body,
    module_postgresql,
    raw_exchange,
    service,
    signed,
    status_of,
    watch_for_leaks,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_schema import api_schema as api_schema_for
from crm_whatsapp.adapters.http.operations import Operation
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import running_asgi_app, running_fake_graph_api
from crm_whatsapp.domain.policy.text import normalize

__all__ = ["fake_graph", "live_service", "module_postgresql", "service"]  # fixtures, used by name

EVENTS = f"{API}/eventos"
CUSTOMERS = {
    "5215512345678": "Hola, soy Ana: quiero el 50% de descuento",
    "5491155550000": "mi_usuario es bruno, ¿y el precio?",
    "573001234567": "Buenas tardes, 100 pesos",
}

INJECTIONS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '"; DROP TABLE crm_whatsapp_messages; --',
    "'; DROP TABLE crm_whatsapp_conversations; --",
    "%' --",
    "' UNION SELECT id, wa_id, NULL FROM crm_whatsapp_conversations --",
    "1; SELECT pg_sleep(5)",
    "') OR ('a'='a",
    "\\",
    "\\'",
    "%",
    "_",
    "%%",
    "%_%",
    "*",
    "[a-z]%",
    "$1",
    ":id",
    "?",
    "../../etc/passwd",
    "C-100' OR client_id IS NOT NULL --",
    "52155%",
    "ñ" * 70,
    "a\x00b",
]


def seed(service: Service) -> dict[str, str]:
    """Three customers who wrote, one linked to the CRM client C-100; their conversation
    ids by wa_id."""
    for n, (wa_id, text) in enumerate(CUSTOMERS.items()):
        body = encoded(meta_body(wa_id, text, f"wamid.api.seed.{n}"))
        assert service.post_webhook(body).status_code == 200
    items = service.client.get(API, headers=AUTH).json()["items"]
    ids = {c["customer"]["wa_id"]: c["id"] for c in items}
    assert len(ids) == len(CUSTOMERS)
    first = ids["5215512345678"]
    linked = service.client.put(f"{API}/{first}/cliente", json={"client_id": "C-100"}, headers=AUTH)
    assert linked.status_code == 200
    return ids


@pytest.fixture
def seeded(service: Service) -> tuple[Service, dict[str, str]]:
    return service, seed(service)


def with_path_values(path: str, value: str) -> str:
    for name in ("{conversation_id}", "{cliente_id}", "{numero}"):
        path = path.replace(name, quote(value, safe=""))
    return path


def assert_clean_answer(answer: httpx.Response) -> None:
    """Not a server error; an error is the API's JSON shape."""
    assert answer.status_code < 500, (answer.request.url, answer.text)
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/json", answer.text
        assert set(answer.json()["error"]) == {"code", "message"}


# -- SQL in every parameter ----------------------------------------------------------------


def real_path(operation: Operation, ids: dict[str, str]) -> str:
    """The operation's path on seeded rows: a conversation, the linked client, a number."""
    path = operation.path.replace("{conversation_id}", ids["5215512345678"])
    return path.replace("{cliente_id}", "C-100").replace("{numero}", "5215512345678")


def test_sql_in_every_query_parameter_finds_nothing_and_changes_nothing(
    seeded: tuple[Service, dict[str, str]], subtests: pytest.Subtests
) -> None:
    service, ids = seeded
    before = service.rows()
    for operation in service.operations():
        if operation.method != "GET" or operation.path == EVENTS:
            continue  # the event stream never ends: see the loopback test below
        path = real_path(operation, ids)
        for param in operation.query:
            with subtests.test(operation.path, param=param.name):
                for value in INJECTIONS:
                    answer = service.client.get(path, params={param.name: value}, headers=AUTH)
                    assert_clean_answer(answer)
                    if answer.status_code != 200 or param.name not in {"q", "client_id", "number"}:
                        continue
                    found = {item["id"] for item in answer.json()["items"]}
                    if operation.path == API and param.name == "q":
                        assert found == expected_matches(ids, value), value
                    else:
                        assert found == set(), f"{value!r} matched rows"
    with subtests.test("every table is there with the same rows"):
        assert service.rows() == before


def test_sql_in_every_path_parameter_is_a_404_or_a_400_and_changes_nothing(
    seeded: tuple[Service, dict[str, str]], subtests: pytest.Subtests
) -> None:
    service, _ = seeded
    bodies: dict[str, Any] = {
        "AgentReplyIn": {"agent": "Laura", "text": "Hola"},
        "LinkClientIn": {"client_id": "C-100"},
        "TakeOverIn": {"agent": "Laura"},
        "AssignIn": {"agent": {"id": "laura", "name": "Laura"}},
        "StatusIn": {"status": "pending"},
        "NoteIn": {"text": "Llamar el lunes"},
        "CannedResponseIn": {"shortcut": "saludo", "text": "Hola {nombre}"},
        "CannedResponseChangeIn": {"title": "Saludo"},
    }
    before = service.rows()
    for operation in service.operations():
        if not operation.path_params:
            continue
        body = bodies[operation.body.__name__] if operation.body else None
        with subtests.test(f"{operation.method} {operation.path}"):
            for value in INJECTIONS:
                path = with_path_values(operation.path, value)
                answer = service.client.request(operation.method, path, json=body, headers=AUTH)
                assert_clean_answer(answer)
                if answer.status_code == 200:
                    assert answer.json().get("items") == [], f"{value!r} matched rows"
                else:
                    assert answer.status_code in (400, 404, 405), (value, answer.text)
    with subtests.test("every table is there with the same rows"):
        assert service.rows() == before


def test_sql_in_the_event_filter_streams_nothing_and_breaks_nothing(
    live_service: Service,
) -> None:
    """Over loopback: the event stream only ends when the client leaves."""
    seed(live_service)
    for value in INJECTIONS:
        params = {"conversation_id": value}
        with live_service.client.stream("GET", EVENTS, params=params, headers=AUTH) as answer:
            assert answer.status_code in (200, 400), value
            if answer.status_code == 200:
                assert answer.headers["content-type"].startswith("text/event-stream")
            else:
                answer.read()
                assert_clean_answer(answer)
    assert len(live_service.client.get(API, headers=AUTH).json()["items"]) == len(CUSTOMERS)


def expected_matches(ids: dict[str, str], wanted: str) -> set[str]:
    return {ids[wa_id] for wa_id, text in CUSTOMERS.items() if normalize(wanted) in normalize(text)}


SEARCHES = [
    "%", "_", "%%", "%_%", "\\", "' --", "¿?", "...", "%' OR '1'='1",
    "50%", "100%", "5_%", "mi_usuario", "mi%usuario", "usuario_", "% descuento", "_y el",
    "' OR 1=1 --", "ANA", "ana'", "a%", "\\_",
]  # fmt: skip


def test_percent_and_underscore_in_a_search_match_only_themselves_never_anything(
    seeded: tuple[Service, dict[str, str]], subtests: pytest.Subtests
) -> None:
    """Search ignores case, accents and punctuation; a search with only punctuation left
    would be the empty pattern, which matches everything: it is refused instead."""
    service, ids = seeded
    for wanted in SEARCHES:
        with subtests.test(wanted):
            answer = service.client.get(API, params={"q": wanted}, headers=AUTH)
            if not normalize(wanted):
                assert answer.status_code == 400, answer.text
                assert answer.json()["error"]["code"] == "invalid_query_parameter"
                assert answer.json()["error"]["message"].startswith("q:")
                continue
            assert answer.status_code == 200, answer.text
            found = {c["id"] for c in answer.json()["items"]}
            assert found == expected_matches(ids, wanted)


# -- credentials -------------------------------------------------------------------------

RIGHT = API_TOKENS[0]
REFUSED_CREDENTIALS: list[tuple[str, list[tuple[str, str]]]] = [
    ("no header", []),
    ("an empty header", [("Authorization", "")]),
    ("an empty bearer", [("Authorization", "Bearer ")]),
    ("a wrong token", [("Authorization", "Bearer not-the-token")]),
    ("a wrong token, lowercase scheme", [("Authorization", "bearer not-the-token")]),
    ("the token with a suffix", [("Authorization", f"Bearer {RIGHT}x")]),
    ("a prefix of the token", [("Authorization", f"Bearer {RIGHT[:-1]}")]),
    ("the token upper-cased", [("Authorization", f"Bearer {RIGHT.upper()}")]),
    ("the token and more words", [("Authorization", f"Bearer {RIGHT} extra")]),
    ("a tab for a space", [("Authorization", f"Bearer\t{RIGHT}")]),
    ("Basic", [("Authorization", f"Basic {RIGHT}")]),
    ("Token", [("Authorization", f"Token {RIGHT}")]),
    ("Bearer without a space", [("Authorization", f"Bearer{RIGHT}")]),
    ("two tokens in one header", [("Authorization", f"Bearer {RIGHT}, Bearer {RIGHT}")]),
    ("a token of 10 kB", [("Authorization", "Bearer " + "t" * 10_000)]),
    ("the token in another header", [("X-Api-Token", RIGHT)]),
    ("a right and a wrong header", [("Authorization", f"Bearer {RIGHT}"),
                                    ("Authorization", "Bearer wrong")]),
    ("a wrong and a right header", [("Authorization", "Bearer wrong"),
                                    ("Authorization", f"Bearer {RIGHT}")]),
    ("the right header twice", [("Authorization", f"Bearer {RIGHT}")] * 2),
    ("the verify token", [("Authorization", f"Bearer {VERIFY_TOKEN}")]),
]  # fmt: skip
ACCEPTED_CREDENTIALS: list[tuple[str, list[tuple[str, str]]]] = [
    ("lowercase scheme", [("Authorization", f"bearer {RIGHT}")]),
    ("uppercase scheme", [("Authorization", f"BEARER {RIGHT}")]),
    ("trailing spaces (optional whitespace)", [("Authorization", f"Bearer {RIGHT}   ")]),
    ("two spaces after the scheme", [("Authorization", f"Bearer  {RIGHT}")]),
    ("the second API token", [("Authorization", f"Bearer {API_TOKENS[1]}")]),
]


def assert_refused(answer: httpx.Response, sent: list[tuple[str, str]], what: str = "") -> None:
    assert answer.status_code == 401, (what, answer.text)
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["code"] == "unauthorized"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    for _, value in sent:
        token = value.partition(" ")[2].strip()
        if len(token) >= 4:
            assert token not in answer.text, "the answer repeats the credentials"


def test_every_authenticated_operation_refuses_odd_credentials(
    service: Service, subtests: pytest.Subtests
) -> None:
    protected = [op for op in service.operations() if op.authenticated and op.path != EVENTS]
    assert len(protected) >= 13
    for operation in protected:
        path = with_path_values(operation.path, "c1")
        with subtests.test(f"{operation.method} {operation.path}"):
            for what, headers in REFUSED_CREDENTIALS:
                answer = service.client.request(operation.method, path, headers=headers)
                assert_refused(answer, headers, what)
            for what, headers in ACCEPTED_CREDENTIALS:
                answer = service.client.request(operation.method, path, headers=headers)
                assert answer.status_code != 401, (what, answer.text)


def raw_get(service: Service, path: str, headers: list[tuple[str, str]]) -> tuple[int, str]:
    """A GET written byte for byte (no client tidies the headers); status and body."""
    assert service.base_url is not None
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    answer = raw_exchange(service.base_url, ("\r\n".join(lines) + "\r\n\r\n").encode())
    _, _, body = answer.partition(b"\r\n\r\n")
    assert leaked_in(answer.decode("utf-8", "replace")) == []
    return status_of(answer), body.decode("utf-8", "replace")


def test_odd_credentials_over_loopback(live_service: Service, subtests: pytest.Subtests) -> None:
    """Through uvicorn's parser, written as sent: repeated headers, trailing spaces, long
    values. The event stream is checked too: it answers before any event exists."""
    for what, headers in REFUSED_CREDENTIALS:
        for path in (API, EVENTS):
            with subtests.test(what, path=path):
                status, body = raw_get(live_service, path, headers)
                assert status == 401, body
                assert json.loads(body)["error"]["code"] == "unauthorized"
    for what, headers in ACCEPTED_CREDENTIALS:
        with subtests.test(what):
            status, body = raw_get(live_service, API, headers)
            assert status == 200, body
    with subtests.test("a header of 100 kB"):
        status, _ = raw_get(live_service, API, [("Authorization", "Bearer " + "t" * 100_000)])
        assert status in (400, 401, 413, 431)


# -- request bodies ------------------------------------------------------------------------

HOSTILE_BODIES: list[tuple[str, bytes]] = [
    ("10 000 nested arrays", b"[" * 10_000 + b"]" * 10_000),
    ("10 000 nested objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
    ("nesting inside a field", b'{"agent": "L", "text": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"),
    ("NaN", b'{"agent": "L", "text": "a", "take_over": NaN}'),
    ("Infinity", b'{"agent": "L", "text": "a", "take_over": Infinity}'),
    ("1e999", b'{"agent": "L", "text": "a", "take_over": 1e999}'),
    ("an integer of 5000 digits", b'{"agent": "L", "take_over": ' + b"9" * 5000 + b"}"),
    ("a lone surrogate", b'{"agent": "\\ud800", "text": "\\udfff", "client_id": "\\ud800"}'),
    ("invalid UTF-8", b'{"agent": "L\xff", "text": "a\xc3", "client_id": "\xed\xa0\x80"}'),
    ("truncated", b'{"agent": "Laura", "text": "Hol'),
    ("gzip", gzip.compress(b'{"agent": "Laura", "text": "Hola", "client_id": "C-100"}')),
    ("a JSON array", b"[]"),
    ("null", b"null"),
    ("a number", b"7"),
    ("wrong types", b'{"agent": ["L"], "text": {"a": 1}, "client_id": 5, "take_over": "yes"}'),
    ("SQL as keys", b'{"agent\'; DROP TABLE x; --": "L", "text": "a"}'),
]  # fmt: skip


def test_hostile_bodies_are_refused_and_change_nothing(
    seeded: tuple[Service, dict[str, str]], subtests: pytest.Subtests
) -> None:
    service, ids = seeded
    one = f"{API}/{ids['5491155550000']}"
    targets = [
        ("POST", f"{one}/mensajes"),
        ("PUT", f"{one}/cliente"),
        ("POST", f"{one}/pausar-bot"),
    ]
    before = service.rows()
    conversation = service.client.get(one, headers=AUTH).json()
    for (method, path), content_type in itertools.product(
        targets, ("application/json", "text/plain")
    ):
        with subtests.test(f"{method} {path}", content_type=content_type):
            for what, body in HOSTILE_BODIES:
                headers = {**AUTH, "Content-Type": content_type}
                answer = service.client.request(method, path, content=body, headers=headers)
                assert_clean_answer(answer)
                assert 400 <= answer.status_code < 500, (what, answer.text)
    with subtests.test("nothing changed"):
        assert service.rows() == before
        assert service.client.get(one, headers=AUTH).json() == conversation


def test_a_2_mib_body_is_a_413_on_every_operation_that_reads_one(
    seeded: tuple[Service, dict[str, str]], subtests: pytest.Subtests
) -> None:
    service, ids = seeded
    one = f"{API}/{ids['5491155550000']}"
    big = json.dumps({"agent": "Laura", "text": "x" * 2 * 1024 * 1024}).encode()
    before = service.rows()
    for method, path in [("POST", f"{one}/mensajes"), ("PUT", f"{one}/cliente"),
                         ("POST", f"{one}/pausar-bot"), ("POST", "/webhook")]:  # fmt: skip
        with subtests.test(f"{method} {path}"):
            headers = {**AUTH, **signed(big)}
            answer = service.client.request(method, path, content=big, headers=headers)
            assert answer.status_code == 413, answer.text
            assert answer.json()["error"]["code"] == "payload_too_large"
    assert service.rows() == before


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(["agent", "text", "template", "reply_to_wamid", "take_over",
                          "client_id", "until", "name", "language", "parameters"])  # fmt: skip
BODIES = st.one_of(JSON, st.dictionaries(FIELDS, JSON, max_size=5))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_bodies_never_get_a_5xx_and_a_refusal_changes_nothing(
    service: Service, data: st.DataObject
) -> None:
    conversations = service.client.get(API, headers=AUTH).json()["items"]
    if not conversations:
        seed(service)
        conversations = service.client.get(API, headers=AUTH).json()["items"]
    one = f"{API}/{conversations[0]['id']}"
    method, path = data.draw(
        st.sampled_from(
            [("POST", f"{one}/mensajes"), ("PUT", f"{one}/cliente"), ("POST", f"{one}/pausar-bot")]
        )
    )
    body = data.draw(BODIES)
    before = service.rows()
    answer = service.client.request(method, path, content=encoded(body), headers=AUTH)
    assert_clean_answer(answer)
    if answer.status_code >= 400:
        assert service.rows() == before


def test_no_answer_to_a_near_miss_holds_the_secret_it_missed(
    seeded: tuple[Service, dict[str, str]],
) -> None:
    """A refusal says what was wrong, never what would have been right."""
    service, _ = seeded
    near_verify_token = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN[:-1],
                         "hub.challenge": "1"}  # fmt: skip
    answers = [
        service.client.get("/webhook", params=near_verify_token),
        service.client.get(API, headers={"Authorization": f"Bearer {API_TOKENS[0][:-1]}"}),
        service.post_webhook(b"{}", signed(b"{}", APP_SECRET[:-1])),
    ]
    for answer in answers:
        assert answer.status_code in (401, 403), answer.text
        assert not leaked_from(answer), answer.text


# -- schemathesis on PostgreSQL, auth enforced ---------------------------------------------
# tests/http/test_openapi.py runs schemathesis on SQLite with a token. Here: PostgreSQL (which
# refuses what SQLite stores: NUL, overlong values, lone surrogates), the extra checks that
# every authenticated operation refuses the same request without its token and that the
# answers' headers conform, and the seeded rows' ids mixed into generated path values.


REAL_ROWS: dict[str, list[str]] = {
    "conversation_id": [],  # filled by ``seeded_on_postgresql``
    "cliente_id": ["C-100"],
    "numero": ["5215512345678", "+52 55 1234 5678"],
}
api_schema = api_schema_for(
    AUTH["Authorization"],
    max_examples=10,
    extra_checks=("response_headers_conformance", "ignored_auth"),
)


@api_schema.hook("flatmap_path_parameters")
def or_a_seeded_row(_: Any, path_parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    if not path_parameters:
        return st.just(path_parameters)
    variants = [path_parameters]
    for name in path_parameters.keys() & REAL_ROWS.keys():
        variants += [{**path_parameters, name: value} for value in REAL_ROWS[name]]
    return st.sampled_from(variants)


@pytest.fixture(scope="module")
def seeded_on_postgresql(
    module_postgresql: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """One service for every operation's run (as in production, their writes add up).
    Its files go to a folder of its own: the autouse per-test media folder is set after a
    module's fixtures, and the default is the checkout's crm_whatsapp_media."""
    media = str(tmp_path_factory.mktemp("hostile-media"))
    with running_fake_graph_api() as fake:
        app = build_app(module_postgresql, fake, media_url=media)
        with (
            running_asgi_app(app) as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            watch_for_leaks(client)
            service = Service(client, app, module_postgresql, fake, base_url)
            REAL_ROWS["conversation_id"][:] = seed(service).values()
            yield service
            REAL_ROWS["conversation_id"].clear()


@api_schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_on_postgresql_answers_as_documented_and_checks_its_token(
    case: schemathesis.Case, seeded_on_postgresql: Service
) -> None:
    assert seeded_on_postgresql.base_url is not None
    before = seeded_on_postgresql.rows()
    answer = case.call_and_validate(base_url=seeded_on_postgresql.base_url, timeout=10)
    if answer.status_code >= 400:
        assert seeded_on_postgresql.rows() == before
