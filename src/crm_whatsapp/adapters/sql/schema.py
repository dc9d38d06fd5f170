"""The library's tables, built for a table-name prefix so they sit beside a host CRM's own.

Every table name starts with the prefix (``crm_whatsapp_`` unless the host chooses
another); index and constraint names follow it, so two prefixes can share one database.
The Alembic migrations create exactly this metadata, and a test fails if they drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

from crm_whatsapp.adapters.sql.activity_schema import build_activity_table
from crm_whatsapp.adapters.sql.canned_responses_schema import build_canned_responses_table
from crm_whatsapp.adapters.sql.ingest_schema import IngestTables, build_ingest_tables
from crm_whatsapp.adapters.sql.schema_types import Json, UtcDateTime, utc_text
from crm_whatsapp.adapters.sql.template_schema import TemplateTables, build_template_tables

__all__ = ["DEFAULT_PREFIX", "Json", "Tables", "UtcDateTime", "build_tables", "utc_text"]

DEFAULT_PREFIX = "crm_whatsapp_"


def search_table_name(prefix: str) -> str:
    """SQLite's FTS5 index over messages (see ``sqlite_search``): created by DDL, not here."""
    return f"{prefix}messages_search"


def is_compared_table(name: str, prefix: str) -> bool:
    """Tables the migrations own and the models describe: ours, except SQLite's FTS5 index
    and its shadow tables, which no SQLAlchemy model can describe."""
    return name.startswith(prefix) and not name.startswith(search_table_name(prefix))


@dataclass(frozen=True)
class Tables:
    """The library's tables for one prefix."""

    prefix: str
    metadata: MetaData
    conversations: Table
    conversation_keys: Table
    messages: Table
    parked_statuses: Table
    client_phone_keys: Table
    send_rate_slots: Table
    ingest: IngestTables
    activity: Table
    templates: TemplateTables
    canned_responses: Table


