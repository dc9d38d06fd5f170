"""The composition root: a default for every port, and any of them replaceable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_whatsapp.adapters.events import LocalEventHub
from crm_whatsapp.adapters.memory import (
    FixedClock,
    InMemoryClientLookup,
    InMemoryMessagingGateway,
)
from crm_whatsapp.adapters.sql import (
    ClientPhoneIndex,
    Database,
    SqlClientLookup,
    SqlConversationQueries,
)
from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiGateway
from crm_whatsapp.app import Settings
from crm_whatsapp.app.container import (
    GatewayFactory,
    MissingClientsSetting,
    build_container,
    close_owned,
)
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.ports import (
    ClientLookup,
    Clock,
    ConversationQueries,
    EventPublisher,
    MessagingGateway,
)
from crm_whatsapp.domain.use_cases import Dependencies


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'c.db'}", **values
    )


def test_defaults_are_the_sql_adapters_on_the_configured_database(tmp_path: Path) -> None:
    container = build_container(_settings(tmp_path))
    database = container.resolve(Database)
    assert database.is_sqlite
    assert isinstance(container.resolve(ConversationQueries), SqlConversationQueries)
    assert isinstance(container.resolve(EventPublisher), LocalEventHub)
    assert container.resolve(EventPublisher) is container.resolve(LocalEventHub)
    deps = container.resolve(Dependencies)
    assert deps.events is container.resolve(LocalEventHub)
    assert container.resolve(Dependencies) is deps  # singletons


def test_an_override_replaces_one_port_and_everything_built_on_it(tmp_path: Path) -> None:
    ana = ClientRef("42", "Ana")
    lookup = InMemoryClientLookup([(ana, ["+52 55 1234 5678"])])
    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    own_database = Database(f"sqlite:///{tmp_path / 'host.db'}")
    container = build_container(
        _settings(tmp_path),
        overrides={ClientLookup: lookup, Clock: clock, Database: own_database},
    )
    deps = container.resolve(Dependencies)
    assert deps.clients is lookup
    assert deps.clock is clock
    assert container.resolve(Database) is own_database
    assert deps.clients.by_phone(PhoneNumber.from_wa_id("5215512345678")).client == ana


def test_a_client_table_setting_wires_the_sql_lookup(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'c.db'}")
    database.migrate()
    with database.writer.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE clientes (id INTEGER PRIMARY KEY, n TEXT, t TEXT)")
    container = build_container(
        _settings(
            tmp_path,
            clients_table="clientes",
            clients_name_column="n",
            clients_phone_columns="t",
        )
    )
    assert isinstance(container.resolve(ClientLookup), SqlClientLookup)


def test_a_client_table_without_its_columns_is_refused(tmp_path: Path) -> None:
    container = build_container(_settings(tmp_path, clients_table="clientes"))
    with pytest.raises(MissingClientsSetting, match="CRM_WHATSAPP_CLIENTS_NAME_COLUMN"):
        container.resolve(ClientLookup)


def test_the_graph_api_needs_its_access_token(tmp_path: Path) -> None:
    from crm_whatsapp.app import MissingSetting

    container = build_container(_settings(tmp_path))
    with pytest.raises(MissingSetting, match="CRM_WHATSAPP_ACCESS_TOKEN"):
        container.resolve(GatewayFactory)


def test_the_crm_table_settings_give_the_bot_its_placeholders(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        clients_table="clientes",
        clients_schema="main",
        clients_name_column="nombre",
        clients_phone_columns="telefono",
        clients_fields="ciudad=ciudad, plan=plan_contratado",
    )
    container = build_container(settings)
    database = container.resolve(Database)
    database.migrate()
    with database.writer.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE clientes (id INTEGER PRIMARY KEY, nombre TEXT, telefono TEXT, "
            "ciudad TEXT, plan_contratado TEXT)"
        )
        connection.exec_driver_sql(
            "INSERT INTO clientes VALUES (7, 'Ana', '55 1234 5678', 'CDMX', 'Oro')"
        )
    container.resolve(ClientPhoneIndex).rebuild()  # what `crm-whatsapp clients reindex` runs

    client = container.resolve(ClientLookup).by_phone(PhoneNumber.from_wa_id("5215512345678"))

    assert client.client == ClientRef("7", "Ana", fields={"ciudad": "CDMX", "plan": "Oro"})
    close_owned(container)


def test_a_gateway_override_is_shared_by_every_session(tmp_path: Path) -> None:
    gateway = InMemoryMessagingGateway()
    container = build_container(_settings(tmp_path), overrides={MessagingGateway: gateway})
    sessions: GatewayFactory = container.resolve(GatewayFactory)

    async def opened() -> object:
        async with sessions() as session:
            return session

    assert asyncio.run(opened()) is gateway


def test_the_default_gateway_opens_a_graph_api_client_per_session(tmp_path: Path) -> None:
    container = build_container(_settings(tmp_path, access_token="EAAG-token"))
    sessions: GatewayFactory = container.resolve(GatewayFactory)

    async def two_sessions() -> list[object]:
        async with sessions() as first, sessions() as second:
            return [first, second]

    first, second = asyncio.run(two_sessions())
    assert isinstance(first, GraphApiGateway)
    assert first is not second


def test_closing_disposes_what_the_container_built_and_never_an_override(
    tmp_path: Path,
) -> None:
    own = Database(f"sqlite:///{tmp_path / 'host.db'}")
    disposed: list[str] = []
    own.dispose = lambda: disposed.append("override")  # type: ignore[method-assign]
    overridden = build_container(_settings(tmp_path), overrides={Database: own})
    overridden.resolve(Dependencies)
    close_owned(overridden)
    assert disposed == []

    built = build_container(_settings(tmp_path))
    database = built.resolve(Database)
    with database.reader.connect():
        pass
    assert database.reader.pool.checkedin() == 1
    close_owned(built)
    assert database.reader.pool.checkedin() == 0
