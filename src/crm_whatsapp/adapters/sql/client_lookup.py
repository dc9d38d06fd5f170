"""ClientLookup over the host CRM's own client table, found by phone through our key index.

CRMs store phone numbers as people typed them ("55 1234 5678", "(011) 15-2233-4455", "no
tiene"), so no SQL expression can compare them with the wa_id WhatsApp sends. The library
keeps its own table, ``<prefix>client_phone_keys(phone_key, client_id)``, filled by
``ClientPhoneIndex`` (``client_index.py``) with ``PhoneNumber.lookup_key`` of every number.
A lookup by phone is then two primary-key reads: the keys give client ids, the ids give the
clients' rows. The CRM table is never scanned to answer a phone or an id, whatever its size.

The CRM table is described by ``CrmClientTable`` and reflected once, at construction, so a
misspelt table or column fails when the application starts rather than on the first message.
"""

from __future__ import annotations

import contextlib
import heapq
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import phonenumbers
from sqlalchemy import Column, Connection, Engine, MetaData, Row, Table, inspect, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.types import Integer, String, Uuid

from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.domain.errors import (
    ClientLookupUnavailable,
    CrmWhatsAppError,
    InvalidQueryParameter,
)
from crm_whatsapp.domain.identity import ClientMatch, ClientRef
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.policy.text import normalize

# The names ``render`` fills in reply texts; anything else could never be used as {name}.
_PLACEHOLDER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Only the spelling ``str(int)`` gives: "007" or "+7" must not find client 7, since the
# in-memory lookup (the reference) compares ids as strings.
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]*")
_INT64 = range(-(2**63), 2**63)
# Ids fetched per statement: far below SQLite's bound-variable limit (999 on old builds).
_FETCH_CHUNK = 500
# Rows per round trip when search streams the name column.
_SEARCH_BATCH = 2000
# The errors that mean "the database could not answer", as opposed to a bug in a query.
UNAVAILABLE_ERRORS = (sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError)


class InvalidCrmTable(CrmWhatsAppError, ValueError):
    """A description of the CRM's client table that cannot work (names the bad field)."""

    code = "invalid_crm_table"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"CRM client table: {field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True, kw_only=True)
class CrmClientTable:
    """Where the host CRM keeps its clients, and which columns mean what.

    ``phone_columns`` hold free-format numbers (one or more columns: "telefono",
    "celular"); ``placeholder_columns`` maps a reply placeholder to a column, so that rules
    can say ``{ciudad}`` (``ClientRef.fields``); ``default_region`` (ISO code, "MX") is the
    country of numbers written without a country code, which would otherwise be unreadable.
    """

    table: str
    name_column: str
    phone_columns: Sequence[str]
    id_column: str = "id"
    placeholder_columns: Mapping[str, str] = field(default_factory=dict, hash=False)
    default_region: str | None = None
    schema: str | None = None

    def __post_init__(self) -> None:
        for name in ("table", "id_column", "name_column"):
            _require_name(name, getattr(self, name))
        if self.schema is not None:
            _require_name("schema", self.schema)
        # One string is one column, not a sequence of one-letter columns.
        phones = (
            (self.phone_columns,)
            if isinstance(self.phone_columns, str)
            else tuple(self.phone_columns)
        )
        if not phones:
            raise InvalidCrmTable("phone_columns", "name at least one column holding numbers")
        for column in phones:
            _require_name("phone_columns", column)
        repeated = sorted({c for c in phones if phones.count(c) > 1})
        if repeated:
            raise InvalidCrmTable("phone_columns", f"{repeated[0]!r} is listed twice")
        object.__setattr__(self, "phone_columns", phones)

        placeholders = dict(self.placeholder_columns)
        for placeholder, column in placeholders.items():
            if not isinstance(placeholder, str) or not _PLACEHOLDER_NAME.fullmatch(placeholder):
                raise InvalidCrmTable(
                    "placeholder_columns",
                    f"{placeholder!r} cannot be written as {{name}} in a reply: use letters, "
                    "digits and _, starting with a letter or _",
                )
            _require_name(f"placeholder_columns[{placeholder!r}]", column)
        object.__setattr__(self, "placeholder_columns", MappingProxyType(placeholders))

        if self.default_region is not None:
            region = self.default_region.strip().upper()
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise InvalidCrmTable(
                    "default_region",
                    f"{self.default_region!r} is not an ISO region code phonenumbers knows "
                    "(e.g. 'MX', 'AR', 'BR')",
                )
            object.__setattr__(self, "default_region", region)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table


