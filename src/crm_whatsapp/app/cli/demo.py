"""``crm-whatsapp demo``: the first command a newcomer runs."""

from __future__ import annotations

import argparse


def add_demo_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="la bandeja funcionando en un minuto: datos de ejemplo y clientes simulados",
        description=(
            "Arranca el servicio en SQLite en una carpeta temporal, con una API Graph falsa "
            "que devuelve webhooks de estado, una tabla de clientes de un CRM de ejemplo, "
            "dos semanas de historia y clientes simulados que escriben. Imprime la dirección "
            "de la bandeja y el token. Las variables CRM_WHATSAPP_* siguen valiendo (por "
            "ejemplo CRM_WHATSAPP_APP_SECRET, para enviarle webhooks firmados)."
        ),
    )
    demo.add_argument("--port", type=int, default=8000, help="puerto (por omisión 8000)")
    demo.add_argument("--host", default="127.0.0.1", help="dirección (por omisión 127.0.0.1)")
    demo.add_argument("--token", default=None, help="token de la API (por omisión, uno al azar)")
    demo.add_argument(
        "--history-days", type=int, default=14, help="días de historia de ejemplo (14)"
    )
    demo.add_argument(
        "--no-stream",
        action="store_true",
        help="sin clientes simulados escribiendo (solo la historia)",
    )
    demo.add_argument(
        "--every",
        type=float,
        default=4.0,
        metavar="SEGUNDOS",
        help="cada cuánto escribe un cliente simulado, en promedio (4)",
    )
    demo.set_defaults(run=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    from crm_whatsapp.app.demo import DemoOptions, run_demo  # noqa: PLC0415 - heavy

    if args.history_days < 0 or args.history_days > 365:
        raise ValueError("--history-days must be between 0 and 365")
    if args.every <= 0:
        raise ValueError("--every must be positive")
    run_demo(
        DemoOptions(
            host=args.host,
            port=args.port,
            token=args.token,
            history_days=args.history_days,
            stream=not args.no_stream,
            stream_seconds=(args.every / 2, args.every * 1.5),
        )
    )
    return 0
