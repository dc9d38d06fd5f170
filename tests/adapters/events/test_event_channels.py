"""Each installation hears only its own live updates, however it shares a PostgreSQL
database: NOTIFY channels belong to the whole database, not to a schema.

Regression: the channel was the table prefix alone, so two installations in two schemas
of one database (one per tenant, or two test runs side by side) heard each other's events;
an inbox was told of conversations it does not hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from events_kit import Collector, started_listeners
from sqlalchemy import create_engine, text

from crm_whatsapp.adapters.events import (
    LocalEventHub,
    PostgresEventListener,
    PostgresEventPublisher,
)
from crm_whatsapp.adapters.events.postgres import channel_name
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.domain.events import ConversationChanged


@pytest.fixture
def schema_database(postgres_test_url: str) -> Iterator[Callable[..., Database]]:
    """Opens a ``Database`` working in a schema of its own (its ``search_path`` set by the
    engine's connect arguments, as a host would); schemas dropped afterwards."""
    admin = create_engine(postgres_test_url, isolation_level="AUTOCOMMIT")
    made: list[tuple[str, Database]] = []

    def open_in_schema(name: str | None = None, prefix: str = "crm_whatsapp_") -> Database:
        schema = name or f"tenant_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        database = Database(
            postgres_test_url,
            prefix=prefix,
            pool_size=2,
            engine_options={"connect_args": {"options": f"-csearch_path={schema}"}},
        )
        made.append((schema, database))
        return database

    yield open_in_schema
    for schema, database in made:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def listening() -> Iterator[Callable[[Database], Collector]]:
    """Listens to an installation's own channel: what it hears."""
    with started_listeners() as start:

        def listen(database: Database) -> Collector:
            hub = LocalEventHub()
            heard = Collector(hub)
            start(database, hub, None, 1.0)
            return heard

        yield listen


def test_two_installations_in_two_schemas_of_one_database_do_not_hear_each_other(
    schema_database: Callable[..., Database], listening: Callable[[Database], Collector]
) -> None:
    tenant_a, tenant_b = schema_database(), schema_database()
    heard_by_a, heard_by_b = listening(tenant_a), listening(tenant_b)
    from_a, from_b = ConversationChanged("of-a"), ConversationChanged("of-b")

    # each publishes after the other, so a leak would arrive before the awaited event
    PostgresEventPublisher(tenant_b).publish([from_b])
    PostgresEventPublisher(tenant_a).publish([from_a])
    assert heard_by_a.wait_until_heard(from_a) == [from_a]
    later_from_b = ConversationChanged("of-b-later")
    PostgresEventPublisher(tenant_b).publish([later_from_b])
    assert heard_by_b.wait_until_heard(later_from_b) == [from_b, later_from_b]


def test_two_processes_of_one_installation_in_a_schema_hear_each_other(
    schema_database: Callable[..., Database], listening: Callable[[Database], Collector]
) -> None:
    name = f"tenant_{uuid.uuid4().hex[:10]}"
    web, worker = schema_database(name), schema_database(name)
    heard_by_web = listening(web)

    PostgresEventPublisher(worker).publish([ConversationChanged("c-1")])

    assert heard_by_web.wait_until_heard(ConversationChanged("c-1")) == [ConversationChanged("c-1")]


def test_the_channel_is_the_prefix_qualified_by_a_schema_other_than_public(
    postgres_test_url: str, schema_database: Callable[..., Database]
) -> None:
    public = Database(postgres_test_url, prefix="acme_")
    try:
        assert PostgresEventPublisher(public).channel == "acme_events"
        assert PostgresEventListener(public, LocalEventHub()).channel == "acme_events"
    finally:
        public.dispose()
    tenant = schema_database("tenant_norte", prefix="acme_")
    assert PostgresEventPublisher(tenant).channel == "tenant_norte.acme_events"
    assert PostgresEventListener(tenant, LocalEventHub()).channel == "tenant_norte.acme_events"


def test_a_schema_too_long_to_name_in_a_channel_is_kept_as_a_digest() -> None:
    long_a, long_b = "a" * 60, "a" * 59 + "b"
    channel_a, channel_b = (
        channel_name("crm_whatsapp_", long_a),
        channel_name("crm_whatsapp_", long_b),
    )
    assert channel_a != channel_b
    assert all(
        len(c.encode()) <= 63 and c.endswith(".crm_whatsapp_events") for c in (channel_a, channel_b)
    )
    assert channel_name("crm_whatsapp_", "public") == "crm_whatsapp_events"


def test_a_named_channel_must_fit_and_an_unreachable_server_is_asked_only_when_used() -> None:
    unreachable = Database("postgresql+psycopg://crm@127.0.0.1:1/crm", prefix="acme_")
    try:
        publisher = PostgresEventPublisher(unreachable)  # built while the database is down
        PostgresEventListener(unreachable, LocalEventHub())
        publisher.publish([ConversationChanged("c-1")])  # logged, not raised
        with pytest.raises(ValueError, match="1 to 63 bytes"):
            PostgresEventPublisher(unreachable, "x" * 64)
        assert PostgresEventPublisher(unreachable, "mine").channel == "mine"
    finally:
        unreachable.dispose()


def test_the_listener_connects_with_the_engine_s_connect_arguments(
    postgres_test_url: str, listening: Callable[[Database], Collector]
) -> None:
    """A host's connect arguments (SSL files, a password, here the application name) reach
    the LISTEN connection too, not only the engine's pool."""
    name = f"crm-listen-{uuid.uuid4().hex[:8]}"
    database = Database(
        postgres_test_url, pool_size=1, engine_options={"connect_args": {"application_name": name}}
    )
    try:
        listening(database)
        with database.writer.connect() as connection:
            listening_connections = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = :name AND query LIKE 'LISTEN%'"
                ),
                {"name": name},
            ).scalar()
        assert listening_connections == 1
    finally:
        database.dispose()
