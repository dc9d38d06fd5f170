"""The real service for HTTP tests: ``create_app`` on SQLite and PostgreSQL, the fake Graph
API on loopback behind the real httpx gateway, and signed webhook bodies as Meta sends them.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from http_service_kit import LiveServer, make_settings
from starlette.applications import Starlette
from starlette.testclient import TestClient

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_asgi_app,
    running_fake_graph_api,
)
from crm_whatsapp.app import Settings, create_app


@pytest.fixture
def fake_graph() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api() as fake:
        yield fake


@pytest.fixture
def service_database(empty_database: Database) -> Database:
    """The service's database (SQLite and PostgreSQL), not migrated: the app migrates it."""
    return empty_database


@pytest.fixture
def settings(service_database: Database, fake_graph: RunningFakeGraphApi) -> Settings:
    return make_settings(
        service_database.url.render_as_string(hide_password=False), fake_graph.base_url
    )


@pytest.fixture
def app(settings: Settings, service_database: Database) -> Starlette:
    return create_app(settings, overrides={Database: service_database})


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def live_server(app: Starlette) -> Iterator[LiveServer]:
    """The app under uvicorn on a loopback port, with an httpx client pointed at it."""
    with running_asgi_app(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        yield LiveServer(base_url, http, app)
