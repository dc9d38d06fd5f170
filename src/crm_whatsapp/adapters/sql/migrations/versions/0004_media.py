"""Media files of messages: where fetching each customer's file stands and our copy of it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix
from crm_whatsapp.adapters.sql.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (
    "media_status",
    "media_mime_type",
    "media_sha256",
    "media_size",
    "media_filename",
    "media_announced_sha256",
    "media_voice",
    "media_attempts",
    "media_next_attempt_at",
    "media_error",
    "media_stored_at",
)


def upgrade() -> None:
    p = table_prefix()
    table = f"{p}messages"
    # Plain ADD COLUMNs, as in 0003: a batch operation would drop SQLite's search triggers.
    op.add_column(
        table,
        sa.Column(
            "media_status",
            sa.String(length=16),
            nullable=True,
            comment="MediaStatus; null: the message has no file",
        ),
    )
    op.add_column(table, sa.Column("media_mime_type", sa.String(length=255), nullable=True))
    op.add_column(
        table,
        sa.Column(
            "media_sha256",
            sa.String(length=64),
            nullable=True,
            comment="our copy's digest, its key in the store",
        ),
    )
    op.add_column(table, sa.Column("media_size", sa.BigInteger(), nullable=True))
    op.add_column(table, sa.Column("media_filename", sa.Text(), nullable=True))
    op.add_column(
        table,
        sa.Column(
            "media_announced_sha256",
            sa.String(length=64),
            nullable=True,
            comment="the digest Meta announced",
        ),
    )
    op.add_column(
        table,
        sa.Column("media_voice", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        table,
        sa.Column("media_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column(table, sa.Column("media_next_attempt_at", UtcDateTime(), nullable=True))
    op.add_column(table, sa.Column("media_error", sa.Text(), nullable=True))
    op.add_column(table, sa.Column("media_stored_at", UtcDateTime(), nullable=True))
    op.create_index(
        f"ix_{p}messages_media_due",
        table,
        ["media_next_attempt_at"],
        unique=False,
        sqlite_where=sa.text("media_status = 'pending'"),
        postgresql_where=sa.text("media_status = 'pending'"),
    )
    op.create_index(f"ix_{p}messages_media_sha256", table, ["media_sha256"], unique=False)
    # Retention walks the stored files oldest first, a batch at a time.
    op.create_index(
        f"ix_{p}messages_media_kept",
        table,
        ["created_at", "id"],
        unique=False,
        sqlite_where=sa.text("media_status = 'stored'"),
        postgresql_where=sa.text("media_status = 'stored'"),
    )
    # Media messages stored before this revision: their Meta ids may still be valid (7 days),
    # so they are queued for fetching like new ones; the job gives up on the expired ones.
    op.execute(
        sa.text(
            f"UPDATE {table} SET media_status = 'pending', media_next_attempt_at = created_at "
            "WHERE direction = 'inbound' AND media_id IS NOT NULL "
            "AND kind IN ('image', 'audio', 'video', 'document', 'sticker')"
        )
    )


def downgrade() -> None:
    p = table_prefix()
    table = f"{p}messages"
    op.drop_index(f"ix_{p}messages_media_kept", table_name=table)
    op.drop_index(f"ix_{p}messages_media_sha256", table_name=table)
    op.drop_index(f"ix_{p}messages_media_due", table_name=table)
    for column in reversed(_COLUMNS):
        op.drop_column(table, column)  # SQLite 3.35+ drops it in place
