"""Client lookup in the host CRM's own table, through the library's phone-key index.

Every test runs on SQLite and on PostgreSQL. The CRM table is created by each test the way
a host CRM would have it (``clientes`` with free-format phone columns); answers are compared
with the in-memory lookup, the reference behaviour.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, text

from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.sql import (
    ClientPhoneIndex,
    CrmClientTable,
    InvalidCrmTable,
    ProgressBar,
    RebuildReport,
    SqlClientLookup,
)
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.domain.errors import (
    ClientLookupUnavailable,
    InvalidQueryParameter,
    StorageUnavailable,
)
from crm_whatsapp.domain.identity import ClientMatch, ClientRef
from crm_whatsapp.domain.phone import PhoneNumber

# id, nombre, telefono, celular, ciudad
Row = tuple[Any, str | None, str | None, str | None, str | None]

CLIENTES = CrmClientTable(
    table="clientes",
    id_column="id",
    name_column="nombre",
    phone_columns=("telefono", "celular"),
    placeholder_columns={"ciudad": "ciudad"},
    default_region="MX",
)
WHATSAPP_MX = PhoneNumber.from_wa_id("5215512345678")


def create_clientes(
    engine: Engine, rows: Sequence[Row] = (), *, id_type: str = "INTEGER PRIMARY KEY"
) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE clientes (id {id_type}, nombre TEXT, telefono TEXT, "
                "celular TEXT, ciudad TEXT)"
            )
        )
    insert_clientes(engine, rows)


def insert_clientes(engine: Engine, rows: Sequence[Row]) -> None:
    if not rows:
        return
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clientes (id, nombre, telefono, celular, ciudad) "
                "VALUES (:id, :nombre, :telefono, :celular, :ciudad)"
            ),
            [
                dict(zip(("id", "nombre", "telefono", "celular", "ciudad"), r, strict=True))
                for r in rows
            ],
        )


def execute(engine: Engine, sql: str, **parameters: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), parameters)


def crm(
    database: Database,
    rows: Sequence[Row],
    *,
    region: str | None = "MX",
    id_type: str = "INTEGER PRIMARY KEY",
) -> tuple[SqlClientLookup, ClientPhoneIndex]:
    """The CRM table with these rows, its index built, and a lookup over it."""
    create_clientes(database.writer, rows, id_type=id_type)
    table = replace(CLIENTES, default_region=region)
    index = ClientPhoneIndex(database, table)
    index.rebuild()
    return SqlClientLookup(database, table), index


def reference(rows: Sequence[Row], region: str | None = "MX") -> InMemoryClientLookup:
    """The in-memory lookup over the same clients, in id order (search breaks ties so)."""
    lookup = InMemoryClientLookup(default_region=region)
    for id_, nombre, telefono, celular, ciudad in rows:
        client = ClientRef(str(id_), nombre or "", {"ciudad": ciudad or ""})
        lookup.add(client, *(p for p in (telefono, celular) if p is not None))
    return lookup


def wa(wa_id: str) -> PhoneNumber:
    return PhoneNumber.from_wa_id(wa_id)


def index_rows(database: Database) -> set[tuple[str, str]]:
    keys = database.tables.client_phone_keys
    with database.reader.connect() as connection:
        return {(r.phone_key, r.client_id) for r in connection.execute(keys.select())}


# -- by phone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "region", "wa_id"),
    [
        # Mexico: national digits under region MX, +52 with or without the retired 1.
        ("55 1234 5678", "MX", "5215512345678"),
        ("(55) 1234-5678", "MX", "525512345678"),
        ("+52 55 1234 5678", "MX", "5215512345678"),
        ("+52 55 1234 5678", None, "5215512345678"),
        ("+52 1 55 1234 5678", "MX", "525512345678"),
        ("044 55 1234 5678", "MX", "5215512345678"),
        # Argentina: 0 + area + 15 locally, +54 without the 9 internationally.
        ("011 15-2233-4455", "AR", "5491122334455"),
        ("(11) 15 2233-4455", "AR", "5491122334455"),
        ("+54 11 2233-4455", "AR", "5491122334455"),
        ("+54 9 11 2233-4455", None, "5491122334455"),
        # Brazil: with the ninth digit or without, on either side.
        ("(11) 98765-4321", "BR", "5511987654321"),
        ("(11) 98765-4321", "BR", "551187654321"),
        ("+55 11 8765-4321", "BR", "5511987654321"),
        ("011 98765 4321", "BR", "551187654321"),
    ],
)
def test_a_client_is_found_by_the_wa_id_whatever_format_the_crm_stored(
    database: Database, stored: str, region: str | None, wa_id: str
):
    rows: list[Row] = [(7, "Ana López", stored, None, "Monterrey"), (8, "Otro", None, None, None)]
    lookup, _ = crm(database, rows, region=region)

    match = lookup.by_phone(wa(wa_id))

    assert match.client == ClientRef("7", "Ana López", {"ciudad": "Monterrey"})
    assert match == reference(rows, region).by_phone(wa(wa_id))


def test_a_client_is_found_by_the_number_in_any_of_its_phone_columns(database: Database):
    lookup, _ = crm(database, [(1, "Ana", "no tiene", "55 1234 5678", None)])

    assert [c.id for c in lookup.by_phone(WHATSAPP_MX).candidates] == ["1"]
    assert lookup.by_phone(wa("5215599990000")) == ClientMatch()


def test_clients_sharing_a_number_make_an_ambiguous_match_sorted_like_the_reference(
    database: Database,
):
    rows: list[Row] = [
        (9, "José", "+52 55 1234 5678", None, None),
        (10, "Ana", None, "0052 (55) 1234-5678", None),
        (11, "Nadie", "55 9999 0000", None, None),
    ]
    lookup, _ = crm(database, rows)

    match = lookup.by_phone(WHATSAPP_MX)

    assert match.is_ambiguous
    assert match.client is None
    assert [c.id for c in match.candidates] == ["10", "9"]  # ids compare as strings
    assert match == reference(rows).by_phone(WHATSAPP_MX)


def test_a_client_deleted_from_the_crm_is_not_returned_though_still_indexed(
    database: Database,
):
    lookup, _ = crm(
        database, [(1, "Ana", "55 1234 5678", None, None), (2, "José", "55 1234 5678", None, None)]
    )
    execute(database.writer, "DELETE FROM clientes WHERE id = 2")
    keys = database.tables.client_phone_keys
    with database.writer.begin() as connection:  # an id an integer column can never hold
        connection.execute(keys.insert(), {"phone_key": "525512345678", "client_id": "abc"})

    assert [c.id for c in lookup.by_phone(WHATSAPP_MX).candidates] == ["1"]
    assert ("525512345678", "2") in index_rows(database)


def test_placeholder_columns_are_exposed_as_client_fields(database: Database):
    create_clientes(
        database.writer,
        [(5, "Ana", "55 1234 5678", None, "Monterrey"), (6, None, "55 1234 0000", None, None)],
    )
    table = replace(CLIENTES, placeholder_columns={"ciudad": "ciudad", "numero_cliente": "id"})
    ClientPhoneIndex(database, table).rebuild()
    lookup = SqlClientLookup(database, table)

    ana = lookup.by_phone(WHATSAPP_MX).client
    nameless = lookup.by_id("6")

    assert ana == ClientRef("5", "Ana", {"ciudad": "Monterrey", "numero_cliente": "5"})
    assert ana.placeholders()["ciudad"] == "Monterrey"
    assert nameless == ClientRef("6", "", {"ciudad": "", "numero_cliente": "6"})


# -- by id ---------------------------------------------------------------------------------


def test_by_id_on_an_integer_column_takes_only_the_ids_it_could_hold(database: Database):
    lookup, _ = crm(database, [(7, "Ana", None, None, "León"), (-3, "Negativo", None, None, None)])

    assert lookup.by_id("7") == ClientRef("7", "Ana", {"ciudad": "León"})
    assert lookup.by_id("-3") == ClientRef("-3", "Negativo", {"ciudad": ""})
    for nobody in ("8", "abc", "007", "+7", " 7", "7.0", "", "99999999999999999999", "a\x00"):
        assert lookup.by_id(nobody) is None, nobody


def test_a_crm_with_text_ids(database: Database):
    rows: list[Row] = [
        ("c-1", "Ana", "55 1234 5678", None, "Puebla"),
        ("C-1", "Ana mayúscula", None, None, None),
        ("c-2", "José", "+52 1 55 1234 5678", None, None),
    ]
    lookup, index = crm(database, rows, id_type="VARCHAR(40) PRIMARY KEY")

    assert lookup.by_id("c-1") == ClientRef("c-1", "Ana", {"ciudad": "Puebla"})
    assert lookup.by_id("C-1") == ClientRef("C-1", "Ana mayúscula", {"ciudad": ""})
    assert lookup.by_id("c-3") is None
    assert lookup.by_id("x" * 41) is None
    assert lookup.by_phone(WHATSAPP_MX) == reference(rows).by_phone(WHATSAPP_MX)
    assert [c.id for c in lookup.by_phone(WHATSAPP_MX).candidates] == ["c-1", "c-2"]

    execute(database.writer, "UPDATE clientes SET telefono = NULL WHERE id = 'c-2'")
    assert index.refresh("c-2") == 0
    assert lookup.by_phone(WHATSAPP_MX).client == ClientRef("c-1", "Ana", {"ciudad": "Puebla"})


@pytest.mark.parametrize("empty_database", ["postgresql"], indirect=True)
def test_a_crm_with_uuid_ids_on_postgresql(database: Database):
    ana = "5f0c2a9e-3b1d-4e57-9a51-0d4c7f6b8e21"
    lookup, index = crm(
        database, [(ana, "Ana", "55 1234 5678", None, None)], id_type="UUID PRIMARY KEY"
    )

    assert lookup.by_phone(WHATSAPP_MX).client == ClientRef(ana, "Ana", {"ciudad": ""})
    assert lookup.by_id(ana) == ClientRef(ana, "Ana", {"ciudad": ""})
    assert lookup.by_id(ana.upper()) is None  # ids are exact strings, as in the reference
    assert lookup.by_id("abc") is None
    assert index.refresh(ana) == 1


# -- search --------------------------------------------------------------------------------

SEARCHABLE: list[Row] = [
    ("c-1", "Ana López", None, None, None),
    ("c-2", "José Pérez", None, None, None),
    ("c-3", "María José Ruiz", None, None, None),
    ("ana", "Zoe Ana", None, None, None),
    ("c-4", None, None, None, None),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jose", ["c-2", "c-3"]),
        ("JOSÉ", ["c-2", "c-3"]),
        ("perez", ["c-2"]),
        ("Ruíz", ["c-3"]),
        ("c-3", ["c-3"]),
        ("  c-1 ", ["c-1"]),
        ("ana", ["ana", "c-1"]),
        ("a", ["c-1", "c-3", "ana"]),
        ("maria jose", ["c-3"]),
        ("nadie", []),
        ("¡!", []),
        ("", []),
    ],
)
def test_search_finds_the_id_first_then_names_ignoring_case_and_accents(
    database: Database, query: str, expected: list[str]
):
    lookup, _ = crm(database, SEARCHABLE, id_type="VARCHAR(40) PRIMARY KEY")

    found = lookup.search(query)

    assert [c.id for c in found] == expected
    assert list(found) == list(reference(SEARCHABLE).search(query))


def test_search_respects_the_limit_and_breaks_name_ties_by_id(database: Database):
    rows: list[Row] = [(i, "Ana" if i % 2 else "Beto Ana", None, None, None) for i in range(1, 8)]
    rows.append((12, "Ana", None, None, None))
    lookup, _ = crm(database, rows)

    assert [c.id for c in lookup.search("ana", limit=3)] == ["1", "3", "5"]
    assert [c.id for c in lookup.search("12", limit=2)] == ["12"]
    assert [c.id for c in lookup.search("3", limit=1)] == ["3"]
    for query, limit in (("ana", 3), ("ana", 20), ("beto", 2), ("7", 5)):
        assert list(lookup.search(query, limit)) == list(reference(rows).search(query, limit))
    with pytest.raises(InvalidQueryParameter, match="limit"):
        lookup.search("ana", limit=0)


# -- the index: rebuild and refresh ----------------------------------------------------------


def test_rebuild_reports_what_it_read_and_skips_texts_that_are_no_number(database: Database):
    create_clientes(
        database.writer,
        [
            (1, "Ana", "55 1234 5678", "+52 1 55 1234 5678", None),  # one number, twice
            (2, "José", "no tiene", "55 8765 4321", None),
            (3, "María", "12", "ver notas", None),
            (4, "Luis", "", None, None),
            (5, "Eva", "   ", "+54 11 2233-4455", None),
        ],
    )
    index = ClientPhoneIndex(database, CLIENTES, max_examples=2)

    report = index.rebuild()

    assert isinstance(report, RebuildReport)
    assert (report.clients_read, report.clients_with_numbers, report.numbers_indexed) == (5, 3, 3)
    assert report.unparseable == 3
    assert [(e.client_id, e.column, e.text) for e in report.unparseable_examples] == [
        ("2", "telefono", "no tiene"),
        ("3", "telefono", "12"),
    ]
    assert all(e.reason for e in report.unparseable_examples)
    assert report.clients_skipped == 0
    assert report.duration.total_seconds() >= 0
    assert "3 texts in phone columns are no phone number" in report.summary()
    assert "client 2 telefono 'no tiene'" in report.summary()
    assert index_rows(database) == {
        ("525512345678", "1"),
        ("525587654321", "2"),
        ("541122334455", "5"),
    }


def test_rebuild_replaces_the_index(database: Database):
    lookup, index = crm(
        database, [(1, "Ana", "55 1234 5678", None, None), (2, "José", "55 1111 2222", None, None)]
    )
    execute(database.writer, "UPDATE clientes SET telefono = '55 3333 4444' WHERE id = 1")
    execute(database.writer, "DELETE FROM clientes WHERE id = 2")
    insert_clientes(database.writer, [(3, "Eva", None, "55 1111 2222", None)])

    report = index.rebuild()

    assert lookup.by_phone(WHATSAPP_MX) == ClientMatch()
    assert [c.id for c in lookup.by_phone(wa("5215533334444")).candidates] == ["1"]
    assert [c.id for c in lookup.by_phone(wa("5215511112222")).candidates] == ["3"]
    assert index_rows(database) == {("525533334444", "1"), ("525511112222", "3")}
    assert (report.numbers_indexed, report.numbers_added, report.numbers_removed) == (2, 2, 2)
    assert "(2 new, 2 gone)" in report.summary()
    again = index.rebuild()
    assert (again.numbers_indexed, again.numbers_added, again.numbers_removed) == (2, 0, 0)
    assert index_rows(database) == {("525533334444", "1"), ("525511112222", "3")}


def test_readers_see_the_old_index_until_the_rebuild_commits(database: Database):
    lookup, index = crm(database, [(i, f"C{i}", None, None, None) for i in range(1, 7)])
    insert_clientes(database.writer, [(7, "Ana", "55 1234 5678", None, None)])
    seen_during: list[ClientMatch] = []

    index.rebuild(progress=lambda _done, _total: seen_during.append(lookup.by_phone(WHATSAPP_MX)))

    assert seen_during
    assert all(match == ClientMatch() for match in seen_during)
    assert [c.id for c in lookup.by_phone(WHATSAPP_MX).candidates] == ["7"]


def test_a_rebuild_that_fails_midway_leaves_the_index_as_it_was(database: Database):
    lookup, index = crm(database, [(i, f"C{i}", None, None, None) for i in range(1, 7)])
    insert_clientes(database.writer, [(7, "Ana", "55 1234 5678", None, None)])

    def interrupt(done: int, _total: int) -> None:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index.rebuild(progress=interrupt)

    assert lookup.by_phone(WHATSAPP_MX) == ClientMatch()
    assert index.rebuild().numbers_added == 1
    assert [c.id for c in lookup.by_phone(WHATSAPP_MX).candidates] == ["7"]


def test_rebuild_leaves_ordinary_tables_named_like_its_work_tables_alone(database: Database):
    _, index = crm(database, [(1, "Ana", "55 1234 5678", None, None)])
    lookalike = f"{database.tables.client_phone_keys.name}_add"
    execute(database.writer, f"CREATE TABLE {lookalike} (phone_key TEXT, client_id TEXT)")
    execute(database.writer, f"INSERT INTO {lookalike} VALUES ('x', 'y')")

    index.rebuild()

    with database.reader.connect() as connection:
        assert connection.execute(text(f"SELECT * FROM {lookalike}")).all() == [("x", "y")]


def test_rebuild_progress_counts_up_to_the_total(database: Database):
    create_clientes(
        database.writer, [(i, f"C{i}", f"55 1234 {i:04d}", None, None) for i in range(10)]
    )
    calls: list[tuple[int, int]] = []

    ClientPhoneIndex(database, CLIENTES, batch_size=3).rebuild(
        progress=lambda done, total: calls.append((done, total))
    )

    assert calls == [(0, 10), (3, 10), (6, 10), (9, 10), (10, 10)]


def test_rebuild_of_an_empty_crm_empties_the_index(database: Database):
    lookup, index = crm(database, [(1, "Ana", "55 1234 5678", None, None)])
    execute(database.writer, "DELETE FROM clientes")
    calls: list[tuple[int, int]] = []

    report = index.rebuild(progress=lambda done, total: calls.append((done, total)))

    assert calls == [(0, 0)]
    assert (report.clients_read, report.numbers_indexed, report.unparseable) == (0, 0, 0)
    assert index_rows(database) == set()
    assert lookup.by_phone(WHATSAPP_MX) == ClientMatch()


def test_rebuild_reads_in_keyset_batches_never_with_offset(database: Database):
    create_clientes(
        database.writer, [(i, f"C{i}", f"55 1234 {i:04d}", None, None) for i in range(10)]
    )
    index = ClientPhoneIndex(database, CLIENTES, batch_size=3)

    with captured_sql(database.reader) as statements:
        index.rebuild()

    batches = [(s, p) for s, p in statements if "clientes" in s and "LIMIT" in s.upper()]
    assert len(batches) == 5  # 3 + 3 + 3 + 1 rows, then an empty batch ends the loop
    assert all(re.search(r"clientes\.id\s*>", s) for s, _ in batches[1:])
    for statement, parameters in batches:
        if "OFFSET" in statement.upper():  # SQLAlchemy's SQLite dialect always adds OFFSET 0
            assert statement.rstrip().endswith("OFFSET ?")
            assert parameters[-1] == 0


def test_refresh_follows_a_change_of_number(database: Database):
    lookup, index = crm(database, [(1, "Ana", "55 1234 5678", None, None)])
    execute(
        database.writer,
        "UPDATE clientes SET telefono = '55 8765 4321', celular = '+52 55 1111 2222' WHERE id = 1",
    )

    assert index.refresh("1") == 2

    assert lookup.by_phone(WHATSAPP_MX) == ClientMatch()
    assert [c.id for c in lookup.by_phone(wa("5215587654321")).candidates] == ["1"]
    assert [c.id for c in lookup.by_phone(wa("525511112222")).candidates] == ["1"]


def test_refresh_after_a_deletion_drops_the_clients_keys(database: Database):
    _, index = crm(
        database, [(1, "Ana", "55 1234 5678", None, None), (2, "José", "55 1234 5678", None, None)]
    )
    execute(database.writer, "DELETE FROM clientes WHERE id = 1")

    assert index.refresh("1") == 0

    assert index_rows(database) == {("525512345678", "2")}


def test_refresh_indexes_a_new_client_and_ignores_ids_nobody_can_have(database: Database):
    lookup, index = crm(database, [])
    insert_clientes(database.writer, [(4, "Ana", "no tiene", "55 1234 5678", None)])

    assert index.refresh("4") == 1
    assert index.refresh("abc") == 0
    assert index.refresh("404") == 0

    assert [c.id for c in lookup.by_phone(WHATSAPP_MX).candidates] == ["4"]


def wait_until_blocked_by(database: Database, blocker: Connection) -> None:
    """Until another session waits on ``blocker``'s locks (PostgreSQL), or a moment passes
    (SQLite, whose busy handler leaves no trace to watch)."""
    if database.is_sqlite:
        time.sleep(0.3)
        return
    pid = blocker.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with database.reader.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
                ),
                {"pid": pid},
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the refresh never waited for the other transaction")


def test_concurrent_refreshes_of_one_client_do_not_collide(database: Database):
    _, index = crm(database, [(1, "Ana", "55 1234 5678", None, None)])
    keys = database.tables.client_phone_keys
    with database.writer.connect() as other, ThreadPoolExecutor(1) as pool:
        with other.begin():  # another refresh of client 1, not committed yet
            other.execute(keys.delete().where(keys.c.client_id == "1"))
            other.execute(keys.insert(), {"phone_key": "525512345678", "client_id": "1"})
            refreshed = pool.submit(index.refresh, "1")
            wait_until_blocked_by(database, other)

        assert refreshed.result(timeout=30) == 1
    assert index_rows(database) == {("525512345678", "1")}


def test_the_crm_table_may_live_in_another_database(database: Database, tmp_path: Path):
    other = create_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    try:
        create_clientes(other, [(1, "Ana", "55 1234 5678", None, "Mérida")])
        index = ClientPhoneIndex(database, CLIENTES, crm_engine=other)
        lookup = SqlClientLookup(database, CLIENTES, crm_engine=other)

        index.rebuild()
        assert lookup.by_phone(WHATSAPP_MX).client == ClientRef("1", "Ana", {"ciudad": "Mérida"})

        execute(other, "UPDATE clientes SET nombre = 'Ana María' WHERE id = 1")
        assert lookup.by_id("1") == ClientRef("1", "Ana María", {"ciudad": "Mérida"})
        assert [c.id for c in lookup.search("maria")] == ["1"]
    finally:
        other.dispose()


def test_a_view_over_the_crm_table_can_be_used(database: Database):
    create_clientes(database.writer, [(1, "Ana", "55 1234 5678", None, None)])
    execute(database.writer, "CREATE VIEW clientes_activos AS SELECT * FROM clientes")
    table = replace(CLIENTES, table="clientes_activos")

    ClientPhoneIndex(database, table).rebuild()

    assert SqlClientLookup(database, table).by_phone(WHATSAPP_MX).client == ClientRef(
        "1", "Ana", {"ciudad": ""}
    )


# -- a lookup never scans the CRM table --------------------------------------------------------


@contextlib.contextmanager
def captured_sql(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the engine sends to the driver, with its parameters."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sqlite_plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return [row[3] for row in plan]


def postgresql_scans(engine: Engine, statement: str, parameters: Any) -> dict[str, set[str]]:
    """How each table is reached in the statement's plan: {table: {node types}}."""
    with engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
        document = plan.scalar_one()
    scans: dict[str, set[str]] = {}

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            scans.setdefault(node["Relation Name"], set()).add(node["Node Type"])
        for child in node.get("Plans", []):
            walk(child)

    walk(document[0]["Plan"])
    return scans


