"""The TemplateCatalog port on SQL, in the unit of work's transaction: a sync's whole
catalogue, or a template webhook, is committed with the rest of its work or not at all.

``list`` filters status, language and category in SQL and the words of ``text`` in Python
(a catalogue holds at most a few thousand templates), and orders in Python too, so every
database (whatever its collation) and the in-memory store list in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select

from crm_whatsapp.adapters.sql.statements import dialect_insert
from crm_whatsapp.adapters.sql.template_mapping import template_from_row, template_values
from crm_whatsapp.adapters.sql.template_schema import SYNC_ROW, TemplateTables
from crm_whatsapp.domain.templates import Template, TemplateFilter


class SqlTemplateCatalog:
    def __init__(self, connection: Connection, tables: TemplateTables) -> None:
        self._db = connection
        self._t = tables
        t = tables.templates
        insert = dialect_insert(t, connection.dialect.name)
        self._upsert = insert.on_conflict_do_update(
            index_elements=["name", "language"],
            set_={
                column.name: insert.excluded[column.name]
                for column in t.columns
                if not column.primary_key
            },
        )
        sync = dialect_insert(tables.sync, connection.dialect.name)
        self._mark = sync.on_conflict_do_update(
            index_elements=["id"], set_={"synced_at": sync.excluded.synced_at}
        )

    def get(self, name: str, language: str) -> Template | None:
        t = self._t.templates
        row = self._db.execute(select(t).where(t.c.name == name, t.c.language == language)).first()
        return None if row is None else template_from_row(row._mapping)

    def list(self, where: TemplateFilter) -> Sequence[Template]:
        t = self._t.templates
        query = select(t)
        if where.status is not None:
            query = query.where(t.c.status == where.status.upper())
        if where.language is not None:
            query = query.where(t.c.language == where.language)
        if where.category is not None:
            query = query.where(t.c.category == where.category.upper())
        found = [template_from_row(row._mapping) for row in self._db.execute(query)]
        return sorted((f for f in found if where.accepts(f)), key=lambda f: f.key)

    def save(self, template: Template) -> None:
        self._db.execute(self._upsert, template_values(template))

    def remove(self, name: str, language: str) -> None:
        t = self._t.templates
        self._db.execute(t.delete().where(t.c.name == name, t.c.language == language))

    def synced_at(self) -> datetime | None:
        s = self._t.sync
        return self._db.execute(select(s.c.synced_at).where(s.c.id == SYNC_ROW)).scalar()

    def mark_synced(self, at: datetime) -> None:
        self._db.execute(self._mark, {"id": SYNC_ROW, "synced_at": at})
