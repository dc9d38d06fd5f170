"""``crm-whatsapp serve | simulate | worker | migrate | check-config`` as a newcomer runs them:
real processes, real ports, the fake Graph API standing in for Meta."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
)
from crm_whatsapp.app.cli import main

SECRETS = {
    "CRM_WHATSAPP_APP_SECRET": "cli-app-secret-77",
    "CRM_WHATSAPP_VERIFY_TOKEN": "cli-verify-token-12",
    "CRM_WHATSAPP_ACCESS_TOKEN": "EAAG-cli-access-token-55",
}
API_TOKEN = "cli-api-token-90-7f3e21c4ab55"
CLI = [sys.executable, "-m", "crm_whatsapp.app.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, graph_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    env.update(SECRETS)
    env.update(
        {
            "CRM_WHATSAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
            "CRM_WHATSAPP_API_TOKENS": API_TOKEN,
            "CRM_WHATSAPP_GRAPH_API_URL": graph_url,
            "CRM_WHATSAPP_OUTBOX_POLL_SECONDS": "0.1",
            "CRM_WHATSAPP_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def _wait_healthy(base_url: str, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early: {process.communicate()[1]}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("the server did not become healthy in time")


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        _, stderr = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return stderr


def _serve(env: dict[str, str], port: int, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _simulate(env: dict[str, str], port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "simulate", "--to", f"http://127.0.0.1:{port}/webhook", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _wait_for_reply(fake: RunningFakeGraphApi, timeout: float = 20) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fake.state.requests():
            return fake.state.requests()
        time.sleep(0.05)
    pytest.fail("no reply reached the fake Graph API")


def test_serve_then_simulate_a_customer_and_watch_the_reply_go_out(
    tmp_path: Path, fake_graph: RunningFakeGraphApi
) -> None:
    port = _free_port()
    env = _env(tmp_path, fake_graph.base_url)
    server = _serve(env, port, tmp_path)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", server)
        simulated = _simulate(
            env, port, "--from", "+52 1 55 1234 5678", "--name", "Ana", "Hola, ¿tienen envíos?"
        )
        assert simulated.returncode == 0, simulated.stderr
        assert simulated.stdout.startswith('200 {"received":true')
        reply = _wait_for_reply(fake_graph)[0]
        assert reply["body"]["to"] == "5215512345678"  # type: ignore[index]
        listed = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/conversaciones-whatsapp",
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        ).json()
        assert listed["items"][0]["profile_name"] == "Ana"
    finally:
        stderr = _stop(server)
    for secret in (*SECRETS.values(), API_TOKEN):
        assert secret not in stderr


def test_a_separate_worker_sends_what_the_server_queued(
    tmp_path: Path, fake_graph: RunningFakeGraphApi
) -> None:
    port = _free_port()
    env = _env(tmp_path, fake_graph.base_url, CRM_WHATSAPP_OUTBOX_IN_PROCESS="false")
    server = _serve(env, port, tmp_path)
    worker = None
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", server)
        simulated = _simulate(env, port, "--from", "+54 9 11 5555 0000", "precio")
        assert simulated.returncode == 0, simulated.stderr
        time.sleep(0.5)
        assert fake_graph.state.requests() == []  # the server itself does not send
        worker = subprocess.Popen(
            [*CLI, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert _wait_for_reply(fake_graph)[0]["body"]["to"] == "5491155550000"  # type: ignore[index]
    finally:
        if worker is not None:
            _stop(worker)
        _stop(server)


def test_serve_without_secrets_names_them_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    result = subprocess.run(
        [*CLI, "serve", "--port", str(_free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "crm-whatsapp serve: missing required setting(s): CRM_WHATSAPP_APP_SECRET, "
        "CRM_WHATSAPP_VERIFY_TOKEN, CRM_WHATSAPP_ACCESS_TOKEN"
    )


def test_migrate_and_check_config_report_without_showing_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in _env(tmp_path, "http://127.0.0.1:9").items():
        if name.startswith("CRM_WHATSAPP_"):
            monkeypatch.setenv(name, value)
    assert main(["migrate"]) == 0
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "tablas al día" in out
    assert "ok  database answers and has the tables" in out
    assert "ok  media store answers" in out
    for secret in (*SECRETS.values(), API_TOKEN):
        assert secret not in out


def test_check_config_says_when_the_object_storage_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in _env(tmp_path, "http://127.0.0.1:9").items():
        if name.startswith("CRM_WHATSAPP_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("CRM_WHATSAPP_MEDIA_URL", "s3://archivos/whatsapp")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3-secret-never-shown")
    assert main(["migrate"]) == 0
    assert main(["check-config"]) == 2
    captured = capsys.readouterr()
    assert "object storage" in captured.err
    assert "s3-secret-never-shown" not in captured.err + captured.out


def test_a_bad_setting_is_one_line_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRM_WHATSAPP_DEFAULT_REGION", "Mexico")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("crm-whatsapp check-config: CRM_WHATSAPP_DEFAULT_REGION:")


def test_simulate_needs_the_app_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CRM_WHATSAPP_APP_SECRET", raising=False)
    assert (
        main(["simulate", "--to", "http://127.0.0.1:9/webhook", "--from", "+5215512345678", "x"])
        == 2
    )
    assert "CRM_WHATSAPP_APP_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["serve", "migrate", "worker", "simulate", "check-config"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "usage: crm-whatsapp " + command in capsys.readouterr().out


def test_serve_stops_at_once_on_sigterm_with_a_live_event_stream_open(
    tmp_path: Path, fake_graph: RunningFakeGraphApi
) -> None:
    """Before: an open /eventos stream (an inbox tab) held the server up forever."""
    port = _free_port()
    server = _serve(_env(tmp_path, fake_graph.base_url), port, tmp_path)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", server)
        with httpx.stream(
            "GET",
            f"http://127.0.0.1:{port}/api/v1/conversaciones-whatsapp/eventos",
            headers={"Authorization": f"Bearer {API_TOKEN}"},
            timeout=30,
        ) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            server.terminate()
            # uvicorn re-raises the signal once it has shut down cleanly
            assert server.wait(timeout=20) in (0, -signal.SIGTERM)
            assert list(lines) == [": connected", ""]  # the stream ended, not cut
    finally:
        if server.poll() is None:
            server.kill()
        _, stderr = server.communicate()
    assert "Exception in ASGI application" not in stderr


def test_serve_hands_its_settings_to_the_workers_without_touching_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``serve --workers N`` wrote CRM_WHATSAPP_MIGRATE_ON_START=false into its own
    environment for the workers to re-read everything from there."""
    import pickle

    import uvicorn.supervisors

    from crm_whatsapp.app.asgi import ServiceFactory

    for name, value in _env(tmp_path, "http://127.0.0.1:9").items():
        if name.startswith("CRM_WHATSAPP_"):
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    started: list[uvicorn.Config] = []

    class Supervisor:
        def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
            started.append(config)
            for sock in sockets:
                sock.close()

        def run(self) -> None:
            pass

    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Supervisor)
    before = dict(os.environ)

    assert main(["serve", "--workers", "2", "--port", "0"]) == 0

    assert dict(os.environ) == before
    [config] = started
    assert config.workers == 2
    factory = pickle.loads(pickle.dumps(config.app))  # as a spawned worker receives it
    assert isinstance(factory, ServiceFactory)
    assert factory.settings.migrate_on_start is False
    assert factory.settings.api_tokens[0].get_secret_value() == API_TOKEN
    assert factory().state.context.auth.configured