@pytest.mark.parametrize(
    ("id_type", "ids"),
    [("INTEGER PRIMARY KEY", lambda i: i), ("VARCHAR(20) PRIMARY KEY", lambda i: f"cli-{i:05d}")],
)
def test_a_lookup_by_phone_or_id_reaches_the_crm_table_by_key_only(
    database: Database, id_type: str, ids: Any
):
    rows: list[Row] = [
        (ids(i), f"Cliente {i}", f"55 {2000 + i:04d} {i:04d}", None, "X") for i in range(5000)
    ]
    rows[10] = (ids(10), "Ana", "55 1234 5678", None, None)
    rows[20] = (ids(20), "José", "+52 1 55 1234 5678", None, None)
    lookup, _ = crm(database, rows, id_type=id_type)
    if database.is_postgresql:
        execute(database.writer, "ANALYZE clientes")
        execute(database.writer, f"ANALYZE {database.tables.client_phone_keys.name}")

    with captured_sql(database.reader) as statements:
        ambiguous = lookup.by_phone(WHATSAPP_MX)
        single = lookup.by_phone(wa("5215520330033"))
        by_id = lookup.by_id(str(ids(33)))

    assert [c.name for c in ambiguous.candidates] == ["Ana", "José"]
    assert single.client is not None
    assert by_id == single.client
    touching = [(s, p) for s, p in statements if "clientes" in s]
    assert len(touching) == 3
    keys_table = database.tables.client_phone_keys.name
    for statement, parameters in statements:
        if "clientes" not in statement and keys_table not in statement:
            continue
        if database.is_sqlite:
            plan = sqlite_plan(database.reader, statement, parameters)
            assert not [step for step in plan if step.startswith("SCAN")], (statement, plan)
            assert any(step.startswith("SEARCH") for step in plan), (statement, plan)
        else:
            scans = postgresql_scans(database.reader, statement, parameters)
            for table, nodes in scans.items():
                assert nodes <= {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}, (
                    table,
                    nodes,
                    statement,
                )
            assert "clientes" in scans or "clientes" not in statement
    # The check itself can fail: a filter on an unindexed column is reported as a scan.
    control = "SELECT id FROM clientes WHERE nombre = 'Ana'"
    if database.is_sqlite:
        assert any(s.startswith("SCAN clientes") for s in sqlite_plan(database.reader, control, ()))
    else:
        assert postgresql_scans(database.reader, control, {}) == {"clientes": {"Seq Scan"}}


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"table": ""}, "table"),
        ({"name_column": "  "}, "name_column"),
        ({"id_column": None}, "id_column"),
        ({"phone_columns": ()}, "phone_columns"),
        ({"phone_columns": ("telefono", "")}, "phone_columns"),
        ({"phone_columns": ("telefono", "celular", "telefono")}, "phone_columns"),
        ({"placeholder_columns": {"ciudad-natal": "ciudad"}}, "placeholder_columns"),
        ({"placeholder_columns": {"1ciudad": "ciudad"}}, "placeholder_columns"),
        ({"placeholder_columns": {"ciudad": ""}}, "placeholder_columns['ciudad']"),
        ({"default_region": "Mexico"}, "default_region"),
        ({"schema": ""}, "schema"),
    ],
)
def test_a_crm_table_description_that_cannot_work_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
):
    with pytest.raises(InvalidCrmTable) as caught:
        replace(CLIENTES, **changes)

    assert caught.value.field == field
    assert str(caught.value).startswith(f"CRM client table: {field}: ")
    assert isinstance(caught.value, ValueError)


