"""The host CRM of embed_in_starlette.py, run whole: its own route, and crm_whatsapp mounted
at /whatsapp answering a customer through the fake Graph API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine, create_engine, insert, inspect
from starlette.testclient import TestClient

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import customer_text_webhook_body
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from crm_whatsapp.app import Settings
from examples.embed_in_starlette import clientes, create_host_app

APP_SECRET = "host-app-secret-42"
API_TOKEN = "host-crm-token-17-0c5d9e3a7b"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
BUSINESS_NUMBER_ID = "106540352242922"
T = TypeVar("T")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def host(engine: Engine) -> Iterator[tuple[TestClient, RunningFakeGraphApi]]:
    with running_fake_graph_api() as fake:
        settings = Settings(
            _env_file=None,
            app_secret=APP_SECRET,
            verify_token="verify-me",
            access_token="EAAG-host-token",
            api_tokens=API_TOKEN,
            graph_api_url=fake.base_url,
            outbox_poll_seconds=0.05,
        )
        app = create_host_app(engine, settings)
        with engine.begin() as connection:
            connection.execute(
                insert(clientes),
                [
                    {"id": 7, "nombre": "Ana López", "telefono": "55 1234 5678", "ciudad": "CDMX"},
                    {"id": 8, "nombre": "Beto Ruiz", "telefono": "no tiene", "ciudad": None},
                ],
            )
        with TestClient(app) as client:  # `with`: runs the host's lifespan, and so ours
            yield client, fake


def wait_for(condition: Callable[[], T | None], timeout: float = 10.0) -> T:
    deadline = time.monotonic() + timeout
    while (value := condition()) is None or value == []:
        if time.monotonic() > deadline:
            pytest.fail(f"nothing within {timeout}s")
        time.sleep(0.02)
    return value


def signed_text(wa_id: str, text: str) -> tuple[bytes, dict[str, str]]:
    body = customer_text_webhook_body(
        wa_id=wa_id,
        text=text,
        wamid=f"wamid.host.{time.monotonic_ns()}",
        timestamp=int(time.time()),
        phone_number_id=BUSINESS_NUMBER_ID,
        profile_name="Anita",
    )
    raw = json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, APP_SECRET)}


def test_the_hosts_own_routes_still_work(host: tuple[TestClient, RunningFakeGraphApi]) -> None:
    client, _ = host
    assert client.get("/clientes/7").json() == {
        "id": 7,
        "nombre": "Ana López",
        "telefono": "55 1234 5678",
        "ciudad": "CDMX",
    }
    assert client.get("/clientes/99").status_code == 404


def test_a_webhook_is_stored_linked_to_the_hosts_client_and_answered(
    host: tuple[TestClient, RunningFakeGraphApi], engine: Engine
) -> None:
    client, fake = host
    # WhatsApp writes Ana's Mexican mobile as 521 + 10 digits; the CRM has "55 1234 5678".
    raw, headers = signed_text("5215512345678", "Hola")
    answer = client.post("/whatsapp/webhook", content=raw, headers=headers)
    assert answer.status_code == 200
    assert answer.json()["received"] is True  # stored; the processor reads it right after

    [conversation] = wait_for(
        lambda: client.get("/whatsapp/api/v1/conversaciones-whatsapp", headers=AUTH).json()["items"]
    )
    assert conversation["client"] == {"id": "7", "name": "Ana López"}
    assert conversation["display_name"] == "Ana López"
    assert client.get("/whatsapp/api/v1/conversaciones-whatsapp").status_code == 401
    found = client.get("/whatsapp/api/v1/clientes-crm", params={"q": "lópez"}, headers=AUTH)
    assert found.json() == {"items": [{"id": "7", "name": "Ana López"}]}

    # The mounted app's outbox worker runs (the host entered its lifespan) and sends.
    [sent] = wait_for(fake.state.accepted)
    assert sent.recipient == "5215512345678"
    assert "Ana López" in sent.body["text"]["body"]

    # One SQLite file: the CRM's table beside ours, which carry the prefix.
    tables = set(inspect(engine).get_table_names())
    assert "clientes" in tables
    assert {"crm_whatsapp_conversations", "crm_whatsapp_messages"} <= tables


def test_an_unsigned_webhook_is_refused_at_the_mounted_path(
    host: tuple[TestClient, RunningFakeGraphApi],
) -> None:
    client, _ = host
    raw, _ = signed_text("5215512345678", "Hola")
    answer = client.post("/whatsapp/webhook", content=raw)
    assert answer.status_code == 401
    page = client.get("/whatsapp/api/v1/conversaciones-whatsapp", headers=AUTH).json()
    assert page["items"] == []


def test_the_mounted_openapi_document_names_its_prefix(
    host: tuple[TestClient, RunningFakeGraphApi],
) -> None:
    client, _ = host
    document = client.get("/whatsapp/openapi.json").json()
    assert document["servers"] == [{"url": "/whatsapp"}]
    assert "/api/v1/conversaciones-whatsapp" in document["paths"]
