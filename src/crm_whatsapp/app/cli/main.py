"""``crm-whatsapp``: the parser of every command, and one-line errors for all of them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from crm_whatsapp import __version__
from crm_whatsapp.app.cli.agents import add_agents_commands
from crm_whatsapp.app.cli.clients import add_clients_commands
from crm_whatsapp.app.cli.db import add_db_commands
from crm_whatsapp.app.cli.deliveries import add_deliveries_commands
from crm_whatsapp.app.cli.demo import add_demo_command
from crm_whatsapp.app.cli.fake_graph_api import APP_SECRET_ENV, add_fake_graph_api_command
from crm_whatsapp.app.cli.media import add_media_commands
from crm_whatsapp.app.cli.options import describe_settings_error
from crm_whatsapp.app.cli.service import add_service_commands
from crm_whatsapp.app.cli.simulate import add_simulate_command
from crm_whatsapp.app.cli.worker import add_worker_command

__all__ = ["APP_SECRET_ENV", "build_parser", "main"]

DESCRIPTION = (
    "crm_whatsapp conecta el número de WhatsApp de tu negocio (WhatsApp Cloud API de Meta) "
    "con tu CRM: webhook, bot por reglas y bandeja de conversaciones."
)


def build_parser() -> argparse.ArgumentParser:
    """Each command's parser sets ``run``, the function that runs it with the parsed args."""
    parser = argparse.ArgumentParser(prog="crm-whatsapp", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"crm-whatsapp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_demo_command(commands)
    add_service_commands(commands)
    add_worker_command(commands)
    add_simulate_command(commands)
    add_fake_graph_api_command(commands)
    add_db_commands(commands)
    add_clients_commands(commands)
    add_media_commands(commands)
    add_deliveries_commands(commands)
    add_agents_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stdout)
        return 0
    return _one_line_errors(args.command, lambda: run(args))


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


if __name__ == "__main__":
    raise SystemExit(main())
