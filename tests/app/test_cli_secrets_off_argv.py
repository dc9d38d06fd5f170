"""``simulate`` and ``fake-graph-api`` take the app secret from the environment only: a
command line is readable by every user of the machine (``ps``, ``/proc/<pid>/cmdline``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crm_whatsapp.adapters.whatsapp.fake_graph_api import running_asgi_app
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from crm_whatsapp.app.cli import APP_SECRET_ENV, main

SECRET = "argv-app-secret-5e0c9b7d"
SIMULATE = ["simulate", "--to", "http://127.0.0.1:9/webhook", "--from", "+52 55 1234 5678"]
FAKE = ["fake-graph-api", "--port", "0", "--status-webhook", "http://127.0.0.1:9/webhook"]


@pytest.mark.parametrize("command", [SIMULATE, FAKE], ids=["simulate", "fake-graph-api"])
@pytest.mark.parametrize("given", [["--app-secret", SECRET], [f"--app-secret={SECRET}"]])
def test_a_secret_on_the_command_line_is_refused_naming_the_variable(
    command: list[str], given: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack: another user of the machine reads the app secret from the process list and
    signs webhooks of their own. The option is refused before anything runs, and the
    refusal says which variable to use without repeating the value."""
    with pytest.raises(SystemExit) as exited:
        main([*command, *given, "hola"] if command is SIMULATE else [*command, *given])

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert APP_SECRET_ENV in err
    assert "command line" in err
    assert SECRET not in err


@pytest.mark.parametrize("command", ["simulate", "fake-graph-api"])
def test_the_help_no_longer_offers_a_secret_option(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "--app-secret" not in out
    assert APP_SECRET_ENV in out


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    """A webhook URL that records each body and its signature header."""
    received: list[tuple[bytes, str]] = []

    async def webhook(request: Request) -> JSONResponse:
        received.append((await request.body(), request.headers.get(SIGNATURE_HEADER, "")))
        return JSONResponse({"received": True})

    app = Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])
    with running_asgi_app(app) as base_url:
        yield f"{base_url}/webhook", received


def test_simulate_signs_with_the_secret_from_the_environment(
    receiver: tuple[str, list[tuple[bytes, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, received = receiver
    monkeypatch.setenv(APP_SECRET_ENV, SECRET)

    assert main(["simulate", "--to", url, "--from", "+52 55 1234 5678", "hola"]) == 0

    [(body, signature)] = received
    assert signature == sign(body, SECRET)
    assert SECRET not in capsys.readouterr().out


def test_simulate_without_the_variable_says_which_to_set(
    receiver: tuple[str, list[tuple[bytes, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url, received = receiver
    monkeypatch.delenv(APP_SECRET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env to read it from either

    assert main(["simulate", "--to", url, "--from", "+52 55 1234 5678", "hola"]) == 2

    assert APP_SECRET_ENV in capsys.readouterr().err
    assert received == []
