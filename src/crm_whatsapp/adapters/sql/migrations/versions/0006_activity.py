"""The activity log, and the team's columns of conversations: assigned agent id and status.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix
from crm_whatsapp.adapters.sql.schema_types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p = table_prefix()
    op.create_table(
        f"{p}activity",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(length=64),
            sa.ForeignKey(f"{p}conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="ActivityKind"),
        sa.Column(
            "actor_kind", sa.String(length=16), nullable=False, comment="agent | service | system"
        ),
        sa.Column(
            "actor_id",
            sa.Text(),
            nullable=True,
            comment="the host CRM's id of an agent (a token's sub)",
        ),
        sa.Column("actor_name", sa.Text(), nullable=False),
        sa.Column(
            "on_behalf_of", sa.Text(), nullable=True, comment="the agent a service token acts for"
        ),
        sa.Column("details", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        comment="every change a person or the system made to a conversation, appended only",
    )
    op.create_index(f"ix_{p}activity_conversation", f"{p}activity", ["conversation_id", "at", "id"])
    # Plain ADD COLUMNs: a batch operation would drop SQLite's search triggers. Rows that
    # exist get status 'open' from the server default, as a new conversation starts.
    op.add_column(
        f"{p}conversations",
        sa.Column(
            "assigned_agent_id",
            sa.Text(),
            nullable=True,
            comment="the host CRM's id of the assigned agent",
        ),
    )
    op.add_column(
        f"{p}conversations",
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            server_default="open",
            comment="ConversationStatus: open | pending | resolved",
        ),
    )
    op.create_index(
        f"ix_{p}conversations_status",
        f"{p}conversations",
        ["status", "last_activity_at", "id"],
    )
    op.create_index(
        f"ix_{p}conversations_agent",
        f"{p}conversations",
        ["assigned_agent_id", "last_activity_at", "id"],
    )


def downgrade() -> None:
    p = table_prefix()
    # SQLite refuses to drop a column an index still uses: the indexes go first.
    op.drop_index(f"ix_{p}conversations_agent", table_name=f"{p}conversations")
    op.drop_index(f"ix_{p}conversations_status", table_name=f"{p}conversations")
    op.drop_column(f"{p}conversations", "status")
    op.drop_column(f"{p}conversations", "assigned_agent_id")
    op.drop_index(f"ix_{p}activity_conversation", table_name=f"{p}activity")
    op.drop_table(f"{p}activity")
