"""The ``crm-whatsapp`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crm_whatsapp import __version__

DESCRIPTION = (
    "crm_whatsapp conecta el número de WhatsApp de tu negocio (WhatsApp Cloud API de Meta) "
    "con tu CRM: webhook, bot por reglas y bandeja de conversaciones."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-whatsapp", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"crm-whatsapp {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help(sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