def build_tables(
    prefix: str = DEFAULT_PREFIX, metadata: MetaData | None = None, dialect: str | None = None
) -> Tables:
    """The tables named with ``prefix``, in ``metadata`` (a new one unless given).

    ``dialect`` adds what only one database has: on PostgreSQL, a trigram index that makes
    substring search in messages (``LIKE '%...%'``) an index scan.
    """
    if not prefix.replace("_", "").isalnum() or not prefix[:1].isalpha():
        raise ValueError(f"table prefix {prefix!r}: letters, digits and _, starting with a letter")
    md = metadata if metadata is not None else MetaData()
    p = prefix

    conversations = Table(
        f"{p}conversations",
        md,
        Column("id", String(64), primary_key=True),
        Column("business_number_id", String(64), nullable=False),
        Column("wa_id", String(32)),
        Column("user_id", String(128)),
        Column("phone_e164", String(24)),
        Column("phone_key", String(24), comment="PhoneNumber.lookup_key: the number filter"),
        Column("customer_key", String(160), nullable=False),
        Column("started_at", UtcDateTime(), nullable=False),
        Column("last_activity_at", UtcDateTime(), nullable=False),
        Column("profile_name", Text),
        Column("client_id", String(128)),
        Column("client_name", Text),
        Column("client_linked_manually", Boolean, nullable=False, default=False),
        Column("last_inbound_at", UtcDateTime()),
        Column("last_preview", Text, nullable=False, default=""),
        Column("unread_count", Integer, nullable=False, default=0),
        Column("bot_paused", Boolean, nullable=False, default=False),
        Column("assigned_agent", Text),
        Column("opted_out", Boolean, nullable=False, default=False),
        Column("recent_bot_replies", Json, nullable=False),
        Column("after_hours_notice_at", UtcDateTime()),
        *marketing_columns(),
        *team_columns(),
        Index(f"ix_{p}conversations_activity", "last_activity_at", "id"),
        Index(f"ix_{p}conversations_client", "client_id", "last_activity_at", "id"),
        Index(f"ix_{p}conversations_phone", "phone_key", "last_activity_at", "id"),
        Index(f"ix_{p}conversations_paused", "bot_paused", "last_activity_at", "id"),
        Index(f"ix_{p}conversations_opted_out", "opted_out", "last_activity_at", "id"),
        Index(f"ix_{p}conversations_status", "status", "last_activity_at", "id"),
        Index(f"ix_{p}conversations_agent", "assigned_agent_id", "last_activity_at", "id"),
        Index(
            f"ix_{p}conversations_unlinked",
            "last_activity_at",
            "id",
            sqlite_where=text("client_id IS NULL"),
            postgresql_where=text("client_id IS NULL"),
        ),
    )

    conversation_keys = Table(
        f"{p}conversation_keys",
        md,
        Column("business_number_id", String(64), primary_key=True),
        Column("customer_key", String(160), primary_key=True, comment="u:<user_id> or w:<wa_id>"),
        Column(
            "conversation_id",
            String(64),
            ForeignKey(f"{p}conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Index(f"ix_{p}conversation_keys_conversation", "conversation_id"),
    )

    messages = Table(
        f"{p}messages",
        md,
        Column("id", String(64), primary_key=True),
        Column(
            "conversation_id",
            String(64),
            ForeignKey(f"{p}conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("direction", String(16), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=False, comment="whatsapp_timestamp or created"),
        Column("author_kind", String(16), nullable=False),
        Column("author_name", Text),
        Column("text", Text),
        Column("search_text", Text, comment="normalize(text): case/accent-insensitive search"),
        Column("wamid", String(255), unique=True),
        Column("whatsapp_timestamp", UtcDateTime()),
        Column("media_id", String(255)),
        Column("reply_to_wamid", String(255)),
        Column("details", Json, nullable=False),
        Column("raw", Text),
        Column("processing_state", String(16)),
        Column("processing_detail", Text),
        Column("processing_rule", String(255)),
        Column("template", Json),
        Column("delivery_status", String(16)),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UtcDateTime()),
        Column("last_error_code", String(64)),
        Column("last_error_title", Text),
        Column("last_error_retryable", Boolean),
        Column("unknown_outcomes", Integer, nullable=False, default=0),
        Column(
            "send_in_flight",
            Boolean,
            nullable=False,
            default=False,
            server_default=false(),
            comment="claimed, outcome not recorded yet (Delivery.in_flight)",
        ),
        Column("delivery_sent_at", UtcDateTime()),
        Column("delivered_at", UtcDateTime()),
        Column("read_at", UtcDateTime()),
        Column("failed_at", UtcDateTime()),
        *media_columns(),
        Index(f"ix_{p}messages_conversation", "conversation_id", "sent_at", "id"),
        Index(f"ix_{p}messages_created", "created_at"),
        Index(
            f"ix_{p}messages_due",
            "next_attempt_at",
            sqlite_where=text("delivery_status = 'pending'"),
            postgresql_where=text("delivery_status = 'pending'"),
        ),
        Index(
            f"ix_{p}messages_media_due",
            "media_next_attempt_at",
            sqlite_where=text("media_status = 'pending'"),
            postgresql_where=text("media_status = 'pending'"),
        ),
        Index(f"ix_{p}messages_media_sha256", "media_sha256"),
        Index(
            f"ix_{p}messages_media_kept",
            "created_at",
            "id",
            sqlite_where=text("media_status = 'stored'"),
            postgresql_where=text("media_status = 'stored'"),
        ),
        Index(
            f"ix_{p}messages_queue",
            "conversation_id",
            "created_at",
            "id",
            sqlite_where=text("delivery_status = 'pending'"),
            postgresql_where=text("delivery_status = 'pending'"),
        ),
    )

    if dialect == "postgresql":
        Index(
            f"ix_{p}messages_search",
            messages.c.search_text,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )

    parked_statuses = Table(
        f"{p}parked_statuses",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("wamid", String(255), nullable=False),
        Column("status", String(16), nullable=False),
        Column("timestamp", UtcDateTime(), nullable=False),
        Column("failure_code", String(64)),
        Column("failure_title", Text),
        Column("failure_retryable", Boolean),
        Column("recipient_id", String(128)),
        Column("details", Json, nullable=False),
        Index(f"ix_{p}parked_statuses_wamid", "wamid"),
        Index(f"ix_{p}parked_statuses_timestamp", "timestamp"),
    )

    client_phone_keys = Table(
        f"{p}client_phone_keys",
        md,
        Column("phone_key", String(24), primary_key=True),
        Column("client_id", String(128), primary_key=True),
        Index(f"ix_{p}client_phone_keys_client", "client_id"),
        comment="PhoneNumber.lookup_key of every number in the CRM's client table",
    )

    send_rate_slots = Table(
        f"{p}send_rate_slots",
        md,
        Column("business_number_id", String(64), primary_key=True),
        Column("slot", BigInteger, primary_key=True, comment="start, in ms since the epoch"),
        Column("used", Integer, nullable=False),
        comment="sends to Meta per business number and time slot, shared by every worker",
    )

    return Tables(
        prefix,
        md,
        conversations,
        conversation_keys,
        messages,
        parked_statuses,
        client_phone_keys,
        send_rate_slots,
        build_ingest_tables(prefix, md),
        build_activity_table(prefix, md),
        build_template_tables(prefix, md),
        build_canned_responses_table(prefix, md),
    )


def media_columns() -> list[Column[Any]]:
    """A message's file (``MediaFile``): one set of columns on ``messages``, not a table of
    its own, so that a page of messages needs no join; the migration adds the same list."""
    return [
        Column("media_status", String(16), comment="MediaStatus; null: the message has no file"),
        Column("media_mime_type", String(255)),
        Column("media_sha256", String(64), comment="our copy's digest, its key in the store"),
        Column("media_size", BigInteger),
        Column("media_filename", Text),
        Column("media_announced_sha256", String(64), comment="the digest Meta announced"),
        Column("media_voice", Boolean, nullable=False, default=False, server_default=false()),
        Column("media_attempts", Integer, nullable=False, default=0, server_default=text("0")),
        Column("media_next_attempt_at", UtcDateTime()),
        Column("media_error", Text),
        Column("media_stored_at", UtcDateTime()),
    ]


def marketing_columns() -> list[Column[Any]]:
    """The customer's marketing choice (``user_preferences``); the migration adds the same."""
    return [
        Column("marketing_opt_out", Boolean, nullable=False, default=False, server_default=false()),
        Column("marketing_preference_at", UtcDateTime()),
    ]


def team_columns() -> list[Column[Any]]:
    """Who answers (the host CRM's agent id) and where the team's work stands; the
    migration adds the same."""
    return [
        Column("assigned_agent_id", Text, comment="the host CRM's id of the assigned agent"),
        Column(
            "status",
            String(16),
            nullable=False,
            default="open",
            server_default="open",
            comment="ConversationStatus: open | pending | resolved",
        ),
    ]
