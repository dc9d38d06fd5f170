"""Run the shipped migrations, and tell the migration scripts what run they are in.

A run is Alembic's ``command`` with a configuration built here: the script location
inside the package, the connection to use, and the table prefix. The scripts (``env.py``
and ``versions/*``) read the prefix back with ``table_prefix()``, so the contract between
caller and scripts sits in this one module.

It takes an engine and a prefix rather than a ``Database``: ``Database.migrate`` calls it,
and the migrations must not depend on the class that runs them.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine

from crm_whatsapp.adapters.sql.schema import DEFAULT_PREFIX


def alembic_config(engine: Engine, prefix: str) -> Config:
    """An Alembic configuration for our migrations, this database and its prefix."""
    config = Config()
    config.set_main_option("script_location", str(files("crm_whatsapp.adapters.sql.migrations")))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    config.attributes["table_prefix"] = prefix
    return config


def upgrade(engine: Engine, prefix: str, revision: str = "head") -> None:
    config = alembic_config(engine, prefix)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, prefix: str, revision: str) -> None:
    config = alembic_config(engine, prefix)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def table_prefix() -> str:
    """The prefix of the run in progress, for a migration script to name its tables."""
    prefix = context.config.attributes.get("table_prefix", DEFAULT_PREFIX)
    assert isinstance(prefix, str)
    return prefix
