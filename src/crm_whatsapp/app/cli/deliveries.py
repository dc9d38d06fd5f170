"""``crm-whatsapp deliveries list|replay``: the quarantine of webhook items, from a shell.

``list`` shows what could not be understood (newest first), with its place in the body and
the reason; ``--json`` prints one JSON object per line, raw item included, for scripts.
``replay`` reads every open item again with this version (after an upgrade that learnt a
new shape, or after ``CRM_WHATSAPP_PHONE_NUMBER_IDS`` changed) and applies what now reads;
what still cannot be read stays, with the new reason. A replayed item is marked in the same
transaction as its effects, so running ``replay`` twice stores it once.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from crm_whatsapp.app.cli.options import add_database_options, database_options, settings_with

if TYPE_CHECKING:
    import punq

    from crm_whatsapp.domain.ingest import QuarantineEntry

STATES = ("abiertas", "reprocesadas", "todas")


def add_deliveries_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    deliveries = commands.add_parser(
        "deliveries", help="las entregas de webhook que no se pudieron entender (cuarentena)"
    )
    actions = deliveries.add_subparsers(dest="deliveries_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="muestra la cuarentena, lo más nuevo primero")
    add_database_options(listing)
    listing.add_argument("--estado", choices=STATES, default="abiertas", help="cuáles mostrar")
    listing.add_argument("--limit", type=int, default=50, help="cuántas (1 a 200)")
    listing.add_argument("--json", action="store_true", help="una línea JSON por elemento")
    replay = actions.add_parser(
        "replay",
        help="vuelve a leer la cuarentena con esta versión y guarda lo que ya se entiende",
    )
    add_database_options(replay)
    replay.add_argument(
        "--id", action="append", dest="ids", metavar="ID", help="solo este elemento (repetible)"
    )
    deliveries.set_defaults(run=run_deliveries)


def run_deliveries(args: argparse.Namespace) -> int:
    from crm_whatsapp.app.container import build_container, close_owned  # noqa: PLC0415

    settings = settings_with(**database_options(args))
    container = build_container(settings)
    try:
        from crm_whatsapp.adapters.sql import Database  # noqa: PLC0415

        container.resolve(Database).migrate()
        if args.deliveries_command == "list":
            return _list(container, args)
        return _replay(container, args)
    finally:
        close_owned(container)


def _list(container: punq.Container, args: argparse.Namespace) -> int:
    from crm_whatsapp.domain.ingest import QuarantineState  # noqa: PLC0415
    from crm_whatsapp.domain.ports import IngestQueries  # noqa: PLC0415

    state = {"abiertas": QuarantineState.OPEN, "reprocesadas": QuarantineState.REPLAYED}.get(
        args.estado
    )
    queries: IngestQueries = container.resolve(IngestQueries)
    page = queries.quarantine(state, args.limit)
    if args.json:
        for entry in page.items:
            print(json.dumps(_as_json(entry), ensure_ascii=False))
        return 0
    if not page.items:
        print("crm-whatsapp deliveries: la cuarentena está vacía")
        return 0
    for entry in page.items:
        where = f"{entry.field or '?'} {entry.location}"
        print(f"{entry.id}  {entry.created_at:%Y-%m-%d %H:%M:%S}  {entry.state.value:8}  {where}")
        print(f"    {entry.reason}")
    if page.next_cursor:
        print(f"(hay más: --limit {min(args.limit * 2, 200)})")
    return 0


def _replay(container: punq.Container, args: argparse.Namespace) -> int:
    from crm_whatsapp.domain.ports import WebhookReader  # noqa: PLC0415
    from crm_whatsapp.domain.use_cases import Dependencies  # noqa: PLC0415
    from crm_whatsapp.domain.use_cases.ingest import replay_quarantine  # noqa: PLC0415

    deps: Dependencies = container.resolve(Dependencies)
    reader: WebhookReader = container.resolve(WebhookReader)
    report, still_open = replay_quarantine(deps, reader, args.ids)
    print(
        f"crm-whatsapp deliveries replay: {report.messages} messages, "
        f"{report.duplicates} already stored, {report.statuses} statuses, "
        f"{report.other} other items applied; {still_open} still in quarantine"
    )
    return 0 if still_open == 0 else 1


def _as_json(entry: QuarantineEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "delivery_id": entry.delivery_id,
        "received_at": entry.created_at.isoformat(),
        "state": entry.state.value,
        "field": entry.field,
        "business_number_id": entry.business_number_id,
        "location": entry.location,
        "reason": entry.reason,
        "attempts": entry.attempts,
        "raw": entry.raw,
    }
