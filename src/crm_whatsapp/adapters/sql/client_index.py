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
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

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

from crm_whatsapp.adapters.sql.client_lookup import (
    UNAVAILABLE_ERRORS,
    CrmClientTable,
    ReflectedClientTable,
    distinct_columns,
    unavailable_as,
)
from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.domain.errors import InvalidPhoneNumber
from crm_whatsapp.domain.phone import PhoneNumber

Progress = Callable[[int, int], None]
"""``progress(rows_done, rows_total)``, called as a rebuild advances."""

_EXAMPLE_TEXT_LIMIT = 60


@dataclass(frozen=True, slots=True)
class UnparseableNumber:
    """A phone column's text that is no phone number, kept so a person can fix the CRM."""

    client_id: str
    column: str
    text: str
    reason: str

    def __str__(self) -> str:
        return f"client {self.client_id} {self.column} {self.text!r}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild found.

    ``numbers_indexed`` counts distinct (number, client) pairs, so a client with the same
    number in two columns counts once; ``numbers_added`` and ``numbers_removed`` are how
    the index changed (both 0 when the CRM did not). Empty and NULL phone columns are not
    unparseable: nobody wrote a number there. ``clients_skipped`` have an id longer than
    the index can hold (128 characters); they can never be found by phone.
    """

    clients_read: int
    clients_with_numbers: int
    numbers_indexed: int
    numbers_added: int
    numbers_removed: int
    unparseable: int
    unparseable_examples: tuple[UnparseableNumber, ...]
    clients_skipped: int
    duration: timedelta

    def summary(self) -> str:
        seconds = self.duration.total_seconds()
        lines = [
            f"read {self.clients_read:,} clients ({self.clients_with_numbers:,} with a "
            f"number), indexed {self.numbers_indexed:,} numbers ({self.numbers_added:,} new, "
            f"{self.numbers_removed:,} gone) in {seconds:.1f} s",
        ]
        if self.unparseable:
            texts, are = ("text", "is") if self.unparseable == 1 else ("texts", "are")
            lines.append(f"{self.unparseable:,} {texts} in phone columns {are} no phone number:")
            lines.extend(f"  {example}" for example in self.unparseable_examples)
            if self.unparseable > len(self.unparseable_examples):
                lines.append("  ...")
        if self.clients_skipped:
            lines.append(f"{self.clients_skipped:,} clients skipped: id too long to index")
        return "\n".join(lines)


@dataclass
class _Tally:
    max_examples: int
    clients_read: int = 0
    clients_with_numbers: int = 0
    numbers_indexed: int = 0
    unparseable: int = 0
    clients_skipped: int = 0
    examples: list[UnparseableNumber] = field(default_factory=list)

    def unreadable(self, client_id: str, column: str, text: str, reason: str) -> None:
        self.unparseable += 1
        if len(self.examples) < self.max_examples:
            shown = text if len(text) <= _EXAMPLE_TEXT_LIMIT else text[:_EXAMPLE_TEXT_LIMIT] + "…"
            self.examples.append(UnparseableNumber(client_id, column, shown, reason))

    def report(self, started: float, *, added: int, removed: int) -> RebuildReport:
        return RebuildReport(
            clients_read=self.clients_read,
            clients_with_numbers=self.clients_with_numbers,
            numbers_indexed=self.numbers_indexed,
            numbers_added=added,
            numbers_removed=removed,
            unparseable=self.unparseable,
            unparseable_examples=tuple(self.examples),
            clients_skipped=self.clients_skipped,
            duration=timedelta(seconds=time.monotonic() - started),
        )


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
        tally = _Tally(self._max_examples)
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
        tally: _Tally,
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
        records = [] if row is None else self._records(row, _Tally(0))
        k = self._keys
        with translate_errors(self._database), self._database.writer.begin() as target:
            target.execute(delete(k).where(k.c.client_id == client_id))
            if records:
                # Two refreshes of one client at once (PostgreSQL) both delete nothing of the
                # other's and insert the same rows: the second must not fail on the key.
                target.execute(_insert_ignoring_duplicates(k, self._database.dialect), records)
        return len(records)

    def _records(self, row: Row[Any], tally: _Tally) -> list[dict[str, str]]:
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


class ProgressBar:
    """A text progress bar for ``rebuild(progress=...)``: rows done of total, percent, rate,
    time left; redrawn in place with ``\\r`` and ended with a newline when done.

    Redraws at most every ``min_interval`` seconds (first and last always), so that a fast
    rebuild does not spend its time writing to a terminal. ``stream`` defaults to the
    ``sys.stderr`` of the moment the bar is made.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        label: str = "clients",
        width: int = 30,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._label = label
        self._width = max(1, width)
        self._min_interval = min_interval
        self._clock = clock
        self._started: float | None = None
        self._last_draw: float | None = None
        self._drawn_length = 0
        self._finished = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if self._finished:
            if done >= total:
                return
            # A new run with the same bar: start over on a fresh line.
            self._finished = False
            self._started = None
            self._last_draw = None
            self._drawn_length = 0
        if self._started is None:
            self._started = now
        finished = done >= total
        if (
            not finished
            and self._last_draw is not None
            and now - self._last_draw < self._min_interval
        ):
            return
        self._last_draw = now
        line = self._render(done, total, now - self._started)
        padding = " " * max(0, self._drawn_length - len(line))
        self._drawn_length = len(line)
        self._stream.write("\r" + line + padding)
        if finished:
            self._stream.write("\n")
            self._finished = True
        self._stream.flush()

    def _render(self, done: int, total: int, elapsed: float) -> str:
        fraction = 1.0 if total <= 0 else min(1.0, max(0.0, done / total))
        filled = int(fraction * self._width)
        bar = "#" * filled + "-" * (self._width - filled)
        line = f"{self._label} [{bar}] {fraction * 100:5.1f}% {done:,}/{total:,}"
        if elapsed > 0 and done > 0:
            rate = done / elapsed
            line += f" {rate:,.0f}/s"
            if done < total:
                line += f" {_clock_time((total - done) / rate)} left"
            else:
                line += f" in {_clock_time(elapsed)}"
        return line


def _clock_time(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
