"""A host CRM's own SQLAlchemy engine: shared on PostgreSQL (its pool, left open for the
host), and on SQLite our own engines on the same file (ours begin writes differently)."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from crm_whatsapp.adapters.sql import Database, SqlConversationQueries
from crm_whatsapp.domain.queries import ConversationFilter


def test_postgresql_shares_the_hosts_engine_and_leaves_it_open(postgres_test_url: str) -> None:
    host_engine = create_engine(postgres_test_url)
    prefix = f"h{uuid.uuid4().hex[:8]}_"
    database = Database.from_engine(host_engine, prefix=prefix)
    try:
        assert database.writer is host_engine
        assert database.reader is host_engine
        database.migrate()
        page = SqlConversationQueries(database).conversations(ConversationFilter(), 5)
        assert list(page.items) == []
        database.dispose()
        with host_engine.connect() as connection:  # still the host's, still usable
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        with host_engine.begin() as connection:
            names = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE tablename LIKE :p"),
                {"p": prefix + "%"},
            ).scalars()
            for name in list(names):
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        host_engine.dispose()


def test_sqlite_opens_its_own_engines_on_the_hosts_file(tmp_path: Path) -> None:
    host_engine = create_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    database = Database.from_engine(host_engine)
    try:
        assert database.writer is not host_engine
        assert database.url == host_engine.url
        database.migrate()
        with host_engine.connect() as connection:
            tables = connection.execute(
                text("SELECT name FROM sqlite_master WHERE name = 'crm_whatsapp_messages'")
            ).all()
        assert tables == [("crm_whatsapp_messages",)]
    finally:
        database.dispose()
        host_engine.dispose()
