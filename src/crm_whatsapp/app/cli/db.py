"""``crm-whatsapp db ...``: the library's tables in the host's database.

The database is the service's (``CRM_WHATSAPP_DATABASE_URL``, ``CRM_WHATSAPP_TABLE_PREFIX``),
or ``--url`` / ``--prefix`` in their place; the URL may hold a password, so it is only
ever printed with the password hidden.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from crm_whatsapp.app.cli.options import add_database_options, database_options, settings_with


def add_db_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="las tablas de crm_whatsapp en tu base de datos")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser(
        "upgrade",
        help="crea o actualiza las tablas (migraciones de Alembic incluidas en el paquete)",
    )
    add_database_options(upgrade)
    upgrade.add_argument("--revision", default="head", help="revisión destino (por omisión head)")
    prune = actions.add_parser(
        "prune-statuses",
        help="borra los estados de Meta aparcados para mensajes que nunca enviamos",
    )
    add_database_options(prune)
    prune.add_argument(
        "--older-than-days", type=int, default=7, help="antigüedad mínima (por omisión 7)"
    )
    rebuild = actions.add_parser(
        "rebuild-search",
        help="SQLite: reconstruye el índice de búsqueda de mensajes (después de un VACUUM)",
    )
    add_database_options(rebuild)
    db.set_defaults(run=run_db)


def run_db(args: argparse.Namespace) -> int:
    from crm_whatsapp.adapters.sql import (  # noqa: PLC0415 - heavy
        Database,
        prune_parked_statuses,
        rebuild_search_index,
    )
    from crm_whatsapp.app.container import build_container, close_owned  # noqa: PLC0415
    from crm_whatsapp.domain.errors import StorageUnavailable  # noqa: PLC0415

    container = build_container(settings_with(**database_options(args)))
    try:
        database: Database = container.resolve(Database)
        if args.db_command == "upgrade":
            database.migrate(args.revision)
            print(f"{database.describe()}: tablas al día (revisión {args.revision})")
        elif args.db_command == "rebuild-search":
            rebuild_search_index(database)
            done = "reconstruido" if database.is_sqlite else "no hace falta en PostgreSQL"
            print(f"{database.describe()}: índice de búsqueda {done}")
        else:
            cutoff = datetime.now(UTC) - timedelta(days=args.older_than_days)
            removed = prune_parked_statuses(database, older_than=cutoff)
            print(f"{database.describe()}: {removed} estados aparcados borrados")
    except StorageUnavailable as exc:
        print(f"crm-whatsapp db: {exc}", file=sys.stderr)
        return 1
    finally:
        close_owned(container)
    return 0
