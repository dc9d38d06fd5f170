"""The CannedResponses port on SQL, in the unit of work's transaction: rows mapped to
``CannedResponse`` here, a taken shortcut told by the unique index on ``shortcut_key``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Table, and_, case, false, or_, select
from sqlalchemy.exc import IntegrityError

from crm_whatsapp.domain.access import Actor, ActorKind
from crm_whatsapp.domain.canned_responses import CannedResponse, SearchTerms, shortcut_key
from crm_whatsapp.domain.errors import CannedResponseNotFound, DuplicateShortcut


class SqlCannedResponses:
    def __init__(self, connection: Connection, table: Table) -> None:
        self._db = connection
        self._t = table

    def add(self, response: CannedResponse) -> None:
        try:
            with self._db.begin_nested():  # the transaction stays usable after a refusal
                self._db.execute(self._t.insert(), canned_response_values(response))
        except IntegrityError as exc:
            raise DuplicateShortcut(response.shortcut) from exc

    def update(self, response: CannedResponse) -> None:
        values = canned_response_values(response)
        del values["id"], values["created_at"]
        try:
            with self._db.begin_nested():
                updated = self._db.execute(
                    self._t.update().where(self._t.c.id == response.id).values(values)
                )
        except IntegrityError as exc:
            raise DuplicateShortcut(response.shortcut) from exc
        if updated.rowcount == 0:
            raise CannedResponseNotFound(repr(response.id))

    def delete(self, response_id: str) -> None:
        deleted = self._db.execute(self._t.delete().where(self._t.c.id == response_id))
        if deleted.rowcount == 0:
            raise CannedResponseNotFound(repr(response_id))

    def get(self, response_id: str) -> CannedResponse:
        row = self._db.execute(select(self._t).where(self._t.c.id == response_id)).first()
        if row is None:
            raise CannedResponseNotFound(repr(response_id))
        return canned_response_from_row(row._mapping)

    def by_shortcut(self, shortcut: str) -> CannedResponse | None:
        key = self._t.c.shortcut_key
        row = self._db.execute(select(self._t).where(key == shortcut_key(shortcut))).first()
        return None if row is None else canned_response_from_row(row._mapping)

    def search(self, query: str, limit: int) -> Sequence[CannedResponse]:
        """``SearchTerms`` in SQL: LIKE on the stored key and words, both already in the
        form the terms are (lower case, accents out), so both databases compare alike."""
        terms = SearchTerms.of(query)
        t = self._t
        statement = select(t)
        if not terms.is_everything:
            by_prefix = t.c.shortcut_key.like(_escaped(terms.prefix) + "%", escape="\\")
            by_words: ColumnElement[bool] = (
                and_(*(t.c.search_text.like(f"%{_escaped(w)}%", escape="\\") for w in terms.words))
                if terms.words
                else false()
            )
            statement = statement.where(or_(by_prefix, by_words)).order_by(
                case((by_prefix, 0), else_=1)
            )
        # code point order, as Python sorts: PostgreSQL's default collation would not be
        key: ColumnElement[str] = t.c.shortcut_key
        if self._db.dialect.name == "postgresql":
            key = key.collate("C")
        rows = self._db.execute(statement.order_by(key).limit(limit))
        return [canned_response_from_row(row._mapping) for row in rows]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def canned_response_values(response: CannedResponse) -> dict[str, Any]:
    actor = response.created_by
    return {
        "id": response.id,
        "shortcut": response.shortcut,
        "shortcut_key": response.key,
        "title": response.title,
        "text": response.text,
        "search_text": response.search_text,
        "created_at": response.created_at,
        "updated_at": response.updated_at,
        "created_by_kind": actor.kind.value,
        "created_by_id": actor.id,
        "created_by_name": actor.name,
        "created_by_on_behalf_of": actor.on_behalf_of,
    }


def canned_response_from_row(row: RowMapping) -> CannedResponse:
    return CannedResponse(
        id=row["id"],
        shortcut=row["shortcut"],
        title=row["title"],
        text=row["text"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        created_by=Actor(
            ActorKind(row["created_by_kind"]),
            row["created_by_name"],
            row["created_by_id"],
            row["created_by_on_behalf_of"],
        ),
    )
