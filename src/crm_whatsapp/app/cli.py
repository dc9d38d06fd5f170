"""The ``crm-whatsapp`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from crm_whatsapp import __version__
from crm_whatsapp.app.cli_clients import add_clients_commands, run_clients
from crm_whatsapp.app.cli_db import add_db_commands, run_db
from crm_whatsapp.app.cli_demo import add_demo_command, run_demo_command
from crm_whatsapp.app.cli_service import (
    add_service_commands,
    describe_settings_error,
    run_check_config,
    run_migrate,
    run_serve,
    run_worker,
)
from crm_whatsapp.app.cli_simulate import add_simulate_command, run_simulate

DESCRIPTION = (
    "crm_whatsapp conecta el número de WhatsApp de tu negocio (WhatsApp Cloud API de Meta) "
    "con tu CRM: webhook, bot por reglas y bandeja de conversaciones."
)
APP_SECRET_ENV = "CRM_WHATSAPP_APP_SECRET"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-whatsapp", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"crm-whatsapp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_demo_command(commands)
    add_service_commands(commands)
    add_simulate_command(commands)
    _add_fake_graph_api(commands)
    add_db_commands(commands)
    add_clients_commands(commands)
    return parser


def _add_fake_graph_api(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fake = commands.add_parser(
        "fake-graph-api",
        help="una API Graph de Meta falsa para pruebas (acepta mensajes, falla a propósito)",
        description=(
            "Sirve una imitación del endpoint de mensajes de la API Graph de Meta: registra "
            "cada solicitud (GET /__requests), falla una fracción de ellas a propósito y, "
            "con --status-webhook, envía webhooks de estado firmados (sent, delivered, read)."
        ),
    )
    fake.add_argument("--port", type=int, required=True, help="puerto (0: uno libre)")
    fake.add_argument("--host", default="127.0.0.1", help="dirección (por omisión 127.0.0.1)")
    fake.add_argument(
        "--fail-rate", type=_fraction, default=0.0, help="fracción de solicitudes que fallan"
    )
    fake.add_argument("--seed", type=int, default=None, help="semilla para repetir los fallos")
    fake.add_argument(
        "--slow-seconds",
        type=_non_negative,
        default=30.0,
        help="demora de las respuestas lentas (más que el timeout del cliente)",
    )
    fake.add_argument("--status-webhook", metavar="URL", help="a dónde enviar los webhooks")
    fake.add_argument(
        "--app-secret",
        default=None,
        help=f"secreto de la app para firmar los webhooks (o la variable {APP_SECRET_ENV})",
    )
    fake.add_argument(
        "--status-delay",
        type=_non_negative,
        default=0.5,
        help="segundos entre un estado y el siguiente (sent, delivered, read)",
    )
    fake.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="detalle del registro del servidor",
    )


_SERVICE_COMMANDS = {
    "serve": run_serve,
    "migrate": run_migrate,
    "worker": run_worker,
    "check-config": run_check_config,
    "simulate": run_simulate,
    "demo": run_demo_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in _SERVICE_COMMANDS:
        return _one_line_errors(args.command, lambda: _SERVICE_COMMANDS[args.command](args))
    if args.command == "fake-graph-api":
        return _fake_graph_api(parser, args)
    if args.command == "db":
        return run_db(args)
    if args.command == "clients":
        return run_clients(args)
    parser.print_help(sys.stdout)
    return 0


def _fake_graph_api(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from crm_whatsapp.adapters.whatsapp.fake_graph_api import (  # noqa: PLC0415 - heavy
        FakeGraphApiOptions,
        serve_fake_graph_api,
    )

    secret = args.app_secret or os.environ.get(APP_SECRET_ENV) or None
    if args.status_webhook and not secret:
        parser.error(f"--status-webhook needs --app-secret or the {APP_SECRET_ENV} variable")
    options = FakeGraphApiOptions(
        fail_rate=args.fail_rate,
        seed=args.seed,
        slow_seconds=args.slow_seconds,
        status_webhook_url=args.status_webhook,
        app_secret=secret if args.status_webhook else None,
        status_delays=(args.status_delay,) * 3,
    )

    def announce(base_url: str) -> None:
        webhooks = f", status webhooks to {args.status_webhook}" if args.status_webhook else ""
        print(
            f"Fake Graph API listening on {base_url} (fail rate {args.fail_rate}{webhooks})",
            flush=True,
        )

    try:
        serve_fake_graph_api(
            options, host=args.host, port=args.port, log_level=args.log_level, announce=announce
        )
    except OSError as exc:
        print(f"crm-whatsapp fake-graph-api: cannot listen: {exc}", file=sys.stderr)
        return 1
    return 0


def _one_line_errors(command: str, run: Callable[[], int]) -> int:
    """Configuration and availability problems are one line on stderr, not a traceback."""
    from pydantic import ValidationError  # noqa: PLC0415

    from crm_whatsapp.domain.errors import CrmWhatsAppError  # noqa: PLC0415

    try:
        return run()
    except ValidationError as exc:
        print(f"crm-whatsapp {command}: {describe_settings_error(exc)}", file=sys.stderr)
        return 2
    except (CrmWhatsAppError, ValueError) as exc:
        print(f"crm-whatsapp {command}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"crm-whatsapp {command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


if __name__ == "__main__":
    raise SystemExit(main())
