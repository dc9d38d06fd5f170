"""``crm-whatsapp agents token``: the one line on stdout is a token the service accepts, with
the claims asked for; the secret comes from the settings (environment or ``.env``) and is
never an option nor printed; a bad option or secret is one line on stderr and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_whatsapp.adapters.http.agent_tokens import AgentTokens
from crm_whatsapp.app.cli import main
from crm_whatsapp.domain.access import ActorKind, Scope

SECRET = "prueba-secreto-de-agentes-0123456789-abcdefghij"
SECRET_ENV = "CRM_WHATSAPP_AGENT_TOKEN_SECRET"
ANA = ["agents", "token", "--sub", "42", "--name", "Ana López"]


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``.env`` of the repository's and no secret but the one a test sets."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CRM_WHATSAPP_"):
            monkeypatch.delenv(name)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    return code, out, err


def printed_token(out: str) -> str:
    lines = out.splitlines()
    assert len(lines) == 1, f"stdout must be the token alone: {out!r}"
    return lines[0]


def test_the_printed_token_verifies_and_carries_the_claims(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    argv = [*ANA, "--scope", "read reply manage", "--client-id", "1042", "--hours", "2"]

    code, out, err = run(argv, capsys)

    assert code == 0
    token = printed_token(out)
    access = AgentTokens(SECRET.encode()).verify(token)
    assert access.actor.kind is ActorKind.AGENT
    assert (access.actor.id, access.actor.name) == ("42", "Ana López")
    assert access.scopes == frozenset({Scope.READ, Scope.REPLY, Scope.MANAGE})
    assert access.client_id == "1042"
    claims = _claims(token)
    assert claims["exp"] - claims["iat"] == 2 * 3600
    assert claims["scope"] == "manage read reply"
    assert "Ana López" in err
    assert "client 1042 only" in err


def test_by_default_a_token_reads_and_replies_for_eight_hours_on_every_client(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)

    code, out, _ = run(ANA, capsys)

    assert code == 0
    token = printed_token(out)
    access = AgentTokens(SECRET.encode()).verify(token)
    assert access.scopes == frozenset({Scope.READ, Scope.REPLY})
    assert access.client_id is None
    claims = _claims(token)
    assert claims["exp"] - claims["iat"] == 8 * 3600
    assert "client_id" not in claims


def test_a_week_is_the_longest_and_the_service_still_accepts_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)

    code, out, _ = run([*ANA, "--hours", "168"], capsys)

    assert code == 0
    token = printed_token(out)
    AgentTokens(SECRET.encode(), leeway_seconds=0).verify(token)
    claims = _claims(token)
    assert claims["exp"] - claims["iat"] == timedelta(days=7).total_seconds()


def test_the_secret_is_read_from_the_dotenv_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text(f"{SECRET_ENV}={SECRET}\n", encoding="utf-8")

    code, out, _ = run(ANA, capsys)

    assert code == 0
    assert AgentTokens(SECRET.encode()).verify(printed_token(out)).actor.id == "42"


def test_a_token_signed_with_another_secret_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm_whatsapp.adapters.http.agent_tokens import AgentTokenRefused

    monkeypatch.setenv(SECRET_ENV, SECRET)
    _, out, _ = run(ANA, capsys)

    with pytest.raises(AgentTokenRefused, match="signature"):
        AgentTokens(b"otro-secreto-de-al-menos-32-bytes-!!").verify(printed_token(out))


def test_an_unset_secret_is_one_line_on_stderr_naming_the_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(ANA, capsys)

    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert SECRET_ENV in err
    assert "not set" in err


def test_a_short_secret_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    short = "corto-secreto-31-bytes-xxxxxxxx"
    assert len(short) == 31
    monkeypatch.setenv(SECRET_ENV, short)

    code, out, err = run(ANA, capsys)

    assert code == 2
    assert out == ""
    assert SECRET_ENV in err
    assert "at least 32 bytes" in err
    assert short not in err


def test_the_secret_is_not_an_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A secret typed on the command line would sit in the shell's history."""
    monkeypatch.setenv(SECRET_ENV, SECRET)

    with pytest.raises(SystemExit) as exited:
        main([*ANA, "--secret", SECRET])

    assert exited.value.code == 2
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("hours", ["0", "-1", "168.01", "169", "1000", "nan", "inf"])
def test_hours_out_of_zero_to_a_week_are_refused(
    hours: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)

    code, out, err = run([*ANA, f"--hours={hours}"], capsys)

    assert code == 2
    assert out == ""
    assert "--hours" in err
    assert "168" in err


@pytest.mark.parametrize(
    ("scope", "problem"),
    [("admin", "unknown scope 'admin'"), ("read write", "unknown scope 'write'"), ("", "no scope")],
)
def test_a_bad_scope_is_refused_naming_it(
    scope: str,
    problem: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)

    code, out, err = run([*ANA, "--scope", scope], capsys)

    assert code == 2
    assert out == ""
    assert "--scope" in err
    assert problem in err


@pytest.mark.parametrize(
    ("option", "value"),
    [("--sub", "  "), ("--name", ""), ("--name", "x" * 201), ("--client-id", " ")],
)
def test_claims_the_service_would_refuse_are_refused_here(
    option: str,
    value: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    argv = ["agents", "token", "--sub", "42", "--name", "Ana", option, value]

    code, out, err = run(argv, capsys)

    assert code == 2
    assert out == ""
    assert f"{option}: must be text of 1 to 200 characters" in err


def test_the_installed_command_prints_the_token_alone(tmp_path: Path) -> None:
    """As a shell sees it: ``TOKEN=$(crm-whatsapp agents token …)`` gets the token only."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    environment[SECRET_ENV] = SECRET
    done = subprocess.run(
        [sys.executable, "-m", "crm_whatsapp.app.cli", *ANA, "--client-id", "7"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    access = AgentTokens(SECRET.encode()).verify(done.stdout.strip())
    assert (access.actor.name, access.client_id) == ("Ana López", "7")
    assert SECRET not in done.stdout + done.stderr


def _claims(token: str) -> dict[str, Any]:
    import jwt

    claims: dict[str, Any] = jwt.decode(token, SECRET, algorithms=["HS256"])
    return claims
