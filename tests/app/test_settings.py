"""Settings from CRM_WHATSAPP_* variables: lists split on commas, secrets hidden, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from crm_whatsapp.app import MissingSetting, Settings
from crm_whatsapp.app.cli import main


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(f"CRM_WHATSAPP_{name}", value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_comma_separated_variables_become_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        API_TOKENS="token-uno-0123456789abcd, token-dos-0123456789abcd,,token-tres-0123456789abc",
        CLIENTS_PHONE_COLUMNS="telefono,celular",
        CORS_ORIGINS="https://crm.example",
    )
    assert [t.get_secret_value() for t in settings.api_tokens] == [
        "token-uno-0123456789abcd",
        "token-dos-0123456789abcd",
        "token-tres-0123456789abc",
    ]
    assert settings.clients_phone_columns == ("telefono", "celular")
    assert settings.cors_origins == ("https://crm.example",)


def test_secrets_never_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        APP_SECRET="s3cr3t-app",
        ACCESS_TOKEN="EAAG-very-secret",
        API_TOKENS="api-secret-1-0f3b8e5d2c7a9",
        DATABASE_URL="postgresql+psycopg://crm:pw-secret@db/crm",
    )
    shown = repr(settings) + str(settings)
    for secret in ("s3cr3t-app", "EAAG-very-secret", "api-secret-1-0f3b8e5d2c7a9", "pw-secret"):
        assert secret not in shown


def test_a_missing_secret_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, APP_SECRET="x", ACCESS_TOKEN="  ")
    with pytest.raises(MissingSetting) as error:
        settings.require_secrets()
    assert str(error.value) == (
        "missing required setting(s): CRM_WHATSAPP_VERIFY_TOKEN, CRM_WHATSAPP_ACCESS_TOKEN"
    )


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="default_region"):
        _settings(monkeypatch, DEFAULT_REGION="Mexico")
    with pytest.raises(ValidationError, match="outbox_in_process"):
        _settings(monkeypatch, OUTBOX_IN_PROCESS="maybe")


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CRM_WHATSAPP_TIMEZONE=America/Bogota\nCRM_WHATSAPP_LOG_LEVEL=debug\n")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.timezone == "America/Bogota"
    assert settings.log_level == "DEBUG"


def test_the_outbox_lease_must_outlast_a_send(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lease shorter than a send lets a second worker claim and send the same reply."""
    with pytest.raises(ValidationError, match="OUTBOX_LEASE_SECONDS must be at least 5 times"):
        _settings(monkeypatch, OUTBOX_LEASE_SECONDS="30", GRAPH_API_TIMEOUT_SECONDS="20")
    settings = _settings(monkeypatch, OUTBOX_LEASE_SECONDS="100", GRAPH_API_TIMEOUT_SECONDS="20")
    assert settings.outbox_lease_seconds == 100


def test_client_fields_are_name_column_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, CLIENTS_FIELDS="ciudad=ciudad, plan = plan_contratado,")
    assert settings.clients_fields == {"ciudad": "ciudad", "plan": "plan_contratado"}
    assert _settings(monkeypatch, CLIENTS_FIELDS="").clients_fields == {}


@pytest.mark.parametrize("value", ["ciudad", "=ciudad", "ciudad=", "a=b,plan"])
def test_a_malformed_client_field_is_quoted(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    with pytest.raises(ValidationError, match="is not NAME=COLUMN") as error:
        _settings(monkeypatch, CLIENTS_FIELDS=value)
    assert error.value.errors()[0]["loc"] == ("clients_fields",)


def test_the_object_storage_secrets_are_among_those_kept_out_of_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3-secret-0f9e8d7c6b5a")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-1a2b3c")
    settings = Settings(_env_file=None, media_url="s3://archivos/whatsapp")  # type: ignore[call-arg]
    assert settings.aws_environment()["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLEKEY"
    assert {"s3-secret-0f9e8d7c6b5a", "session-token-1a2b3c"} <= set(settings.secret_values())


def test_an_unknown_media_store_scheme_stops_start_up_naming_it() -> None:
    with pytest.raises(ValueError, match="s4"):
        Settings(_env_file=None, media_url="s4://archivos")  # type: ignore[call-arg]


SHORT_TOKEN = "short-token-23-chars-ab"


def test_a_guessable_api_token_stops_start_up_without_being_quoted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack: brute-forcing a short static token, which holds every scope forever. A
    23-character token is refused when the service starts; the message says what is wrong
    and how to make a good one, and never repeats the token (logs are read by many)."""
    assert len(SHORT_TOKEN) == 23
    with pytest.raises(ValidationError) as refused:
        _settings(monkeypatch, API_TOKENS=f"{'x' * 24},{SHORT_TOKEN}")
    assert "token 2 is shorter than 24 characters" in str(refused.value)
    assert SHORT_TOKEN not in str(refused.value)

    assert main(["check-config"]) == 2
    stderr = capsys.readouterr().err
    assert "CRM_WHATSAPP_API_TOKENS" in stderr
    assert "shorter than 24 characters" in stderr
    assert SHORT_TOKEN not in stderr
    assert _settings(monkeypatch, API_TOKENS="x" * 24).api_tokens[0].get_secret_value() == "x" * 24


def test_connection_bounds_default_to_safe_values_and_refuse_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(monkeypatch)
    assert (settings.header_timeout_seconds, settings.body_timeout_seconds) == (10.0, 30.0)
    assert settings.max_connections == 1000
    for name in ("HEADER_TIMEOUT_SECONDS", "BODY_TIMEOUT_SECONDS", "MAX_CONNECTIONS"):
        with pytest.raises(ValidationError, match=name.lower()):
            _settings(monkeypatch, **{name: "0"})
        monkeypatch.delenv(f"CRM_WHATSAPP_{name}")


def test_the_cursor_key_is_a_long_secret_kept_out_of_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError, match="cursor_key") as refused:
        _settings(monkeypatch, CURSOR_KEY="too-short-key")
    assert "too-short-key" not in str(refused.value)
    settings = _settings(monkeypatch, CURSOR_KEY="a-cursor-key-of-the-deployment")
    assert "a-cursor-key-of-the-deployment" in settings.secret_values()
    assert "a-cursor-key-of-the-deployment" not in repr(settings)