def test_a_crm_table_description_is_normalized_and_immutable():
    table = replace(CLIENTES, phone_columns="telefono", default_region=" br ")

    assert table.phone_columns == ("telefono",)
    assert table.default_region == "BR"
    assert hash(table) == hash(replace(table))
    with pytest.raises(TypeError):
        table.placeholder_columns["edad"] = "edad"  # type: ignore[index]


def test_a_missing_crm_table_is_named(database: Database):
    with pytest.raises(InvalidCrmTable, match="no table or view 'clientes'") as caught:
        SqlClientLookup(database, CLIENTES)

    assert caught.value.field == "table"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"phone_columns": ("telefono", "movil")},
            "phone_columns",
            "no column 'movil' in clientes",
        ),
        ({"name_column": "Nombre"}, "name_column", "did you mean 'nombre'"),
        ({"id_column": "codigo"}, "id_column", "its columns are id, nombre, telefono"),
        ({"placeholder_columns": {"edad": "edad"}}, "placeholder_columns['edad']", "'edad'"),
    ],
)
def test_a_missing_column_is_named(
    database: Database, changes: dict[str, Any], field: str, message: str
):
    create_clientes(database.writer)

    with pytest.raises(InvalidCrmTable, match=re.escape(message)) as caught:
        ClientPhoneIndex(database, replace(CLIENTES, **changes))

    assert caught.value.field == field


