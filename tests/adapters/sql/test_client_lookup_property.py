"""Property: the SQL client lookup answers exactly as the in-memory one (the reference).

For random clients whose phone columns hold random real-world spellings of a few numbers
(shared between clients, mixed with garbage), every phone involved finds the same clients
in both, whether the index was built by ``rebuild`` or client by client by ``refresh``;
``by_id`` and ``search`` agree too. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.sql import ClientPhoneIndex, CrmClientTable, SqlClientLookup
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.domain.errors import InvalidPhoneNumber
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.testing.phones import DEFAULT_REGIONS, formatted_phone_numbers, wa_ids

GARBAGE = ("no tiene", "ver notas", "", "12", "0", "+", "sin número", "55-")
COLUMNS = ("id", "nombre", "telefono", "celular", "ciudad")

names = st.sampled_from(
    ["Ana López", "José Pérez", "MARÍA JOSÉ", "Zoë Ana", "ana", "Ñandú S.A.", ""]
) | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10)


@st.composite
def crms(draw: st.DrawFn) -> tuple[str, list[tuple[Any, ...]], list[PhoneNumber], list[str]]:
    """(region, rows, phones to look up, texts to search for)."""
    region = draw(st.sampled_from(DEFAULT_REGIONS))
    pool = draw(st.lists(formatted_phone_numbers(regions=(region,)), min_size=1, max_size=4))
    spellings = [s for fp in pool for s in (fp.text, fp.number.e164)] + list(GARBAGE)
    phone = st.none() | st.sampled_from(spellings)
    ids = draw(st.lists(st.integers(-5, 10**6), min_size=1, max_size=7, unique=True))
    rows = [
        (client_id, draw(names), draw(phone), draw(phone), draw(st.none() | names))
        for client_id in sorted(ids)
    ]
    probes = [fp.number for fp in pool]
    probes += [PhoneNumber("+" + fp.number.lookup_key) for fp in pool]
    probes += [PhoneNumber.from_wa_id(w) for w in draw(st.lists(wa_ids((region,)), max_size=2))]
    for spelling in spellings:
        with contextlib.suppress(InvalidPhoneNumber):
            probes.append(PhoneNumber.parse(spelling, region))
    searches = [str(draw(st.sampled_from(ids))), draw(names), "ana", "jose", " 7 "]
    return region, rows, probes, searches


def reference(rows: list[tuple[Any, ...]], region: str) -> InMemoryClientLookup:
    lookup = InMemoryClientLookup(default_region=region)
    for id_, nombre, telefono, celular, ciudad in rows:
        client = ClientRef(str(id_), nombre or "", {"ciudad": ciudad or ""})
        lookup.add(client, *(p for p in (telefono, celular) if p is not None))
    return lookup


def load(database: Database, rows: list[tuple[Any, ...]]) -> None:
    """The CRM table with exactly these rows (made once per test, emptied per example)."""
    with database.writer.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS clientes (id INTEGER PRIMARY KEY, nombre TEXT, "
                "telefono TEXT, celular TEXT, ciudad TEXT)"
            )
        )
        connection.execute(text("DELETE FROM clientes"))
        connection.execute(
            text(
                "INSERT INTO clientes (id, nombre, telefono, celular, ciudad) "
                "VALUES (:id, :nombre, :telefono, :celular, :ciudad)"
            ),
            [dict(zip(COLUMNS, row, strict=True)) for row in rows],
        )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(crm=crms(), by_refresh=st.booleans(), limit=st.integers(1, 4))
def test_the_sql_lookup_answers_as_the_in_memory_one(
    database: Database,
    crm: tuple[str, list[tuple[Any, ...]], list[PhoneNumber], list[str]],
    by_refresh: bool,
    limit: int,
):
    region, rows, probes, searches = crm
    load(database, rows)
    table = CrmClientTable(
        table="clientes",
        name_column="nombre",
        phone_columns=("telefono", "celular"),
        placeholder_columns={"ciudad": "ciudad"},
        default_region=region,
    )
    index = ClientPhoneIndex(database, table, batch_size=3)
    if by_refresh:  # keys left by earlier examples belong to clients no longer in the CRM
        for row in rows:
            index.refresh(str(row[0]))
    else:
        index.rebuild()
    lookup = SqlClientLookup(database, table)
    expected = reference(rows, region)

    for phone in probes:
        assert lookup.by_phone(phone) == expected.by_phone(phone), phone
    for row in rows:
        assert lookup.by_id(str(row[0])) == expected.by_id(str(row[0]))
    for query in searches:
        assert list(lookup.search(query, limit)) == list(expected.search(query, limit)), query
