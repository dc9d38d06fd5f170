"""The service as an attacker meets it, for the hostile-input and secrets suites.

Fixtures live here (``tests/reliability/conftest.py`` belongs to another suite) and test
modules import the ones they use by name. The service is the real one: ``create_app`` on
SQLite and PostgreSQL, the fake Graph API on loopback behind the real gateway. What it
stored is counted straight from its tables, so "nothing partial" means every row of every
table, not what the API happens to show.

A signed webhook is answered once its body is stored; the service's processor reads it
right after. ``Service.post_webhook`` waits for that reading (``polling.processed``), so
what a test finds in the tables afterwards is what the body became.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from crm_whatsapp.adapters.http import OPERATIONS
from crm_whatsapp.adapters.http.operations import Operation
from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_asgi_app,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import customer_text_webhook_body
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from crm_whatsapp.app import Settings, create_app
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.ports import ClientLookup
from polling import processed

APP_SECRET = "hostile-app-secret-8d1c3f"
VERIFY_TOKEN = "hostile-verify-token-52ae"
ACCESS_TOKEN = "EAAG-hostile-access-token-e07b94"
API_TOKENS = ("hostile-api-token-one-61f0", "hostile-api-token-two-9b3d")
SECRETS = (APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN, *API_TOKENS)
"""What no answer, log line or document of the service may ever hold."""

BUSINESS_NUMBER_ID = "106540352242922"
API = "/api/v1/conversaciones-whatsapp"
QUARANTINE = "/api/v1/entregas-fallidas"
CHANNEL_HEALTH = "/api/v1/salud-canal"
AUTH = {"Authorization": f"Bearer {API_TOKENS[0]}"}
CLIENTS = [(ClientRef("C-100", "Ana López"), ["55 1234 5678"])]
POSTGRES_URL_VARIABLE = "CRM_WHATSAPP_TEST_POSTGRES_URL"


def make_settings(database_url: str, graph_api_url: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "access_token": ACCESS_TOKEN,
        "api_tokens": ",".join(API_TOKENS),
        "graph_api_url": graph_api_url,
        "outbox_poll_seconds": 0.05,
        "timezone": "America/Mexico_City",
        # these suites send thousands of odd credentials from one address on purpose, to see
        # each refused as documented; the throttle that would answer 429 after twenty has
        # its own tests (tests/http/test_agent_identities.py)
        "auth_failures_per_minute": 1_000_000,
    }
    values.update(changes)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}


def meta_body(wa_id: str, text: str, wamid: str, **changes: Any) -> dict[str, Any]:
    """One customer text as Meta sends it (a JSON document, to mutate before encoding)."""
    values: dict[str, Any] = {
        "wa_id": wa_id,
        "text": text,
        "wamid": wamid,
        "timestamp": int(time.time()),
        "phone_number_id": BUSINESS_NUMBER_ID,
        "profile_name": "Cliente",
    }
    values.update(changes)
    body: dict[str, Any] = customer_text_webhook_body(**values)
    return body


def encoded(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


def leaked_in(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def leaked_from(response: httpx.Response) -> list[str]:
    """The secrets in a response's body or headers."""
    response.read()
    text = response.content.decode("utf-8", "replace") + repr(response.headers.multi_items())
    return leaked_in(text)


