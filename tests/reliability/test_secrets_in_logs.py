"""The whole flow at DEBUG on every logger, and not one secret in a log line, an answer or
the OpenAPI document: not the access token (even when the Graph API echoes it back in an
error), not the app secret, not the verify token (which Meta sends in a query string that
uvicorn logs), not the API tokens. The flow includes signed deliveries that cannot be read:
their quarantine (reasons included) and the channel's health are read through the API too.

Once as operators run it (``crm-whatsapp serve`` with ``CRM_WHATSAPP_LOG_LEVEL=DEBUG``, its
stdout and stderr read whole) and once in process (every record captured, tracebacks
included, on SQLite and PostgreSQL).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hostile_kit import (
    ACCESS_TOKEN,
    API,
    API_TOKENS,
    APP_SECRET,
    AUTH,
    CHANNEL_HEALTH,
    QUARANTINE,
    VERIFY_TOKEN,
    build_app,
    encoded,
    leaked_from,
    leaked_in,
    meta_body,
    signed,
)
from uvicorn.logging import AccessFormatter

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    Failure,
    FakeGraphApiState,
    running_asgi_app,
    running_fake_graph_api,
)
from crm_whatsapp.app.log_redaction import redact_secrets_in_logs

ANA = "5215512345678"
CLI = [sys.executable, "-m", "crm_whatsapp.app.cli"]
LOGGERS = ("", "crm_whatsapp", "uvicorn", "uvicorn.access", "uvicorn.error", "httpx",
           "httpcore", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool")  # fmt: skip
ECHOING_FAILURES = [
    Failure(code=131000, http_status=500, message=f"(#131000) Something went wrong {ACCESS_TOKEN}"),
    Failure(
        http_status=502, raw_body=f"<html>bad gateway for Authorization: Bearer {ACCESS_TOKEN}"
    ),
    Failure(code=190, http_status=401, message=f"Error validating access token {ACCESS_TOKEN}"),
]
"""What a Graph API (or a proxy in front of it) may answer: errors that quote the token,
the one secret it ever sees."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def failed_requests(fake: FakeGraphApiState) -> int:
    return sum(1 for r in fake.requests() if int(r["response_status"]) >= 400)


def failed_messages(http: httpx.Client, one: str) -> int:
    items = http.get(f"{one}/mensajes", headers=AUTH).json()["items"]
    return sum(1 for m in items if (m.get("delivery") or {}).get("status") == "failed")


def stored_text(database: Database) -> str:
    """Every row of every table of ours, as text."""
    with database.reader.connect() as connection:
        return "\n".join(
            repr(row)
            for table in database.tables.metadata.sorted_tables
            for row in connection.execute(table.select())
        )


