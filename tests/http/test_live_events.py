"""Server-sent events over a real server: what is stored is announced as it happens, on
SQLite (one process) and PostgreSQL (LISTEN/NOTIFY, so also from one instance to another)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from http_service_kit import (
    API,
    AUTH,
    LiveServer,
    make_settings,
    signed,
    status_webhook,
    text_webhook,
    wait_for,
)

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi, running_asgi_app
from crm_whatsapp.app import create_app

EVENTS = f"{API}/eventos"
ANA, BRUNO = "5215512345678", "5491155550000"
READ_TIMEOUT = 5.0
"""Longest silence allowed while an event is expected (the keep-alive comes every 15 s)."""


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]


class EventStream:
    """The events of one open ``/eventos`` response, read line by line."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        self._lines = response.iter_lines()
        self.seen: list[Event] = []

    def wait_connected(self) -> None:
        """Read up to the ``: connected`` comment: from then on the server is subscribed."""
        for line in self._lines:
            if line == ": connected":
                return
        pytest.fail("the stream ended before it said it was connected")

    def until(self, wanted: Callable[[Event], bool], timeout: float = 10.0) -> list[Event]:
        """Every event up to and including the first ``wanted`` one; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        kind, data = "message", ""
        try:
            for line in self._lines:
                if time.monotonic() > deadline:
                    break
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = line.removeprefix("data: ")
                elif line == "" and data:
                    event = Event(kind, json.loads(data))
                    self.seen.append(event)
                    kind, data = "message", ""
                    if wanted(event):
                        return list(self.seen)
        except httpx.ReadTimeout:
            pass
        pytest.fail(f"no wanted event within {timeout}s; seen: {self.seen}")


@contextmanager
def events(server: LiveServer | str, query: dict[str, str] | None = None) -> Iterator[EventStream]:
    base_url = server if isinstance(server, str) else server.base_url
    timeout = httpx.Timeout(10.0, read=READ_TIMEOUT)
    with (
        httpx.Client(base_url=base_url, timeout=timeout) as http,
        http.stream("GET", EVENTS, params=query, headers=AUTH) as response,
    ):
        stream = EventStream(response)
        stream.wait_connected()
        yield stream


def changed(conversation_id: str | None = None) -> Callable[[Event], bool]:
    return lambda e: (
        e.type == "conversation_changed"
        and (conversation_id is None or e.data["conversation_id"] == conversation_id)
    )


def conversation_of(http: httpx.Client, wa_id: str) -> dict[str, Any]:
    page = http.get(API, params={"limit": 200}, headers=AUTH).json()
    return next(c for c in page["items"] if c["customer"]["wa_id"] == wa_id)


def messages_of(http: httpx.Client, conversation_id: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = http.get(
        f"{API}/{conversation_id}/mensajes", headers=AUTH
    ).json()["items"]
    return messages


def test_a_customer_message_is_announced_as_stored_and_as_a_changed_conversation(
    live_server: LiveServer,
) -> None:
    with events(live_server) as stream:
        assert live_server.post_webhook(text_webhook(ANA, "Hola")).status_code == 200
        seen = stream.until(changed())
    conversation = conversation_of(live_server.http, ANA)["id"]
    inbound, reply = sorted(
        messages_of(live_server.http, conversation), key=lambda m: m["direction"]
    )
    assert [e.type for e in seen] == ["message_stored", "message_stored", "conversation_changed"]
    assert seen[0].data == {
        "type": "message_stored",
        "conversation_id": conversation,
        "message_id": inbound["id"],
    }
    assert seen[1].data["message_id"] == reply["id"]  # the bot's answer, stored with it
    assert seen[2].data == {"type": "conversation_changed", "conversation_id": conversation}


def test_a_status_webhook_is_announced_as_a_delivery_status_change(
    live_server: LiveServer,
) -> None:
    live_server.post_webhook(text_webhook(ANA, "Hola"))
    conversation = conversation_of(live_server.http, ANA)["id"]

    def sent_reply() -> dict[str, Any] | None:
        reply = next(
            m for m in messages_of(live_server.http, conversation) if m["direction"] == "outbound"
        )
        return reply if reply["wamid"] else None

    reply = wait_for(sent_reply)
    with events(live_server) as stream:
        answer = live_server.post_webhook(status_webhook(reply["wamid"], ANA, "delivered"))
        assert answer.status_code == 200
        assert answer.json()["received"] is True
        seen = stream.until(lambda e: e.type == "delivery_status_changed")
    ticks = next(m for m in messages_of(live_server.http, conversation) if m["id"] == reply["id"])
    assert ticks["delivery"]["status"] == "delivered"
    assert seen[-1].data == {
        "type": "delivery_status_changed",
        "conversation_id": conversation,
        "message_id": reply["id"],
        "status": "delivered",
    }


def test_a_stream_can_follow_one_conversation_only(live_server: LiveServer) -> None:
    live_server.post_webhook(text_webhook(ANA, "Hola"))
    ana = conversation_of(live_server.http, ANA)["id"]
    with events(live_server, {"conversation_id": ana}) as stream:
        live_server.post_webhook(text_webhook(BRUNO, "Hola"))  # announced first, not here
        live_server.post_webhook(text_webhook(ANA, "¿Siguen ahí?"))
        seen = stream.until(changed(ana))
    assert {e.data["conversation_id"] for e in seen} == {ana}
    # Ana's message and the bot's answer (and maybe the tick of her first answer, sent
    # meanwhile by the outbox), then her conversation.
    stored = [e for e in seen if e.type == "message_stored"]
    assert len(stored) == 2
    assert {e.data["message_id"] for e in stored} <= {
        m["id"] for m in messages_of(live_server.http, ana)
    }


def test_the_stream_needs_the_token_and_known_parameters(live_server: LiveServer) -> None:
    without = live_server.http.get(EVENTS)
    assert without.status_code == 401
    assert without.json()["error"]["code"] == "unauthorized"
    assert without.headers["www-authenticate"].startswith("Bearer")
    wrong = live_server.http.get(EVENTS, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    unknown = live_server.http.get(EVENTS, params={"conversation": "x"}, headers=AUTH)
    assert unknown.status_code == 400
    assert "conversation" in unknown.json()["error"]["message"]


def test_on_postgresql_a_message_received_by_one_instance_is_announced_by_another(
    postgresql_database: Database, fake_graph: RunningFakeGraphApi
) -> None:
    """Two apps over one database, as behind a load balancer: Meta's webhook reaches
    instance A, the inbox listens to instance B."""
    url = postgresql_database.url.render_as_string(hide_password=False)
    settings = make_settings(url, fake_graph.base_url, migrate_on_start=False)
    other = Database(postgresql_database.url, engine_options=postgresql_database.engine_options)
    app_a = create_app(settings, overrides={Database: postgresql_database})
    app_b = create_app(settings, overrides={Database: other})
    try:
        with (
            running_asgi_app(app_a) as url_a,
            running_asgi_app(app_b) as url_b,
            httpx.Client(base_url=url_a, timeout=10) as http_a,
            httpx.Client(base_url=url_b, timeout=10) as http_b,
            events(url_b) as stream_b,
        ):
            body = text_webhook(ANA, "Hola")
            assert http_a.post("/webhook", content=body, headers=signed(body)).status_code == 200
            seen = stream_b.until(changed())
            conversation = conversation_of(http_b, ANA)["id"]
            assert seen[-1].data["conversation_id"] == conversation
            stored = {e.data["message_id"] for e in seen if e.type == "message_stored"}
            assert {m["id"] for m in messages_of(http_b, conversation)} == stored
            assert conversation_of(http_a, ANA)["id"] == conversation
    finally:
        other.dispose()
