"""``crm-whatsapp db ...``: the library's tables in the host's database.

The URL comes from ``--url`` or ``CRM_WHATSAPP_DATABASE_URL`` (default: the SQLite file
``./crm_whatsapp.db``); it may hold a password, so it is only ever printed with the
password hidden.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta

from crm_whatsapp.adapters.sql.database import DEFAULT_URL, Database
from crm_whatsapp.adapters.sql.maintenance import prune_parked_statuses, rebuild_search_index
from crm_whatsapp.adapters.sql.schema import DEFAULT_PREFIX
from crm_whatsapp.domain.errors import StorageUnavailable

DATABASE_URL_ENV = "CRM_WHATSAPP_DATABASE_URL"
TABLE_PREFIX_ENV = "CRM_WHATSAPP_TABLE_PREFIX"


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=None,
        help=f"URL de la base de datos (o ${DATABASE_URL_ENV}; por omisión {DEFAULT_URL})",
    )
    parser.add_argument(
        "--prefix",
        default=None,
        help=f"prefijo de las tablas (o ${TABLE_PREFIX_ENV}; por omisión {DEFAULT_PREFIX})",
    )


def open_database(args: argparse.Namespace) -> Database:
    url = args.url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_URL
    prefix = args.prefix or os.environ.get(TABLE_PREFIX_ENV) or DEFAULT_PREFIX
    return Database(url, prefix=prefix)


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


def run_db(args: argparse.Namespace) -> int:
    try:
        database = open_database(args)
    except ValueError as exc:
        print(f"crm-whatsapp db: {exc}", file=sys.stderr)
        return 2
    try:
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
        database.dispose()
    return 0
