"""Bad input anywhere gets a clear 4xx in one JSON shape, ``{"error": {"code", "message"}}``,
whose message names what is wrong, and writes nothing; a database that is down gets a 503
(so that Meta retries) while ``/health`` still answers. No answer ever holds a secret.

The webhook is the exception: a correctly signed body is never refused for its content
(``test_webhook_deliveries.py``)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_service_kit import (
    API,
    API_TOKEN,
    AUTH,
    SECRETS,
    VERIFY_TOKEN,
    leaked_secrets,
    make_settings,
    signed,
    text_webhook,
    wait_for,
)
from starlette.applications import Starlette
from starlette.testclient import TestClient

from crm_whatsapp.adapters.http import OPERATIONS
from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi, running_asgi_app
from crm_whatsapp.app import Settings, create_app
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.ports import ClientLookup
from polling import processed

ANA = "5215512345678"
UNKNOWN_ID = "no-such-conversation"


def refuse_leaks(response: httpx.Response) -> None:
    """Response hook: a secret in any answer fails the request that got it."""
    assert not leaked_secrets(response), f"{response.request.url} leaked a secret"


def watched(client: TestClient) -> TestClient:
    client.event_hooks = {"request": [], "response": [refuse_leaks]}
    return client


@pytest.fixture
def app(settings: Settings, service_database: Database) -> Starlette:
    """conftest's app, with a CRM client to link (so a 404 is about the conversation)."""
    clients = InMemoryClientLookup([(ClientRef("C-100", "Ana López"), [])])
    return create_app(settings, overrides={Database: service_database, ClientLookup: clients})


@pytest.fixture
def client(client: TestClient) -> TestClient:
    """conftest's client, every answer of which is checked for leaked secrets."""
    return watched(client)


def error_of(answer: httpx.Response, status: int, code: str, *named: str) -> str:
    """Assert the answer is this error, its message naming each of ``named``; the message."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    for name in named:
        assert name in message
    return message


_wamids = itertools.count(1)


def customer_writes(client: httpx.Client, text: str, wa_id: str = ANA) -> str:
    """The customer's text, delivered by Meta and stored (read by the processor; a
    ``TestClient`` waits for its app's processor, another client polls the API); returns
    its conversation's id."""
    wamid = f"wamid.errors.{next(_wamids)}"
    body = text_webhook(wa_id, text, wamid=wamid)
    assert client.post("/webhook", content=body, headers=signed(body)).status_code == 200

    def stored() -> str | None:
        page = client.get(API, params={"limit": 200}, headers=AUTH).json()
        for conversation in page["items"]:
            if conversation["customer"]["wa_id"] != wa_id:
                continue
            messages = client.get(f"{API}/{conversation['id']}/mensajes", headers=AUTH)
            if any(m["wamid"] == wamid for m in messages.json()["items"]):
                return str(conversation["id"])
        return None

    if isinstance(client, TestClient):
        processed(client.app)
        conversation_id = stored()
        assert conversation_id is not None, f"{wamid} was not stored"
        return conversation_id
    return wait_for(stored, what=f"{wamid} stored")


def stored_messages(client: httpx.Client) -> int:
    conversations = client.get(API, params={"limit": 200}, headers=AUTH).json()["items"]
    return sum(
        len(client.get(f"{API}/{c['id']}/mensajes", headers=AUTH).json()["items"])
        for c in conversations
    )


# -- authentication ----------------------------------------------------------------------

BAD_AUTHORIZATION: list[tuple[str, dict[str, str]]] = [
    ("no token", {}),
    ("a wrong token", {"Authorization": "Bearer not-the-token"}),
    ("another scheme", {"Authorization": f"Basic {API_TOKEN}"}),
    ("an empty bearer", {"Authorization": "Bearer "}),
    ("the scheme alone", {"Authorization": "Bearer"}),
    ("the token alone", {"Authorization": API_TOKEN}),
]


def test_every_crm_endpoint_refuses_a_request_without_the_right_bearer_token(
    settings: Settings, service_database: Database, subtests: pytest.Subtests
) -> None:
    # hundreds of failures from one address: past the throttle's budget on purpose
    patient = settings.model_copy(update={"auth_failures_per_minute": 100_000})
    with TestClient(create_app(patient, overrides={Database: service_database})) as client:
        _every_endpoint_refuses(client, subtests)


