"""The composition root: a default for every port, and any of them replaceable."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_whatsapp.adapters.events import LocalEventHub
from crm_whatsapp.adapters.memory import FixedClock, InMemoryClientLookup
from crm_whatsapp.adapters.sql import Database, SqlClientLookup, SqlConversationQueries
from crm_whatsapp.app import Settings
from crm_whatsapp.app.container import MissingClientsSetting, build_container
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.ports import ClientLookup, Clock, ConversationQueries, EventPublisher
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
    from crm_whatsapp.app.container import GatewayFactory

    container = build_container(_settings(tmp_path))
    with pytest.raises(MissingSetting, match="CRM_WHATSAPP_ACCESS_TOKEN"):
        container.resolve(GatewayFactory)
