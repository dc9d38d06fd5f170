"""One database, SQLite or PostgreSQL, behind the same code path.

The differences are kept here: SQLite gets WAL (readers never wait for the writer), a busy
timeout, foreign keys, and ``BEGIN IMMEDIATE`` for writing transactions, so two writers
queue at the start instead of deadlocking when both upgrade a read lock. PostgreSQL gets
row locks (``FOR UPDATE``, ``SKIP LOCKED`` for the outbox) from the repository.

Driver failures become ``StorageUnavailable`` (the HTTP layer answers 503) with a message
that never includes the URL's password.

A SQLite file holds every conversation: one this code creates is 0600 whatever the umask
(SQLite gives its ``-wal`` and ``-shm`` files the database file's mode); a file that
already exists keeps the mode its operator chose.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool, QueuePool

from crm_whatsapp.adapters.sql.schema import DEFAULT_PREFIX, Tables, build_tables
from crm_whatsapp.adapters.sql.sqlite_search import create_search_index
from crm_whatsapp.domain.errors import StorageUnavailable

DEFAULT_URL = "sqlite:///./crm_whatsapp.db"
SQLITE_FILE_MODE = 0o600


class Database:
    """Engines and tables for one database URL and table prefix.

    ``writer`` runs units of work; ``reader`` runs inbox queries (on PostgreSQL both are
    the same engine).
    """

    def __init__(
        self,
        url: str | URL = DEFAULT_URL,
        *,
        prefix: str = DEFAULT_PREFIX,
        busy_timeout_ms: int = 5000,
        pool_size: int = 5,
        engine_options: dict[str, Any] | None = None,
    ) -> None:
        self.url = make_url(url)
        self._owns_engines = True
        self.tables: Tables = build_tables(prefix, dialect=self.url.get_backend_name())
        self.engine_options: dict[str, Any] = dict(engine_options or {})
        options = dict(self.engine_options)
        self.busy_timeout_ms = busy_timeout_ms
        self._write_lock: threading.Lock | None = None
        if self.is_sqlite:
            # One writer at a time in this process, queued on a lock: SQLite's own busy
            # handler makes waiting writers sleep and poll, which leaves the file idle
            # between them (measured: 94% of a webhook's time under load). Other processes
            # still meet the busy timeout.
            self._write_lock = threading.Lock()
            self.writer = _sqlite_engine(
                self.url, busy_timeout_ms, immediate=True, pool_size=1, **options
            )
            self.reader = _sqlite_engine(
                self.url, busy_timeout_ms, immediate=False, pool_size=pool_size, **options
            )
        else:
            options.setdefault("pool_size", pool_size)
            options.setdefault("pool_pre_ping", True)
            self.writer = create_engine(self.url, **options)
            self.reader = self.writer

    @classmethod
    def from_engine(
        cls, engine: Engine, *, prefix: str = DEFAULT_PREFIX, busy_timeout_ms: int = 5000
    ) -> Database:
        """Our tables in the host's database, through the host's own engine.

        PostgreSQL: the host's engine (and its connection pool) is used as it is, and
        ``dispose`` leaves it to the host. SQLite: our engines are opened on the same file,
        because ours need settings (WAL, ``BEGIN IMMEDIATE`` for writers) that must not
        change how the host's own transactions begin.
        """
        url = engine.url
        if url.get_backend_name() == "sqlite":
            return cls(url, prefix=prefix, busy_timeout_ms=busy_timeout_ms)
        database = cls.__new__(cls)
        database.url = url
        database._owns_engines = False
        database.tables = build_tables(prefix, dialect=url.get_backend_name())
        database.engine_options = {}
        database.busy_timeout_ms = busy_timeout_ms
        database._write_lock = None
        database.writer = database.reader = engine
        return database

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def describe(self) -> str:
        """The URL with the password hidden, for logs and error messages."""
        return self.url.render_as_string(hide_password=True)

    def create_all(self) -> None:
        """Create the tables straight from the metadata (tests, demos); production runs the
        migrations instead (``migrate``)."""
        with translate_errors(self), self.writer.begin() as connection:
            self.tables.metadata.create_all(connection)
            if self.is_sqlite:
                create_search_index(connection, self.tables.prefix)

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to ``revision`` with the shipped Alembic migrations."""
        # Imported here: Alembic costs its import time only to the process that migrates.
        from crm_whatsapp.adapters.sql.migrations.runner import upgrade  # noqa: PLC0415

        with translate_errors(self):
            upgrade(self.writer, self.tables.prefix, revision)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this process's turn to write (SQLite); PostgreSQL locks rows instead."""
        lock = self._write_lock
        if lock is None:
            yield
            return
        if not lock.acquire(timeout=self.busy_timeout_ms / 1000):
            raise StorageUnavailable(
                f"sqlite database {self.describe()} unavailable: busy for "
                f"{self.busy_timeout_ms} ms (too many writers queued in this process)"
            )
        try:
            yield
        finally:
            lock.release()

    def dispose(self) -> None:
        if not self._owns_engines:
            return
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def _sqlite_engine(
    url: URL, busy_timeout_ms: int, *, immediate: bool, pool_size: int, **options: Any
) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    if in_memory:
        raise ValueError(
            "an in-memory SQLite database is private to one connection; use a file "
            "(sqlite:///path/to.db) or the in-memory adapters (crm_whatsapp.adapters.memory)"
        )
    if options.get("poolclass") is not NullPool:
        # Connections are kept: opening one (and its PRAGMAs) cost ~0.5 ms per transaction.
        options.setdefault("poolclass", QueuePool)
        options.setdefault("pool_size", pool_size)
        options.setdefault("max_overflow", 10)
    connect_args = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    engine = create_engine(url, connect_args=connect_args, **options)

    @event.listens_for(engine, "do_connect")
    def _private_file(*_: Any) -> None:
        if not url.query.get("uri") and url.database:
            create_private_file(url.database)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def create_private_file(path: str) -> None:
    """Create ``path`` empty and 0600 (an empty file is an empty SQLite database) unless it
    exists; any other failure is left for SQLite to report when it opens the file."""
    if os.path.exists(path):
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags, SQLITE_FILE_MODE)
    except OSError:  # created meanwhile, or a missing folder: SQLite's own error says so
        return
    try:  # the mode given to os.open is filtered by the umask: set it again
        if hasattr(os, "fchmod"):
            os.fchmod(descriptor, SQLITE_FILE_MODE)
        else:  # Windows: only the read-only flag exists
            os.chmod(path, SQLITE_FILE_MODE)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def translate_errors(database: Database) -> Iterator[None]:
    """Driver trouble (down, locked, connection lost) -> StorageUnavailable."""
    try:
        yield
    except OperationalError as exc:
        raise StorageUnavailable(_describe(database, exc)) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StorageUnavailable(_describe(database, exc)) from exc
        raise
    except SQLAlchemyError as exc:
        if "timeout" in type(exc).__name__.lower():
            raise StorageUnavailable(_describe(database, exc)) from exc
        raise


def _describe(database: Database, exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    secret = database.url.password
    if secret:
        first_line = first_line.replace(str(secret), "***")
    return f"{database.dialect} database {database.describe()} unavailable: {first_line}"
