"""Run the shipped migrations from Python (``Database.migrate``) or the command line."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from crm_whatsapp.adapters.sql.database import Database


def alembic_config(database: Database) -> Config:
    """An Alembic configuration for our migrations, this database and its prefix."""
    config = Config()
    config.set_main_option("script_location", str(files("crm_whatsapp.adapters.sql.migrations")))
    config.set_main_option(
        "sqlalchemy.url", database.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    config.attributes["table_prefix"] = database.tables.prefix
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config(database)
    with database.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database: Database, revision: str) -> None:
    config = alembic_config(database)
    with database.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
