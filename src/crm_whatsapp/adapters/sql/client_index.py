"""The phone-key index of the CRM's clients: built from the CRM table, read by the lookup.

``<prefix>client_phone_keys(phone_key, client_id)`` holds ``PhoneNumber.lookup_key`` of
every number in the CRM's phone columns, so that the wa_id WhatsApp sends finds the client
whatever way the number was typed. Parsing happens here, once per number, in Python (the
phonenumbers rules have no SQL form); the lookup then costs two primary-key reads.

``rebuild`` reads the whole CRM table in keyset-paginated batches (``WHERE id > last ORDER
BY id LIMIT n``: each batch is an index range read, where OFFSET would re-read every row
before it), stages the keys in a temporary table, compares them with the index, and
applies only the difference in one transaction. Readers see the old index until that
transaction commits, and its length grows with the difference, not with the CRM:
replacing every key of a million clients held SQLite's single write lock for over 7 s,
longer than a webhook's busy timeout. ``refresh`` re-indexes one client after the CRM
changed or deleted it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    MetaData,
    Row,
    String,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite

from crm_whatsapp.adapters.sql.crm_table import (
    UNAVAILABLE_ERRORS,
    CrmClientTable,
    ReflectedClientTable,
    distinct_columns,
    unavailable_as,
)
from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.adapters.sql.rebuild_report import RebuildReport, RebuildTally
from crm_whatsapp.domain.errors import InvalidPhoneNumber
from crm_whatsapp.domain.phone import PhoneNumber

Progress = Callable[[int, int], None]
"""``progress(rows_done, rows_total)``, called as a rebuild advances (``ProgressBar`` draws it)."""


class ClientPhoneIndex:
    """Fills and maintains the phone-key index from the CRM's client table.

    Errors reading the CRM raise ``ClientLookupUnavailable``; errors writing the index
    (the library's database down or locked) raise ``StorageUnavailable``.

    A ``refresh`` that commits while a ``rebuild`` runs is undone if the rebuild had read
    that client before the change (the rebuild makes the index what it read): refresh
    again afterwards, or rebuild when the CRM is quiet. The rebuild reads the CRM in many
    short transactions, not one snapshot, so a client changed meanwhile is indexed as
    either version. The very first rebuild of a large CRM adds every key in its one
    writing transaction (about 6 s for a million clients on SQLite, while other writers
    wait, beyond their default 5 s busy timeout): run it before going live.
    """

    def __init__(
        self,
        database: Database,
        crm_table: CrmClientTable,
        crm_engine: Engine | None = None,
        *,
        batch_size: int = 5000,
        max_examples: int = 10,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self._database = database
        self._keys = database.tables.client_phone_keys
        self._crm_engine = crm_engine if crm_engine is not None else database.reader
        self._crm = ReflectedClientTable(self._crm_engine, crm_table)
        self._region = crm_table.default_region
        self._batch_size = batch_size
        self._max_examples = max_examples
        self._id_limit: int | None = getattr(self._keys.c.client_id.type, "length", None)
        self._columns = distinct_columns((self._crm.id, *self._crm.phones))

    def rebuild(self, progress: Progress | None = None) -> RebuildReport:
        """Re-read every client and make the index exactly what was read.

        ``progress(done, total)`` is called with 0 first, then after every batch; ``total``
        is the table's row count when the rebuild starts, raised if rows are added during
        it, and the last call is ``(done, done)``, so a progress bar always ends full.
        Memory stays bounded by one batch.
        """
        started = time.monotonic()
        tally = RebuildTally(self._max_examples)
        work = _WorkTables(self._keys, self._database.dialect)
        with contextlib.ExitStack() as stack:
            source = stack.enter_context(self._crm_connection())
            target = stack.enter_context(self._work_connection())
            stack.callback(work.drop_quietly, target)
            with translate_errors(self._database), target.begin():
                work.create(target)
            self._stage(source, target, work.staging, tally, progress or _ignore)
            with translate_errors(self._database):
                removed, added = work.compare(target)
                work.apply(target)
        return tally.report(started, added=added, removed=removed)

    def _stage(
        self,
        source: Connection,
        target: Connection,
        staging: Table,
        tally: RebuildTally,
        notify: Progress,
    ) -> None:
        """Read the CRM in keyset batches and put every client's keys in ``staging``."""
        crm = self._crm
        with self._reading(source):
            total = int(source.execute(select(func.count()).select_from(crm.table)).scalar_one())
        notify(0, total)
        last: Any = None
        while True:
            query = (
                select(*self._columns)
                .where(crm.id.is_not(None))
                .order_by(crm.id)
                .limit(self._batch_size)
            )
            if last is not None:
                query = query.where(crm.id > last)
            with self._reading(source):
                rows = source.execute(query).all()
            if not rows:
                break
            records = [record for row in rows for record in self._records(row, tally)]
            if records:
                with translate_errors(self._database), target.begin():
                    target.execute(staging.insert(), records)
            tally.clients_read += len(rows)
            total = max(total, tally.clients_read)
            notify(tally.clients_read, total)
            last = rows[-1]._mapping[crm.id]
        if total != tally.clients_read:
            notify(tally.clients_read, tally.clients_read)

    def refresh(self, client_id: str) -> int:
        """Re-index one client from the CRM's current row; returns how many numbers it has
        now. A client no longer in the CRM loses its keys (and 0 is returned)."""
        crm = self._crm
        native = crm.native_id(client_id)
        row = None
        if native is not None:
            with self._crm_connection() as source, self._reading(source):
                row = source.execute(select(*self._columns).where(crm.id == native)).first()
        records = [] if row is None else self._records(row, RebuildTally(0))
        k = self._keys
        with translate_errors(self._database), self._database.writer.begin() as target:
            target.execute(delete(k).where(k.c.client_id == client_id))
            if records:
                # Two refreshes of one client at once (PostgreSQL) both delete nothing of the
                # other's and insert the same rows: the second must not fail on the key.
                target.execute(_insert_ignoring_duplicates(k, self._database.dialect), records)
        return len(records)

    def _records(self, row: Row[Any], tally: RebuildTally) -> list[dict[str, str]]:
        """The index rows of one client: each distinct lookup key of its readable numbers."""
        mapping = row._mapping
        client_id = self._crm.id_text(mapping[self._crm.id])
        if self._id_limit is not None and len(client_id) > self._id_limit:
            tally.clients_skipped += 1
            return []
        keys: set[str] = set()
        for column in self._crm.phones:
            text = _phone_text(mapping[column])
            if not text.strip():
                continue
            try:
                number = PhoneNumber.parse(text, self._region)
            except InvalidPhoneNumber as error:
                tally.unreadable(client_id, column.name, text, error.reason)
                continue
            keys.update(number.lookup_keys())
        if keys:
            tally.clients_with_numbers += 1
            tally.numbers_indexed += len(keys)
        return [{"phone_key": key, "client_id": client_id} for key in sorted(keys)]

    @contextlib.contextmanager
    def _crm_connection(self) -> Iterator[Connection]:
        with unavailable_as(self._crm_engine, "connecting to the CRM client table"):
            connection = self._crm_engine.connect()
        with connection:
            yield connection

    @contextlib.contextmanager
    def _work_connection(self) -> Iterator[Connection]:
        """The rebuild's connection to our database, where its temporary tables live.

        On SQLite it comes from the reader engine on purpose: its transactions begin
        deferred, so filling and comparing temporary tables takes no lock on the main
        database, and the one transaction that writes the index takes the write lock at
        its first statement (waiting as any writer does). The writer engine would hold that
        lock from every ``BEGIN IMMEDIATE``. On PostgreSQL both engines are the same.
        """
        with translate_errors(self._database):
            connection = self._database.reader.connect()
        with connection:
            yield connection

    @contextlib.contextmanager
    def _reading(self, connection: Connection) -> Iterator[None]:
        """One short read transaction on the CRM, ended at once: holding a snapshot for a
        whole rebuild would keep SQLite's WAL from being checkpointed for minutes."""
        with unavailable_as(self._crm_engine, "reading the CRM client table"):
            try:
                yield
            finally:
                connection.rollback()


class _WorkTables:
    """The rebuild's temporary tables, private to its connection.

    ``staging`` receives every key read, as fast as rows come (no index while filling);
    ``to_remove`` and ``to_add`` are its difference with the index, computed in a read
    transaction. Applying only the difference keeps the write short whatever the CRM's
    size (a rebuild usually changes few keys), leaves no million dead rows behind on
    PostgreSQL, and lets a ``refresh`` that commits meanwhile survive unless it touched the
    very same keys.
    """

    def __init__(self, keys: Table, dialect: str) -> None:
        self.keys = keys
        metadata = MetaData()
        # Named in the temporary schema, so that no statement here (DROP above all) can
        # ever reach an ordinary table of the same name.
        schema = "pg_temp" if dialect == "postgresql" else "temp"
        self.staging, self.to_remove, self.to_add = (
            Table(
                f"{keys.name}_{purpose}",
                metadata,
                Column("phone_key", String(24), nullable=False),
                Column("client_id", String(128), nullable=False),
                schema=schema,
                prefixes=["TEMPORARY"],
            )
            for purpose in ("rebuild", "remove", "add")
        )
        self._tables = (self.staging, self.to_remove, self.to_add)

    def create(self, connection: Connection) -> None:
        self._drop(connection)  # left over by a rebuild that died on this pooled connection
        for table in self._tables:
            table.create(connection)

    def compare(self, connection: Connection) -> tuple[int, int]:
        """Fill ``to_remove`` and ``to_add``; returns how many keys each holds."""
        k, staged = self.keys, self.staging
        with connection.begin():
            # Made now, not with the table: filling a table without index is faster.
            index = Index(f"ix_{staged.name}", staged.c.phone_key, staged.c.client_id)
            index.create(connection)
            if connection.dialect.name == "postgresql":
                # Autovacuum never analyzes temporary tables; without statistics the
                # planner could pick a nested loop over a million rows.
                connection.exec_driver_sql(f"ANALYZE {self._name(connection, staged)}")
            connection.execute(
                insert(self.to_remove).from_select(
                    ["phone_key", "client_id"],
                    select(k.c.phone_key, k.c.client_id).where(~exists(_same_key(staged, k))),
                )
            )
            connection.execute(
                insert(self.to_add).from_select(
                    ["phone_key", "client_id"],
                    select(staged.c.phone_key, staged.c.client_id).where(
                        ~exists(_same_key(k, staged))
                    ),
                )
            )
            # Counted: rowcount of INSERT ... SELECT is -1 with SQLAlchemy's psycopg dialect.
            removed, added = (
                int(connection.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (self.to_remove, self.to_add)
            )
        return removed, added

    def apply(self, connection: Connection) -> None:
        """The index's one write: readers see the old keys until it commits."""
        k, gone, new = self.keys, self.to_remove, self.to_add
        dialect = connection.dialect.name
        with connection.begin():
            connection.execute(
                delete(k).where(
                    tuple_(k.c.phone_key, k.c.client_id).in_(
                        select(gone.c.phone_key, gone.c.client_id)
                    )
                )
            )
            connection.execute(
                _insert_ignoring_duplicates(k, dialect).from_select(
                    ["phone_key", "client_id"],
                    # WHERE: SQLite would read "FROM t ON CONFLICT" as the start of a join.
                    # Key order makes the inserts appends to the primary key's B-tree.
                    select(new.c.phone_key, new.c.client_id)
                    .where(true())
                    .order_by(new.c.phone_key, new.c.client_id),
                )
            )

    def drop_quietly(self, connection: Connection) -> None:
        """Drop the tables; if even that fails, discard the connection, which drops them."""
        try:
            with connection.begin():
                self._drop(connection)
        except UNAVAILABLE_ERRORS:
            connection.invalidate()

    def _drop(self, connection: Connection) -> None:
        for table in self._tables:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {self._name(connection, table)}")

    @staticmethod
    def _name(connection: Connection, table: Table) -> str:
        return connection.dialect.identifier_preparer.format_table(table)


def _same_key(table: Table, other: Table) -> Any:
    return select(literal(1)).where(
        table.c.phone_key == other.c.phone_key, table.c.client_id == other.c.client_id
    )


def _insert_ignoring_duplicates(table: Table, dialect: str) -> Any:
    statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return statement.on_conflict_do_nothing()


def _phone_text(value: object) -> str:
    """A phone column's value as text; numeric columns hold numbers typed without format."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _ignore(_done: int, _total: int) -> None:
    return None