def _require_name(field_name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidCrmTable(field_name, f"a table or column name is needed, not {value!r}")


class ReflectedClientTable:
    """The CRM table as reflected from the database, with the conversions its id needs.

    Shared by the lookup and the index so that both read the same columns the same way.
    """

    def __init__(self, engine: Engine, config: CrmClientTable) -> None:
        self.config = config
        self.engine = engine
        with (
            unavailable_as(engine, "reading the CRM table's definition"),
            engine.connect() as connection,
        ):
            self.table = _reflect(connection, config)
        self.id: Column[Any] = self.table.c[config.id_column]
        self.name: Column[Any] = self.table.c[config.name_column]
        self.phones: tuple[Column[Any], ...] = tuple(self.table.c[c] for c in config.phone_columns)
        self.placeholders: tuple[tuple[str, Column[Any]], ...] = tuple(
            (placeholder, self.table.c[column])
            for placeholder, column in config.placeholder_columns.items()
        )
        self._id_kind = _id_kind(self.id)
        self._client_columns = distinct_columns((self.id, self.name, *self.placeholder_columns()))

    def placeholder_columns(self) -> tuple[Column[Any], ...]:
        return tuple(column for _, column in self.placeholders)

    def native_id(self, client_id: str) -> Any | None:
        """The id as the column stores it, or None when no row can have it.

        None spares the database a comparison it would refuse ("abc" against an integer
        column on PostgreSQL) and keeps ids exact strings, as in the in-memory lookup.
        """
        if "\x00" in client_id:  # PostgreSQL text cannot hold NUL; no id contains one.
            return None
        if self._id_kind == "integer":
            if not _CANONICAL_INTEGER.fullmatch(client_id) or int(client_id) not in _INT64:
                return None
            return int(client_id)
        if self._id_kind == "uuid":
            try:
                value = uuid.UUID(client_id)
            except ValueError:
                return None
            return value if str(value) == client_id else None
        length = getattr(self.id.type, "length", None)
        if length is not None and len(client_id) > length:
            return None
        return client_id

    @staticmethod
    def id_text(value: Any) -> str:
        """``ClientRef.id``: always a string, whatever the column's type."""
        return value if isinstance(value, str) else str(value)

    def client_from_row(self, row: Row[Any]) -> ClientRef:
        mapping = row._mapping
        fields = {placeholder: _text(mapping[column]) for placeholder, column in self.placeholders}
        return ClientRef(
            id=self.id_text(mapping[self.id]), name=_text(mapping[self.name]), fields=fields
        )

    def fetch(self, connection: Connection, client_ids: Iterable[str]) -> list[ClientRef]:
        """The clients with these ids, by primary key (unique) lookups; missing ids vanish."""
        natives = sorted({n for n in map(self.native_id, client_ids) if n is not None})
        found: dict[str, ClientRef] = {}
        for start in range(0, len(natives), _FETCH_CHUNK):
            chunk = natives[start : start + _FETCH_CHUNK]
            query = select(*self._client_columns).where(self.id.in_(chunk))
            for row in connection.execute(query):
                client = self.client_from_row(row)
                found[client.id] = client
        return list(found.values())

    def fetch_one(self, connection: Connection, client_id: str) -> ClientRef | None:
        native = self.native_id(client_id)
        if native is None:
            return None
        row = connection.execute(
            select(*self._client_columns).where(self.id == native).limit(1)
        ).first()
        return None if row is None else self.client_from_row(row)


def _reflect(connection: Connection, config: CrmClientTable) -> Table:
    inspector = inspect(connection)
    where = f" in schema {config.schema!r}" if config.schema else ""
    if not inspector.has_table(config.table, schema=config.schema):
        raise InvalidCrmTable("table", f"no table or view {config.table!r}{where}")
    existing = [c["name"] for c in inspector.get_columns(config.table, schema=config.schema)]
    named = [
        ("id_column", config.id_column),
        ("name_column", config.name_column),
        *(("phone_columns", c) for c in config.phone_columns),
        *((f"placeholder_columns[{p!r}]", c) for p, c in config.placeholder_columns.items()),
    ]
    for field_name, column in named:
        if column not in existing:
            raise InvalidCrmTable(
                field_name,
                f"no column {column!r} in {config.qualified_name}{_did_you_mean(column, existing)}"
                f"; its columns are {', '.join(existing)}",
            )
    views = set(inspector.get_view_names(schema=config.schema))
    if config.table not in views and not _is_unique_key(inspector, config):
        raise InvalidCrmTable(
            "id_column",
            f"{config.id_column!r} is neither the primary key of {config.qualified_name} nor "
            "under a unique index, so every lookup by id would read the whole table",
        )
    return Table(
        config.table,
        MetaData(),
        schema=config.schema,
        autoload_with=connection,
        include_columns=sorted({c for _, c in named}),
        resolve_fks=False,
    )


def _did_you_mean(column: str, existing: Sequence[str]) -> str:
    close = [c for c in existing if c.casefold() == column.casefold()]
    return f" (did you mean {close[0]!r}? names are case-sensitive)" if close else ""


def _is_unique_key(inspector: Any, config: CrmClientTable) -> bool:
    """Whether the id column alone is the primary key or has a unique index/constraint."""
    column = [config.id_column]
    primary = inspector.get_pk_constraint(config.table, schema=config.schema)
    if list(primary.get("constrained_columns") or []) == column:
        return True
    unique = inspector.get_unique_constraints(config.table, schema=config.schema)
    if any(list(u["column_names"]) == column for u in unique):
        return True
    indexes = inspector.get_indexes(config.table, schema=config.schema)
    return any(i.get("unique") and list(i["column_names"]) == column for i in indexes)


def _id_kind(column: Column[Any]) -> str:
    if isinstance(column.type, Integer):
        return "integer"
    if isinstance(column.type, Uuid):
        return "uuid"
    if isinstance(column.type, String):
        return "text"
    raise InvalidCrmTable(
        "id_column",
        f"{column.name!r} has type {column.type!r}; client ids must be integers, text or UUIDs",
    )


def distinct_columns(columns: Iterable[Column[Any]]) -> tuple[Column[Any], ...]:
    seen: dict[str, Column[Any]] = {}
    for column in columns:
        seen.setdefault(column.name, column)
    return tuple(seen.values())


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


@contextlib.contextmanager
def unavailable_as(engine: Engine, action: str) -> Iterator[None]:
    """Driver trouble -> ClientLookupUnavailable, saying what failed without any secret.

    Every database error counts, not only "server down": a CRM table renamed under a
    running service must not fail the webhook; the message is processed without a client.
    The message carries the driver's first line only, never the SQL or its parameters
    (client data), and never the URL's password.
    """
    try:
        yield
    except UNAVAILABLE_ERRORS as exc:
        raise ClientLookupUnavailable(describe_failure(engine, action, exc)) from exc


def describe_failure(engine: Engine, action: str, exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    detail = lines[0] if lines else type(original).__name__
    secret = engine.url.password
    if secret:
        detail = detail.replace(str(secret), "***")
    where = engine.url.render_as_string(hide_password=True)
    return f"{action} failed on {where}: {detail}"


class SqlClientLookup:
    """The ClientLookup port over the host CRM's client table and our phone-key index.

    ``crm_engine`` is where the CRM table lives; by default the library's own database
    (``database.reader``), since most hosts keep both in one. The index must be filled by
    ``ClientPhoneIndex.rebuild`` and kept fresh with ``refresh``: a number the index does
    not know finds nobody, exactly as a number not in the CRM.
    """

    def __init__(
        self, database: Database, crm_table: CrmClientTable, crm_engine: Engine | None = None
    ) -> None:
        self._keys = database.tables.client_phone_keys
        self._index_engine = database.reader
        self._crm_engine = crm_engine if crm_engine is not None else database.reader
        self._crm = ReflectedClientTable(self._crm_engine, crm_table)

    @property
    def crm_table(self) -> ReflectedClientTable:
        return self._crm

    def by_phone(self, phone: PhoneNumber) -> ClientMatch:
        """Every client whose number has one of ``phone``'s lookup keys, sorted by id.

        Two primary-key reads: the index, then the CRM table by the ids found. Ids that the
        index still holds but the CRM no longer has are left out (deleted since the last
        refresh). Several clients make an ambiguous match, never a silent choice.
        """
        keys = sorted(phone.lookup_keys())
        k = self._keys
        with self._connections() as (index, crm):
            with unavailable_as(self._index_engine, "reading the client phone index"):
                found = index.execute(select(k.c.client_id).where(k.c.phone_key.in_(keys)))
                client_ids = set(found.scalars())
            if not client_ids:
                return ClientMatch()
            with unavailable_as(self._crm_engine, "reading the CRM client table"):
                clients = self._crm.fetch(crm, client_ids)
        return ClientMatch(tuple(sorted(clients, key=lambda c: c.id)))

    def by_id(self, client_id: str) -> ClientRef | None:
        """The client, by primary key; an id the column cannot hold ("abc" for an integer
        id) is simply nobody."""
        if self._crm.native_id(client_id) is None:
            return None
        with (
            unavailable_as(self._crm_engine, "reading the CRM client table"),
            self._crm_engine.connect() as connection,
        ):
            return self._crm.fetch_one(connection, client_id)

    def search(self, text: str, limit: int = 20) -> Sequence[ClientRef]:
        """The client whose id is ``text`` first, then clients whose name contains it,
        ignoring case, accents and punctuation, sorted by name (then by id).

        Cost: the id is a primary-key read, but the name match reads the whole name column
        (id and name only, streamed in batches, memory bounded by ``limit``) and compares in
        Python, because the reference semantics (``normalize``: Unicode accent folding,
        case folding, punctuation as spaces, containment anywhere in the name) has no
        portable SQL form and no index can serve a containment match. Measured: about 0.3 s
        (SQLite) to 0.4 s (PostgreSQL) per 100,000 clients. This serves a person linking a
        conversation by hand, never the webhook. Text with no letters or digits only
        matches an id, and reads nothing else.
        """
        if limit < 1:
            raise InvalidQueryParameter("limit", f"must be at least 1, not {limit}")
        exact_id = text.strip()
        wanted = normalize(text)
        with (
            unavailable_as(self._crm_engine, "searching the CRM client table"),
            self._crm_engine.connect() as connection,
        ):
            exact = self._crm.fetch_one(connection, exact_id) if exact_id else None
            if not wanted:
                return [exact] if exact is not None else []
            best = heapq.nsmallest(
                limit - (exact is not None),
                self._names_containing(connection, wanted, exclude=exact_id),
            )
            by_id = {c.id: c for c in self._crm.fetch(connection, [i for *_, i in best])}
        hits = [by_id[i] for *_, i in best if i in by_id]
        return ([exact] if exact is not None else []) + hits

    def _names_containing(
        self, connection: Connection, wanted: str, exclude: str
    ) -> Iterator[tuple[str, Any, str]]:
        """(name, native id, id) of every client whose normalized name contains ``wanted``."""
        crm = self._crm
        query = (
            select(crm.id, crm.name)
            .where(crm.id.is_not(None))
            .execution_options(yield_per=_SEARCH_BATCH)
        )
        for native, raw_name in connection.execute(query):
            name = _text(raw_name)
            if wanted in normalize(name):
                client_id = crm.id_text(native)
                if client_id != exclude:
                    yield name, native, client_id

    @contextlib.contextmanager
    def _connections(self) -> Iterator[tuple[Connection, Connection]]:
        """The index's connection and the CRM's: one and the same when both share a
        database, so that one lookup costs one connection and sees one snapshot."""
        with unavailable_as(self._index_engine, "connecting to the client phone index"):
            index = self._index_engine.connect()
        try:
            if self._crm_engine is self._index_engine:
                yield index, index
                return
            with unavailable_as(self._crm_engine, "connecting to the CRM client table"):
                crm = self._crm_engine.connect()
            try:
                yield index, crm
            finally:
                crm.close()
        finally:
            index.close()
