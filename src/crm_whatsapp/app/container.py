"""The composition root: which adapter stands behind each port, decided once, from settings.

``build_container(settings, overrides)`` registers a default for every port in a punq
container; ``overrides`` replaces any of them (a host CRM's own ``ClientLookup``, its own
``Database`` or engine, a fake ``MessagingGateway`` in tests) and everything that depends
on it is built on the replacement. Nothing is built at import time and nothing touches the
network or the disk until an entry point resolves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any, get_type_hints

import punq
from sqlalchemy import create_engine

from crm_whatsapp.adapters.events import LocalEventHub, PostgresEventPublisher
from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.rules_file import load_bot_rules
from crm_whatsapp.adapters.sql import (
    CrmClientTable,
    Database,
    SqlClientLookup,
    SqlConversationQueries,
    SqlUnitOfWork,
)
from crm_whatsapp.adapters.system import SystemClock, TimeOrderedIds
from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiGateway, GraphApiSettings
from crm_whatsapp.app.settings import MissingSetting, Settings
from crm_whatsapp.domain.policy import BotRules
from crm_whatsapp.domain.ports import (
    ClientLookup,
    Clock,
    ConversationQueries,
    EventPublisher,
    IdGenerator,
    MessagingGateway,
    UnitOfWork,
)
from crm_whatsapp.domain.use_cases import Dependencies, RetryPolicy

GatewayFactory = Callable[[], AbstractAsyncContextManager[MessagingGateway]]
"""Opens a gateway for the running event loop (an httpx client belongs to one loop)."""
UnitOfWorkFactory = Callable[[], UnitOfWork]


class MissingClientsSetting(ValueError):
    pass


def build_container(
    settings: Settings, overrides: Mapping[Any, object] | None = None
) -> punq.Container:
    container = punq.Container()
    container.register(Settings, instance=settings)
    defaults: list[tuple[Any, Callable[..., Any]]] = [
        (Database, _database),
        (Clock, SystemClock),
        (IdGenerator, TimeOrderedIds),
        (BotRules, _bot_rules),
        (ClientLookup, _client_lookup),
        (ConversationQueries, _queries),
        (LocalEventHub, LocalEventHub),
        (EventPublisher, _event_publisher),
        (UnitOfWorkFactory, _unit_of_work_factory),
        (GatewayFactory, _graph_api_gateways),
        (RetryPolicy, _retry_policy),
        (Dependencies, _dependencies),
    ]
    for port, factory in defaults:
        container.register(port, factory=_autowired(container, factory), scope=punq.Scope.singleton)
    for port, replacement in (overrides or {}).items():
        if port is MessagingGateway:
            container.register(GatewayFactory, instance=_shared_gateway(replacement))  # type: ignore[arg-type]
        else:
            container.register(port, instance=replacement)
    return container


def _autowired(container: punq.Container, factory: Callable[..., Any]) -> Callable[[], Any]:
    """A factory whose parameters are resolved from the container by their type hints
    (punq autowires class constructors only; ours are plain functions)."""
    if isinstance(factory, type):
        return factory
    hints = get_type_hints(factory)
    hints.pop("return", None)
    return lambda: factory(**{name: container.resolve(hint) for name, hint in hints.items()})


def _database(settings: Settings) -> Database:
    return Database(settings.database_url.get_secret_value(), prefix=settings.table_prefix)


def _bot_rules(settings: Settings) -> BotRules:
    if settings.bot_rules_file is None:
        return BotRules()
    return load_bot_rules(settings.bot_rules_file)


def _client_lookup(settings: Settings, database: Database) -> ClientLookup:
    if settings.clients_table is None:
        return InMemoryClientLookup(default_region=settings.default_region)
    if not settings.clients_name_column or not settings.clients_phone_columns:
        raise MissingClientsSetting(
            "CRM_WHATSAPP_CLIENTS_TABLE needs CRM_WHATSAPP_CLIENTS_NAME_COLUMN and "
            "CRM_WHATSAPP_CLIENTS_PHONE_COLUMNS"
        )
    table = CrmClientTable(
        table=settings.clients_table,
        id_column=settings.clients_id_column,
        name_column=settings.clients_name_column,
        phone_columns=settings.clients_phone_columns,
        default_region=settings.default_region,
    )
    crm_engine = (
        create_engine(settings.clients_database_url.get_secret_value(), pool_pre_ping=True)
        if settings.clients_database_url is not None
        else None
    )
    return SqlClientLookup(database, table, crm_engine)


def _queries(database: Database) -> ConversationQueries:
    return SqlConversationQueries(database)


def _event_publisher(database: Database, hub: LocalEventHub) -> EventPublisher:
    """PostgreSQL: every process hears every event through NOTIFY (the listener delivers to
    the hub, also in the publishing process); SQLite: one process, straight to the hub."""
    if database.is_postgresql:
        return PostgresEventPublisher(database)
    return hub


def _unit_of_work_factory(database: Database) -> UnitOfWorkFactory:
    return lambda: SqlUnitOfWork(database)


def _graph_api_gateways(settings: Settings) -> GatewayFactory:
    token = settings.secret("access_token")
    if not token:
        raise MissingSetting(["access_token"])
    graph = GraphApiSettings(
        access_token=token,
        base_url=settings.graph_api_url,
        api_version=settings.graph_api_version,
        read_timeout=settings.graph_api_timeout_seconds,
    )
    return lambda: GraphApiGateway(graph)


def _retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        first_delay=timedelta(seconds=settings.outbox_retry_seconds),
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )


def _shared_gateway(gateway: MessagingGateway) -> GatewayFactory:
    @asynccontextmanager
    async def opened() -> AsyncIterator[MessagingGateway]:
        yield gateway

    return opened


def _dependencies(
    *,
    unit_of_work: UnitOfWorkFactory,
    clients: ClientLookup,
    clock: Clock,
    ids: IdGenerator,
    rules: BotRules,
    events: EventPublisher,
) -> Dependencies:
    return Dependencies(unit_of_work, clients, clock, ids, rules, events)
