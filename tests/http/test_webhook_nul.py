"""A NUL character in a webhook (PostgreSQL cannot store it) keeps the message, altered.

Before: on PostgreSQL the body failed with a 500 on every retry, so the message, and every
other message of the same body, was never stored.
"""

from __future__ import annotations

from http_service_kit import API, AUTH, signed, text_webhook
from starlette.testclient import TestClient

from crm_whatsapp.adapters.whatsapp.webhook import parse_webhook
from polling import processed


def test_a_nul_in_text_and_profile_name_is_stored_as_a_replacement_character(
    client: TestClient,
) -> None:
    body = text_webhook("5215512345678", "Ho\u0000la", name="An\u0000a")
    assert b"\\u0000" in body
    answer = client.post("/webhook", content=body, headers=signed(body))
    assert answer.status_code == 200
    assert answer.json()["received"] is True
    processed(client.app)
    conversations = client.get(API, headers=AUTH).json()["items"]
    assert len(conversations) == 1
    conversation = conversations[0]
    assert conversation["profile_name"] == "An\ufffda"
    messages = client.get(f"{API}/{conversation['id']}/mensajes", headers=AUTH).json()["items"]
    inbound = [m for m in messages if m["direction"] == "inbound"]
    assert [m["text"] for m in inbound] == ["Ho\ufffdla"]
    assert client.get("/api/v1/salud-canal", headers=AUTH).json()["quarantine_open"] == 0


def test_parsing_replaces_nul_everywhere_including_the_raw_payload() -> None:
    body = text_webhook("5215512345678", "a\u0000b")
    message = parse_webhook(body).messages[0]
    assert message.text == "a\ufffdb"
    assert message.raw is not None
    assert "\\u0000" not in message.raw
    assert "\x00" not in message.raw
