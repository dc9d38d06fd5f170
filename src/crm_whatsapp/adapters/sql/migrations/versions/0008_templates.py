"""The template catalogue: the synced copy of Meta's templates, and when it was synced.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix
from crm_whatsapp.adapters.sql.schema_types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p = table_prefix()
    op.create_table(
        f"{p}templates",
        sa.Column("name", sa.String(length=512), primary_key=True),
        sa.Column("language", sa.String(length=32), primary_key=True),
        sa.Column("status", sa.Text(), nullable=False, comment="APPROVED, PENDING… as Meta says"),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column(
            "parameter_format",
            sa.String(length=16),
            nullable=False,
            comment="positional | named",
        ),
        sa.Column("meta_id", sa.Text(), nullable=True, comment="Meta's id of the template"),
        sa.Column("quality", sa.Text(), nullable=True),
        sa.Column(
            "reason", sa.Text(), nullable=True, comment="why Meta rejected, paused or disabled it"
        ),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.Column(
            "definition",
            sa.JSON().with_variant(JSONB(), "postgresql"),
            nullable=False,
            comment="body, header, footer, buttons…",
        ),
        comment="the synced copy of Meta's template catalogue",
    )
    op.create_index(f"ix_{p}templates_status", f"{p}templates", ["status"])
    op.create_table(
        f"{p}template_sync",
        sa.Column("id", sa.String(length=16), primary_key=True, comment="always 'catalogue'"),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        comment="when the last complete sync of the template catalogue finished",
    )


def downgrade() -> None:
    p = table_prefix()
    op.drop_table(f"{p}template_sync")
    op.drop_index(f"ix_{p}templates_status", table_name=f"{p}templates")
    op.drop_table(f"{p}templates")
