"""Initial tables: conversations, their customer keys, messages, parked statuses, client phone keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 10:01:28.715386
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix
from crm_whatsapp.adapters.sql.schema import Json, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    p = table_prefix()
    op.create_table(
        f"{p}client_phone_keys",
        sa.Column("phone_key", sa.String(length=24), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("phone_key", "client_id"),
        comment="PhoneNumber.lookup_key of every number in the CRM's client table",
    )
    op.create_index(
        f"ix_{p}client_phone_keys_client", f"{p}client_phone_keys", ["client_id"], unique=False
    )

    op.create_table(
        f"{p}conversations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("business_number_id", sa.String(length=64), nullable=False),
        sa.Column("wa_id", sa.String(length=32), nullable=True),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("phone_e164", sa.String(length=24), nullable=True),
        sa.Column(
            "phone_key",
            sa.String(length=24),
            nullable=True,
            comment="PhoneNumber.lookup_key: the number filter",
        ),
        sa.Column("customer_key", sa.String(length=160), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("last_activity_at", UtcDateTime(), nullable=False),
        sa.Column("profile_name", sa.Text(), nullable=True),
        sa.Column("client_id", sa.String(length=128), nullable=True),
        sa.Column("client_name", sa.Text(), nullable=True),
        sa.Column("client_linked_manually", sa.Boolean(), nullable=False),
        sa.Column("last_inbound_at", UtcDateTime(), nullable=True),
        sa.Column("last_preview", sa.Text(), nullable=False),
        sa.Column("unread_count", sa.Integer(), nullable=False),
        sa.Column("bot_paused", sa.Boolean(), nullable=False),
        sa.Column("assigned_agent", sa.Text(), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("recent_bot_replies", Json, nullable=False),
        sa.Column("after_hours_notice_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        f"ix_{p}conversations_activity",
        f"{p}conversations",
        ["last_activity_at", "id"],
        unique=False,
    )
    op.create_index(
        f"ix_{p}conversations_client",
        f"{p}conversations",
        ["client_id", "last_activity_at", "id"],
        unique=False,
    )
    op.create_index(
        f"ix_{p}conversations_opted_out",
        f"{p}conversations",
        ["opted_out", "last_activity_at", "id"],
        unique=False,
    )
    op.create_index(
        f"ix_{p}conversations_paused",
        f"{p}conversations",
        ["bot_paused", "last_activity_at", "id"],
        unique=False,
    )
    op.create_index(
        f"ix_{p}conversations_phone",
        f"{p}conversations",
        ["phone_key", "last_activity_at", "id"],
        unique=False,
    )
    op.create_index(
        f"ix_{p}conversations_unlinked",
        f"{p}conversations",
        ["last_activity_at", "id"],
        unique=False,
        sqlite_where=sa.text("client_id IS NULL"),
        postgresql_where=sa.text("client_id IS NULL"),
    )

    op.create_table(
        f"{p}parked_statuses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("wamid", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("timestamp", UtcDateTime(), nullable=False),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        sa.Column("failure_title", sa.Text(), nullable=True),
        sa.Column("failure_retryable", sa.Boolean(), nullable=True),
        sa.Column("recipient_id", sa.String(length=128), nullable=True),
        sa.Column("details", Json, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        f"ix_{p}parked_statuses_timestamp", f"{p}parked_statuses", ["timestamp"], unique=False
    )
    op.create_index(f"ix_{p}parked_statuses_wamid", f"{p}parked_statuses", ["wamid"], unique=False)

    op.create_table(
        f"{p}conversation_keys",
        sa.Column("business_number_id", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_key",
            sa.String(length=160),
            nullable=False,
            comment="u:<user_id> or w:<wa_id>",
        ),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], [f"{p}conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("business_number_id", "customer_key"),
    )
    op.create_index(
        f"ix_{p}conversation_keys_conversation",
        f"{p}conversation_keys",
        ["conversation_id"],
        unique=False,
    )

    op.create_table(
        f"{p}messages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column(
            "sent_at", UtcDateTime(), nullable=False, comment="whatsapp_timestamp or created"
        ),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column(
            "search_text",
            sa.Text(),
            nullable=True,
            comment="normalize(text): case/accent-insensitive search",
        ),
        sa.Column("wamid", sa.String(length=255), nullable=True),
        sa.Column("whatsapp_timestamp", UtcDateTime(), nullable=True),
        sa.Column("media_id", sa.String(length=255), nullable=True),
        sa.Column("reply_to_wamid", sa.String(length=255), nullable=True),
        sa.Column("details", Json, nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("processing_state", sa.String(length=16), nullable=True),
        sa.Column("processing_detail", sa.Text(), nullable=True),
        sa.Column("processing_rule", sa.String(length=255), nullable=True),
        sa.Column("template", Json, nullable=True),
        sa.Column("delivery_status", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("last_error_code", sa.String(length=64), nullable=True),
        sa.Column("last_error_title", sa.Text(), nullable=True),
        sa.Column("last_error_retryable", sa.Boolean(), nullable=True),
        sa.Column("unknown_outcomes", sa.Integer(), nullable=False),
        sa.Column("delivery_sent_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("read_at", UtcDateTime(), nullable=True),
        sa.Column("failed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], [f"{p}conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wamid"),
    )
    op.create_index(
        f"ix_{p}messages_conversation",
        f"{p}messages",
        ["conversation_id", "sent_at", "id"],
        unique=False,
    )
    op.create_index(f"ix_{p}messages_created", f"{p}messages", ["created_at"], unique=False)
    op.create_index(
        f"ix_{p}messages_due",
        f"{p}messages",
        ["next_attempt_at"],
        unique=False,
        sqlite_where=sa.text("delivery_status = 'pending'"),
        postgresql_where=sa.text("delivery_status = 'pending'"),
    )
    if op.get_context().dialect.name == "postgresql":
        # Trigram index for case- and accent-insensitive substring search in messages.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            f"ix_{p}messages_search",
            f"{p}messages",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )


def downgrade() -> None:
    p = table_prefix()
    if op.get_context().dialect.name == "postgresql":
        op.drop_index(f"ix_{p}messages_search", table_name=f"{p}messages")
    op.drop_index(f"ix_{p}messages_due", table_name=f"{p}messages")
    op.drop_index(f"ix_{p}messages_created", table_name=f"{p}messages")
    op.drop_index(f"ix_{p}messages_conversation", table_name=f"{p}messages")

    op.drop_table(f"{p}messages")
    op.drop_index(f"ix_{p}conversation_keys_conversation", table_name=f"{p}conversation_keys")

    op.drop_table(f"{p}conversation_keys")
    op.drop_index(f"ix_{p}parked_statuses_wamid", table_name=f"{p}parked_statuses")
    op.drop_index(f"ix_{p}parked_statuses_timestamp", table_name=f"{p}parked_statuses")

    op.drop_table(f"{p}parked_statuses")
    op.drop_index(f"ix_{p}conversations_unlinked", table_name=f"{p}conversations")
    op.drop_index(f"ix_{p}conversations_phone", table_name=f"{p}conversations")
    op.drop_index(f"ix_{p}conversations_paused", table_name=f"{p}conversations")
    op.drop_index(f"ix_{p}conversations_opted_out", table_name=f"{p}conversations")
    op.drop_index(f"ix_{p}conversations_client", table_name=f"{p}conversations")
    op.drop_index(f"ix_{p}conversations_activity", table_name=f"{p}conversations")

    op.drop_table(f"{p}conversations")
    op.drop_index(f"ix_{p}client_phone_keys_client", table_name=f"{p}client_phone_keys")

    op.drop_table(f"{p}client_phone_keys")
