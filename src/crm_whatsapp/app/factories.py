"""How each default adapter is built from ``Settings``: one small function per port.

The container (``container.py``) calls them with their parameters resolved by type, so a
function's signature says what it is built on. What a function opens (an engine, a pool)
it hands to ``OwnedResources``, which closes it when the entry point is done; an override
is never in there, so it stays its owner's to close.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine

from crm_whatsapp.adapters.events import LocalEventHub, PostgresEventPublisher
from crm_whatsapp.adapters.http import ApiContext, BearerTokens
from crm_whatsapp.adapters.http.agent_tokens import AgentTokens
from crm_whatsapp.adapters.http.auth import Authenticator, FailedAuthThrottle
from crm_whatsapp.adapters.http.media_links import MediaLinks
from crm_whatsapp.adapters.media import media_store_from_url
from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.rate_limit import SlotRateLimiter
from crm_whatsapp.adapters.rules_file import load_bot_rules
from crm_whatsapp.adapters.sql import (
    ClientPhoneIndex,
    CrmClientTable,
    Database,
    SqlClientLookup,
    SqlConversationQueries,
    SqlRateSlots,
    SqlUnitOfWork,
)
from crm_whatsapp.adapters.sql.delivery_journal import GroupCommitJournal
from crm_whatsapp.adapters.sql.ingest_queries import SqlIngestQueries
from crm_whatsapp.adapters.system import process_cursors
from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiSettings
from crm_whatsapp.adapters.whatsapp.webhook import WebhookBodyReader
from crm_whatsapp.app.gateway_sessions import GraphApiSessions
from crm_whatsapp.app.ingest_processor import IngestProcessor
from crm_whatsapp.app.read_receipts import LifespanGateway
from crm_whatsapp.app.settings import ENV_PREFIX, MissingSetting, Settings
from crm_whatsapp.app.template_sync import TemplateSync
from crm_whatsapp.domain.pagination import CursorCodec
from crm_whatsapp.domain.policy import BotRules
from crm_whatsapp.domain.ports import (
    ClientLookup,
    Clock,
    ConversationQueries,
    DeliveryJournal,
    EventPublisher,
    IdGenerator,
    IngestQueries,
    MediaStore,
    MessagingGateway,
    SendRateLimiter,
    UnitOfWork,
    WebhookReader,
)
from crm_whatsapp.domain.template_ports import TemplateSource
from crm_whatsapp.domain.use_cases import Dependencies, RetryPolicy
from crm_whatsapp.domain.use_cases.media_fetch import MediaFetchPolicy

logger = logging.getLogger("crm_whatsapp")

UnitOfWorkFactory = Callable[[], UnitOfWork]


class MissingClientsSetting(MissingSetting):
    """``CRM_WHATSAPP_CLIENTS_TABLE`` is unset, or set without the columns it needs."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(names)
        variables = ", ".join(ENV_PREFIX + n.upper() for n in names)
        self.args = (f"the CRM client table needs {variables}",)


class OwnedResources:
    """What the container opened (engines, pools), closed once when the entry point ends."""

    def __init__(self) -> None:
        self._closers: list[Callable[[], None]] = []

    def close_with(self, close: Callable[[], None]) -> None:
        self._closers.append(close)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()


@dataclass(frozen=True, slots=True)
class CrmConnection:
    """Where the CRM's client table lives: its own engine, or ``None`` for ours."""

    engine: Engine | None


def database(settings: Settings, resources: OwnedResources) -> Database:
    opened = Database(settings.database_url.get_secret_value(), prefix=settings.table_prefix)
    resources.close_with(opened.dispose)
    return opened


def bot_rules(settings: Settings) -> BotRules:
    if settings.bot_rules_file is None:
        return BotRules()
    return load_bot_rules(settings.bot_rules_file)


