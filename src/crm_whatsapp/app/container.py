"""The composition root: which adapter stands behind each port, decided once, from settings.

``build_container(settings, overrides)`` registers ``ADAPTERS``, one default per port, in a
punq container; ``overrides`` replaces any of them (a host CRM's own ``ClientLookup``, its
own ``Database``, a fake ``MessagingGateway`` or ``Clock`` in tests) and everything that
depends on it is built on the replacement. Every entry point (``create_app`` and each
``crm-whatsapp`` command) resolves what it needs from here. Nothing is built at import
time and nothing touches the network or the disk until an entry point resolves; what the
container opened is closed by ``close_owned(container)``, never an override.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, get_type_hints

import punq

from crm_whatsapp.adapters.events import LocalEventHub
from crm_whatsapp.adapters.http import ApiContext
from crm_whatsapp.adapters.sql import ClientPhoneIndex, Database
from crm_whatsapp.adapters.system import SystemClock, TimeOrderedIds
from crm_whatsapp.app import factories
from crm_whatsapp.app.factories import (
    CrmConnection,
    MissingClientsSetting,
    OwnedResources,
    UnitOfWorkFactory,
)
from crm_whatsapp.app.gateway_sessions import GatewayFactory, gateway_sessions
from crm_whatsapp.app.ingest_processor import IngestProcessor
from crm_whatsapp.app.read_receipts import LifespanGateway
from crm_whatsapp.app.service_lifespan import ServiceLifespan
from crm_whatsapp.app.settings import Settings
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
    WebhookReader,
)
from crm_whatsapp.domain.use_cases import Dependencies, RetryPolicy
from crm_whatsapp.domain.use_cases.media_fetch import MediaFetchPolicy

__all__ = [
    "ADAPTERS",
    "GatewayFactory",
    "MissingClientsSetting",
    "UnitOfWorkFactory",
    "build_container",
    "close_owned",
]

ADAPTERS: tuple[tuple[Any, Callable[..., Any]], ...] = (
    (OwnedResources, OwnedResources),
    (Database, factories.database),
    (Clock, SystemClock),
    (IdGenerator, TimeOrderedIds),
    (BotRules, factories.bot_rules),
    (CrmConnection, factories.crm_connection),
    (ClientLookup, factories.client_lookup),
    (ClientPhoneIndex, factories.client_phone_index),
    (CursorCodec, factories.cursor_codec),
    (ConversationQueries, factories.conversation_queries),
    (LocalEventHub, LocalEventHub),
    (EventPublisher, factories.event_publisher),
    (UnitOfWorkFactory, factories.unit_of_work_factory),
    (MessagingGateway, factories.graph_api_gateway),
    (GatewayFactory, gateway_sessions),
    (RetryPolicy, factories.retry_policy),
    (SendRateLimiter, factories.send_rate_limiter),
    (MediaStore, factories.media_store),
    (MediaFetchPolicy, factories.media_fetch_policy),
    (Dependencies, factories.dependencies),
    (DeliveryJournal, factories.delivery_journal),
    (WebhookReader, factories.webhook_reader),
    (IngestQueries, factories.ingest_queries),
    (IngestProcessor, factories.ingest_processor),
    (LifespanGateway, LifespanGateway),
    (TemplateSync, factories.template_sync),
    (ApiContext, factories.api_context),
    (ServiceLifespan, ServiceLifespan),
)
"""Port (or building block) → what builds its default, from what the signature names."""


def build_container(
    settings: Settings, overrides: Mapping[Any, object] | None = None
) -> punq.Container:
    container = punq.Container()
    container.register(Settings, instance=settings)
    for port, factory in ADAPTERS:
        container.register(port, factory=_autowired(container, factory), scope=punq.Scope.singleton)
    for port, replacement in (overrides or {}).items():
        container.register(port, instance=replacement)
    return container


def close_owned(container: punq.Container) -> None:
    """Close what the container opened (engines, pools); overrides are their owners'."""
    resources: OwnedResources = container.resolve(OwnedResources)
    resources.close()


def _autowired(container: punq.Container, factory: Callable[..., Any]) -> Callable[[], Any]:
    """A factory whose parameters are resolved from the container by their type hints
    (punq does it for a class's constructor; ours are mostly plain functions)."""
    if isinstance(factory, type):
        return factory
    hints = get_type_hints(factory)
    hints.pop("return", None)
    return lambda: factory(**{name: container.resolve(hint) for name, hint in hints.items()})