@dataclass
class Service:
    """The app on one database, with a client for it; ``rows()`` counts every table."""

    client: httpx.Client
    app: Starlette
    database: Database
    fake_graph: RunningFakeGraphApi
    base_url: str | None = None
    """Set when a real server (uvicorn on loopback) answers, for raw requests."""

    def rows(self) -> dict[str, int]:
        """Rows per table, every table of ours (the tables existing is part of the answer),
        except the outbox's send-rate slots, which change as replies go out, not with
        what a request stores."""
        slots = self.database.tables.send_rate_slots
        tables = [t for t in self.database.tables.metadata.sorted_tables if t is not slots]
        with self.database.reader.connect() as connection:
            present = set(inspect(connection).get_table_names())
            assert {t.name for t in tables} <= present, "a table disappeared"
            return {
                t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                for t in tables
            }

    def stored_texts(self, wamids: list[str]) -> dict[str, str | None]:
        """The stored text of each message among ``wamids``."""
        messages = self.database.tables.messages
        query = select(messages.c.wamid, messages.c.text).where(messages.c.wamid.in_(wamids))
        with self.database.reader.connect() as connection:
            return {row.wamid: row.text for row in connection.execute(query)}

    def operations(self) -> list[Operation]:
        """Every endpoint the app routes, as it describes them."""
        return list(OPERATIONS)

    def post_webhook(
        self, body: bytes, headers: dict[str, str] | None = None, *, wait: bool = True
    ) -> httpx.Response:
        """POST the body (signed unless ``headers`` say otherwise); after a 200, with
        ``wait``, return once the processor has read it."""
        answer = self.client.post(
            "/webhook", content=body, headers=signed(body) if headers is None else headers
        )
        if wait and answer.status_code == 200:
            self.processed()
        return answer

    def processed(self) -> None:
        """Wait until the processor has read every delivery stored so far (it fails the
        test if the processor is stuck)."""
        processed(self.app)

    def quarantine(self) -> list[dict[str, Any]]:
        """Every quarantined item, open or replayed, newest first, as the API lists it."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"estado": "todas", "limit": 200}
        while True:
            answer = self.client.get(QUARANTINE, params=params, headers=AUTH)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            items += page["items"]
            if page["next_cursor"] is None:
                return items
            params["cursor"] = page["next_cursor"]

    def channel_health(self) -> dict[str, Any]:
        answer = self.client.get(CHANNEL_HEALTH, headers=AUTH)
        assert answer.status_code == 200, answer.text
        health: dict[str, Any] = answer.json()
        return health


def build_app(database: Database, fake_graph: RunningFakeGraphApi, **changes: Any) -> Starlette:
    """The service with one CRM client, on ``database`` (which it migrates)."""
    settings = make_settings(
        database.url.render_as_string(hide_password=False), fake_graph.base_url, **changes
    )
    clients = InMemoryClientLookup(CLIENTS, default_region="MX")
    return create_app(settings, overrides={Database: database, ClientLookup: clients})


def watch_for_leaks(client: httpx.Client) -> None:
    """Every answer the client gets is checked for secrets as it arrives."""
    client.event_hooks = {"request": [], "response": [_refuse_leaks]}


@pytest.fixture
def fake_graph() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api() as fake:
        yield fake


@pytest.fixture
def service(empty_database: Database, fake_graph: RunningFakeGraphApi) -> Iterator[Service]:
    """The service in process on SQLite and on PostgreSQL (``empty_database`` of
    tests/conftest.py); every answer is checked for leaked secrets."""
    app = build_app(empty_database, fake_graph)
    with TestClient(app, raise_server_exceptions=False) as client:
        watch_for_leaks(client)
        yield Service(client, app, empty_database, fake_graph)


@pytest.fixture
def live_service(empty_database: Database, fake_graph: RunningFakeGraphApi) -> Iterator[Service]:
    """The service under uvicorn on a loopback port: a real HTTP parser in front of it."""
    app = build_app(empty_database, fake_graph)
    with (
        running_asgi_app(app) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        watch_for_leaks(client)
        yield Service(client, app, empty_database, fake_graph, base_url)


@pytest.fixture(scope="module")
def module_postgresql() -> Iterator[Database]:
    """A PostgreSQL schema for a whole module (``empty_database`` costs a migration per
    test), dropped afterwards; missing PostgreSQL skips locally and fails under CI=true,
    as in tests/conftest.py."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        reason = f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}"
        if os.environ.get("CI"):
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason=reason)  # PostgreSQL missing locally; CI=true fails above
    schema = f"hostile_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    options = {"connect_args": {"options": f"-csearch_path={schema},public"}}
    database = Database(url, engine_options=options)
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _refuse_leaks(response: httpx.Response) -> None:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        leaks = leaked_in(repr(response.headers.multi_items()))  # a stream never ends
    else:
        leaks = leaked_from(response)
    assert not leaks, f"{response.request.url} leaked a secret"


def raw_exchange(base_url: str, request: bytes, timeout: float = 10.0) -> bytes:
    """Send bytes exactly as written (no client normalizes the path) and read the answer
    until the server closes the connection (send ``Connection: close``)."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP/1.1 answer."""
    return int(answer.split(b" ", 2)[1])
