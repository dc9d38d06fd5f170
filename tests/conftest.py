"""Databases for the SQL adapter tests: every such test runs on SQLite and on PostgreSQL.

PostgreSQL's URL comes from ``CRM_WHATSAPP_TEST_POSTGRES_URL`` (``.ci/run`` sets it to the
machine's server). Without it the PostgreSQL cases skip locally, with the reason; under
``CI=true`` they fail instead, so a green CI always means both databases ran. Each test gets
a schema of its own on PostgreSQL and a file of its own on SQLite.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from crm_whatsapp.adapters.memory import (
    FixedClock,
    InMemoryClientLookup,
    InMemoryMessagingGateway,
    InMemoryStore,
    RecordingEventPublisher,
    build_in_memory,
)
from crm_whatsapp.adapters.memory.journal import InMemoryDeliveryJournal
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.sql.delivery_journal import GroupCommitJournal
from crm_whatsapp.adapters.sql.ingest_queries import SqlIngestQueries
from crm_whatsapp.adapters.sql.mapping import (
    conversation_from_row,
    message_from_row,
    status_from_row,
)
from crm_whatsapp.adapters.sql.queries import SqlConversationQueries
from crm_whatsapp.adapters.sql.unit_of_work import SqlUnitOfWork
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import StatusUpdate
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.policy.rules import BotRules
from crm_whatsapp.domain.ports import ConversationQueries, IngestQueries
from crm_whatsapp.domain.use_cases.dependencies import Dependencies

POSTGRES_URL_VARIABLE = "CRM_WHATSAPP_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The test server's URL, or skip (fail under CI) saying how to provide one."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        reason = (
            f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason=reason)  # PostgreSQL missing locally; CI=true fails above
    return url


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The media store's default is a folder in the working directory (like the SQLite
    file): a test's files go to a folder of its own instead, and so do those of the
    services and commands it starts (they inherit the variable)."""
    folder = tmp_path_factory.mktemp("media")
    monkeypatch.setenv("CRM_WHATSAPP_MEDIA_URL", str(folder))


@pytest.fixture
def postgres_test_url() -> str:
    """``CRM_WHATSAPP_TEST_POSTGRES_URL``, or skip locally / fail under CI."""
    return postgres_url()


class PostgresSchema:
    """A schema of its own for one test, dropped afterwards."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"test_{uuid.uuid4().hex[:12]}"
        self._admin = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with self._admin.connect() as connection:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
                connection.execute(text(f'CREATE SCHEMA "{self.name}"'))
        except OperationalError as exc:
            self._admin.dispose()
            pytest.fail(f"PostgreSQL at {POSTGRES_URL_VARIABLE} is unreachable: {exc.orig}")

    @property
    def connect_args(self) -> dict[str, str]:
        return {"options": f"-csearch_path={self.name},public"}

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self._admin.dispose()


def open_database(kind: str, tmp_path: Path) -> tuple[Database, PostgresSchema | None]:
    if kind == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'crm_whatsapp.db'}"), None
    schema = PostgresSchema(postgres_url())
    database = Database(schema.url, engine_options={"connect_args": schema.connect_args})
    return database, schema


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with none of our tables yet (for migration tests)."""
    database, schema = open_database(request.param, tmp_path)
    try:
        yield database
    finally:
        database.dispose()
        if schema is not None:
            schema.drop()


@pytest.fixture
def postgresql_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated PostgreSQL database, for what only PostgreSQL does (row locks)."""
    database, schema = open_database("postgresql", tmp_path)
    try:
        database.migrate()
        yield database
    finally:
        database.dispose()
        if schema is not None:
            schema.drop()


@pytest.fixture
def database(empty_database: Database) -> Database:
    """A database with the library's tables, created by the shipped migrations."""
    empty_database.migrate()
    return empty_database


# -- the same use cases on every backend -------------------------------------------------


@dataclass
class Stored:
    """Everything a backend holds, keyed like the in-memory store's state."""

    conversations: dict[str, Conversation]
    messages: dict[str, Message]
    parked_statuses: dict[str, tuple[StatusUpdate, ...]]


@dataclass
class Backend:
    """What a test needs to drive the use cases and read the results, on one backend.

    The attribute names are those of ``InMemorySetup`` (``snapshot()`` standing for
    ``store.snapshot()``), so a test written for the in-memory adapters runs unchanged on
    SQLite and PostgreSQL.
    """

    name: str
    deps: Dependencies
    queries: ConversationQueries
    gateway: InMemoryMessagingGateway
    clients: InMemoryClientLookup
    clock: FixedClock
    events: RecordingEventPublisher
    snapshot: Callable[[], Stored]
    journal: InMemoryDeliveryJournal | GroupCommitJournal
    """Where webhook bodies are stored before they are read (``append_now`` for tests)."""
    ingest: IngestQueries


BackendFactory = Callable[..., Backend]


def _sql_snapshot(database: Database) -> Callable[[], Stored]:
    def snapshot() -> Stored:
        t = database.tables
        with database.reader.connect() as connection:
            conversations = [
                conversation_from_row(row._mapping)
                for row in connection.execute(select(t.conversations))
            ]
            messages = [
                message_from_row(row._mapping) for row in connection.execute(select(t.messages))
            ]
            parked: dict[str, tuple[StatusUpdate, ...]] = {}
            for row in connection.execute(
                select(t.parked_statuses).order_by(t.parked_statuses.c.id)
            ):
                update = status_from_row(row._mapping)
                parked[update.wamid] = (*parked.get(update.wamid, ()), update)
        return Stored({c.id: c for c in conversations}, {m.id: m for m in messages}, parked)

    return snapshot


def _memory_snapshot(store: InMemoryStore) -> Callable[[], Stored]:
    def snapshot() -> Stored:
        state = store.snapshot()
        return Stored(state.conversations, state.messages, state.parked_statuses)

    return snapshot


def clear_tables(database: Database) -> None:
    """Empty our tables (between Hypothesis examples that share one database)."""
    with database.writer.begin() as connection:
        for table in reversed(database.tables.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendFactory]:
    """A factory of fresh backends: ``backend(clients=..., rules=..., now=...)``.

    On SQL every call starts from empty tables, so Hypothesis examples can share it.
    """
    database: Database | None = None
    schema: PostgresSchema | None = None
    journals: list[GroupCommitJournal] = []
    if request.param != "memory":
        database, schema = open_database(request.param, tmp_path)
        database.migrate()

    def build(
        clients: Iterable[tuple[ClientRef, Sequence[str]]] = (),
        rules: BotRules | None = None,
        now: datetime | None = None,
        default_region: str | None = None,
    ) -> Backend:
        memory = build_in_memory(clients, rules, now, default_region)
        if database is None:
            return Backend(
                "memory",
                memory.deps,
                memory.queries,
                memory.gateway,
                memory.clients,
                memory.clock,
                memory.events,
                _memory_snapshot(memory.store),
                memory.journal,
                memory.ingest,
            )
        clear_tables(database)
        sql_database = database
        deps = dataclasses.replace(memory.deps, unit_of_work=lambda: SqlUnitOfWork(sql_database))
        journal = GroupCommitJournal(database, memory.clock)
        journals.append(journal)
        return Backend(
            request.param,
            deps,
            SqlConversationQueries(database),
            memory.gateway,
            memory.clients,
            memory.clock,
            memory.events,
            _sql_snapshot(database),
            journal,
            SqlIngestQueries(database),
        )

    try:
        yield build
    finally:
        for journal in journals:
            journal.close()
        if database is not None:
            database.dispose()
        if schema is not None:
            schema.drop()
