"""Send-rate slots in the database, so that every worker on it keeps one rate per number.

A slot is a row (business number, slot start, sends used). Taking turns is one short
transaction: make sure the row exists, lock it, add what fits under the cap. On PostgreSQL
the row lock serialises workers; on SQLite the one writer does. Rows older than a minute
are deleted as new slots are opened, so the table stays a few hundred rows per busy number.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, select, update

from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.adapters.sql.statements import dialect_insert

KEEP_SLOTS_MS = 60_000


class SqlRateSlots:
    """``RateSlots`` in the ``send_rate_slots`` table."""

    def __init__(self, database: Database) -> None:
        self._database = database
        t = database.tables.send_rate_slots
        insert = dialect_insert(t, database.dialect)
        self._open = insert.on_conflict_do_nothing(index_elements=["business_number_id", "slot"])
        self._fill = insert.on_conflict_do_update(
            index_elements=["business_number_id", "slot"], set_={"used": insert.excluded.used}
        )
        this = and_(
            t.c.business_number_id == bindparam("key_number"), t.c.slot == bindparam("key_slot")
        )
        used = select(t.c.used).where(this)
        self._used = used.with_for_update() if database.is_postgresql else used
        self._take = update(t).where(this).values(used=t.c.used + bindparam("key_more"))
        self._forget = delete(t).where(
            t.c.business_number_id == bindparam("key_number"),
            t.c.slot < bindparam("key_oldest"),
        )

    def reserve(self, business_number_id: str, slot: int, want: int, cap: int) -> int:
        keys = {"key_number": business_number_id, "key_slot": slot}
        with (
            self._database.writing(),
            translate_errors(self._database),
            self._database.writer.begin() as connection,
        ):
            opened = connection.execute(
                self._open, {"business_number_id": business_number_id, "slot": slot, "used": 0}
            ).rowcount
            if opened:
                connection.execute(
                    self._forget,
                    {"key_number": business_number_id, "key_oldest": slot - KEEP_SLOTS_MS},
                )
            used = int(connection.execute(self._used, keys).scalar_one())
            granted = max(0, min(want, cap - used))
            if granted:
                connection.execute(self._take, {**keys, "key_more": granted})
            return granted

    def fill(self, business_number_id: str, slots: list[int], cap: int) -> None:
        rows = [{"business_number_id": business_number_id, "slot": s, "used": cap} for s in slots]
        with (
            self._database.writing(),
            translate_errors(self._database),
            self._database.writer.begin() as connection,
        ):
            connection.execute(self._fill, rows)
