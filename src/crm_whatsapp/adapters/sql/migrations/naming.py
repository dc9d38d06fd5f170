"""What a migration script needs to know about the run: the table prefix."""

from __future__ import annotations

from alembic import context

from crm_whatsapp.adapters.sql.schema import DEFAULT_PREFIX


def table_prefix() -> str:
    prefix = context.config.attributes.get("table_prefix", DEFAULT_PREFIX)
    assert isinstance(prefix, str)
    return prefix
