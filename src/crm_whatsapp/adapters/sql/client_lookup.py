"""ClientLookup over the host CRM's own client table, found by phone through our key index.

CRMs store phone numbers as people typed them ("55 1234 5678", "(011) 15-2233-4455", "no
tiene"), so no SQL expression can compare them with the wa_id WhatsApp sends. The library
keeps its own table, ``<prefix>client_phone_keys(phone_key, client_id)``, filled by
``ClientPhoneIndex`` (``client_index.py``) with ``PhoneNumber.lookup_key`` of every number.
A lookup by phone is then two primary-key reads: the keys give client ids, the ids give the
clients' rows. The CRM table is never scanned to answer a phone or an id, whatever its size.

The CRM table (``crm_table.py``) is reflected once, at construction, so a misspelt table or
column fails when the application starts rather than on the first message.
"""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, select

from crm_whatsapp.adapters.sql.crm_table import (
    CrmClientTable,
    ReflectedClientTable,
    cell_text,
    unavailable_as,
)
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.domain.errors import InvalidQueryParameter
from crm_whatsapp.domain.identity import ClientMatch, ClientRef
from crm_whatsapp.domain.phone import PhoneNumber, parsed_numbers
from crm_whatsapp.domain.policy.text import normalize

# Rows per round trip when search streams the name column.
_SEARCH_BATCH = 2000


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
        self._crm_table_config = crm_table

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

    def phones_of(self, client_id: str) -> Sequence[PhoneNumber]:
        """The client's numbers that parse (``ClientPhoneBook``), in the CRM's column order:
        where the CRM starts a WhatsApp conversation with a client by id."""
        with (
            unavailable_as(self._crm_engine, "reading the CRM client table"),
            self._crm_engine.connect() as connection,
        ):
            texts = self._crm.phone_texts(connection, client_id)
        return parsed_numbers(texts, self._crm_table_config.default_region)

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
            name = cell_text(raw_name)
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
