"""Housekeeping a host runs now and then (a cron job, or ``crm-whatsapp db prune``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, text

from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.adapters.sql.schema import search_table_name


def prune_parked_statuses(database: Database, older_than: datetime) -> int:
    """Forget status reports parked before ``older_than``; returns how many.

    A report is parked when it arrives before our own send is recorded, and is taken
    within seconds. One still parked days later is for a message we never sent (another
    app on the same number, or a send whose outcome was lost): nothing will ever claim
    it, so it is safe to drop.
    """
    parked = database.tables.parked_statuses
    with translate_errors(database), database.writer.begin() as connection:
        result = connection.execute(delete(parked).where(parked.c.timestamp < older_than))
    return int(result.rowcount)


def rebuild_search_index(database: Database) -> None:
    """Re-read every message into the index (after a VACUUM, or to repair it)."""
    if not database.is_sqlite:
        return
    search = search_table_name(database.tables.prefix)
    with translate_errors(database), database.writer.begin() as connection:
        connection.execute(text(f"INSERT INTO {search}({search}) VALUES ('rebuild')"))
