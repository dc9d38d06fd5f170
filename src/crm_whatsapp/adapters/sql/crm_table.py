"""The host CRM's client table: how the host describes it, and how we read it.

``CrmClientTable`` is the host's description (table, id, name and phone columns, reply
placeholders, default region), checked when built so that a typo fails at start-up.
``ReflectedClientTable`` is that table reflected from the database once, with the id
conversions that make the SQL lookup answer exactly as the in-memory one. Both the lookup
(``client_lookup.py``) and the phone-key index (``client_index.py``) read the CRM through
it, so they read the same columns the same way.

Reading the CRM can fail for reasons the host controls (a renamed table, a database down);
``unavailable_as`` turns each such failure into ``ClientLookupUnavailable`` so that a
message is still processed, without a client.
"""

from __future__ import annotations

import contextlib
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

from crm_whatsapp.domain.errors import ClientLookupUnavailable, CrmWhatsAppError
from crm_whatsapp.domain.identity import ClientRef

# The names ``render`` fills in reply texts; anything else could never be used as {name}.
_PLACEHOLDER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Only the spelling ``str(int)`` gives: "007" or "+7" must not find client 7, since the
# in-memory lookup (the reference) compares ids as strings.
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]*")
_INT64 = range(-(2**63), 2**63)
# Ids fetched per statement: far below SQLite's bound-variable limit (999 on old builds).
_FETCH_CHUNK = 500
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
        fields = {
            placeholder: cell_text(mapping[column]) for placeholder, column in self.placeholders
        }
        return ClientRef(
            id=self.id_text(mapping[self.id]), name=cell_text(mapping[self.name]), fields=fields
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

    def phone_texts(self, connection: Connection, client_id: str) -> list[str]:
        """The client's numbers as the CRM wrote them, column by column; empty if unknown."""
        native = self.native_id(client_id)
        if native is None:
            return []
        row = connection.execute(select(*self.phones).where(self.id == native).limit(1)).first()
        return [] if row is None else [cell_text(cell) for cell in row if cell is not None]


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


def cell_text(value: object) -> str:
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
