"""SQL UnitOfWork: one connection and one transaction per use case, all or nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, RootTransaction
from sqlalchemy.exc import SQLAlchemyError

from crm_whatsapp.adapters.sql.activity_log import SqlActivityLog
from crm_whatsapp.adapters.sql.canned_responses import SqlCannedResponses
from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.adapters.sql.deliveries import SqlDeliveryRepository
from crm_whatsapp.adapters.sql.repository import SqlConversationRepository
from crm_whatsapp.adapters.sql.template_catalog import SqlTemplateCatalog


class SqlUnitOfWork:
    """Opens a transaction on enter; leaving without ``commit`` rolls everything back.

    Driver failures anywhere inside (the database went down, a lock wait timed out) leave
    as ``StorageUnavailable``, whichever repository call hit them.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._repository: SqlConversationRepository | None = None
        self._deliveries: SqlDeliveryRepository | None = None
        self._activity: SqlActivityLog | None = None
        self._canned: SqlCannedResponses | None = None
        self._templates: SqlTemplateCatalog | None = None
        self._turn: AbstractContextManager[None] | None = None

    @property
    def conversations(self) -> SqlConversationRepository:
        if self._repository is None:
            raise RuntimeError("use the unit of work inside a with block")
        return self._repository

    @property
    def deliveries(self) -> SqlDeliveryRepository:
        if self._deliveries is None:
            if self._connection is None:
                raise RuntimeError("use the unit of work inside a with block")
            self._deliveries = SqlDeliveryRepository(self._connection, self._database.tables.ingest)
        return self._deliveries

    @property
    def activity(self) -> SqlActivityLog:
        if self._activity is None:
            if self._connection is None:
                raise RuntimeError("use the unit of work inside a with block")
            self._activity = SqlActivityLog(self._connection, self._database.tables.activity)
        return self._activity

    @property
    def templates(self) -> SqlTemplateCatalog:
        if self._templates is None:
            if self._connection is None:
                raise RuntimeError("use the unit of work inside a with block")
            self._templates = SqlTemplateCatalog(self._connection, self._database.tables.templates)
        return self._templates

    @property
    def canned_responses(self) -> SqlCannedResponses:
        if self._canned is None:
            if self._connection is None:
                raise RuntimeError("use the unit of work inside a with block")
            self._canned = SqlCannedResponses(
                self._connection, self._database.tables.canned_responses
            )
        return self._canned

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        if self._connection is None or self._repository is None:
            raise RuntimeError("use the unit of work inside a with block")
        repository = self._repository
        with translate_errors(self._database):
            nested = self._connection.begin_nested()
        try:
            yield
        except BaseException:
            if nested.is_active:
                with translate_errors(self._database):
                    nested.rollback()
            # what the repository remembers of this transaction may be what was undone
            repository.forget()
            raise
        with translate_errors(self._database):
            nested.commit()

    def __enter__(self) -> Self:
        turn = self._database.writing()
        turn.__enter__()
        try:
            with translate_errors(self._database):
                connection = self._database.writer.connect()
                try:
                    self._transaction = connection.begin()
                except BaseException:
                    connection.close()
                    raise
        except BaseException:
            turn.__exit__(None, None, None)
            raise
        self._turn = turn
        self._connection = connection
        self._repository = SqlConversationRepository(connection, self._database.tables)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, transaction = self._connection, self._transaction
        self._connection = self._transaction = self._repository = None
        self._deliveries = self._activity = None
        self._canned = None
        self._templates = None
        try:
            if transaction is not None and transaction.is_active:
                # A rollback on a connection the database dropped fails too: as a
                # StorageUnavailable, like every driver failure (a 503, not a 500).
                with translate_errors(self._database):
                    transaction.rollback()
        except Exception:
            if exc is None:
                raise
        finally:
            if connection is not None:
                connection.close()
            turn, self._turn = self._turn, None
            if turn is not None:
                turn.__exit__(None, None, None)
        if isinstance(exc, SQLAlchemyError):
            with translate_errors(self._database):
                raise exc

    def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit outside the with block")
        with translate_errors(self._database):
            self._transaction.commit()