def drive_full_flow(http: httpx.Client, fake: FakeGraphApiState) -> list[httpx.Response]:
    """Everything the service does, each error it answers, every answer kept."""
    answers: list[httpx.Response] = []

    def keep(answer: httpx.Response) -> httpx.Response:
        answer.read()
        answers.append(answer)
        return answer

    subscribe = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "77"}
    assert keep(http.get("/webhook", params=subscribe)).text == "77"
    wrong = {**subscribe, "hub.verify_token": VERIFY_TOKEN + "x"}
    assert keep(http.get("/webhook", params=wrong)).status_code == 403

    body = encoded(meta_body(ANA, "Hola, ¿precio del envío?", "wamid.secrets.1"))
    assert keep(http.post("/webhook", content=body, headers=signed(body))).status_code == 200
    wait_until(lambda: len(fake.accepted()) >= 1, "the bot's reply at the Graph API")
    wait_until(
        lambda: sum(d.response_status == 200 for d in fake.webhook_deliveries()) >= 3,
        "the reply's sent, delivered and read webhooks",
    )
    conversation = keep(http.get(API, headers=AUTH)).json()["items"][0]["id"]
    one = f"{API}/{conversation}"
    reads: list[tuple[str, dict[str, str]]] = [
        (one, {}),
        (f"{one}/mensajes", {}),
        (f"{API}/estadisticas", {}),
        (API, {"q": "precio"}),
        (f"{API}/numero/{ANA}", {}),
        ("/api/v1/clientes-crm", {"q": "ana"}),
        ("/openapi.json", {}),
    ]
    for path, params in reads:
        assert keep(http.get(path, params=params, headers=AUTH)).status_code == 200, path
    reply = {"agent": "Laura", "text": "Con gusto te ayudo"}
    assert keep(http.post(f"{one}/mensajes", json=reply, headers=AUTH)).status_code == 201
    assert keep(http.post(f"{one}/leida", headers=AUTH)).status_code == 200
    wait_until(lambda: len(fake.accepted()) >= 2, "the agent's reply at the Graph API")

    for failure in ECHOING_FAILURES:
        fake.fail_next(failure)
    failed_before = failed_requests(fake)
    for n in range(len(ECHOING_FAILURES)):
        answer = http.post(f"{one}/mensajes", json={**reply, "text": f"#{n}"}, headers=AUTH)
        assert keep(answer).status_code == 201
    wait_until(
        lambda: failed_requests(fake) >= failed_before + len(ECHOING_FAILURES),
        "the Graph API's failures",
    )
    fake.fail_next(ECHOING_FAILURES[0])
    keep(http.post(f"{one}/leida", headers=AUTH))  # a read receipt that fails

    wait_until(lambda: failed_messages(http, one) >= 1, "the refused reply's failure stored")
    for path in (f"{one}/mensajes", f"{API}/estadisticas", one):  # failures, as stored
        assert keep(http.get(path, headers=AUTH)).status_code == 200

    near = {"Authorization": f"Bearer {API_TOKENS[0][:-1]}"}
    bad_body = {**AUTH, "Content-Type": "application/json"}
    assert keep(http.get(API, headers=near)).status_code == 401
    assert keep(http.get(API, params={"limit": "x"}, headers=AUTH)).status_code == 400
    assert keep(http.post(f"{one}/mensajes", content=b"{}", headers=bad_body)).status_code == 422
    assert keep(http.get(f"{API}/no-such-id", headers=AUTH)).status_code == 404
    assert keep(http.post("/webhook", content=body, headers=signed(body, "x"))).status_code == 401

    # signed but unreadable: stored, answered 200, then quarantined (never refused)
    for unreadable in (b"{", broken_message_body()):
        answer = keep(http.post("/webhook", content=unreadable, headers=signed(unreadable)))
        assert answer.status_code == 200, answer.text
        assert answer.json()["received"] is True
    wait_until(lambda: len(quarantined(http)) >= 2, "the unreadable deliveries quarantined")
    for path in (QUARANTINE, CHANNEL_HEALTH):
        assert keep(http.get(path, headers=AUTH)).status_code == 200, path
    reasons = " ".join(item["reason"] for item in quarantined(http))
    assert "JSON" in reasons
    assert "timestamp" in reasons
    assert "ayer" not in reasons, "a reason names the problem, never the customer's value"
    assert "confirmas" not in reasons
    return answers