def test_an_id_column_without_a_unique_index_is_refused(database: Database):
    create_clientes(database.writer, id_type="INTEGER")

    with pytest.raises(InvalidCrmTable, match="every lookup by id would read the whole table"):
        SqlClientLookup(database, CLIENTES)

    execute(database.writer, "CREATE UNIQUE INDEX clientes_id ON clientes (id)")
    assert SqlClientLookup(database, CLIENTES).by_id("1") is None


def test_an_id_column_of_another_type_is_refused(database: Database):
    create_clientes(database.writer, id_type="DATE PRIMARY KEY")

    with pytest.raises(InvalidCrmTable, match="integers, text or UUIDs") as caught:
        SqlClientLookup(database, CLIENTES)

    assert caught.value.field == "id_column"


# -- unavailable -------------------------------------------------------------------------------


def test_a_crm_table_gone_while_running_makes_lookups_unavailable(database: Database):
    lookup, index = crm(database, [(1, "Ana", "55 1234 5678", None, None)])
    execute(database.writer, "DROP TABLE clientes")

    for attempt in (
        lambda: lookup.by_phone(WHATSAPP_MX),
        lambda: lookup.by_id("1"),
        lambda: lookup.search("ana"),
        lambda: index.refresh("1"),
        index.rebuild,
    ):
        with pytest.raises(ClientLookupUnavailable, match="CRM client table failed on"):
            attempt()


