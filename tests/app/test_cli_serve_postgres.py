"""``crm-whatsapp serve --workers 2`` on PostgreSQL: every webhook is answered once, whichever
worker took it, and an event stream on one worker hears what the other stored (NOTIFY)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from test_cli_service import API_TOKEN, CLI, SECRETS, _env, _free_port, _stop, _wait_healthy

from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import customer_text_webhook_body
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign

CUSTOMERS = 20


@pytest.fixture
def table_prefix(postgres_test_url: str) -> Iterator[str]:
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    yield prefix
    engine = create_engine(postgres_test_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        tables = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE :p"
            ),
            {"p": prefix + "%"},
        ).scalars()
        for table in list(tables):
            connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    engine.dispose()


def _read_events(url: str, seen: set[str], stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    try:
        with httpx.stream("GET", url, headers=headers, timeout=30) as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    seen.add(json.loads(line[6:])["conversation_id"])
                if stop.is_set():
                    return
    except httpx.HTTPError:
        if not stop.is_set():  # cut by the server stopping at the end of the test: fine
            raise


def test_two_workers_answer_each_message_once_and_share_live_events(
    tmp_path: Path,
    fake_graph: RunningFakeGraphApi,
    postgres_test_url: str,
    table_prefix: str,
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(
        tmp_path,
        fake_graph.base_url,
        CRM_WHATSAPP_DATABASE_URL=postgres_test_url,
        CRM_WHATSAPP_TABLE_PREFIX=table_prefix,
    )
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[str] = set()
    stop = threading.Event()
    try:
        _wait_healthy(base, server, timeout=60)
        reader = threading.Thread(
            target=_read_events,
            args=(f"{base}/api/v1/conversaciones-whatsapp/eventos", seen, stop),
            daemon=True,
        )
        reader.start()
        time.sleep(1.0)  # the stream is open and every worker's listener is ready
        with httpx.Client(base_url=base, timeout=30) as http:
            for n in range(CUSTOMERS):
                body = json.dumps(
                    customer_text_webhook_body(
                        wa_id=f"52155{n:08d}",
                        text="Hola",
                        wamid=f"wamid.pg.{table_prefix}{n}",
                        timestamp=int(time.time()),
                        phone_number_id="106540352242922",
                    )
                ).encode()
                headers = {SIGNATURE_HEADER: sign(body, SECRETS["CRM_WHATSAPP_APP_SECRET"])}
                assert http.post("/webhook", content=body, headers=headers).status_code == 200
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (
                len(fake_graph.state.requests()) < CUSTOMERS or len(seen) < CUSTOMERS
            ):
                time.sleep(0.1)
            time.sleep(0.5)  # room for a wrong second send to show up
            recipients = [r["body"]["to"] for r in fake_graph.state.requests()]
            assert sorted(recipients) == sorted(f"52155{n:08d}" for n in range(CUSTOMERS))
            listed = http.get(
                "/api/v1/conversaciones-whatsapp?limit=200",
                headers={"Authorization": f"Bearer {API_TOKEN}"},
            ).json()["items"]
        assert {c["id"] for c in listed} == seen
    finally:
        stop.set()
        _stop(server)
