"""Lossless ingest: raw deliveries, the quarantine, channel events, marketing preferences.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix
from crm_whatsapp.adapters.sql.schema_types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p = table_prefix()
    op.create_table(
        f"{p}deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False, comment="the POST body as signed"),
        sa.Column("processed_at", UtcDateTime(), nullable=True, comment="null: still to read"),
        comment="webhook bodies, stored before the 200 and read by the processor",
    )
    op.create_index(
        f"ix_{p}deliveries_unprocessed",
        f"{p}deliveries",
        ["id"],
        unique=False,
        sqlite_where=sa.text("processed_at IS NULL"),
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.create_index(f"ix_{p}deliveries_processed", f"{p}deliveries", ["processed_at"])
    op.create_table(
        f"{p}quarantine",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.BigInteger(),
            nullable=True,
            comment="the delivery it came from (may be pruned)",
        ),
        sa.Column("location", sa.Text(), nullable=False, comment="its place in the body"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False, comment="the item's JSON as received"),
        sa.Column(
            "replay_body", sa.LargeBinary(), nullable=False, comment="a body with this item only"
        ),
        sa.Column("field", sa.String(length=128), nullable=True),
        sa.Column("business_number_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, comment="open | replayed"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("replayed_at", UtcDateTime(), nullable=True),
        comment="parts of signed deliveries that could not be understood",
    )
    op.create_index(f"ix_{p}quarantine_state", f"{p}quarantine", ["state", "id"])
    op.create_table(
        f"{p}channel_events",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("field", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False, comment="the change's value as received"),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("business_number_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        comment="template status, account alerts, quality and fields we do not handle",
    )
    op.create_index(f"ix_{p}channel_events_kind", f"{p}channel_events", ["kind", "received_at"])
    op.create_index(f"ix_{p}channel_events_received", f"{p}channel_events", ["received_at", "id"])
    # Plain ADD COLUMNs: a batch operation would drop SQLite's search triggers.
    op.add_column(
        f"{p}conversations",
        sa.Column("marketing_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        f"{p}conversations", sa.Column("marketing_preference_at", UtcDateTime(), nullable=True)
    )


def downgrade() -> None:
    p = table_prefix()
    op.drop_column(f"{p}conversations", "marketing_preference_at")
    op.drop_column(f"{p}conversations", "marketing_opt_out")
    op.drop_table(f"{p}channel_events")
    op.drop_table(f"{p}quarantine")
    op.drop_table(f"{p}deliveries")
