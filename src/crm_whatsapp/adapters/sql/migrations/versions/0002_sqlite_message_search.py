"""SQLite: an FTS5 trigram index for substring search in messages (PostgreSQL has pg_trgm).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 11:00:00
"""

from __future__ import annotations

from alembic import op

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix
from crm_whatsapp.adapters.sql.schema import search_table_name
from crm_whatsapp.adapters.sql.sqlite_search import create_statements, drop_statements

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    p = table_prefix()
    for statement in create_statements(p):
        op.execute(statement)
    search = search_table_name(p)
    op.execute(f"INSERT INTO {search}({search}) VALUES ('rebuild')")  # messages already there


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for statement in drop_statements(table_prefix()):
        op.execute(statement)
