"""``GET /ready`` answers anyone, so it says nothing but its status; why the service is not
ready goes to the log, and the ingest backlog to operators with a token."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from http_service_kit import AUTH, make_settings, signed, text_webhook
from starlette.testclient import TestClient

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi
from crm_whatsapp.app import create_app

HEALTH = "/api/v1/salud-canal"


def test_ready_tells_anyone_its_status_and_nothing_of_the_backlog(
    tmp_path: Path, fake_graph: RunningFakeGraphApi
) -> None:
    """Attack: reconnaissance without a token. The webhook backlog and the quarantine's
    size say how busy the service is and how far behind, which helps time a flood; they
    are for operators, behind the API token, at ``GET /api/v1/salud-canal``."""
    settings = make_settings(
        f"sqlite:///{tmp_path / 'ready.db'}", fake_graph.base_url, ingest_in_process=False
    )
    with TestClient(create_app(settings)) as client:
        body = text_webhook("5215512345678", "Hola")
        assert client.post("/webhook", content=body, headers=signed(body)).status_code == 200

        ready = client.get("/ready")

        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        assert client.get(HEALTH).status_code == 401
        health = client.get(HEALTH, headers=AUTH).json()
        assert (health["pending_deliveries"], health["quarantine_open"]) == (1, 0)
        assert health["oldest_pending_seconds"] >= 0
        assert health["oldest_pending_at"] is not None


def test_an_unready_service_tells_its_log_why_not_the_caller(
    tmp_path: Path, fake_graph: RunningFakeGraphApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Attack: reconnaissance through errors. A 503 that quoted the driver's message told
    anyone where the database is (a host, a file's path) and which software it runs."""
    folder = tmp_path / "srv-data-7f3a"  # never created: SQLite cannot open the file
    settings = make_settings(
        f"sqlite:///{folder / 'crm.db'}", fake_graph.base_url, migrate_on_start=False
    )
    client = TestClient(create_app(settings))  # no lifespan: it would create the tables

    with caplog.at_level(logging.WARNING, logger="crm_whatsapp.http"):
        ready = client.get("/ready")

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable"}
    assert ready.headers["retry-after"] == "5"
    assert "srv-data-7f3a" not in ready.text
    assert "not ready" in caplog.text
    assert "srv-data-7f3a" in caplog.text  # the operator learns why


def test_the_log_of_an_unready_service_holds_no_database_password(
    fake_graph: RunningFakeGraphApi, caplog: pytest.LogCaptureFixture
) -> None:
    password = "pg-ready-password-91c2"
    url = f"postgresql+psycopg://crm:{password}@127.0.0.1:1/crm"
    settings = make_settings(url, fake_graph.base_url, migrate_on_start=False)
    database = Database(url)
    try:
        client = TestClient(create_app(settings, overrides={Database: database}))
        with caplog.at_level(logging.WARNING, logger="crm_whatsapp.http"):
            ready = client.get("/ready")
    finally:
        database.dispose()

    assert ready.json() == {"status": "unavailable"}
    assert "127.0.0.1" not in ready.text
    assert "not ready" in caplog.text
    assert password not in caplog.text
