"""``crm-whatsapp deliveries list|replay`` on SQLite: the quarantine from a shell, and a
replay after the setting that quarantined a delivery changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.sql.delivery_journal import GroupCommitJournal
from crm_whatsapp.app import Settings
from crm_whatsapp.app.cli import main
from crm_whatsapp.app.container import build_container, close_owned
from crm_whatsapp.app.ingest_processor import IngestProcessor
from crm_whatsapp.domain.ports import ConversationQueries, DeliveryJournal
from crm_whatsapp.domain.queries import ConversationFilter
from webhook_bodies import (
    NUMBER_ID,
    body,
    change,
    encoded,
    messages_value,
    now_seconds,
    text_message,
)

WA_ID = "5215512345678"


class Service:
    """A database whose journal holds deliveries the processor has read."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.url = f"sqlite:///{tmp_path / 'crm.db'}"
        monkeypatch.chdir(tmp_path)
        for name in ("DATABASE_URL", "PHONE_NUMBER_IDS", "TABLE_PREFIX"):
            monkeypatch.delenv(f"CRM_WHATSAPP_{name}", raising=False)
        monkeypatch.setenv("CRM_WHATSAPP_DATABASE_URL", self.url)

    def receive(self, bodies: list[bytes], phone_number_ids: str = "") -> None:
        """Store the bodies as the webhook does, then let the processor read them."""
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=self.url,
            phone_number_ids=phone_number_ids,
        )
        container = build_container(settings)
        try:
            container.resolve(Database).migrate()
            journal: GroupCommitJournal = container.resolve(DeliveryJournal)
            for raw in bodies:
                journal.append_now(raw)
            container.resolve(IngestProcessor).run_once()
        finally:
            close_owned(container)

    def inbound_texts(self) -> list[str]:
        settings = Settings(_env_file=None, database_url=self.url)  # type: ignore[call-arg]
        container = build_container(settings)
        try:
            queries = container.resolve(ConversationQueries)
            return [c.last_preview for c in queries.conversations(ConversationFilter(), 50).items]
        finally:
            close_owned(container)


def test_list_shows_where_and_why_and_json_keeps_the_raw_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = Service(tmp_path, monkeypatch)
    no_id = {"from": WA_ID, "timestamp": now_seconds(), "type": "text", "text": {"body": "x"}}
    service.receive([encoded(body(change("messages", messages_value([no_id]))))])

    assert main(["deliveries", "list"]) == 0
    listed = capsys.readouterr().out
    assert "entry[0].changes[0].value.messages[0]" in listed
    assert "id: Field required" in listed

    assert main(["deliveries", "list", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    item = json.loads(line)
    assert json.loads(item["raw"]) == no_id
    assert item["state"] == "open"
    assert item["field"] == "messages"


def test_replay_after_the_allowlist_changed_stores_once_and_a_second_replay_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = Service(tmp_path, monkeypatch)
    message = text_message(WA_ID, "Hola", "wamid.replay.1")
    service.receive([encoded(body(change("messages", messages_value([message]))))], "999")
    assert service.inbound_texts() == []

    monkeypatch.setenv("CRM_WHATSAPP_PHONE_NUMBER_IDS", "999")
    assert main(["deliveries", "replay"]) == 1  # the setting still refuses it
    assert "1 still in quarantine" in capsys.readouterr().out

    monkeypatch.setenv("CRM_WHATSAPP_PHONE_NUMBER_IDS", f"999,{NUMBER_ID}")
    assert main(["deliveries", "replay"]) == 0
    assert "1 messages" in capsys.readouterr().out
    assert main(["deliveries", "replay"]) == 0
    assert "0 messages" in capsys.readouterr().out
    assert len(service.inbound_texts()) == 1

    assert main(["deliveries", "list", "--estado", "reprocesadas"]) == 0
    assert "replayed" in capsys.readouterr().out


def test_an_empty_quarantine_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Service(tmp_path, monkeypatch)
    assert main(["deliveries", "list"]) == 0
    assert "vacía" in capsys.readouterr().out
