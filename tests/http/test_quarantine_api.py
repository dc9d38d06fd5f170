"""The operators' reads of ingest over the real app (SQLite and PostgreSQL): what a signed
delivery held that could not be read waits in ``GET /api/v1/entregas-fallidas``, page by
page, with its place, its reason and its raw JSON, while its good neighbours are stored;
``GET /api/v1/salud-canal`` counts it. Bad parameters are refused naming them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from http_service_kit import API, AUTH, BUSINESS_NUMBER_ID, signed, text_webhook
from starlette.testclient import TestClient

from polling import processed

QUARANTINE = "/api/v1/entregas-fallidas"
HEALTH = "/api/v1/salud-canal"
ANA, BRUNO = "5215512345678", "5491155550000"
NO_ID = {"from": ANA, "type": "text", "timestamp": "1"}
"""A message Meta sent without its id: it cannot be stored (no wamid to deduplicate)."""


def deliver(client: TestClient, body: bytes) -> int:
    answer = client.post("/webhook", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text
    assert answer.json()["received"] is True
    delivery_id: int = answer.json()["delivery_id"]
    return delivery_id


def get(client: TestClient, path: str, **params: Any) -> Any:
    answer = client.get(path, params=params, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def deliveries(client: TestClient) -> dict[str, int]:
    """Bruno's good text; Ana's good text with a message without id in the same body; a
    body that is not JSON; a JSON array. The delivery id of each, read by the processor."""
    mixed = json.loads(text_webhook(ANA, "Hola"))
    mixed["entry"][0]["changes"][0]["value"]["messages"].append(NO_ID)
    ids = {
        "good": deliver(client, text_webhook(BRUNO, "Buenas")),
        "mixed": deliver(client, json.dumps(mixed).encode()),
        "not_json": deliver(client, b'{"object": '),
        "array": deliver(client, b"[]"),
    }
    processed(client.app)
    return ids


def test_what_could_not_be_read_waits_newest_first_and_its_neighbours_are_stored(
    client: TestClient, deliveries: dict[str, int]
) -> None:
    page = get(client, QUARANTINE)
    assert page["next_cursor"] is None
    items = page["items"]
    assert [i["delivery_id"] for i in items] == [
        deliveries["array"],
        deliveries["not_json"],
        deliveries["mixed"],
    ]
    assert {i["state"] for i in items} == {"open"}
    assert {i["attempts"] for i in items} == {0}
    assert {i["replayed_at"] for i in items} == {None}
    array, not_json, message = items
    assert (array["location"], array["raw"]) == ("body", "[]")
    assert (not_json["location"], not_json["raw"]) == ("body", '{"object": ')
    assert "JSON" in not_json["reason"]
    assert message["location"] == "entry[0].changes[0].value.messages[1]"
    assert json.loads(message["raw"]) == NO_ID
    assert "id" in message["reason"]
    assert message["field"] == "messages"
    assert message["business_number_id"] == BUSINESS_NUMBER_ID

    assert get(client, QUARANTINE, estado="todas")["items"] == items
    assert get(client, QUARANTINE, estado="abiertas")["items"] == items
    assert get(client, QUARANTINE, estado="reprocesadas")["items"] == []

    # Ana's good message, in the same body as the bad one, is stored, and Bruno's.
    conversations = get(client, API)["items"]
    assert sorted(c["customer"]["wa_id"] for c in conversations) == sorted([ANA, BRUNO])
    ana = next(c for c in conversations if c["customer"]["wa_id"] == ANA)
    messages = get(client, f"{API}/{ana['id']}/mensajes")["items"]
    assert [m["text"] for m in messages if m["direction"] == "inbound"] == ["Hola"]

    health = get(client, HEALTH)
    assert health["quarantine_open"] == 3
    assert health["pending_deliveries"] == 0
    assert health["oldest_pending_at"] is None


def test_walking_the_quarantine_lists_every_item_once(
    client: TestClient, deliveries: dict[str, int]
) -> None:
    everything = [i["id"] for i in get(client, QUARANTINE, limit=200)["items"]]
    pages: list[list[str]] = []
    cursor: str | None = None
    while len(pages) < 10:
        query: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = get(client, QUARANTINE, **query)
        pages.append([i["id"] for i in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [[item] for item in everything]
    assert len(everything) == 3


def test_bad_quarantine_parameters_are_refused_naming_them(
    client: TestClient, deliveries: dict[str, int], subtests: pytest.Subtests
) -> None:
    quarantine_cursor = get(client, QUARANTINE, limit=1)["next_cursor"]
    list_cursor = get(client, API, limit=1)["next_cursor"]
    assert quarantine_cursor
    assert list_cursor
    tampered = quarantine_cursor[:-2] + ("AA" if not quarantine_cursor.endswith("AA") else "BB")
    cases: list[tuple[str, str, dict[str, Any], str, str]] = [
        ("a state nobody has", QUARANTINE, {"estado": "cerradas"}, "invalid_query_parameter",
         "estado"),
        ("a state in capitals", QUARANTINE, {"estado": "ABIERTAS"}, "invalid_query_parameter",
         "estado"),
        ("a state too long", QUARANTINE, {"estado": "a" * 21}, "invalid_query_parameter",
         "estado"),
        ("a state twice", QUARANTINE, {"estado": ["todas", "abiertas"]},
         "invalid_query_parameter", "estado"),
        ("a limit of 0", QUARANTINE, {"limit": "0"}, "invalid_query_parameter", "limit"),
        ("a limit of 201", QUARANTINE, {"limit": "201"}, "invalid_query_parameter", "limit"),
        ("a limit in words", QUARANTINE, {"limit": "abc"}, "invalid_query_parameter", "limit"),
        ("a cursor never issued", QUARANTINE, {"cursor": "abc"}, "invalid_cursor", "cursor"),
        ("an altered cursor", QUARANTINE, {"cursor": tampered}, "invalid_cursor", "cursor"),
        ("an empty cursor", QUARANTINE, {"cursor": ""}, "invalid_query_parameter", "cursor"),
        ("a conversations cursor", QUARANTINE, {"cursor": list_cursor}, "invalid_cursor",
         "cursor"),
        ("a quarantine cursor for conversations", API, {"cursor": quarantine_cursor},
         "invalid_cursor", "cursor"),
        ("an unknown parameter", QUARANTINE, {"state": "open"}, "invalid_query_parameter",
         "state"),
        ("an unknown parameter of health", HEALTH, {"since": "2026-01-01"},
         "invalid_query_parameter", "since"),
    ]  # fmt: skip
    for what, path, params, code, name in cases:
        with subtests.test(what, params=params):
            answer = client.get(path, params=params, headers=AUTH)
            assert answer.status_code == 400, answer.text
            error = answer.json()["error"]
            assert error["code"] == code
            assert name in error["message"]
