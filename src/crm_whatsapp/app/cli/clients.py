"""``crm-whatsapp clients ...``: the phone-key index over the CRM's own client table.

The table is the service's (the ``CRM_WHATSAPP_CLIENTS_*`` settings), so ``serve`` looks
clients up in exactly the table this command indexed; each option (``--table clientes
--name-column nombre --phone-column telefono --phone-column celular --field
ciudad=ciudad --region MX``) takes the place of its setting. The index lives with the
library's tables (``db upgrade`` first).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crm_whatsapp.app.cli.options import add_database_options, database_options, settings_with
from crm_whatsapp.app.settings import ENV_PREFIX, parse_named_columns

_ENV = ENV_PREFIX + "CLIENTS_"
OPTION_OF_SETTING = {
    "clients_table": "--table",
    "clients_name_column": "--name-column",
    "clients_phone_columns": "--phone-column",
}


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
    clients.set_defaults(run=run_clients)


def _add_table_options(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    parser.add_argument("--table", help=f"tabla de clientes del CRM (o ${_ENV}TABLE)")
    parser.add_argument("--schema", help=f"esquema de la tabla, PostgreSQL (o ${_ENV}SCHEMA)")
    parser.add_argument("--id-column", help=f"columna del id (o ${_ENV}ID_COLUMN; por omisión id)")
    parser.add_argument("--name-column", help=f"columna del nombre (o ${_ENV}NAME_COLUMN)")
    parser.add_argument(
        "--phone-column",
        action="append",
        help=f"columna con teléfonos en cualquier formato (repetible; o ${_ENV}PHONE_COLUMNS)",
    )
    parser.add_argument(
        "--field",
        action="append",
        metavar="NOMBRE=COLUMNA",
        help=f"columna expuesta al bot como {{NOMBRE}} (repetible; o ${_ENV}FIELDS)",
    )
    parser.add_argument(
        "--region",
        help="país de los números sin prefijo, p. ej. MX, AR, BR (o $CRM_WHATSAPP_DEFAULT_REGION)",
    )


def table_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options given, as the settings they replace."""
    fields = None
    if args.field:
        try:
            fields = parse_named_columns(args.field)
        except ValueError as exc:
            raise ValueError(f"--field {exc}: se espera NOMBRE=COLUMNA") from None
    return {
        "clients_table": args.table,
        "clients_schema": args.schema,
        "clients_id_column": args.id_column,
        "clients_name_column": args.name_column,
        "clients_phone_columns": tuple(args.phone_column) if args.phone_column else None,
        "clients_fields": fields,
        "default_region": args.region,
    }


def run_clients(args: argparse.Namespace) -> int:
    from crm_whatsapp.adapters.sql import ClientPhoneIndex, ProgressBar  # noqa: PLC0415
    from crm_whatsapp.app.container import (  # noqa: PLC0415
        MissingClientsSetting,
        build_container,
        close_owned,
    )
    from crm_whatsapp.domain.errors import (  # noqa: PLC0415
        ClientLookupUnavailable,
        StorageUnavailable,
    )

    settings = settings_with(**database_options(args), **table_options(args))
    container = build_container(settings)
    try:
        index: ClientPhoneIndex = container.resolve(ClientPhoneIndex)
        if args.clients_command == "reindex":
            report = index.rebuild(progress=ProgressBar(sys.stderr))
            print(report.summary())
        else:
            keys = index.refresh(args.client_id)
            print(f"cliente {args.client_id}: {keys} números indexados")
    except MissingClientsSetting as exc:
        options = ", ".join(OPTION_OF_SETTING[name] for name in exc.names)
        variables = ", ".join(ENV_PREFIX + name.upper() for name in exc.names)
        print(f"crm-whatsapp clients: falta {options} (o {variables})", file=sys.stderr)
        return 2
    except (StorageUnavailable, ClientLookupUnavailable) as exc:
        print(f"crm-whatsapp clients: {exc}", file=sys.stderr)
        return 1
    finally:
        close_owned(container)
    return 0