def _every_endpoint_refuses(client: TestClient, subtests: pytest.Subtests) -> None:
    protected = [op for op in list(OPERATIONS) if op.authenticated]
    assert len(protected) >= 14
    for operation in protected:
        path = operation.path.replace("{conversation_id}", "c1").replace("{cliente_id}", "C-1")
        path = path.replace("{numero}", "5215512345678")
        for what, headers in BAD_AUTHORIZATION:
            with subtests.test(what, endpoint=f"{operation.method} {operation.path}"):
                answer = client.request(operation.method, path, headers=headers)
                message = error_of(answer, 401, "unauthorized")
                assert "Authorization" in message or "token" in message
                assert answer.headers["www-authenticate"].startswith("Bearer")


def test_the_token_is_accepted_whatever_the_case_of_the_scheme(client: TestClient) -> None:
    assert client.get(API, headers={"Authorization": f"bearer {API_TOKEN}"}).status_code == 200


# -- query parameters and path values ----------------------------------------------------


def test_bad_query_parameters_are_refused_naming_the_parameter(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    conversation = customer_writes(client, "Hola")
    customer_writes(client, "Hola", wa_id="5215599990000")
    list_cursor = client.get(API, params={"limit": 1}, headers=AUTH).json()["next_cursor"]
    messages_cursor = client.get(
        f"{API}/{conversation}/mensajes", params={"limit": 1}, headers=AUTH
    ).json()["next_cursor"]
    assert list_cursor
    assert messages_cursor
    tampered = list_cursor[:-2] + ("AA" if not list_cursor.endswith("AA") else "BB")
    one = f"{API}/{conversation}"
    cases: list[tuple[str, str, dict[str, Any], str, str]] = [
        ("an unknown parameter", API, {"clientId": "C-1"}, "invalid_query_parameter", "clientId"),
        (
            "an unknown parameter of one",
            one,
            {"verbose": "1"},
            "invalid_query_parameter",
            "verbose",
        ),
        (
            "an unknown parameter of statistics",
            f"{API}/estadisticas",
            {"tz": "UTC"},
            "invalid_query_parameter",
            "tz",
        ),
        ("a parameter twice", API, {"limit": ["1", "2"]}, "invalid_query_parameter", "limit"),
        ("a cursor never issued", API, {"cursor": "abc"}, "invalid_cursor", "cursor"),
        ("an altered cursor", API, {"cursor": tampered}, "invalid_cursor", "cursor"),
        ("an empty cursor", API, {"cursor": ""}, "invalid_query_parameter", "cursor"),
        ("a messages cursor", API, {"cursor": messages_cursor}, "invalid_cursor", "cursor"),
        (
            "a conversations cursor for messages",
            f"{one}/mensajes",
            {"cursor": list_cursor},
            "invalid_cursor",
            "cursor",
        ),
        ("a limit of 0", API, {"limit": "0"}, "invalid_query_parameter", "limit"),
        ("a limit of 201", API, {"limit": "201"}, "invalid_query_parameter", "limit"),
        ("a negative limit", API, {"limit": "-1"}, "invalid_query_parameter", "limit"),
        ("a limit in words", API, {"limit": "abc"}, "invalid_query_parameter", "limit"),
        ("a fractional limit", API, {"limit": "1.5"}, "invalid_query_parameter", "limit"),
        (
            "a messages limit of 201",
            f"{one}/mensajes",
            {"limit": "201"},
            "invalid_query_parameter",
            "limit",
        ),
        (
            "a date without timezone",
            API,
            {"since": "2026-01-31T00:00:00"},
            "invalid_query_parameter",
            "since",
        ),
        ("not a date", API, {"until": "ayer"}, "invalid_query_parameter", "until"),
        (
            "since after until",
            API,
            {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            "invalid_query_parameter",
            "since",
        ),
        (
            "since equal to until",
            API,
            {"since": "2026-02-01T00:00:00Z", "until": "2026-02-01T00:00:00+00:00"},
            "invalid_query_parameter",
            "since",
        ),
        (
            "statistics at a time without timezone",
            f"{API}/estadisticas",
            {"until": "2026-01-31T12:00"},
            "invalid_query_parameter",
            "until",
        ),
        (
            "statistics since after until",
            f"{API}/estadisticas",
            {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            "invalid_query_parameter",
            "since",
        ),
        (
            "a date out of range once in UTC",
            API,
            {"since": "0001-01-01T00:00:00+01:00"},
            "invalid_query_parameter",
            "since",
        ),
        (
            "statistics until a date out of range once in UTC",
            f"{API}/estadisticas",
            {"until": "9999-12-31T23:59:59-01:00"},
            "invalid_query_parameter",
            "until",
        ),
        (
            "statistics in a timezone that does not exist",
            f"{API}/estadisticas",
            {"timezone": "America/Atlantis"},
            "invalid_query_parameter",
            "timezone",
        ),
        ("a boolean in words", API, {"linked": "maybe"}, "invalid_query_parameter", "linked"),
        ("a boolean as 2", API, {"bot_paused": "2"}, "invalid_query_parameter", "bot_paused"),
        ("an empty boolean", API, {"opted_out": ""}, "invalid_query_parameter", "opted_out"),
        ("a number in words", API, {"number": "abc"}, "invalid_query_parameter", "number"),
        ("a number too short", API, {"number": "123"}, "invalid_query_parameter", "number"),
        ("a blank search", API, {"q": "   "}, "invalid_query_parameter", "q"),
        ("a search too long", API, {"q": "a" * 201}, "invalid_query_parameter", "q"),
        (
            "a client search without words",
            "/api/v1/clientes-crm",
            {},
            "invalid_query_parameter",
            "q",
        ),
        (
            "a client search limit over 50",
            "/api/v1/clientes-crm",
            {"q": "ana", "limit": "51"},
            "invalid_query_parameter",
            "limit",
        ),
        (
            "a number path that is no number",
            f"{API}/numero/abc",
            {},
            "invalid_query_parameter",
            "numero",
        ),
        (
            "a number path too short",
            f"{API}/numero/12",
            {},
            "invalid_query_parameter",
            "numero",
        ),
    ]
    for what, path, params, code, name in cases:
        with subtests.test(what, path=path, params=params):
            error_of(client.get(path, params=params, headers=AUTH), 400, code, name)


def test_an_unknown_conversation_is_a_404_on_every_endpoint_of_one(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    one = f"{API}/{UNKNOWN_ID}"
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", one, None),
        ("GET", f"{one}/mensajes", None),
        ("POST", f"{one}/mensajes", {"agent": "Laura", "text": "Hola"}),
        ("PUT", f"{one}/cliente", {"client_id": "C-100"}),
        ("DELETE", f"{one}/cliente", None),
        ("POST", f"{one}/pausar-bot", {"agent": "Laura"}),
        ("POST", f"{one}/reanudar-bot", None),
        ("POST", f"{one}/leida", None),
    ]
    for method, path, body in requests:
        with subtests.test(f"{method} {path}"):
            answer = client.request(method, path, json=body, headers=AUTH)
            error_of(answer, 404, "conversation_not_found", UNKNOWN_ID)


# -- request bodies ----------------------------------------------------------------------


def test_bad_agent_replies_are_refused_naming_the_field_and_store_nothing(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    conversation = customer_writes(client, "Hola")
    before = stored_messages(client)
    path = f"{API}/{conversation}/mensajes"
    cases: list[tuple[str, bytes, int, str, str]] = [
        ("not JSON", b'{"agent": "Laura", "text": ', 400, "invalid_json", "JSON"),
        ("not UTF-8", b'{"agent": "\xff"}', 400, "invalid_json", "JSON"),
        ("a JSON array", b'[{"agent": "Laura", "text": "Hola"}]', 422, "invalid_body", "body"),
        ("a JSON string", b'"Hola"', 422, "invalid_body", "body"),
        ("an empty body", b"", 422, "invalid_outbound_message", "text"),
        (
            "an unknown field",
            b'{"agent": "Laura", "text": "Hola", "colour": "red"}',
            422,
            "invalid_body",
            "colour",
        ),
        (
            "a misspelt field gets a suggestion",
            b'{"agent": "Laura", "txt": "Hola"}',
            422,
            "invalid_body",
            "txt: unknown field (known: agent, text, template, reply_to_wamid, take_over, "
            "interactive); did you mean 'text'?",
        ),
        ("an empty agent", b'{"agent": "", "text": "Hola"}', 422, "invalid_body", "agent"),
        (
            "an agent that is a number",
            b'{"agent": 7, "text": "Hola"}',
            422,
            "invalid_body",
            "agent",
        ),
        (
            "text and a template",
            b'{"agent": "Laura", "text": "Hola", "template": {"name": "saludo"}}',
            422,
            "invalid_outbound_message",
            "text",
        ),
        (
            "neither text nor a template",
            b'{"agent": "Laura"}',
            422,
            "invalid_outbound_message",
            "text",
        ),
        (
            "blank text",
            b'{"agent": "Laura", "text": "  "}',
            422,
            "invalid_outbound_message",
            "text",
        ),
        (
            "text over 4096 characters",
            json.dumps({"agent": "Laura", "text": "a" * 4097}).encode(),
            422,
            "invalid_body",
            "text",
        ),
        (
            "a NUL in the text",
            b'{"agent": "Laura", "text": "a\\u0000b"}',
            422,
            "invalid_body",
            "text",
        ),
        (
            "a NUL in the agent",
            b'{"agent": "\\u0000", "text": "Hola"}',
            422,
            "invalid_body",
            "agent",
        ),
        (
            "a NUL in a template parameter",
            b'{"agent": "L", "template": {"name": "saludo", "parameters": ["\\u0000"]}}',
            422,
            "invalid_body",
            "template.parameters",
        ),
        (
            "a template without a name",
            b'{"agent": "Laura", "template": {"language": "es"}}',
            422,
            "invalid_body",
            "template.name",
        ),
        (
            "a template with an unknown field",
            b'{"agent": "Laura", "template": {"name": "saludo", "lang": "es"}}',
            422,
            "invalid_body",
            "template.lang",
        ),
    ]
    for what, body, status, code, name in cases:
        with subtests.test(what):
            answer = client.post(
                path, content=body, headers={**AUTH, "Content-Type": "application/json"}
            )
            error_of(answer, status, code, name)
    with subtests.test("nothing was stored"):
        assert stored_messages(client) == before
    with subtests.test("4096 characters are accepted"):
        answer = client.post(path, json={"agent": "Laura", "text": "a" * 4096}, headers=AUTH)
        assert answer.status_code == 201, answer.text


def test_bad_bodies_of_the_other_actions_are_refused_naming_the_field(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    conversation = customer_writes(client, "Hola")
    one = f"{API}/{conversation}"
    cases: list[tuple[str, str, Any, str]] = [
        ("PUT", f"{one}/cliente", {"client": "C-100"}, "client"),
        ("PUT", f"{one}/cliente", {"client_id": ""}, "client_id"),
        ("PUT", f"{one}/cliente", {}, "client_id"),
        ("POST", f"{one}/pausar-bot", {"agent": "Laura", "until": "mañana"}, "until"),
        ("POST", f"{one}/pausar-bot", {"agent": "La\u0000ura"}, "agent"),
        ("PUT", f"{one}/cliente", {"client_id": "C-100\u0000"}, "client_id"),
        # longer than the column that stores it: a 500 on PostgreSQL before
        ("PUT", f"{one}/cliente", {"client_id": "C" * 129}, "client_id"),
    ]
    for method, path, body, name in cases:
        with subtests.test(f"{method} {path}", body=body):
            answer = client.request(method, path, json=body, headers=AUTH)
            error_of(answer, 422, "invalid_body", name)
    with subtests.test("a service token takes over for nobody"):
        answer = client.post(f"{one}/pausar-bot", json={}, headers=AUTH)
        error_of(answer, 422, "invalid_actor", "agent")
    with subtests.test("the conversation did not change"):
        unchanged = client.get(one, headers=AUTH).json()
        assert unchanged["client"] is None
        assert unchanged["bot_paused"] is False


# -- oversize bodies ---------------------------------------------------------------------


@pytest.fixture
def small_body_server(
    service_database: Database, fake_graph: RunningFakeGraphApi
) -> Iterator[httpx.Client]:
    """The service with a 2 KiB body limit under uvicorn (a real server, so that a chunked
    body really arrives in chunks); an httpx client pointed at it."""
    settings = make_settings(
        service_database.url.render_as_string(hide_password=False),
        fake_graph.base_url,
        max_body_bytes=2048,
    )
    app = create_app(settings, overrides={Database: service_database})
    with running_asgi_app(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as http:
        http.event_hooks = {"request": [], "response": [refuse_leaks]}
        yield http


def chunks(total: int, size: int = 512) -> Iterator[bytes]:
    """A body of ``total`` bytes sent in chunks, with no Content-Length (so the server can
    only count as it reads)."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


def test_an_oversize_body_is_refused_with_413_with_or_without_its_length(
    small_body_server: httpx.Client, subtests: pytest.Subtests
) -> None:
    http = small_body_server
    conversation = customer_writes(http, "Hola")
    big_webhook = text_webhook(ANA, "x" * 3000)
    big_reply = json.dumps({"agent": "Laura", "text": "y" * 3000}).encode()
    targets = [
        ("the webhook", "/webhook", big_webhook, signed(big_webhook)),
        ("an agent reply", f"{API}/{conversation}/mensajes", big_reply, {**AUTH}),
    ]
    for what, path, body, headers in targets:
        with subtests.test(f"{what}, with Content-Length"):
            answer = http.post(path, content=body, headers=headers)
            assert answer.request.headers["content-length"] == str(len(body))
            error_of(answer, 413, "payload_too_large", "2048")
        with subtests.test(f"{what}, chunked"):
            answer = http.post(path, content=chunks(len(body)), headers=headers)
            assert answer.request.headers["transfer-encoding"] == "chunked"
            assert "content-length" not in answer.request.headers
            error_of(answer, 413, "payload_too_large", "2048")
    with subtests.test("nothing was stored"):
        messages = http.get(f"{API}/{conversation}/mensajes", headers=AUTH).json()["items"]
        assert [m["author"]["kind"] for m in messages] == ["bot", "customer"]
    with subtests.test("a body of exactly the limit is accepted, chunked"):
        envelope = len(json.dumps({"agent": "Laura", "text": ""}))
        at_limit = json.dumps({"agent": "Laura", "text": "z" * (2048 - envelope)}).encode()
        assert len(at_limit) == 2048
        answer = http.post(
            f"{API}/{conversation}/mensajes",
            content=iter([at_limit[:1000], at_limit[1000:]]),
            headers={**AUTH, "Content-Type": "application/json"},
        )
        assert answer.status_code == 201, answer.text


# -- the webhook -------------------------------------------------------------------------


def test_meta_subscription_check_echoes_the_challenge_only_with_the_verify_token(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    with subtests.test("the right token"):
        answer = client.get(
            "/webhook",
            params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                    "hub.challenge": "1158201444"},
        )  # fmt: skip
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.text == "1158201444"
    refusals = [
        ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
         "hub.verify_token"),
        ({"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
         "hub.mode"),
        ({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN}, "hub.challenge"),
        ({}, "hub.mode"),
    ]  # fmt: skip
    for params, name in refusals:
        with subtests.test("refused", **params):
            error_of(client.get("/webhook", params=params), 403, "verification_refused", name)


# -- the database down -------------------------------------------------------------------


def assert_storage_is_down(client: TestClient) -> None:
    body = text_webhook(ANA, "Hola")
    answer = client.post("/webhook", content=body, headers=signed(body))
    error_of(answer, 503, "storage_unavailable")
    assert answer.headers["retry-after"] == "5"
    error_of(client.get(API, headers=AUTH), 503, "storage_unavailable")
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable"}  # why: in the log only
    assert client.get("/health").json() == {"status": "ok"}


def test_with_sqlite_unreachable_the_webhook_and_readiness_answer_503(
    tmp_path: Path, fake_graph: RunningFakeGraphApi
) -> None:
    """SQLite cannot open a file in a directory that does not exist."""
    url = f"sqlite:///{tmp_path / 'missing' / 'crm_whatsapp.db'}"
    settings = make_settings(url, fake_graph.base_url, migrate_on_start=False)
    with watched(TestClient(create_app(settings))) as client:
        assert_storage_is_down(client)


def test_with_postgresql_unreachable_the_webhook_and_readiness_answer_503_without_its_password(
    fake_graph: RunningFakeGraphApi,
) -> None:
    """A closed port. Served without the lifespan: it would wait 10 s for the event
    listener's connection, which is not what this test is about."""
    password = "pg-password-3e1f"
    url = f"postgresql+psycopg://postgres:{password}@127.0.0.1:1/test"
    settings = make_settings(url, fake_graph.base_url, migrate_on_start=False)
    database = Database(url)
    try:
        client = watched(TestClient(create_app(settings, overrides={Database: database})))
        assert_storage_is_down(client)
        for answer in (client.get("/ready"), client.get(API, headers=AUTH)):
            assert password not in answer.text
    finally:
        database.dispose()


# -- secrets -----------------------------------------------------------------------------


def test_the_openapi_document_holds_no_secret(client: TestClient) -> None:
    document = client.get("/openapi.json").text
    assert [secret for secret in SECRETS if secret in document] == []
