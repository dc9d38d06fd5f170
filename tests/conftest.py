"""Databases for the SQL adapter tests: every such test runs on SQLite and on PostgreSQL.

PostgreSQL's URL comes from ``CRM_WHATSAPP_TEST_POSTGRES_URL`` (``.ci/run`` sets it to the
machine's server). Without it the PostgreSQL cases skip locally, with the reason; under
``CI=true`` they fail instead, so a green CI always means both databases ran. Each test gets
a schema of its own on PostgreSQL and a file of its own on SQLite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from crm_whatsapp.adapters.sql.database import Database

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
        pytest.skip(reason)
    return url


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
def database(empty_database: Database) -> Database:
    """A database with the library's tables, created by the shipped migrations."""
    empty_database.migrate()
    return empty_database
