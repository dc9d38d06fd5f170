"""``crm-whatsapp media prune`` on SQLite with the files in a folder, as a cron job runs it."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crm_whatsapp.adapters.memory import FixedClock, InMemoryMessagingGateway
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.app import Settings
from crm_whatsapp.app.cli import main
from crm_whatsapp.app.container import build_container, close_owned
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import MediaStatus
from crm_whatsapp.domain.message import IncomingMessage, MessageKind
from crm_whatsapp.domain.ports import Clock, ConversationQueries, MediaStore, MessagingGateway
from crm_whatsapp.domain.use_cases import Dependencies, receive_inbound
from crm_whatsapp.domain.use_cases.media_fetch import fetch_due_media

NUMBER = "106540352242922"
NOW = datetime.now(UTC)


def photo(label: int) -> bytes:
    return b"\xff\xd8\xff\xe0 photo %d " % label + bytes(range(256)) * 4


class Service:
    """A database and a media folder holding customers' photos received days ago."""

    def __init__(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'crm.db'}"
        self.media = tmp_path / "media"
        assert main(["db", "upgrade", "--url", self.url]) == 0
        self.ids: dict[str, str] = {}

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=self.url,
            media_url=str(self.media),
        )

    def receive(self, name: str, label: int, days_old: int) -> None:
        clock = FixedClock(NOW - timedelta(days=days_old))
        gateway = InMemoryMessagingGateway()
        gateway.add_media(name, photo(label), "image/jpeg")
        container = build_container(self.settings(), {Clock: clock, MessagingGateway: gateway})
        try:
            deps: Dependencies = container.resolve(Dependencies)
            outcome = receive_inbound(
                deps,
                IncomingMessage(
                    business_number_id=NUMBER,
                    customer=CustomerIdentity.from_wa_id("5215512345678"),
                    wamid=f"wamid.{name}",
                    kind=MessageKind.IMAGE,
                    timestamp=clock.now(),
                    media_id=name,
                    details={"mime_type": "image/jpeg"},
                ),
            )
            assert outcome.message is not None
            store: MediaStore = container.resolve(MediaStore)
            asyncio.run(fetch_due_media(deps, gateway, store))
            self.ids[name] = outcome.message.id
        finally:
            close_owned(container)
        assert self.status(name) is MediaStatus.STORED

    def status(self, name: str) -> MediaStatus:
        container = build_container(self.settings())
        try:
            queries: ConversationQueries = container.resolve(ConversationQueries)
            media = queries.message(self.ids[name]).media
            assert media is not None
            return media.status
        finally:
            close_owned(container)

    def files(self) -> set[str]:
        return {path.name for path in self.media.rglob("*") if path.is_file()}

    def prune(self, *args: str) -> int:
        return main(["media", "prune", "--url", self.url, "--media-url", str(self.media), *args])


@pytest.fixture
def service(tmp_path: Path) -> Service:
    service = Service(tmp_path)
    service.receive("old", 1, days_old=40)
    service.receive("older-shared", 2, days_old=45)
    service.receive("recent", 2, days_old=3)
    service.receive("new", 3, days_old=1)
    return service


def digest_of(label: int) -> str:
    return hashlib.sha256(photo(label)).hexdigest()


def stored_digests(service: Service) -> set[str]:
    names = service.files()
    return {label for label in (1, 2, 3) if any(digest_of(label) in n for n in names)}


def test_messages_older_than_n_days_lose_their_files_and_the_counts_are_shown(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stored_digests(service) == {1, 2, 3}

    assert service.prune("--older-than-days", "30") == 0

    out, err = capsys.readouterr()
    assert "pruned the files of 2 messages older than 30 days" in out
    assert "1 file deleted, 1 file kept for newer messages" in out
    assert "files [" in err
    assert "100.0% 2/2" in err
    assert service.status("old") is MediaStatus.PRUNED
    assert service.status("older-shared") is MediaStatus.PRUNED
    assert service.status("recent") is MediaStatus.STORED
    assert service.status("new") is MediaStatus.STORED
    assert stored_digests(service) == {2, 3}

    assert service.prune("--older-than-days", "30") == 0  # a daily cron job: nothing left
    assert "pruned the files of 0 messages" in capsys.readouterr().out


def test_the_retention_setting_is_the_default(
    service: Service, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_WHATSAPP_MEDIA_RETENTION_DAYS", "2")

    assert service.prune() == 0

    assert "pruned the files of 3 messages older than 2 days" in capsys.readouterr().out
    assert service.status("recent") is MediaStatus.PRUNED
    assert service.status("new") is MediaStatus.STORED
    assert stored_digests(service) == {3}


def test_a_dry_run_counts_and_changes_nothing(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    assert service.prune("--older-than-days", "30", "--dry-run") == 0

    out, err = capsys.readouterr()
    assert "dry run: would prune the files of 2 messages older than 30 days" in out
    assert "1 file to delete, 1 file kept for newer messages; nothing changed" in out
    assert err == ""
    assert service.status("old") is MediaStatus.STORED
    assert stored_digests(service) == {1, 2, 3}


def test_with_retention_off_and_no_option_it_refuses_to_guess(
    service: Service, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CRM_WHATSAPP_MEDIA_RETENTION_DAYS", raising=False)

    assert service.prune() == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "retention is off" in err
    assert "CRM_WHATSAPP_MEDIA_RETENTION_DAYS" in err
    assert "--older-than-days" in err
    assert stored_digests(service) == {1, 2, 3}


def test_zero_days_is_refused(service: Service, capsys: pytest.CaptureFixture[str]) -> None:
    assert service.prune("--older-than-days", "0") == 2

    assert "at least 1" in capsys.readouterr().err
    assert stored_digests(service) == {1, 2, 3}


def test_a_database_without_the_tables_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Database(url).dispose()

    assert main(["media", "prune", "--url", url, "--older-than-days", "30"]) != 0

    err = capsys.readouterr().err
    assert err.startswith("crm-whatsapp media")
    assert "Traceback" not in err
