"""The OpenAPI document is the contract the server keeps: walking it operation by operation,
each one refuses a request without a token (401), refuses each declared parameter just
outside its declared range (400 naming it), and answers a good request with a body that
matches the schema it declares."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from http_service_kit import API, AUTH, VERIFY_TOKEN, media_webhook, signed, text_webhook
from starlette.applications import Starlette
from starlette.testclient import TestClient

from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import DEFAULT_WABA_ID, RunningFakeGraphApi
from crm_whatsapp.adapters.whatsapp.fake_graph_api.customer_media import customer_media_message
from crm_whatsapp.app import Settings, create_app
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.ports import ClientLookup
from crm_whatsapp.testing import media_samples
from polling import processed, wait_until

ANA = "5215512345678"
CLIENT = "C-100"
GOOD_BODIES: dict[str, dict[str, Any]] = {
    "AgentReplyIn": {"agent": "Laura", "text": "Hola, ¿en qué te ayudo?"},
    "LinkClientIn": {"client_id": CLIENT},
    "TakeOverIn": {"agent": "Laura"},
    "AssignIn": {"agent": {"id": "laura", "name": "Laura"}},
    "StatusIn": {"status": "pending"},
    "NoteIn": {"text": "Pidió factura con RFC; llamar el lunes."},
    "CannedResponseIn": {
        "shortcut": "pago_pendiente",
        "title": "Pago pendiente",
        "text": "Hola {nombre}, tu pago sigue pendiente.",
    },
    "CannedResponseChangeIn": {"title": "Horario de atención"},
    "StartConversationIn": {
        "to": "+52 55 1234 5678",
        "template": {"name": "bienvenida", "language": "es"},
        "business_number_id": "106540352242922",
    },
}
GOOD_QUERY = {"q": "ana"}  # the one required query parameter (the client search)
STREAMS = {"text/event-stream"}
QUARANTINE = "/api/v1/entregas-fallidas"
ROWS_EXPECTED: dict[str, Callable[[Any], bool]] = {
    QUARANTINE: lambda page: len(page["items"]) == 1,
    "/api/v1/salud-canal": lambda health: (
        health["quarantine_open"] == 1
        and health["pending_deliveries"] == 0
        and [alert["kind"] for alert in health["latest_alerts"]] == ["account"]
    ),
}
"""Operations whose good answer must hold rows (``trouble`` stored them)."""


@pytest.fixture
def app(settings: Settings, service_database: Database) -> Starlette:
    clients = InMemoryClientLookup([(ClientRef(CLIENT, "Ana López"), [ANA])])
    # every secured operation is called without a token: more failures than the throttle's
    # budget for one address (the throttle has its own tests)
    patient = settings.model_copy(
        update={"auth_failures_per_minute": 10_000, "waba_id": DEFAULT_WABA_ID}
    )
    return create_app(patient, overrides={Database: service_database, ClientLookup: clients})


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer: dict[str, Any] = client.get("/openapi.json").json()
    return answer


@pytest.fixture
def conversation_id(client: TestClient) -> str:
    body = text_webhook(ANA, "Hola")
    assert client.post("/webhook", content=body, headers=signed(body)).status_code == 200
    processed(client.app)
    found: str = client.get(API, headers=AUTH).json()["items"][0]["id"]
    return found


@pytest.fixture
def canned_id(client: TestClient) -> str:
    """A canned response for the operations that change one (the walk's POST adds another,
    whose shortcut the conversation's expansion then uses)."""
    body = {"shortcut": "horario", "text": "Abrimos de 9 a 18 h."}
    saved = client.post("/api/v1/respuestas-rapidas", json=body, headers=AUTH)
    assert saved.status_code == 201, saved.text
    found: str = saved.json()["id"]
    return found


@pytest.fixture
def trouble(client: TestClient) -> None:
    """One delivery with a message Meta sent without its id (quarantined) and an alert
    about the account (a channel event): the operators' reads then have rows to show."""
    document = json.loads(text_webhook(ANA, "¿Siguen ahí?"))
    value = document["entry"][0]["changes"][0]["value"]
    value["messages"].append({"from": ANA, "type": "text", "timestamp": "1"})
    alert = {
        "entity_type": "WABA",
        "entity_id": "102290129340398",
        "alert_info": {"alert_severity": "WARNING", "alert_type": "TEST_ALERT"},
    }
    document["entry"][0]["changes"].append({"field": "account_alerts", "value": alert})
    body = json.dumps(document).encode()
    assert client.post("/webhook", content=body, headers=signed(body)).status_code == 200
    processed(client.app)


@pytest.fixture
def files(
    client: TestClient, fake_graph: RunningFakeGraphApi, conversation_id: str
) -> dict[str, str]:
    stored = customer_media_message(fake_graph.state, media_samples.jpeg(), "image/jpeg")
    failed = customer_media_message(fake_graph.state, media_samples.pdf(), "application/pdf")
    fake_graph.state.media.expire(failed["document"]["id"])
    for part, wamid in ((stored, "wamid.contract.stored"), (failed, "wamid.contract.failed")):
        body = media_webhook(ANA, part, wamid=wamid)
        assert client.post("/webhook", content=body, headers=signed(body)).status_code == 200

    def settled() -> dict[str, str] | None:
        items = client.get(f"{API}/{conversation_id}/mensajes", headers=AUTH).json()["items"]
        by_status = {m["media"]["status"]: m["id"] for m in items if m["media"]}
        if {"stored", "failed"} <= by_status.keys():
            return by_status
        return None

    return wait_until(settled, timeout=20, what="one file stored and one failed")


def every_operation(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method.upper(), spec)
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    ]