def crm_client_table(settings: Settings) -> CrmClientTable:
    """The CRM's client table as the ``CLIENTS_*`` settings describe it (the same for the
    service's lookup and for ``crm-whatsapp clients``)."""
    required = {
        "clients_table": settings.clients_table,
        "clients_name_column": settings.clients_name_column,
        "clients_phone_columns": settings.clients_phone_columns,
    }
    missing = [name for name, value in required.items() if not value]
    if missing or settings.clients_table is None or settings.clients_name_column is None:
        raise MissingClientsSetting(missing)
    return CrmClientTable(
        table=settings.clients_table,
        schema=settings.clients_schema,
        id_column=settings.clients_id_column,
        name_column=settings.clients_name_column,
        phone_columns=settings.clients_phone_columns,
        placeholder_columns=settings.clients_fields,
        default_region=settings.default_region,
    )


def crm_connection(settings: Settings, resources: OwnedResources) -> CrmConnection:
    if settings.clients_database_url is None:
        return CrmConnection(None)
    engine = create_engine(settings.clients_database_url.get_secret_value(), pool_pre_ping=True)
    resources.close_with(engine.dispose)
    return CrmConnection(engine)


def client_lookup(settings: Settings, database: Database, crm: CrmConnection) -> ClientLookup:
    """Without a CRM table nobody is found (every customer is new to the bot)."""
    if settings.clients_table is None:
        return InMemoryClientLookup(default_region=settings.default_region)
    return SqlClientLookup(database, crm_client_table(settings), crm.engine)


def client_phone_index(
    settings: Settings, database: Database, crm: CrmConnection
) -> ClientPhoneIndex:
    return ClientPhoneIndex(database, crm_client_table(settings), crm.engine)


def event_publisher(database: Database, hub: LocalEventHub) -> EventPublisher:
    """PostgreSQL: every process hears every event through NOTIFY (the listener delivers to
    the hub, also in the publishing process); SQLite: one process, straight to the hub."""
    if database.is_postgresql:
        return PostgresEventPublisher(database)
    return hub


def unit_of_work_factory(database: Database) -> UnitOfWorkFactory:
    return lambda: SqlUnitOfWork(database)


def graph_api_gateway(settings: Settings) -> MessagingGateway:
    token = settings.secret("access_token")
    if not token:
        raise MissingSetting(["access_token"])
    return GraphApiSessions(
        GraphApiSettings(
            access_token=token,
            base_url=settings.graph_api_url,
            api_version=settings.graph_api_version,
            read_timeout=settings.graph_api_timeout_seconds,
            # one connection per send in flight: fewer would queue the sends in the pool
            max_connections=settings.outbox_concurrency,
        )
    )


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        first_delay=timedelta(seconds=settings.outbox_retry_seconds),
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        concurrency=settings.outbox_concurrency,
    )


def send_rate_limiter(settings: Settings, database: Database) -> SendRateLimiter:
    """Slots in the database: every process on it keeps one rate per number together."""
    return SlotRateLimiter(SqlRateSlots(database), settings.send_rates(), in_thread=True)


def media_store(settings: Settings) -> MediaStore:
    return media_store_from_url(settings.media_url, Path.cwd(), settings.aws_environment())


def media_fetch_policy(settings: Settings) -> MediaFetchPolicy:
    return MediaFetchPolicy(
        max_attempts=settings.media_fetch_attempts,
        first_delay=timedelta(seconds=settings.media_retry_seconds),
        max_bytes=settings.media_max_bytes,
    )


def media_links(settings: Settings) -> MediaLinks | None:
    """Signed links for browsers; without any secret to sign with, files answer to the
    API token only."""
    if settings.signing_key is not None and settings.signing_key.get_secret_value():
        key = settings.signing_key.get_secret_value().encode()
        if len(key) < 16:
            raise ValueError("CRM_WHATSAPP_SIGNING_KEY must be at least 16 bytes")
        return MediaLinks(key, settings.media_link_seconds)
    shared = [settings.secret("app_secret")] + [t.get_secret_value() for t in settings.api_tokens]
    if not any(shared):
        return None
    return MediaLinks.derived_from(shared, settings.media_link_seconds)


def dependencies(
    *,
    settings: Settings,
    unit_of_work: UnitOfWorkFactory,
    clients: ClientLookup,
    clock: Clock,
    ids: IdGenerator,
    rules: BotRules,
    events: EventPublisher,
    media: MediaStore,
) -> Dependencies:
    """``client_fields``: the placeholders ``CRM_WHATSAPP_CLIENTS_FIELDS`` names (a host's
    own ``ClientLookup`` declares the fields it fills there too)."""
    fields = frozenset(settings.clients_fields)
    return Dependencies(
        unit_of_work, clients, clock, ids, rules, events, media, client_fields=fields
    )


