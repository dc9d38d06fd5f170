"""The whole loop over a real server: webhook → stored → bot reply at the Graph API →
status webhooks → ticks in the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from http_service_kit import API, AUTH, LiveServer, status_webhook, text_webhook, wait_for

from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi


def test_a_customer_message_is_answered_and_its_ticks_reach_the_api(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    answer = live_server.post_webhook(text_webhook("5215512345678", "Hola", name="Ana"))
    assert answer.status_code == 200
    assert answer.json() == {"messages": 1, "duplicates": 0, "statuses": 0}

    sent = wait_for(fake_graph.state.requests)
    assert sent[0]["body"]["to"] == "5215512345678"
    assert "Hola" in sent[0]["body"]["text"]["body"]

    page = live_server.http.get(API, headers=AUTH).json()
    conversation = page["items"][0]
    assert conversation["profile_name"] == "Ana"
    assert conversation["unread_count"] == 1

    def bot_reply() -> dict[str, object] | None:
        messages = live_server.http.get(
            f"{API}/{conversation['id']}/mensajes", headers=AUTH
        ).json()["items"]
        reply = next(m for m in messages if m["direction"] == "outbound")
        return reply if reply["wamid"] else None

    reply = wait_for(bot_reply)
    assert reply["delivery"]["status"] == "sent"
    assert reply["author"] == {"kind": "bot", "name": "bot"}

    for status in ("delivered", "read"):
        ack = live_server.post_webhook(status_webhook(reply["wamid"], "5215512345678", status))
        assert ack.status_code == 200
        assert ack.json()["statuses"] == 1
    messages = live_server.http.get(f"{API}/{conversation['id']}/mensajes", headers=AUTH).json()
    ticks = next(m for m in messages["items"] if m["id"] == reply["id"])["delivery"]
    assert ticks["status"] == "read"
    assert ticks["read_at"] is not None


def test_a_duplicate_delivery_stores_nothing_and_is_answered_once(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    body = text_webhook("5491155550000", "precio", wamid="wamid.dup.1")
    first = live_server.post_webhook(body)
    again = live_server.post_webhook(body)
    assert first.json()["duplicates"] == 0
    assert again.json()["duplicates"] == 1
    wait_for(fake_graph.state.requests)
    time.sleep(0.3)  # give a wrong second reply the time to show up
    assert len(fake_graph.state.requests()) == 1
