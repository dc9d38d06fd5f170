"""The ActivityLog port on SQL: entries inserted in the unit of work's transaction, so an
entry is committed with the change it records or rolled back with it."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.exc import IntegrityError

from crm_whatsapp.adapters.sql.mapping import activity_values
from crm_whatsapp.domain.activity import Activity
from crm_whatsapp.domain.errors import ConversationNotFound


class SqlActivityLog:
    def __init__(self, connection: Connection, table: Table) -> None:
        self._db = connection
        self._insert = table.insert()

    def record(self, activity: Activity) -> None:
        """Append the entry; ConversationNotFound if its conversation is not stored (the
        foreign key), as for a message."""
        try:
            self._db.execute(self._insert, activity_values(activity))
        except IntegrityError as exc:
            raise ConversationNotFound(activity.conversation_id) from exc
