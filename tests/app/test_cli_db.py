"""``crm-whatsapp db upgrade`` and ``db prune-statuses`` on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.sql.unit_of_work import SqlUnitOfWork
from crm_whatsapp.app.cli import main
from crm_whatsapp.domain.delivery import DeliveryStatus, StatusUpdate


def test_upgrade_creates_the_tables_with_a_prefix_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    monkeypatch.setenv("CRM_WHATSAPP_DATABASE_URL", url)
    monkeypatch.setenv("CRM_WHATSAPP_TABLE_PREFIX", "wa_")

    assert main(["db", "upgrade"]) == 0

    database = Database(url)
    with database.reader.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    database.dispose()
    assert {"wa_conversations", "wa_messages", "wa_alembic_version"} <= tables
    assert "tablas al día" in capsys.readouterr().out


def test_prune_statuses_removes_only_old_parked_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert main(["db", "upgrade", "--url", url]) == 0
    database = Database(url)
    now = datetime.now(UTC)
    with SqlUnitOfWork(database) as uow:
        for wamid, age in (("wamid.old", 30), ("wamid.new", 1)):
            update = StatusUpdate(wamid, DeliveryStatus.READ, now - timedelta(days=age))
            uow.conversations.park_status(update)
        uow.commit()

    assert main(["db", "prune-statuses", "--url", url, "--older-than-days", "7"]) == 0

    with SqlUnitOfWork(database) as uow:
        assert uow.conversations.take_parked_statuses("wamid.old") == []
        assert len(uow.conversations.take_parked_statuses("wamid.new")) == 1
    database.dispose()
    assert "1 estados aparcados borrados" in capsys.readouterr().out


def test_a_database_that_is_down_is_reported_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql+psycopg://crm:hunter2-secret@127.0.0.1:9/crm"

    assert main(["db", "upgrade", "--url", url]) == 1

    err = capsys.readouterr().err
    assert "unavailable" in err
    assert "hunter2-secret" not in err


def test_rebuild_search_reindexes_the_messages_on_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert main(["db", "upgrade", "--url", url]) == 0

    assert main(["db", "rebuild-search", "--url", url]) == 0

    assert "índice de búsqueda reconstruido" in capsys.readouterr().out
