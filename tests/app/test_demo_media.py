"""The demo's customers send real files: the committed photo, voice note and PDF, held where
the service fetches them (the fake Graph API live, the in-memory gateway for the history),
so every media message ends ``stored`` and ``GET /api/v1/medios/{id}`` serves the file
byte for byte."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from sqlalchemy import select

import crm_whatsapp.app
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.runner import running_asgi_app
from crm_whatsapp.app import Settings
from crm_whatsapp.app.asgi import create_app
from crm_whatsapp.app.cli import APP_SECRET_ENV, main
from crm_whatsapp.app.demo import (
    DemoOptions,
    MessageStream,
    demo_customers,
    demo_settings,
    prepare_demo_database,
)
from crm_whatsapp.app.demo_files import held_by_fake
from polling import wait_until

TOKEN = "demo-media-test-token-6b20f1"
COMMITTED = Path(crm_whatsapp.app.__file__).parent / "demo_media"
FILE_OF_KIND = {"image": "photo.jpg", "audio": "voice.ogg", "document": "cotizacion.pdf"}
TYPE_OF_KIND = {"image": "image/jpeg", "audio": "audio/ogg", "document": "application/pdf"}


def media_rows(settings: Settings, wamid_prefix: str) -> list[Any]:
    database = Database(settings.database_url.get_secret_value())
    try:
        m = database.tables.messages
        query = select(m.c.id, m.c.kind, m.c.media_status, m.c.media_sha256, m.c.created_at)
        query = query.where(m.c.media_status.is_not(None), m.c.wamid.startswith(wamid_prefix))
        with database.reader.connect() as connection:
            return list(connection.execute(query))
    finally:
        database.dispose()


def served(base_url: str, message_id: str) -> httpx.Response:
    return httpx.get(
        f"{base_url}/api/v1/medios/{message_id}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )


def assert_served_as_committed(base_url: str, rows: list[Any]) -> None:
    """Every kind is there, and one message of each serves its committed file."""
    first_of_kind = {row.kind: row for row in sorted(rows, key=lambda row: row.created_at)}
    assert set(first_of_kind) == set(FILE_OF_KIND), rows
    for kind, row in first_of_kind.items():
        committed = (COMMITTED / FILE_OF_KIND[kind]).read_bytes()
        assert row.media_sha256 == hashlib.sha256(committed).hexdigest()
        answer = served(base_url, row.id)
        assert answer.status_code == 200, answer.text
        assert answer.content == committed
        assert answer.headers["content-type"].startswith(TYPE_OF_KIND[kind])


def test_the_history_s_files_are_stored_from_the_start_and_served_as_committed(
    tmp_path: Path,
) -> None:
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    settings = demo_settings(base, tmp_path, TOKEN, "http://127.0.0.1:9")

    history = prepare_demo_database(settings, DemoOptions(history_days=14, seed=2026))

    rows = media_rows(settings, "wamid.demo.history.")
    assert history.customer_messages > len(rows) >= 10
    assert {row.media_status for row in rows} == {"stored"}
    newest = max(row.created_at for row in rows)
    assert any(newest - row.created_at > timedelta(days=7) for row in rows)  # past Meta's 7
    stored = {path.name for path in (tmp_path / "media").rglob("*") if path.is_file()}
    assert len(stored) == 3  # one object per file, however many messages share it
    assert all(any(row.media_sha256 in name for name in stored) for row in rows)
    with running_asgi_app(create_app(settings)) as base_url:
        assert_served_as_committed(base_url, rows)


@dataclass
class LiveDemo:
    """The demo's service and fake Graph API, running in this process."""

    settings: Settings
    fake: RunningFakeGraphApi
    base_url: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    folder = tmp_path_factory.mktemp("demo")
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    settings = demo_settings(base, folder, TOKEN, "http://127.0.0.1:9")
    prepare_demo_database(settings, DemoOptions(history_days=0, seed=2026))
    with running_fake_graph_api(access_token=settings.secret("access_token"), seed=2026) as fake:
        settings = settings.model_copy(
            update={"graph_api_url": fake.base_url, "outbox_poll_seconds": 0.2}
        )
        with running_asgi_app(create_app(settings)) as base_url:
            yield LiveDemo(settings, fake, base_url)


def test_live_customers_send_files_the_fake_holds_and_the_service_fetches(
    live: LiveDemo,
) -> None:
    stream = MessageStream(
        f"{live.base_url}/webhook",
        live.settings.secret("app_secret"),
        demo_customers(2026)[1],
        (0.02, 0.05),
        seed=2026,
        files=held_by_fake(live.fake.state),
    )
    stream.start()
    try:

        def every_kind_stored() -> list[Any] | None:
            rows = media_rows(live.settings, "wamid.demo.live.")
            kinds = {row.kind for row in rows if row.media_status == "stored"}
            return rows if kinds == set(FILE_OF_KIND) else None

        wait_until(every_kind_stored, timeout=60, what="a stored photo, voice note and PDF")
    finally:
        stream.stop()

    def all_stored() -> list[Any] | None:  # those posted last may still be fetching
        rows = media_rows(live.settings, "wamid.demo.live.")
        return rows if {row.media_status for row in rows} == {"stored"} else None

    rows = wait_until(all_stored, timeout=20, what="every live file stored")
    assert_served_as_committed(live.base_url, rows)
    held = {media["sha256"] for media in httpx.get(f"{live.fake.base_url}/__media").json()}
    assert {row.media_sha256 for row in rows} <= held
    downloads = [r for r in live.fake.state.media_requests() if r["endpoint"] == "download"]
    assert len(downloads) >= len(rows)  # each fetched from the fake, as from Meta


def simulate(live: LiveDemo, *args: str) -> int:
    """``crm-whatsapp simulate`` against the demo, its app secret in the environment."""
    with mock.patch.dict(os.environ, {APP_SECRET_ENV: live.settings.secret("app_secret")}):
        return main(["simulate", "--to", f"{live.base_url}/webhook", *args])


def test_simulate_attaches_a_file_the_fake_graph_api_holds(
    live: LiveDemo, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--from", "+52 1 55 9000 0001", "--fake-graph-api", live.fake.base_url]

    assert simulate(live, *args, "--attach", "pdf", "La cotización firmada") == 0

    wamid = capsys.readouterr().out.split("wamid: ", 1)[1].strip()
    (row,) = wait_until(
        lambda: [r for r in media_rows(live.settings, wamid) if r.media_status == "stored"],
        timeout=20,
        what="the simulated PDF stored",
    )
    assert row.kind == "document"
    assert served(live.base_url, row.id).content == (COMMITTED / "cotizacion.pdf").read_bytes()


def test_simulate_never_attaches_a_file_without_the_fake_graph_api(
    live: LiveDemo, capsys: pytest.CaptureFixture[str]
) -> None:
    wa_id = "+52 1 55 9000 0002"

    assert simulate(live, "--from", wa_id, "--attach", "photo") == 2
    assert "--fake-graph-api" in capsys.readouterr().err

    # a server that is not the fake (here the service itself) cannot take a customer's file
    not_the_fake = ["--fake-graph-api", live.base_url]
    assert simulate(live, "--from", wa_id, "--attach", "photo", *not_the_fake) == 2
    assert "did not take the file" in capsys.readouterr().err

    assert simulate(live, "--from", wa_id) == 2  # neither a text nor a file
    assert "TEXT" in capsys.readouterr().err
    listed = httpx.get(
        f"{live.base_url}/api/v1/conversaciones-whatsapp/numero/5215590000002",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()
    assert listed["items"] == []  # nothing was posted