def test_an_unreachable_database_is_reported_without_its_password(
    database: Database, tmp_path: Path
):
    down = create_engine("postgresql+psycopg://crm:s3cret-pw@127.0.0.1:1/crm")
    with pytest.raises(ClientLookupUnavailable) as at_start:
        SqlClientLookup(database, CLIENTES, crm_engine=down)
    with pytest.raises(ClientLookupUnavailable):
        ClientPhoneIndex(database, CLIENTES, crm_engine=down)

    crm_file = create_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    create_clientes(crm_file, [(1, "Ana", "55 1234 5678", None, None)])
    index_down = Database("postgresql+psycopg://lib:s3cret-pw@127.0.0.1:1/lib")
    lookup = SqlClientLookup(index_down, CLIENTES, crm_engine=crm_file)
    with pytest.raises(ClientLookupUnavailable) as while_running:
        lookup.by_phone(WHATSAPP_MX)
    with pytest.raises(StorageUnavailable) as index_write:
        ClientPhoneIndex(index_down, CLIENTES, crm_engine=crm_file).refresh("1")

    for error in (at_start.value, while_running.value, index_write.value):
        assert "s3cret-pw" not in str(error)
        assert "***" in str(error)
    assert "127.0.0.1:1" in str(while_running.value)
    crm_file.dispose()
    down.dispose()
    index_down.dispose()


