"""The team's canned responses (respuestas rápidas), unique by their shortcut's key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix
from crm_whatsapp.adapters.sql.schema_types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    p = table_prefix()
    op.create_table(
        f"{p}canned_responses",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column(
            "shortcut", sa.String(length=32), nullable=False, comment="as typed after /, lower case"
        ),
        sa.Column(
            "shortcut_key", sa.Text(), nullable=False, comment="shortcut_key: case and accents out"
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "search_text",
            sa.Text(),
            nullable=False,
            comment="shortcut, title and text, normalized",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column(
            "created_by_kind",
            sa.String(length=16),
            nullable=False,
            comment="agent | service | system",
        ),
        sa.Column(
            "created_by_id",
            sa.Text(),
            nullable=True,
            comment="the host CRM's id of an agent (a token's sub)",
        ),
        sa.Column("created_by_name", sa.Text(), nullable=False),
        sa.Column(
            "created_by_on_behalf_of",
            sa.Text(),
            nullable=True,
            comment="the agent a service token acted for",
        ),
        comment="the team's canned responses (respuestas rápidas), found by their shortcut",
    )
    op.create_index(
        f"ux_{p}canned_responses_shortcut",
        f"{p}canned_responses",
        ["shortcut_key"],
        unique=True,
    )


def downgrade() -> None:
    p = table_prefix()
    op.drop_index(f"ux_{p}canned_responses_shortcut", table_name=f"{p}canned_responses")
    op.drop_table(f"{p}canned_responses")
