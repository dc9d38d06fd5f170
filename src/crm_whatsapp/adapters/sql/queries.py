"""SQL ConversationQueries: the inbox's pages, each a keyset seek on an index.

Pages never use OFFSET. The cursor is the (time, id) of the previous page's last row, and
the next page starts with a row-value comparison ``(at, id) < (:at, :id)`` that both
databases answer by seeking into the matching index, so page 1000 costs what page 1 does.
Every filter that narrows a lot has an index that starts with it and ends with the sort
key (client, number, bot paused, opted out, unlinked).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    exists,
    select,
    true,
    tuple_,
)

from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.adapters.sql.mapping import conversation_from_row, message_from_row
from crm_whatsapp.adapters.sql.schema import UtcDateTime
from crm_whatsapp.adapters.sql.statistics import statistics_between
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ConversationNotFound
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.pagination import Page, Position, check_page_size
from crm_whatsapp.domain.policy.text import normalize
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.statistics import Statistics, check_statistics_range


class SqlConversationQueries:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._t = database.tables

    def conversation(self, conversation_id: str) -> Conversation:
        c = self._t.conversations
        with self._read() as db:
            row = db.execute(select(c).where(c.c.id == conversation_id)).first()
        if row is None:
            raise ConversationNotFound(conversation_id)
        return conversation_from_row(row._mapping)

    def conversations(
        self, filter: ConversationFilter, limit: int, cursor: str | None = None
    ) -> Page[Conversation]:
        check_page_size(limit)
        after = Position.decode(cursor, "c") if cursor is not None else None
        c = self._t.conversations
        statement = select(c).where(*self._conditions(filter))
        statement = _seek(statement, c.c.last_activity_at, c.c.id, after, limit)
        with self._read() as db:
            rows = db.execute(statement).all()
        items = [conversation_from_row(row._mapping) for row in rows[:limit]]
        return _page(items, len(rows) > limit, "c", lambda x: (x.last_activity_at, x.id))

    def messages(
        self, conversation_id: str, limit: int, cursor: str | None = None
    ) -> Page[Message]:
        check_page_size(limit)
        after = Position.decode(cursor, "m") if cursor is not None else None
        c, m = self._t.conversations, self._t.messages
        statement = _seek(
            select(m).where(m.c.conversation_id == conversation_id),
            m.c.sent_at,
            m.c.id,
            after,
            limit,
        )
        with self._read() as db:
            if db.execute(select(c.c.id).where(c.c.id == conversation_id)).first() is None:
                raise ConversationNotFound(conversation_id)
            rows = db.execute(statement).all()
        items = [message_from_row(row._mapping) for row in rows[:limit]]
        return _page(items, len(rows) > limit, "m", lambda x: (x.sent_at, x.id))

    def statistics(
        self, since: datetime | None, until: datetime | None, timezone: str
    ) -> Statistics:
        check_statistics_range(since, until, timezone)
        with self._read() as db:
            return statistics_between(db, self._t, since, until, timezone)

    # -- helpers -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection for one query; driver failures become StorageUnavailable."""
        with translate_errors(self._database), self._database.reader.connect() as connection:
            yield connection

    def _conditions(self, f: ConversationFilter) -> list[ColumnElement[bool]]:
        c, m = self._t.conversations, self._t.messages
        conditions: list[ColumnElement[bool]] = []
        if f.client_id is not None:
            conditions.append(c.c.client_id == f.client_id)
        if f.number is not None:
            conditions.append(c.c.phone_key == f.number.lookup_key)
        if f.since is not None:
            conditions.append(c.c.last_activity_at >= f.since)
        if f.until is not None:
            conditions.append(c.c.last_activity_at < f.until)
        if f.linked is not None:
            conditions.append(c.c.client_id.is_not(None) if f.linked else c.c.client_id.is_(None))
        if f.bot_paused is not None:
            conditions.append(c.c.bot_paused == f.bot_paused)
        if f.opted_out is not None:
            conditions.append(c.c.opted_out == f.opted_out)
        if f.text is not None:
            wanted = normalize(f.text)
            # normalize() leaves letters, digits and single spaces: no LIKE wildcard survives.
            conditions.append(
                exists().where(m.c.conversation_id == c.c.id, m.c.search_text.like(f"%{wanted}%"))
                if wanted
                else true()
            )
        return conditions


def _seek(
    statement: Select[Any],
    at_column: Any,
    id_column: Any,
    after: Position | None,
    limit: int,
) -> Select[Any]:
    """Newest first from just below ``after``; one row more than asked tells if more exist."""
    if after is not None:
        statement = statement.where(
            tuple_(at_column, id_column)
            < tuple_(
                bindparam(None, after.at, type_=UtcDateTime()),
                bindparam(None, after.id, type_=String()),
            )
        )
    return statement.order_by(at_column.desc(), id_column.desc()).limit(limit + 1)


def _page(items: list[Any], more: bool, kind: str, key: Any) -> Page[Any]:
    if not more or not items:
        return Page(items, None)
    at, item_id = key(items[-1])
    return Page(items, Position(at, item_id).encode(kind))
