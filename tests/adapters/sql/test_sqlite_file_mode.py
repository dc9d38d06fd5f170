"""The SQLite file holds every conversation: created private (0600, with its -wal and -shm),
whatever the umask; a file the operator made keeps the mode they gave it."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.domain.errors import StorageUnavailable

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_a_new_database_file_and_its_journal_are_readable_by_the_owner_only(
    tmp_path: Path, umask: int
) -> None:
    """Attack: another local user (a shared host, a misconfigured container volume) reads
    customers' messages straight from a world-readable database file or its WAL."""
    path = tmp_path / "crm_whatsapp.db"
    database = Database(f"sqlite:///{path}")
    try:
        database.migrate()
        with database.writer.connect() as connection:  # the WAL and its index exist now
            connection.execute(text("SELECT 1"))
            files = sorted(tmp_path.iterdir())
            assert {f.name for f in files} >= {"crm_whatsapp.db", "crm_whatsapp.db-wal"}
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        database.dispose()


def test_a_relative_default_path_is_private_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    monkeypatch.chdir(tmp_path)
    database = Database()  # sqlite:///./crm_whatsapp.db
    try:
        database.create_all()
    finally:
        database.dispose()
    assert mode(tmp_path / "crm_whatsapp.db") == 0o600


def test_an_existing_file_keeps_the_mode_its_operator_chose(tmp_path: Path) -> None:
    """A backup job's group may need to read it: only files we create are made private."""
    path = tmp_path / "shared.db"
    path.touch()
    path.chmod(0o640)
    database = Database(f"sqlite:///{path}")
    try:
        database.create_all()
    finally:
        database.dispose()
    assert mode(path) == 0o640


def test_a_missing_folder_is_still_reported_by_the_database(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'no-such-folder' / 'crm.db'}")
    try:
        with pytest.raises(StorageUnavailable, match="unable to open database file"):
            database.create_all()
    finally:
        database.dispose()
