"""CRM_WHATSAPP_BOT_RULES_FILE: the service's bot answers with the file's rules, and a broken
file stops start-up with one line naming the file, the field and the problem."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway
from crm_whatsapp.adapters.rules_file import InvalidRulesFile
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import customer_text_webhook_body
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from crm_whatsapp.app import Settings, create_app
from crm_whatsapp.app.cli import main
from crm_whatsapp.domain.ports import MessagingGateway

RULES = """
greeting_unknown = false
[[rules]]
name = "envio"
keywords = ["envio", "envios"]
reply = "El envío cuesta $99 a todo el país."
"""


def _settings(tmp_path: Path, rules_file: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        app_secret="rules-app-secret",
        verify_token="rules-verify",
        access_token="EAAG-rules",
        bot_rules_file=rules_file,
    )


def test_the_bot_answers_with_the_rules_of_the_file(tmp_path: Path) -> None:
    rules_file = tmp_path / "reglas.toml"
    rules_file.write_text(RULES, encoding="utf-8")
    meta = InMemoryMessagingGateway()
    app = create_app(_settings(tmp_path, rules_file), overrides={MessagingGateway: meta})
    body = json.dumps(
        customer_text_webhook_body(
            wa_id="5215512345678",
            text="¿Cuánto cuesta el ENVÍO?",
            wamid="wamid.rules.1",
            timestamp=int(time.time()),
            phone_number_id="106540352242922",
        )
    ).encode()
    with TestClient(app) as http:
        answer = http.post(
            "/webhook", content=body, headers={SIGNATURE_HEADER: sign(body, "rules-app-secret")}
        )
        assert answer.status_code == 200
        deadline = time.monotonic() + 10
        while not meta.sent and time.monotonic() < deadline:
            time.sleep(0.02)
    assert [m.text for m in meta.sent] == ["El envío cuesta $99 a todo el país."]


def test_a_broken_rules_file_stops_the_app_naming_file_and_field(tmp_path: Path) -> None:
    rules_file = tmp_path / "reglas.toml"
    rules_file.write_text(RULES.replace('name = "envio"', 'name = "envio"\npatterns = ["(["]'))
    with pytest.raises(InvalidRulesFile, match=r"reglas\.toml: rules\[0\]\.patterns: "):
        create_app(_settings(tmp_path, rules_file))


def test_check_config_reports_a_broken_rules_file_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules_file = tmp_path / "reglas.toml"
    rules_file.write_text('[[rules]]\nname = "x"\nkeywords = ["a"]\nreplly = "typo"\n')
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "APP_SECRET": "a-secret",
        "VERIFY_TOKEN": "v-token",
        "ACCESS_TOKEN": "EAAG-x",
        "BOT_RULES_FILE": str(rules_file),
    }.items():
        monkeypatch.setenv(f"CRM_WHATSAPP_{name}", value)
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "reglas.toml: rules[0].replly: unknown key; did you mean 'reply'?" in err
