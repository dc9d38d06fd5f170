"""SQL ConversationQueries: the inbox's pages, each a keyset seek on an index.

Pages never use OFFSET. The cursor is the (time, id) of the previous page's last row, and
the next page starts with a row-value comparison ``(at, id) < (:at, :id)`` that both
databases answer by seeking into the matching index, so page 1000 costs what page 1 does.
Every filter that narrows a lot has an index that starts with it and ends with the sort
key (client, number, bot paused, opted out, unlinked, status, assigned agent).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    and_,
    bindparam,
    exists,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)

from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.adapters.sql.mapping import (
    activity_from_row,
    conversation_from_row,
    message_from_row,
)
from crm_whatsapp.adapters.sql.schema import UtcDateTime, search_table_name
from crm_whatsapp.adapters.sql.statistics import statistics_between
from crm_whatsapp.adapters.system import process_cursors
from crm_whatsapp.domain.activity import Activity
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ActivityNotFound, ConversationNotFound, MessageNotFound
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.pagination import (
    CursorCodec,
    CursorKind,
    Page,
    Position,
    check_page_size,
)
from crm_whatsapp.domain.policy.text import normalize
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.statistics import Statistics, check_statistics_range

SEARCH_WALK = 400
"""Recent conversations a SQLite text search checks before it turns to the FTS5 index."""
SEARCH_CHUNK = 100
"""Conversations checked per query during that walk."""


class SqlConversationQueries:
    """``cursors`` signs the pages' cursors: the deployment's codec (the service passes
    it); without one, a key of this process only (its cursors end with it)."""

    def __init__(self, database: Database, cursors: CursorCodec | None = None) -> None:
        self._database = database
        self._t = database.tables
        self._cursors = cursors or process_cursors()

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
        after = self._after(cursor, CursorKind.CONVERSATIONS)
        with self._read() as db:
            rows = self._conversation_rows(db, filter, after, limit)
        items = [conversation_from_row(row._mapping) for row in rows[:limit]]
        return self._page(
            items, len(rows) > limit, CursorKind.CONVERSATIONS, lambda x: (x.last_activity_at, x.id)
        )

    def messages(
        self, conversation_id: str, limit: int, cursor: str | None = None
    ) -> Page[Message]:
        check_page_size(limit)
        after = self._after(cursor, CursorKind.MESSAGES, conversation_id)
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
        return self._page(
            items,
            len(rows) > limit,
            CursorKind.MESSAGES,
            lambda x: (x.sent_at, x.id),
            conversation_id,
        )

    def message(self, message_id: str) -> Message:
        m = self._t.messages
        with self._read() as db:
            row = db.execute(select(m).where(m.c.id == message_id)).first()
        if row is None:
            raise MessageNotFound(message_id)
        return message_from_row(row._mapping)

    def activity(
        self, conversation_id: str, limit: int, cursor: str | None = None
    ) -> Page[Activity]:
        check_page_size(limit)
        after = self._after(cursor, CursorKind.ACTIVITY, conversation_id)
        c, a = self._t.conversations, self._t.activity
        statement = _seek(
            select(a).where(a.c.conversation_id == conversation_id), a.c.at, a.c.id, after, limit
        )
        with self._read() as db:
            if db.execute(select(c.c.id).where(c.c.id == conversation_id)).first() is None:
                raise ConversationNotFound(conversation_id)
            rows = db.execute(statement).all()
        items = [activity_from_row(row._mapping) for row in rows[:limit]]
        return self._page(
            items, len(rows) > limit, CursorKind.ACTIVITY, lambda x: (x.at, x.id), conversation_id
        )

    def activity_entry(self, activity_id: str) -> Activity:
        a = self._t.activity
        with self._read() as db:
            row = db.execute(select(a).where(a.c.id == activity_id)).first()
        if row is None:
            raise ActivityNotFound(activity_id)
        return activity_from_row(row._mapping)

    def statistics(
        self, since: datetime | None, until: datetime | None, timezone: str
    ) -> Statistics:
        check_statistics_range(since, until, timezone)
        with self._read() as db:
            return statistics_between(db, self._t, since, until, timezone)

    # -- helpers -----------------------------------------------------------------------

    def _after(self, cursor: str | None, kind: CursorKind, scope: str = "") -> Position | None:
        """Where the previous page ended: ``InvalidCursor`` unless our key made ``cursor``
        for this listing (and this conversation)."""
        return None if cursor is None else self._cursors.decode(cursor, kind, scope)

    def _page(
        self, items: list[Any], more: bool, kind: CursorKind, key: Any, scope: str = ""
    ) -> Page[Any]:
        if not more or not items:
            return Page(items, None)
        at, item_id = key(items[-1])
        return Page(items, self._cursors.encode(Position(at, item_id), kind, scope))

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection for one query; driver failures become StorageUnavailable."""
        with translate_errors(self._database), self._database.reader.connect() as connection:
            yield connection

    def _conversation_rows(
        self, db: Connection, f: ConversationFilter, after: Position | None, limit: int
    ) -> Sequence[Row[Any]]:
        c, m = self._t.conversations, self._t.messages
        conditions = self._conditions(f)
        if f.text is None:
            return db.execute(
                _seek(select(c).where(*conditions), c.c.last_activity_at, c.c.id, after, limit)
            ).all()
        # normalize() leaves letters, digits and single spaces: no LIKE wildcard survives.
        pattern = f"%{normalize(f.text)}%"
        said = exists().where(m.c.conversation_id == c.c.id, m.c.search_text.like(pattern))
        if not self._database.is_sqlite:
            # PostgreSQL's planner picks between walking recent conversations (a common
            # word) and the trigram index (a rare one) from its statistics.
            return db.execute(
                _seek(
                    select(c).where(*conditions, said), c.c.last_activity_at, c.c.id, after, limit
                )
            ).all()
        return self._sqlite_text_search(db, conditions, pattern, after=after, limit=limit)

    def _sqlite_text_search(
        self,
        db: Connection,
        conditions: list[ColumnElement[bool]],
        pattern: str,
        *,
        after: Position | None,
        limit: int,
    ) -> Sequence[Row[Any]]:
        """SQLite has no statistics to choose a plan with, so choose by trying.

        First walk the most recent conversations, ``SEARCH_CHUNK`` at a time and at most
        ``SEARCH_WALK`` of them: a common word fills the page there, in O(page). The walk
        goes on only while the hit rate so far says the page will fill within the limit;
        otherwise the word is rare, and the FTS5 trigram index lists the messages that have
        it, in O(matches). Both answers are exact: the walk stops early only with more than
        a page, which are then the first rows in order, or when no conversation is left.
        """
        c = self._t.conversations
        found: list[str] = []
        position = after
        walked = 0
        while walked < SEARCH_WALK and len(found) <= limit:
            chunk = db.execute(
                _seek(
                    select(c.c.id, c.c.last_activity_at).where(*conditions),
                    c.c.last_activity_at,
                    c.c.id,
                    position,
                    SEARCH_CHUNK - 1,
                )
            ).all()
            found += self._said_in(db, [row.id for row in chunk], pattern)
            walked += len(chunk)
            if len(chunk) < SEARCH_CHUNK:  # nothing older is left: the walk saw everything
                return self._rows_in_order(db, found[: limit + 1])
            position = Position(chunk[-1].last_activity_at, chunk[-1].id)
            still_needed = limit + 1 - len(found)
            if still_needed > 0 and still_needed * walked > len(found) * (SEARCH_WALK - walked):
                break  # at this hit rate the walk would not fill the page in time
        if len(found) > limit:
            return self._rows_in_order(db, found[: limit + 1])
        return self._from_search_index(db, conditions, pattern, after=after, limit=limit)

    def _said_in(self, db: Connection, conversation_ids: list[str], pattern: str) -> list[str]:
        """Those of ``conversation_ids`` (kept in order) with a message matching ``pattern``."""
        if not conversation_ids:
            return []
        m = self._t.messages
        hits = set(
            db.execute(
                select(m.c.conversation_id)
                .where(m.c.conversation_id.in_(conversation_ids), m.c.search_text.like(pattern))
                .distinct()
            ).scalars()
        )
        return [cid for cid in conversation_ids if cid in hits]

    def _rows_in_order(self, db: Connection, conversation_ids: list[str]) -> Sequence[Row[Any]]:
        c = self._t.conversations
        if not conversation_ids:
            return []
        rows = {row.id: row for row in db.execute(select(c).where(c.c.id.in_(conversation_ids)))}
        return [rows[cid] for cid in conversation_ids]

    def _from_search_index(
        self,
        db: Connection,
        conditions: list[ColumnElement[bool]],
        pattern: str,
        *,
        after: Position | None,
        limit: int,
    ) -> Sequence[Row[Any]]:
        c, m = self._t.conversations, self._t.messages
        search = search_table_name(self._t.prefix)
        matching = (
            select(m.c.conversation_id.label("conversation_id"))
            .where(
                literal_column("rowid").in_(
                    text(f"SELECT rowid FROM {search} WHERE search_text LIKE :pattern")
                )
            )
            .distinct()
            .subquery("matching")
        )
        hits = matching.join(c, c.c.id == matching.c.conversation_id)
        statement = select(c).select_from(hits).where(*conditions)
        return db.execute(
            _seek(statement, c.c.last_activity_at, c.c.id, after, limit).params(pattern=pattern)
        ).all()

    def _conditions(self, f: ConversationFilter) -> list[ColumnElement[bool]]:
        c = self._t.conversations
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
        if f.assigned_agent_id is not None:
            conditions.append(c.c.assigned_agent_id == f.assigned_agent_id)
        if f.assigned is not None:
            # Conversation.is_assigned: a name, an id, or both
            named, with_id = c.c.assigned_agent, c.c.assigned_agent_id
            conditions.append(
                or_(named.is_not(None), with_id.is_not(None))
                if f.assigned
                else and_(named.is_(None), with_id.is_(None))
            )
        if f.status is not None:
            conditions.append(c.c.status == f.status.value)
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