def concrete(
    path: str,
    conversation_id: str,
    files: dict[str, str] | None = None,
    canned_id: str = "r-1",
) -> str:
    """``files``: the id of a message whose file is stored, and of one whose fetch failed;
    ``canned_id``: a canned response's."""
    if files is not None:
        chosen = files["failed"] if path.endswith("/reintentar") else files["stored"]
        path = path.replace("{message_id}", chosen)
    return (
        path.replace("{conversation_id}", conversation_id)
        .replace("{cliente_id}", CLIENT)
        .replace("{numero}", ANA)
        .replace("{id}", canned_id)
        .replace("{shortcut}", GOOD_BODIES["CannedResponseIn"]["shortcut"])
    )


def body_for(spec: dict[str, Any]) -> dict[str, Any] | None:
    if "requestBody" not in spec:
        return None
    ref = spec["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return GOOD_BODIES[ref.rsplit("/", 1)[-1]]


def outside_the_range(schema: dict[str, Any]) -> list[str]:
    """Values just past each limit the document declares for a parameter."""
    values = []
    if schema["type"] == "integer":
        values.append("abc")
        if "minimum" in schema:
            values.append(str(schema["minimum"] - 1))
        if "maximum" in schema:
            values.append(str(schema["maximum"] + 1))
    elif schema["type"] == "boolean":
        values.append("maybe")
    if "enum" in schema:
        values.append("".join(map(str, schema["enum"])) + "x")  # none of its values
    if "maxLength" in schema:
        values.append("7" * (schema["maxLength"] + 1))
    return values


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def test_every_operation_with_security_answers_401_without_a_token(
    client: TestClient, document: dict[str, Any], subtests: pytest.Subtests
) -> None:
    secured = [op for op in every_operation(document) if "security" in op[2]]
    assert len(secured) >= 14
    for path, method, spec in secured:
        with subtests.test(f"{method} {path}"):
            answer = client.request(method, concrete(path, "c1"), json=body_for(spec))
            assert answer.status_code == 401, answer.text
            assert "401" in spec["responses"]
            error_schema = spec["responses"]["401"]["content"]["application/json"]["schema"]
            validator(document, error_schema).validate(answer.json())


def test_every_secured_operation_names_the_scope_it_needs(document: dict[str, Any]) -> None:
    """Scopes are enforced from the table: an operation added without one would be open to
    every token, read-only ones included."""
    unscoped = [
        f"{method} {path}"
        for path, method, spec in every_operation(document)
        if "security" in spec and "x-scope" not in spec
    ]
    assert unscoped == ["GET /api/v1/yo"]  # any valid token may ask who it is
    for path, method, spec in every_operation(document):
        if "x-scope" in spec:
            assert spec["x-scope"] in {"read", "reply", "manage"}, (method, path)
            assert "403" in spec["responses"], (method, path)


def test_every_declared_parameter_is_refused_just_outside_its_declared_range(
    client: TestClient,
    document: dict[str, Any],
    conversation_id: str,
    subtests: pytest.Subtests,
) -> None:
    checked: set[tuple[str, str, str, str]] = set()
    for path, method, spec in every_operation(document):
        for parameter in spec["parameters"]:
            for value in outside_the_range(parameter["schema"]):
                name = parameter["name"]
                if parameter["in"] == "path":
                    url = concrete(path.replace("{" + name + "}", value), conversation_id)
                    params: dict[str, str] = {}
                else:
                    url = concrete(path, conversation_id)
                    params = {**GOOD_QUERY, name: value} if _required(spec) else {name: value}
                with subtests.test(f"{method} {path}", parameter=name, value=value[:20]):
                    answer = client.request(
                        method, url, params=params, json=body_for(spec), headers=AUTH
                    )
                    assert answer.status_code in (400, 422), answer.text
                    assert str(answer.status_code) in spec["responses"]
                    assert name in answer.json()["error"]["message"]
                    checked.add((method, path, name, value))
    assert len(checked) >= 55  # every limit of every operation, not a lucky few
    quarantine = {(name, value) for _, path, name, value in checked if path == QUARANTINE}
    assert quarantine >= {
        ("estado", "7" * 21),
        ("limit", "abc"),
        ("limit", "0"),
        ("limit", "201"),
        ("cursor", "7" * 1001),
    }


@pytest.mark.usefixtures("trouble")
def test_every_operation_answers_a_good_request_with_the_schema_it_declares(
    client: TestClient,
    document: dict[str, Any],
    *,
    conversation_id: str,
    files: dict[str, str],
    canned_id: str,
    subtests: pytest.Subtests,
) -> None:
    answered: set[str] = set()
    for path, method, spec in every_operation(document):
        success = min(spec["responses"], key=int)
        content = spec["responses"][success].get("content", {})
        media_type = next(iter(content), None)  # None: an answer without a body
        if media_type in STREAMS:
            continue  # an endless stream: tests/http/test_live_events.py reads it
        with subtests.test(f"{method} {path}"):
            if path == "/webhook" and method == "POST":
                body = text_webhook(ANA, "¿Tienen envío?")
                answer = client.post(path, content=body, headers=signed(body))
                processed(client.app)  # read before the next operation counts the backlog
            elif path == "/webhook":
                answer = client.get(path, params=_subscription())
            else:
                params = GOOD_QUERY if "q" in _required(spec) else {}
                answer = client.request(
                    method,
                    concrete(path, conversation_id, files, canned_id),
                    params=params,
                    json=body_for(spec),
                    headers=AUTH,
                )
            assert answer.status_code == int(success), answer.text
            if media_type is None:
                assert answer.content == b""
            elif media_type != "*/*":  # a file answers with its own type
                assert answer.headers["content-type"].startswith(media_type)
            if media_type == "application/json":
                validator(document, content[media_type]["schema"]).validate(answer.json())
            if path in ROWS_EXPECTED:  # the schema is checked on a row, not on an empty list
                assert ROWS_EXPECTED[path](answer.json()), answer.text
            answered.add(path)
    assert ROWS_EXPECTED.keys() <= answered


def _required(spec: dict[str, Any]) -> set[str]:
    return {p["name"] for p in spec["parameters"] if p["in"] == "query" and p["required"]}


def _subscription() -> dict[str, str]:
    return {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
