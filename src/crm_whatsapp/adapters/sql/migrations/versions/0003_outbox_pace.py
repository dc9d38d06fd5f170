"""The outbox at Meta's pace: claims that remember they are in flight, each conversation's
queue order, and the per-number send-rate slots shared by every worker.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p = table_prefix()
    # A plain ADD COLUMN (SQLite takes one with a constant default): a batch operation
    # would copy the table and drop SQLite's search triggers with the old one.
    op.add_column(
        f"{p}messages",
        sa.Column(
            "send_in_flight",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="claimed, outcome not recorded yet (Delivery.in_flight)",
        ),
    )
    op.create_index(
        f"ix_{p}messages_queue",
        f"{p}messages",
        ["conversation_id", "created_at", "id"],
        unique=False,
        sqlite_where=sa.text("delivery_status = 'pending'"),
        postgresql_where=sa.text("delivery_status = 'pending'"),
    )
    op.create_table(
        f"{p}send_rate_slots",
        sa.Column("business_number_id", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False, comment="start, in ms since the epoch"),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("business_number_id", "slot"),
        comment="sends to Meta per business number and time slot, shared by every worker",
    )


def downgrade() -> None:
    p = table_prefix()
    op.drop_table(f"{p}send_rate_slots")
    op.drop_index(f"ix_{p}messages_queue", table_name=f"{p}messages")
    op.drop_column(f"{p}messages", "send_in_flight")  # SQLite 3.35+ drops it in place
