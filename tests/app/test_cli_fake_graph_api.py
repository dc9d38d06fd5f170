"""``crm-whatsapp fake-graph-api`` runs the fake as its own process, the way a developer
would start it next to the service."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_whatsapp.adapters.whatsapp.fake_graph_api import running_asgi_app
from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiGateway, GraphApiSettings
from crm_whatsapp.app.cli import APP_SECRET_ENV, main
from crm_whatsapp.domain.identity import CustomerIdentity

TOKEN = "EAAG-cli-token-55555"
TEXT = {
    "messaging_product": "whatsapp",
    "to": "5215512345678",
    "type": "text",
    "text": {"body": "hola"},
}
SECRET = "cli-app-secret-77777"
BUSINESS = "106540352242922"
FAKE_COMMAND = (sys.executable, "-m", "crm_whatsapp.app.cli", "fake-graph-api")
# uvicorn shuts down gracefully on SIGTERM, then re-raises the signal so that the exit
# status says what stopped the process.
STOPPED_BY_SIGTERM = (0, -signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(base_url: str, process: subprocess.Popen[str], timeout=15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the fake exited early: {process.communicate()}")
        try:
            if httpx.get(f"{base_url}/__requests", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the fake did not start in time")


@pytest.fixture
def start_fake() -> Iterator[Any]:
    """Starts ``python -m crm_whatsapp.app.cli fake-graph-api``; always stops it."""
    processes: list[subprocess.Popen[str]] = []

    def start(*arguments: str, env: dict[str, str] | None = None) -> tuple[str, Any]:
        port = free_port()
        process = subprocess.Popen(
            [*FAKE_COMMAND, "--port", str(port), *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        processes.append(process)
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(base_url, process)

        def stop() -> tuple[int, str, str]:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=10)
            assert "Traceback" not in err
            return process.returncode, out, err

        return base_url, stop

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def send_text(base_url: str) -> str:
    async def scenario() -> str:
        settings = GraphApiSettings(TOKEN, base_url=base_url)
        async with GraphApiGateway(settings) as gateway:
            return await gateway.send_text(
                BUSINESS, CustomerIdentity.from_wa_id("5215512345678"), "hola desde la CLI"
            )

    return asyncio.run(scenario())


def test_the_fake_runs_as_a_process_accepts_a_message_and_shows_it_redacted(start_fake):
    base_url, stop = start_fake()

    wamid = send_text(base_url)
    recorded = httpx.get(f"{base_url}/__requests").json()
    code, out, err = stop()

    assert wamid.startswith("wamid.")
    [request] = recorded
    assert request["path"] == f"/v26.0/{BUSINESS}/messages"
    assert request["headers"]["authorization"] == "Bearer ***"
    assert request["body"]["text"] == {"body": "hola desde la CLI", "preview_url": False}
    assert TOKEN not in json.dumps(recorded)
    assert code in STOPPED_BY_SIGTERM
    assert f"listening on {base_url}" in out
    assert TOKEN not in out + err


def test_the_process_posts_signed_status_webhooks_with_the_secret_from_the_environment(
    start_fake,
):
    received: list[tuple[dict[str, str], bytes]] = []
    lock = threading.Lock()

    async def webhook(request: Request) -> Response:
        body = await request.body()
        with lock:
            received.append((dict(request.headers), body))
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])
    with running_asgi_app(receiver) as receiver_url:
        base_url, stop = start_fake(
            "--status-webhook",
            f"{receiver_url}/webhook",
            "--status-delay",
            "0.02",
            env={APP_SECRET_ENV: SECRET},
        )
        wamid = send_text(base_url)
        deadline = time.monotonic() + 10
        while len(received) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        code, out, err = stop()

    statuses = []
    for headers, body in received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-hub-signature-256"] == expected
        [status] = json.loads(body)["entry"][0]["changes"][0]["value"]["statuses"]
        statuses.append((status["id"], status["status"]))
    assert statuses == [(wamid, "sent"), (wamid, "delivered"), (wamid, "read")]
    assert code in STOPPED_BY_SIGTERM
    assert SECRET not in out + err


def test_the_process_holds_files_whose_urls_and_ids_expire_as_configured(start_fake):
    base_url, stop = start_fake("--media-url-ttl", "0.8", "--media-id-ttl", "2")
    auth = {"Authorization": f"Bearer {TOKEN}"}

    held = httpx.post(
        f"{base_url}/__media", content=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}
    ).json()
    url = httpx.get(f"{base_url}/v26.0/{held['id']}", headers=auth).json()["url"]
    fresh = httpx.get(url, headers=auth)
    time.sleep(0.9)
    stale = httpx.get(url, headers=auth)
    time.sleep(1.2)
    gone = httpx.get(f"{base_url}/v26.0/{held['id']}", headers=auth)
    code, _, _ = stop()

    assert (fresh.status_code, fresh.content) == (200, b"%PDF-1.4")
    assert stale.status_code == 404
    assert (gone.status_code, gone.json()["error"]["code"]) == (400, 100)
    assert code in STOPPED_BY_SIGTERM


def test_status_webhooks_without_a_secret_are_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(APP_SECRET_ENV, raising=False)

    with pytest.raises(SystemExit) as exited:
        main(["fake-graph-api", "--port", "0", "--status-webhook", "http://127.0.0.1:9/w"])

    assert exited.value.code == 2
    assert APP_SECRET_ENV in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments",
    [
        ["fake-graph-api"],
        ["fake-graph-api", "--port", "0", "--fail-rate", "1.5"],
        ["fake-graph-api", "--port", "0", "--slow-seconds", "-1"],
        ["fake-graph-api", "--port", "0", "--latency-ms", "-1"],
        ["fake-graph-api", "--port", "0", "--latency-ms", "nan"],
        ["fake-graph-api", "--port", "0", "--jitter-ms", "-5"],
        ["fake-graph-api", "--port", "0", "--latency-ms", "100", "--jitter-ms", "150"],
        ["fake-graph-api", "--port", "0", "--rate", "0"],
        ["fake-graph-api", "--port", "0", "--rate", "-80"],
        ["fake-graph-api", "--port", "0", "--rate", "inf"],
        ["fake-graph-api", "--port", "0", "--media-url-ttl", "0"],
        ["fake-graph-api", "--port", "0", "--media-id-ttl", "-1"],
    ],
)
def test_bad_arguments_are_refused_with_usage(arguments, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments)

    assert exited.value.code == 2
    assert "usage: crm-whatsapp fake-graph-api" in capsys.readouterr().err


def test_the_pace_flags_become_the_fakes_options_in_seconds(monkeypatch) -> None:
    import crm_whatsapp.adapters.whatsapp.fake_graph_api as package

    served: list[Any] = []
    monkeypatch.setattr(
        package, "serve_fake_graph_api", lambda options, **_: served.append(options)
    )

    main(["fake-graph-api", "--port", "0"])
    main(["fake-graph-api", "--port", "0", "--latency-ms", "250", "--jitter-ms", "50"])
    main(["fake-graph-api", "--port", "0", "--rate", "80", "--seed", "7"])

    paces = [(o.latency_seconds, o.jitter_seconds, o.send_rate, o.seed) for o in served]
    assert paces == [(0.0, 0.0, None, None), (0.25, 0.05, None, None), (0.0, 0.0, 80.0, 7)]


def test_the_process_answers_at_the_pace_it_was_given_and_counts_it(start_fake) -> None:
    base_url, stop = start_fake("--latency-ms", "300", "--rate", "2")

    async def three_at_once() -> list[tuple[httpx.Response, float]]:
        limits = httpx.Limits(max_connections=3, max_keepalive_connections=0)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits) as http:

            async def send() -> tuple[httpx.Response, float]:
                started = time.perf_counter()
                response = await http.post(f"/v26.0/{BUSINESS}/messages", json=TEXT)
                return response, time.perf_counter() - started

            return list(await asyncio.gather(send(), send(), send()))

    answers = asyncio.run(three_at_once())
    stats = httpx.get(f"{base_url}/__stats").json()
    code, out, _ = stop()

    assert all(seconds >= 0.3 - 0.005 for _, seconds in answers)
    assert sorted(response.status_code for response, _ in answers) == [200, 200, 400]
    [throttled] = [response for response, _ in answers if response.status_code == 400]
    assert throttled.json()["error"]["code"] == 130429
    assert throttled.json()["error"]["message"] == "(#130429) Rate limit hit"
    assert stats == {"accepted": 2, "throttled": 1, "in_flight": 0, "in_flight_max": 3}
    assert code in STOPPED_BY_SIGTERM
    assert "latency 300 ms, 2 sends/s per number" in out


def test_the_help_lists_the_subcommand(capsys) -> None:
    assert main([]) == 0

    assert "fake-graph-api" in capsys.readouterr().out


def test_a_port_already_in_use_is_reported(capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        assert main(["fake-graph-api", "--port", str(port)]) == 1

    assert "cannot listen" in capsys.readouterr().err
