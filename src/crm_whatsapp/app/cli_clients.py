"""``crm-whatsapp clients ...``: the phone-key index over the CRM's own client table.

The CRM table is described by options (``--table clientes --name-column nombre
--phone-column telefono --phone-column celular --field ciudad=ciudad --region MX``);
the index lives with the library's tables (``db upgrade`` first).
"""

from __future__ import annotations

import argparse
import os
import sys

from crm_whatsapp.adapters.sql import ClientPhoneIndex, CrmClientTable, ProgressBar
from crm_whatsapp.app.cli_db import add_database_options, open_database
from crm_whatsapp.domain.errors import (
    ClientLookupUnavailable,
    CrmWhatsAppError,
    StorageUnavailable,
)

_ENV = "CRM_WHATSAPP_CLIENTS_"


def add_clients_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    clients = commands.add_parser(
        "clients", help="el índice de teléfonos de la tabla de clientes de tu CRM"
    )
    actions = clients.add_subparsers(dest="clients_command", metavar="ACTION", required=True)
    reindex = actions.add_parser(
        "reindex", help="reconstruye el índice completo (con barra de progreso)"
    )
    _add_table_options(reindex)
    refresh = actions.add_parser("refresh", help="reindexa un cliente que cambió en el CRM")
    _add_table_options(refresh)
    refresh.add_argument("client_id", help="id del cliente en el CRM")


def _add_table_options(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    env = os.environ.get
    phones = [c.strip() for c in env(f"{_ENV}PHONE_COLUMNS", "").split(",") if c.strip()]
    parser.add_argument(
        "--table",
        default=env(f"{_ENV}TABLE"),
        help=f"tabla de clientes del CRM (o ${_ENV}TABLE)",
    )
    parser.add_argument("--schema", default=None, help="esquema de la tabla (PostgreSQL)")
    parser.add_argument(
        "--id-column",
        default=env(f"{_ENV}ID_COLUMN", "id"),
        help=f"columna del id (o ${_ENV}ID_COLUMN; por omisión id)",
    )
    parser.add_argument(
        "--name-column",
        default=env(f"{_ENV}NAME_COLUMN"),
        help=f"columna del nombre (o ${_ENV}NAME_COLUMN)",
    )
    parser.add_argument(
        "--phone-column",
        action="append",
        default=None,
        help=f"columna con teléfonos en cualquier formato (repetible; o ${_ENV}PHONE_COLUMNS)",
    )
    parser.set_defaults(env_phone_columns=phones)
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NOMBRE=COLUMNA",
        help="columna expuesta al bot como {NOMBRE} (repetible)",
    )
    parser.add_argument(
        "--region",
        default=env("CRM_WHATSAPP_DEFAULT_REGION"),
        help="país de los números sin prefijo, p. ej. MX, AR, BR (o $CRM_WHATSAPP_DEFAULT_REGION)",
    )


def _crm_table(args: argparse.Namespace) -> CrmClientTable:
    fields: dict[str, str] = {}
    for item in args.field:
        name, sep, column = item.partition("=")
        if not sep or not name or not column:
            raise ValueError(f"--field {item!r}: se espera NOMBRE=COLUMNA")
        fields[name] = column
    phone_columns = args.phone_column or args.env_phone_columns
    missing = [
        option
        for option, value in (
            ("--table", args.table),
            ("--name-column", args.name_column),
            ("--phone-column", phone_columns),
        )
        if not value
    ]
    if missing:
        raise ValueError(
            f"falta {', '.join(missing)} (o las variables {_ENV}TABLE, {_ENV}NAME_COLUMN, "
            f"{_ENV}PHONE_COLUMNS)"
        )
    return CrmClientTable(
        table=args.table,
        schema=args.schema,
        id_column=args.id_column,
        name_column=args.name_column,
        phone_columns=tuple(phone_columns),
        placeholder_columns=fields,
        default_region=args.region,
    )


def run_clients(args: argparse.Namespace) -> int:
    try:
        database = open_database(args)
    except ValueError as exc:
        print(f"crm-whatsapp clients: {exc}", file=sys.stderr)
        return 2
    try:
        index = ClientPhoneIndex(database, _crm_table(args))
        if args.clients_command == "reindex":
            report = index.rebuild(progress=ProgressBar(sys.stderr))
            print(report.summary())
        else:
            keys = index.refresh(args.client_id)
            print(f"cliente {args.client_id}: {keys} números indexados")
    except (StorageUnavailable, ClientLookupUnavailable) as exc:
        print(f"crm-whatsapp clients: {exc}", file=sys.stderr)
        return 1
    except (CrmWhatsAppError, ValueError) as exc:
        print(f"crm-whatsapp clients: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    return 0
