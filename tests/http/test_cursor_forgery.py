"""Over HTTP, a page cursor works only where the service made it: on the listing and the
conversation it came from, signed with the deployment's key (which survives a restart)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_service_kit import API, AUTH, make_settings, signed, text_webhook
from starlette.testclient import TestClient

from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi
from crm_whatsapp.app import Settings, create_app
from polling import processed

ANA, LUIS = "5215511110001", "5215511110002"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cursors.db'}"


def serve(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture
def client(url: str, fake_graph: RunningFakeGraphApi) -> Iterator[TestClient]:
    """Two conversations of three messages each."""
    with serve(make_settings(url, fake_graph.base_url)) as client:
        for wa_id in (ANA, LUIS):
            for n in range(3):
                body = text_webhook(wa_id, f"mensaje {n}")
                assert client.post("/webhook", content=body, headers=signed(body)).is_success
        processed(client.app)
        yield client


def conversation_id(client: TestClient, wa_id: str) -> str:
    [conversation] = client.get(f"{API}/numero/{wa_id}", headers=AUTH).json()["items"]
    return str(conversation["id"])


def next_cursor(client: TestClient, path: str) -> str:
    cursor = client.get(path, params={"limit": 1}, headers=AUTH).json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def refused(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 400, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] == "invalid_cursor"
    assert "cursor" in error["message"]
    return error


def test_a_cursor_from_one_conversation_is_refused_on_another(client: TestClient) -> None:
    """Attack: reading a conversation's messages through a cursor issued for another (a
    position the client was never given there), to steer the seek."""
    ana, luis = conversation_id(client, ANA), conversation_id(client, LUIS)
    cursor = next_cursor(client, f"{API}/{ana}/mensajes")

    own = client.get(f"{API}/{ana}/mensajes", params={"cursor": cursor}, headers=AUTH)
    other = client.get(f"{API}/{luis}/mensajes", params={"cursor": cursor}, headers=AUTH)

    assert own.status_code == 200
    assert own.json()["items"]  # the rest of Ana's conversation (with the bot's replies)
    refused(other)


def test_a_conversations_cursor_is_refused_on_messages(client: TestClient) -> None:
    cursor = next_cursor(client, API)
    ana = conversation_id(client, ANA)
    refused(client.get(f"{API}/{ana}/mensajes", params={"cursor": cursor}, headers=AUTH))


def test_a_cursor_forged_with_the_old_public_checksum_is_refused(client: TestClient) -> None:
    """Attack: forging a cursor for a position of one's choice; the old checksum was a
    plain sha256 anyone could compute."""
    payload = json.dumps(["c", "2999-01-01T00:00:00+00:00", "zzz"], separators=(",", ":"))
    token = json.dumps([payload, hashlib.sha256(payload.encode()).hexdigest()[:12]])
    forged = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")

    refused(client.get(API, params={"cursor": forged}, headers=AUTH))


def test_a_cursor_signed_with_another_key_is_refused(
    client: TestClient, url: str, fake_graph: RunningFakeGraphApi
) -> None:
    """Attack: a cursor made by another installation (or any key but this deployment's)."""
    cursor = next_cursor(client, API)
    other = make_settings(url, fake_graph.base_url, cursor_key="another-deployments-key-01")
    with serve(other) as stranger:
        refused(stranger.get(API, params={"cursor": cursor}, headers=AUTH))


def test_cursors_survive_a_restart_and_work_on_every_server_of_the_deployment(
    client: TestClient, url: str, fake_graph: RunningFakeGraphApi
) -> None:
    cursor = next_cursor(client, API)
    with serve(make_settings(url, fake_graph.base_url)) as restarted:
        answer = restarted.get(API, params={"cursor": cursor, "limit": 1}, headers=AUTH)
    assert answer.status_code == 200
    assert len(answer.json()["items"]) == 1


def test_a_configured_cursor_key_is_shared_by_servers_whatever_their_other_secrets(
    url: str, fake_graph: RunningFakeGraphApi
) -> None:
    shared = "the-deployments-cursor-key-77"
    one = make_settings(url, fake_graph.base_url, cursor_key=shared, signing_key="k" * 16)
    two = make_settings(url, fake_graph.base_url, cursor_key=shared, signing_key="j" * 16)
    with serve(one) as first, serve(two) as second:
        for wa_id in (ANA, LUIS):
            body = text_webhook(wa_id, "hola")
            assert first.post("/webhook", content=body, headers=signed(body)).is_success
        processed(first.app)
        cursor = next_cursor(first, API)
        assert second.get(API, params={"cursor": cursor}, headers=AUTH).status_code == 200
