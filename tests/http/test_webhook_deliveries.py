"""What the webhook answers Meta, and what it keeps.

A body without the right signature is a 401 that stores nothing, not even the body. A
correctly signed body is never refused for its content: Meta would retry a refused body
for days and then drop it, the good messages in it with the bad. It is stored, answered
200, and read right after; what cannot be read is quarantined
(``GET /api/v1/entregas-fallidas``) and the rest of the body is stored.
"""

from __future__ import annotations

import json

import httpx
import pytest
from http_service_kit import API, AUTH, leaked_secrets, signed, text_webhook
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER
from polling import processed

ANA = "5215512345678"
QUARANTINE = "/api/v1/entregas-fallidas"


def refuse_leaks(response: httpx.Response) -> None:
    assert not leaked_secrets(response), f"{response.request.url} leaked a secret"


@pytest.fixture
def client(client: TestClient) -> TestClient:
    """conftest's client, every answer of which is checked for leaked secrets."""
    client.event_hooks = {"request": [], "response": [refuse_leaks]}
    return client


def deliveries(database: Database) -> int:
    """Webhook bodies in the journal."""
    table = database.tables.ingest.deliveries
    with database.reader.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def inbound_texts(client: TestClient) -> list[str]:
    conversations = client.get(API, headers=AUTH).json()["items"]
    assert len(conversations) == 1
    messages = client.get(f"{API}/{conversations[0]['id']}/mensajes", headers=AUTH).json()
    return [m["text"] for m in messages["items"] if m["direction"] == "inbound"]


def test_badly_signed_webhook_deliveries_are_refused_and_store_nothing(
    client: TestClient, service_database: Database, subtests: pytest.Subtests
) -> None:
    good = text_webhook(ANA, "Hola")
    cases: list[tuple[str, dict[str, str]]] = [
        ("no signature", {"Content-Type": "application/json"}),
        ("a malformed signature", {SIGNATURE_HEADER: "sha256=zz"}),
        ("the signature of another body", signed(good + b" ")),
        ("a signature with another secret", signed(good, "not-the-app-secret")),
    ]
    for what, headers in cases:
        with subtests.test(what):
            answer = client.post("/webhook", content=good, headers=headers)
            assert answer.status_code == 401, answer.text
            assert answer.headers["content-type"] == "application/json"
            error = answer.json()["error"]
            assert set(error) == {"code", "message"}
            assert error["code"] == "invalid_signature"
            assert SIGNATURE_HEADER in error["message"]
    with subtests.test("nothing was stored, not even the body"):
        assert deliveries(service_database) == 0
        assert client.get(API, headers=AUTH).json()["items"] == []
        assert client.get(QUARANTINE, headers=AUTH).json()["items"] == []


def test_signed_webhook_deliveries_that_cannot_be_read_are_stored_and_quarantined(
    app: Starlette, client: TestClient, service_database: Database, subtests: pytest.Subtests
) -> None:
    good = text_webhook(ANA, "Hola")
    two_messages = json.loads(good)
    value = two_messages["entry"][0]["changes"][0]["value"]
    value["messages"].append({"from": ANA, "type": "text", "timestamp": "1"})  # no id
    wrong_object = {**json.loads(good), "object": "page"}
    second = "entry[0].changes[0].value.messages[1]"
    cases: list[tuple[str, bytes, str, str]] = [
        ("malformed JSON", b'{"object": ', "body", "not JSON"),
        ("a JSON array", b"[]", "body", "not a WhatsApp Business Account webhook"),
        ("another object", json.dumps(wrong_object).encode(), "body",
         "not a WhatsApp Business Account webhook"),
        ("a good message and a bad one", json.dumps(two_messages).encode(), second, "id"),
    ]  # fmt: skip
    acknowledged: dict[int, tuple[str, str, bytes]] = {}
    for what, body, location, reason in cases:
        with subtests.test(what):
            answer = client.post("/webhook", content=body, headers=signed(body))
            assert answer.status_code == 200, answer.text
            ack = answer.json()
            assert set(ack) == {"received", "delivery_id"}
            assert ack["received"] is True
            acknowledged[ack["delivery_id"]] = (location, reason, body)
    assert len(acknowledged) == len(cases) == deliveries(service_database)
    processed(app)
    items = client.get(QUARANTINE, headers=AUTH).json()["items"]
    for item in items:
        location, reason, body = acknowledged[item["delivery_id"]]
        with subtests.test("quarantined", location=location, reason=reason):
            assert item["location"] == location
            assert reason in item["reason"]
            if location == "body":
                assert item["raw"] == body.decode()
            else:
                assert json.loads(item["raw"]) == value["messages"][1]
    with subtests.test("each body quarantined once"):
        assert sorted(item["delivery_id"] for item in items) == sorted(acknowledged)
    with subtests.test("the good message beside the bad one was stored"):
        assert inbound_texts(client) == ["Hola"]
    with subtests.test("the good body alone is then a duplicate, stored once"):
        assert client.post("/webhook", content=good, headers=signed(good)).status_code == 200
        processed(app)
        assert inbound_texts(client) == ["Hola"]
        health = client.get("/api/v1/salud-canal", headers=AUTH).json()
        assert (health["pending_deliveries"], health["quarantine_open"]) == (0, len(cases))