# -- progress bar ------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_progress_bar_redraws_in_place_and_ends_with_a_newline():
    stream, clock = io.StringIO(), FakeClock()
    bar = ProgressBar(stream, width=10, clock=clock)

    bar(0, 1000)
    clock.now += 1
    bar(250, 1000)
    clock.now += 1
    bar(1000, 1000)

    drawn = stream.getvalue()
    frames = drawn.rstrip("\n").split("\r")[1:]
    assert drawn.endswith("\n")
    assert drawn.count("\n") == 1
    assert frames[0].startswith("clients [----------]   0.0% 0/1,000")
    assert frames[1].startswith("clients [##--------]  25.0% 250/1,000 250/s 0:03 left")
    assert frames[2].startswith("clients [##########] 100.0% 1,000/1,000 500/s in 0:02")


def test_the_progress_bar_skips_redraws_closer_than_its_interval():
    stream, clock = io.StringIO(), FakeClock()
    bar = ProgressBar(stream, clock=clock, min_interval=0.5)

    for done in range(0, 101, 10):
        bar(done, 100)
        clock.now += 0.125

    frames = stream.getvalue().rstrip("\n").split("\r")[1:]
    assert [f.split("%")[1].split()[0] for f in frames] == ["0/100", "40/100", "80/100", "100/100"]


def test_the_progress_bar_draws_an_empty_table_as_done():
    stream = io.StringIO()

    ProgressBar(stream, clock=FakeClock())(0, 0)

    assert stream.getvalue().startswith("\rclients [")
    assert "100.0% 0/0" in stream.getvalue()
    assert stream.getvalue().endswith("\n")


def test_the_progress_bar_follows_a_real_rebuild(database: Database):
    create_clientes(
        database.writer, [(i, f"C{i}", f"55 1234 {i:04d}", None, None) for i in range(7)]
    )
    stream = io.StringIO()

    ClientPhoneIndex(database, CLIENTES, batch_size=2).rebuild(ProgressBar(stream, min_interval=0))

    assert stream.getvalue().count("\r") == 5
    assert "100.0% 7/7" in stream.getvalue()
    assert stream.getvalue().endswith("\n")
