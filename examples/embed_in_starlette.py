"""A host CRM's own Starlette app with crm_whatsapp mounted at ``/whatsapp``.

The CRM keeps its routes (``GET /clientes/{id}``) and its database; crm_whatsapp finds
clients through the CRM's own ``ClientLookup`` and stores conversations in the same
database, in tables named ``crm_whatsapp_*`` (``Settings.table_prefix``), so they never
collide with the CRM's. Meta's webhook is then ``https://<crm>/whatsapp/webhook``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, cast, or_, select
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from crm_whatsapp import (
    ClientLookup,
    ClientMatch,
    ClientRef,
    Database,
    PhoneNumber,
    Settings,
    create_app,
)
from crm_whatsapp.domain.errors import ClientLookupUnavailable, InvalidPhoneNumber

# The CRM's own table, as its own code (and migrations) already define it.
metadata = MetaData()
clientes = Table(
    "clientes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("nombre", String, nullable=False),
    Column("telefono", String),  # typed by people: "55 1234 5678", "no tiene"...
    Column("ciudad", String),
)


class CrmClientes:
    """The CRM's ClientLookup: a plain class with the port's three methods, no base class
    (``ClientLookup`` is a ``typing.Protocol``)."""

    def __init__(self, engine: Engine, default_region: str = "MX") -> None:
        self.engine = engine
        self.default_region = default_region

    def by_phone(self, phone: PhoneNumber) -> ClientMatch:
        # Fine for a few thousand clients; for big tables use SqlClientLookup's phone index.
        rows = self._rows(select(clientes).where(clientes.c.telefono.is_not(None)))
        return ClientMatch(tuple(_client(r) for r in rows if self._same(phone, r.telefono)))

    def by_id(self, client_id: str) -> ClientRef | None:
        if not client_id.isdigit():
            return None
        rows = self._rows(select(clientes).where(clientes.c.id == int(client_id)))
        return _client(rows[0]) if rows else None

    def search(self, text: str, limit: int = 20) -> list[ClientRef]:
        matches = or_(clientes.c.nombre.ilike(f"%{text}%"), cast(clientes.c.id, String) == text)
        query = select(clientes).where(matches).limit(limit)
        return [_client(r) for r in self._rows(query)]

    def _same(self, phone: PhoneNumber, typed: str) -> bool:
        try:
            return PhoneNumber.parse(typed, self.default_region).matches(phone)
        except InvalidPhoneNumber:
            return False

    def _rows(self, query: Any) -> Sequence[Any]:
        try:
            with self.engine.connect() as connection:
                return connection.execute(query).all()
        except OperationalError as exc:  # the message is kept; the bot waits, no wrong greeting
            raise ClientLookupUnavailable(str(exc.orig)) from exc


def _client(row: Any) -> ClientRef:
    return ClientRef(str(row.id), row.nombre, {"ciudad": row.ciudad or ""})


def create_host_app(engine: Engine, settings: Settings) -> Starlette:
    metadata.create_all(engine)  # the CRM's own migrations, in real life
    lookup: ClientLookup = CrmClientes(engine, settings.default_region)  # mypy checks it fits
    # Same database as the CRM (on PostgreSQL, the same engine and pool; on SQLite our own
    # engines on the same file, since ours begin write transactions differently).
    database = Database.from_engine(engine, prefix=settings.table_prefix)
    whatsapp = create_app(settings, overrides={ClientLookup: lookup, Database: database})

    def cliente(request: Request) -> JSONResponse:  # sync: Starlette runs it in a thread
        query = select(clientes).where(clientes.c.id == request.path_params["id"])
        with engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return JSONResponse(dict(row) if row else {"error": "no existe"}, 200 if row else 404)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Starlette runs the lifespan of the outermost app only, never a mounted app's:
        # enter crm_whatsapp's (migrations, outbox worker) from the host's, or no reply
        # is ever sent.
        async with whatsapp.router.lifespan_context(whatsapp):
            yield
        database.dispose()  # an object we passed in is ours to close

    return Starlette(
        routes=[Route("/clientes/{id:int}", cliente), Mount("/whatsapp", app=whatsapp)],
        lifespan=lifespan,
    )
