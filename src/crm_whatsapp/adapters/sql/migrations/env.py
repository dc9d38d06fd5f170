"""Alembic environment: run by ``runner.upgrade`` with a connection and a table prefix."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from crm_whatsapp.adapters.sql.migrations.runner import table_prefix
from crm_whatsapp.adapters.sql.schema import build_tables, is_compared_table

config = context.config
prefix = table_prefix()


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Only our tables: the host CRM's tables are not ours to compare or touch."""
    if type_ == "table":
        return bool(name) and is_compared_table(str(name), prefix)
    return True


def run() -> None:
    connection = config.attributes.get("connection")
    dialect = connection.dialect.name if connection is not None else None
    options: dict[str, Any] = {
        "target_metadata": build_tables(prefix, dialect=dialect).metadata,
        "version_table": f"{prefix}alembic_version",
        "include_name": include_name,
        "compare_type": True,
        "render_as_batch": True,
    }
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    if connection is None:
        engine = create_engine(str(config.get_main_option("sqlalchemy.url")))
        with engine.begin() as own:
            context.configure(connection=own, **options)
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
        return
    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()


run()