def broken_message_body() -> bytes:
    """A customer's message whose timestamp is no time: quarantined alone."""
    document = meta_body(ANA, "¿Me confirmas el pedido?", "wamid.secrets.broken")
    document["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "ayer"
    return encoded(document)


def quarantined(http: httpx.Client) -> list[dict[str, object]]:
    items: list[dict[str, object]] = http.get(QUARANTINE, headers=AUTH).json()["items"]
    return items


def assert_nothing_leaked(answers: list[httpx.Response], logs: str) -> None:
    for answer in answers:
        assert not leaked_from(answer), f"{answer.request.url} answered a secret: {answer.text}"
    document = json.dumps(next(a.json() for a in answers if a.url.path == "/openapi.json"))
    assert leaked_in(document) == []
    leaks = leaked_in(logs)
    for secret in leaks:
        at = logs.index(secret)
        pytest.fail(f"a secret is in the logs: ...{logs[max(0, at - 300) : at + 50]!r}")


def assert_it_logged_at_debug(logs: str, *signs_of_life: str) -> None:
    """Proof that the check above read something: the chatty libraries had their say, and
    the redacted request line of the subscription check is whole (not a logging error)."""
    for sign_of_life in ("DEBUG", "httpcore", "crm_whatsapp.graph_api", *signs_of_life):
        assert sign_of_life in logs, f"no {sign_of_life!r} in the logs"
    assert "GET /webhook?hub.mode=subscribe&hub.verify_token=***&hub.challenge=77" in logs
    assert "--- Logging error ---" not in logs


# -- as operators run it -------------------------------------------------------------------


@pytest.fixture
def serve_at_debug(tmp_path: Path) -> Iterator[tuple[str, FakeGraphApiState, Path]]:
    """``crm-whatsapp serve`` at DEBUG, the fake Graph API checking the token and posting
    signed status webhooks to it; the base URL, the fake, and the file of its output."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with running_fake_graph_api(
        access_token=ACCESS_TOKEN,
        app_secret=APP_SECRET,
        status_webhook_url=f"{base_url}/webhook",
    ) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
        env.update(
            CRM_WHATSAPP_DATABASE_URL=f"sqlite:///{tmp_path / 'service.db'}",
            CRM_WHATSAPP_APP_SECRET=APP_SECRET,
            CRM_WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
            CRM_WHATSAPP_ACCESS_TOKEN=ACCESS_TOKEN,
            CRM_WHATSAPP_API_TOKENS=",".join(API_TOKENS),
            CRM_WHATSAPP_GRAPH_API_URL=fake.base_url,
            CRM_WHATSAPP_OUTBOX_POLL_SECONDS="0.05",
            CRM_WHATSAPP_LOG_LEVEL="DEBUG",
        )
        output = tmp_path / "serve.log"
        with output.open("w") as sink:
            process = subprocess.Popen(
                [*CLI, "serve", "--port", str(port), "--graceful-seconds", "1"],
                env=env,
                cwd=tmp_path,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until(lambda: healthy(base_url, process), "the server to answer", 30)
                yield base_url, fake.state, output
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def healthy(base_url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        pytest.fail(f"crm-whatsapp serve exited with {process.returncode}")
    try:
        return httpx.get(f"{base_url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_at_debug_never_logs_or_answers_a_secret(
    serve_at_debug: tuple[str, FakeGraphApiState, Path],
) -> None:
    base_url, fake, output = serve_at_debug
    with httpx.Client(base_url=base_url, timeout=30) as http:
        answers = drive_full_flow(http, fake)
    logs = output.read_text(encoding="utf-8", errors="replace")
    # SQLAlchemy keeps its own loggers at WARNING whatever the root level: no SQL here.
    assert_it_logged_at_debug(logs, "Uvicorn running on")
    assert_nothing_leaked(answers, logs)
    recorded = json.dumps(fake.requests())
    assert ACCESS_TOKEN not in recorded  # the fake's own record hides it too


# -- in process, every record --------------------------------------------------------------


@pytest.fixture
def every_record(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return caplog


@contextlib.contextmanager
def hearing_uvicorn(handler: logging.Handler) -> Iterator[None]:
    """uvicorn's loggers do not propagate, and uvicorn sets their level and handlers when
    a server is configured: join in after it started."""
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access")]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def test_in_process_at_debug_no_record_holds_a_secret(
    empty_database: Database, every_record: pytest.LogCaptureFixture
) -> None:
    app_port, graph_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{app_port}"
    with running_fake_graph_api(
        graph_port,
        access_token=ACCESS_TOKEN,
        app_secret=APP_SECRET,
        status_webhook_url=f"{base_url}/webhook",
    ) as fake:
        app = build_app(empty_database, fake)
        with (
            running_asgi_app(app, port=app_port),
            hearing_uvicorn(every_record.handler),
            httpx.Client(base_url=base_url, timeout=30) as http,
        ):
            answers = drive_full_flow(http, fake.state)
    logs = every_record.text + "\n".join(
        f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in every_record.records
    )
    assert_it_logged_at_debug(logs, "sqlalchemy.engine", "uvicorn.access")
    assert_nothing_leaked(answers, logs)
    assert leaked_in(stored_text(empty_database)) == [], "a secret was stored"
    password = empty_database.url.password
    assert password is None or str(password) not in logs


def test_a_redacted_request_line_still_formats_as_uvicorn_writes_it() -> None:
    """uvicorn's access formatter unpacks the record's arguments: redaction must leave them
    in place (it used to join them into the message, and every request line that held a
    secret became a "--- Logging error ---" traceback on stderr instead)."""
    redact_secrets_in_logs([VERIFY_TOKEN])
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/webhook?hub.verify_token={VERIFY_TOKEN}", "1.1", 200),
        None,
    )
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s").format(record)
    assert line == "127.0.0.1:5000 GET /webhook?hub.verify_token=*** HTTP/1.1 200 OK"
