"""The shipped migrations: from empty to head on both databases, no drift from the models,
their own version table, a table prefix, and a host CRM's tables left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import column, inspect, table, text
from sqlalchemy.exc import IntegrityError

from crm_whatsapp.adapters.sql.canned_responses import canned_response_values
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.sql.mapping import conversation_values
from crm_whatsapp.adapters.sql.migrations.runner import downgrade
from crm_whatsapp.adapters.sql.queries import SqlConversationQueries
from crm_whatsapp.adapters.sql.schema import build_tables, is_compared_table
from crm_whatsapp.domain.access import Actor
from crm_whatsapp.domain.canned_responses import CannedResponse
from crm_whatsapp.domain.conversation import Conversation, ConversationStatus
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.queries import ConversationFilter

SQLITE_SEARCH_TABLES = {
    "crm_whatsapp_messages_search",
    *(f"crm_whatsapp_messages_search_{shadow}" for shadow in ("config", "data", "docsize", "idx")),
}
OUR_TABLES = {
    "crm_whatsapp_conversations",
    "crm_whatsapp_conversation_keys",
    "crm_whatsapp_messages",
    "crm_whatsapp_parked_statuses",
    "crm_whatsapp_client_phone_keys",
    "crm_whatsapp_send_rate_slots",
    "crm_whatsapp_deliveries",
    "crm_whatsapp_quarantine",
    "crm_whatsapp_channel_events",
    "crm_whatsapp_activity",
    "crm_whatsapp_canned_responses",
    "crm_whatsapp_templates",
    "crm_whatsapp_template_sync",
}


def table_names(database: Database) -> set[str]:
    with database.reader.connect() as connection:
        return set(inspect(connection).get_table_names())


def drift(database: Database) -> list[object]:
    prefix = database.tables.prefix
    with database.reader.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parents: (
                    type_ != "table" or is_compared_table(str(name), prefix)
                ),
            },
        )
        differences = compare_metadata(
            context, build_tables(prefix, dialect=database.dialect).metadata
        )
    return [d for d in differences if not _is_version_table(d, prefix)]


def _is_version_table(difference: object, prefix: str) -> bool:
    return (
        isinstance(difference, tuple)
        and difference[0] == "remove_table"
        and difference[1].name == f"{prefix}alembic_version"
    )


def test_upgrade_head_from_empty_creates_every_table(empty_database: Database):
    empty_database.migrate()

    search = SQLITE_SEARCH_TABLES if empty_database.is_sqlite else set()
    assert table_names(empty_database) == OUR_TABLES | search | {"crm_whatsapp_alembic_version"}


def test_migrations_and_models_do_not_drift_apart(empty_database: Database):
    empty_database.migrate()

    assert drift(empty_database) == []


def test_drift_is_detected_when_the_models_gain_a_column(empty_database: Database):
    """The drift check itself can fail: a column only the migrations lack is reported."""
    empty_database.migrate()
    with empty_database.writer.begin() as connection:
        connection.execute(text("ALTER TABLE crm_whatsapp_messages DROP COLUMN media_id"))

    assert any("media_id" in repr(d) for d in drift(empty_database))


def test_our_version_table_lives_beside_the_host_crms_alembic_history(empty_database: Database):
    with empty_database.writer.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('host_crm_0042')"))
        connection.execute(text("CREATE TABLE clientes (id INTEGER PRIMARY KEY, nombre TEXT)"))

    empty_database.migrate()
    empty_database.migrate()  # running it again is a no-op

    with empty_database.reader.connect() as connection:
        host = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        ours = connection.execute(
            text("SELECT version_num FROM crm_whatsapp_alembic_version")
        ).scalars()
        assert list(host) == ["host_crm_0042"]
        assert list(ours) == ["0008"]
    assert {"clientes", "alembic_version"} <= table_names(empty_database)


def test_downgrade_to_base_removes_only_our_tables(empty_database: Database):
    with empty_database.writer.begin() as connection:
        connection.execute(text("CREATE TABLE clientes (id INTEGER PRIMARY KEY, nombre TEXT)"))
    empty_database.migrate()

    downgrade(empty_database.writer, empty_database.tables.prefix, "base")

    assert table_names(empty_database) == {"clientes", "crm_whatsapp_alembic_version"}


def test_a_table_prefix_names_every_table_and_index(empty_database: Database):
    prefixed = Database(
        empty_database.url,
        prefix="wa_",
        engine_options=empty_database.engine_options,
    )
    try:
        prefixed.migrate()
        empty_database.migrate()  # both prefixes side by side in one database

        names = table_names(prefixed)
        assert {name.replace("crm_whatsapp_", "wa_", 1) for name in OUR_TABLES} <= names
        assert "wa_alembic_version" in names
        assert names >= OUR_TABLES
        assert drift(prefixed) == []
    finally:
        prefixed.dispose()


def _insert_as_of_0005(database: Database, conversation: Conversation) -> None:
    """A conversation row as revision 0005 stored it: without the columns 0006 adds."""
    values = conversation_values(conversation)
    del values["assigned_agent_id"], values["status"]
    conversations = database.tables.conversations
    old = table(conversations.name, *(column(k, conversations.c[k].type) for k in values))
    with database.writer.begin() as connection:
        connection.execute(old.insert().values(**values))


def test_upgrading_from_0005_opens_the_stored_conversations_and_adds_the_activity_log(
    empty_database: Database,
):
    t0 = datetime(2026, 3, 10, 15, tzinfo=UTC)
    empty_database.migrate("0005")
    stored = Conversation.start("conv-1", "1065", CustomerIdentity.from_wa_id("5215512345678"), t0)
    _insert_as_of_0005(empty_database, stored.taken_over_by("Ana López"))
    assert "crm_whatsapp_activity" not in table_names(empty_database)

    empty_database.migrate()

    inbox = SqlConversationQueries(empty_database)
    upgraded = inbox.conversation("conv-1")
    assert upgraded.status is ConversationStatus.OPEN
    assert (upgraded.assigned_agent, upgraded.assigned_agent_id) == ("Ana López", None)
    assert upgraded == stored.taken_over_by("Ana López")
    open_ones = inbox.conversations(ConversationFilter(status=ConversationStatus.OPEN), 10)
    assert [c.id for c in open_ones.items] == ["conv-1"]
    assert inbox.activity("conv-1", 10).items == []
    assert drift(empty_database) == []


def test_downgrading_from_0006_to_0005_keeps_the_conversations(empty_database: Database):
    empty_database.migrate()
    t0 = datetime(2026, 3, 10, 15, tzinfo=UTC)
    stored = Conversation.start("conv-1", "1065", CustomerIdentity.from_wa_id("5215512345678"), t0)
    with empty_database.writer.begin() as connection:
        connection.execute(
            empty_database.tables.conversations.insert(),
            conversation_values(stored.with_status(ConversationStatus.RESOLVED)),
        )

    downgrade(empty_database.writer, empty_database.tables.prefix, "0005")

    assert "crm_whatsapp_activity" not in table_names(empty_database)
    with empty_database.reader.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("crm_whatsapp_conversations")}
        ids = connection.execute(text("SELECT id FROM crm_whatsapp_conversations")).scalars()
        assert list(ids) == ["conv-1"]
    assert not {"status", "assigned_agent_id"} & columns
    empty_database.migrate()  # and up again
    assert SqlConversationQueries(empty_database).conversation("conv-1").status.value == "open"


def test_0007_adds_canned_responses_unique_by_shortcut_key_and_down_drops_only_them(
    empty_database: Database,
):
    empty_database.migrate("0006")
    assert "crm_whatsapp_canned_responses" not in table_names(empty_database)

    empty_database.migrate("0007")

    t0 = datetime(2026, 3, 10, 15, tzinfo=UTC)
    envio = CannedResponse("r1", "envío", "", "Enviamos en 24 h.", t0, t0, Actor.system())
    accents_out = CannedResponse("r2", "envio", "", "Otra.", t0, t0, Actor.system())
    table = empty_database.tables.canned_responses
    with empty_database.writer.begin() as connection:
        connection.execute(table.insert(), canned_response_values(envio))
    with pytest.raises(IntegrityError), empty_database.writer.begin() as connection:
        connection.execute(table.insert(), canned_response_values(accents_out))

    downgrade(empty_database.writer, empty_database.tables.prefix, "0006")

    assert "crm_whatsapp_canned_responses" not in table_names(empty_database)
    assert "crm_whatsapp_activity" in table_names(empty_database)
    empty_database.migrate("0007")  # and up again
    assert "crm_whatsapp_canned_responses" in table_names(empty_database)


def test_0008_adds_the_template_catalogue_and_down_drops_only_it(empty_database: Database):
    empty_database.migrate("0007")
    assert not {"crm_whatsapp_templates", "crm_whatsapp_template_sync"} & table_names(
        empty_database
    )

    empty_database.migrate("0008")

    with empty_database.reader.connect() as connection:
        inspector = inspect(connection)
        # Read sqlite_master first: SQLite's PRAGMA index_list answers from a pooled
        # connection's cached schema, which only a real query refreshes after another
        # connection migrated.
        assert "crm_whatsapp_templates" in inspector.get_table_names()
        indexes = inspector.get_indexes("crm_whatsapp_templates")
        primary_key = inspector.get_pk_constraint("crm_whatsapp_templates")
    assert [(i["name"], i["column_names"]) for i in indexes] == [
        ("ix_crm_whatsapp_templates_status", ["status"])
    ]
    assert primary_key["constrained_columns"] == ["name", "language"]

    downgrade(empty_database.writer, empty_database.tables.prefix, "0007")

    assert not {"crm_whatsapp_templates", "crm_whatsapp_template_sync"} & table_names(
        empty_database
    )
    assert "crm_whatsapp_canned_responses" in table_names(empty_database)
    empty_database.migrate()  # and up again
    assert "crm_whatsapp_templates" in table_names(empty_database)
