"""The whole loop over a real server: webhook → stored → bot reply at the Graph API →
status webhooks → ticks in the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import httpx
from http_service_kit import API, AUTH, LiveServer, status_webhook, text_webhook, wait_for

from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi


def _acknowledged(answer: httpx.Response) -> int:
    """The delivery id of a webhook's 200: the body is stored (its reading comes after)."""
    assert answer.status_code == 200, answer.text
    ack = answer.json()
    assert set(ack) == {"received", "delivery_id"}
    assert ack["received"] is True
    assert isinstance(ack["delivery_id"], int)
    return int(ack["delivery_id"])


def _messages(live_server: LiveServer, conversation_id: str) -> list[dict[str, Any]]:
    answer = live_server.http.get(f"{API}/{conversation_id}/mensajes", headers=AUTH)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_customer_message_is_answered_and_its_ticks_reach_the_api(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    _acknowledged(live_server.post_webhook(text_webhook("5215512345678", "Hola", name="Ana")))

    sent = wait_for(fake_graph.state.requests)
    assert sent[0]["body"]["to"] == "5215512345678"
    assert "Hola" in sent[0]["body"]["text"]["body"]

    page = live_server.http.get(API, headers=AUTH).json()
    assert len(page["items"]) == 1
    conversation = page["items"][0]
    assert conversation["profile_name"] == "Ana"
    assert conversation["unread_count"] == 1
    inbound = [m for m in _messages(live_server, conversation["id"]) if m["direction"] == "inbound"]
    assert [m["text"] for m in inbound] == ["Hola"]

    def bot_reply() -> dict[str, object] | None:
        messages = _messages(live_server, conversation["id"])
        reply = next(m for m in messages if m["direction"] == "outbound")
        return reply if reply["wamid"] else None

    reply = wait_for(bot_reply)
    assert reply["delivery"]["status"] == "sent"
    assert reply["author"] == {"kind": "bot", "name": "bot"}

    for status in ("delivered", "read"):
        _acknowledged(
            live_server.post_webhook(status_webhook(str(reply["wamid"]), "5215512345678", status))
        )
        messages = _messages(live_server, conversation["id"])
        ticks = next(m for m in messages if m["id"] == reply["id"])["delivery"]
        assert ticks["status"] == status
    assert ticks["read_at"] is not None
    health = live_server.http.get("/api/v1/salud-canal", headers=AUTH).json()
    assert health["pending_deliveries"] == 0
    assert health["quarantine_open"] == 0


def test_a_duplicate_delivery_stores_nothing_and_is_answered_once(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    body = text_webhook("5491155550000", "precio", wamid="wamid.dup.1")
    _acknowledged(live_server.post_webhook(body))
    _acknowledged(live_server.post_webhook(body))  # Meta's retry: accepted, stored once
    wait_for(fake_graph.state.requests)
    time.sleep(0.3)  # give a wrong second reply the time to show up
    assert len(fake_graph.state.requests()) == 1

    page = live_server.http.get(API, headers=AUTH).json()
    assert len(page["items"]) == 1
    conversation = page["items"][0]
    assert conversation["unread_count"] == 1
    messages = _messages(live_server, conversation["id"])
    assert [(m["direction"], m["wamid"]) for m in messages if m["direction"] == "inbound"] == [
        ("inbound", "wamid.dup.1")
    ]
    assert len([m for m in messages if m["direction"] == "outbound"]) == 1
    quarantine = live_server.http.get(
        "/api/v1/entregas-fallidas", params={"estado": "todas"}, headers=AUTH
    )
    assert quarantine.json()["items"] == []  # a duplicate is no failure