def delivery_journal(
    database: Database, clock: Clock, resources: OwnedResources
) -> DeliveryJournal:
    journal = GroupCommitJournal(database, clock)
    resources.close_with(journal.close)
    return journal


def webhook_reader(settings: Settings) -> WebhookReader:
    return WebhookBodyReader(settings.phone_number_ids)


def cursor_codec(settings: Settings) -> CursorCodec:
    """The key of the API's page cursors: ``CRM_WHATSAPP_CURSOR_KEY``, or else derived
    from the signing key or the app secret (one-way, with a label of its own), so every
    server of a deployment shares it and a restart keeps cursors valid. Without any of
    them (a library use with no secrets), a key of this process."""
    for secret in (settings.cursor_key, settings.signing_key, settings.app_secret):
        if secret is not None and secret.get_secret_value():
            return CursorCodec.derived_from(secret.get_secret_value())
    return process_cursors()


def conversation_queries(database: Database, cursors: CursorCodec) -> ConversationQueries:
    return SqlConversationQueries(database, cursors)


def ingest_queries(database: Database, cursors: CursorCodec) -> IngestQueries:
    return SqlIngestQueries(database, cursors)


def ingest_processor(
    settings: Settings, deps: Dependencies, reader: WebhookReader, journal: DeliveryJournal
) -> IngestProcessor:
    """Built here, started by whoever runs it (the service, ``crm-whatsapp worker``)."""
    days = settings.delivery_retention_days
    processor = IngestProcessor(
        deps,
        reader,
        batch=settings.ingest_batch,
        poll_interval=min(settings.outbox_poll_seconds, 1.0),
        retention=timedelta(days=days) if days else None,
    )
    journal.on_append(processor.wake)
    return processor


def template_sync(
    settings: Settings, deps: Dependencies, gateway: MessagingGateway
) -> TemplateSync:
    """From the gateway when it can list templates (the Graph API can; a test's fake may)."""
    source = gateway if isinstance(gateway, TemplateSource) else None
    return TemplateSync(deps, source, settings.waba_id, settings.template_sync_minutes)


def api_context(
    *,
    settings: Settings,
    template_sync: TemplateSync,
    deps: Dependencies,
    queries: ConversationQueries,
    hub: LocalEventHub,
    read_receipts: LifespanGateway,
    journal: DeliveryJournal,
    ingest: IngestQueries,
) -> ApiContext:
    context = ApiContext(
        deps=deps,
        queries=queries,
        auth=authenticator(settings),
        app_secret=settings.secret("app_secret"),
        verify_token=settings.secret("verify_token"),
        live_events=hub,
        read_receipts=read_receipts,
        default_timezone=settings.timezone,
        default_region=settings.default_region,
        max_body_bytes=settings.max_body_bytes,
        cors_origins=settings.cors_origins,
        media_links=media_links(settings),
        upload_max_bytes=settings.media_max_bytes,
        journal=journal,
        ingest=ingest,
        max_streams_per_token=settings.live_streams_per_token,
        sync_templates=template_sync.sync if template_sync.configured else None,
        default_business_number_id=settings.phone_number_id,
    )
    if not context.auth.configured:
        logger.warning(
            "CRM_WHATSAPP_API_TOKENS and CRM_WHATSAPP_AGENT_TOKEN_SECRET are empty: the "
            "webhook and the bot work, the CRM API answers 401 to everyone"
        )
    return context


def authenticator(settings: Settings) -> Authenticator:
    secret = settings.agent_token_secret
    agents = (
        AgentTokens(secret.get_secret_value().encode(), settings.agent_token_leeway_seconds)
        if secret is not None
        else None
    )
    return Authenticator(
        BearerTokens(t.get_secret_value() for t in settings.api_tokens),
        agents,
        FailedAuthThrottle(limit=settings.auth_failures_per_minute),
    )
