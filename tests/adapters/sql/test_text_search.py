"""Text search in messages: both of SQLite's paths (the walk over recent conversations and
the FTS5 trigram index) and PostgreSQL's trigram index give the in-memory reference's
answer; the SQLite index follows every write, and survives a migration and a rebuild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from crm_whatsapp.adapters.memory import (
    FixedClock,
    InMemoryClientLookup,
    SequentialIds,
    build_in_memory,
)
from crm_whatsapp.adapters.sql import queries as sql_queries
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.sql.maintenance import rebuild_search_index
from crm_whatsapp.adapters.sql.queries import SqlConversationQueries
from crm_whatsapp.adapters.sql.unit_of_work import SqlUnitOfWork
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.use_cases import Dependencies, receive_inbound
from crm_whatsapp.testing import text_from

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
WORDS = ["hola", "envío", "precio", "factura", "mañana", "Puebla", "pedido", "¡GRACIAS!"]


def write_history(setup, texts: list[str]) -> None:
    """One customer per text, each a minute after the previous one."""
    for n, words in enumerate(texts):
        now = setup.clock.advance(timedelta(minutes=1))
        receive_inbound(setup.deps, text_from(f"52155{n:08d}", words, now, wamid=f"w.{n}"))


def search(setup, wanted: str, page_size: int) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        page = setup.queries.conversations(ConversationFilter(text=wanted), page_size, cursor)
        found += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return found


@pytest.fixture(params=[(400, 100), (3, 2), (1, 1)], ids=["defaults", "short-walk", "index"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """SQLite's walk: the defaults (it sees everything here), a walk of two chunks that
    often stops half way, and one conversation, after which the FTS5 index answers."""
    monkeypatch.setattr(sql_queries, "SEARCH_WALK", request.param[0])
    monkeypatch.setattr(sql_queries, "SEARCH_CHUNK", request.param[1])
    return request.param


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([*WORDS, "ENVIO", "pue", "xyz", "a"]),
    st.integers(1, 4),
)
def test_every_backend_finds_what_the_reference_finds(backend, walk, texts, wanted, page_size):
    setup = backend(now=T0)
    write_history(setup, texts)
    reference = build_in_memory(now=T0)
    write_history(reference, texts)

    assert search(setup, wanted, page_size) == search(reference, wanted, page_size)


def sqlite_inbox(path: Path) -> tuple[Database, Dependencies]:
    database = Database(f"sqlite:///{path}")
    deps = Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(database),
        clients=InMemoryClientLookup(),
        clock=FixedClock(T0),
        ids=SequentialIds(),
    )
    return database, deps


def indexed_messages(database: Database) -> int:
    with database.reader.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM crm_whatsapp_messages_search WHERE search_text LIKE '%'")
            ).scalar_one()
        )


def test_the_sqlite_index_follows_inserts_and_ignores_status_rewrites(tmp_path, monkeypatch):
    monkeypatch.setattr(sql_queries, "SEARCH_WALK", 1)
    monkeypatch.setattr(sql_queries, "SEARCH_CHUNK", 1)
    database, deps = sqlite_inbox(tmp_path / "crm.db")
    database.migrate()
    receive_inbound(deps, text_from("5215512345678", "¿Llega mañana mi pedido?", T0))
    with SqlUnitOfWork(database) as uow:  # a status update rewrites every column
        message = uow.conversations.message_by_wamid(next(iter(_wamids(database))))
        assert message is not None
        uow.conversations.update_message(message)
        uow.commit()

    found = SqlConversationQueries(database).conversations(ConversationFilter(text="MANANA"), 10)
    assert len(found.items) == 1
    assert indexed_messages(database) == 2  # the question and the bot's greeting
    database.dispose()


def test_messages_stored_before_the_search_migration_are_indexed_by_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sql_queries, "SEARCH_WALK", 1)
    monkeypatch.setattr(sql_queries, "SEARCH_CHUNK", 1)
    today, today_deps = sqlite_inbox(tmp_path / "today.db")
    today.migrate()
    receive_inbound(today_deps, text_from("5215512345678", "quiero factura", T0))
    stored = _rows_of(today, ("conversations", "conversation_keys", "messages"))
    today.dispose()
    database, _ = sqlite_inbox(tmp_path / "crm.db")
    database.migrate("0001")
    _insert_as_of_this_revision(database, stored)  # the columns revision 0001 had

    database.migrate()

    found = SqlConversationQueries(database).conversations(ConversationFilter(text="factura"), 10)
    assert len(found.items) == 1
    database.dispose()


def _rows_of(database: Database, names: tuple[str, ...]) -> dict[str, list[dict[str, object]]]:
    with database.reader.connect() as connection:
        return {
            name: [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table}"))]
            for name in names
            for table in [f"crm_whatsapp_{name}"]
        }


def _insert_as_of_this_revision(
    database: Database, rows: dict[str, list[dict[str, object]]]
) -> None:
    """Insert the rows, as stored, with only the columns the tables have now."""
    with database.writer.begin() as connection:
        for name, table_rows in rows.items():
            table = f"crm_whatsapp_{name}"
            present = {c["name"] for c in inspect(connection).get_columns(table)}
            for row in table_rows:
                columns = [k for k in row if k in present]
                connection.execute(
                    text(
                        f"INSERT INTO {table} ({', '.join(columns)}) "
                        f"VALUES ({', '.join(':' + c for c in columns)})"
                    ),
                    {c: row[c] for c in columns},
                )


def test_rebuilding_the_sqlite_index_repairs_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sql_queries, "SEARCH_WALK", 1)
    monkeypatch.setattr(sql_queries, "SEARCH_CHUNK", 1)
    database, deps = sqlite_inbox(tmp_path / "crm.db")
    database.migrate()
    receive_inbound(deps, text_from("5215512345678", "quiero factura", T0))
    with database.writer.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO crm_whatsapp_messages_search(crm_whatsapp_messages_search) "
                "VALUES ('delete-all')"
            )
        )
    inbox = SqlConversationQueries(database)
    assert inbox.conversations(ConversationFilter(text="factura"), 10).items == []

    rebuild_search_index(database)

    assert len(inbox.conversations(ConversationFilter(text="factura"), 10).items) == 1
    database.dispose()


def _wamids(database: Database) -> list[str]:
    with database.reader.connect() as connection:
        return list(
            connection.execute(
                text("SELECT wamid FROM crm_whatsapp_messages WHERE wamid IS NOT NULL")
            ).scalars()
        )
