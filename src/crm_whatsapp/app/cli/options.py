"""Settings for a command: the environment's (``Settings``), with the options given on the
command line on top, so every command reads its configuration the way ``serve`` does."""

from __future__ import annotations

import argparse
from typing import Any

from pydantic import ValidationError

from crm_whatsapp.adapters.sql import DEFAULT_PREFIX, DEFAULT_URL
from crm_whatsapp.app.settings import ENV_PREFIX, Settings

DATABASE_URL_ENV = ENV_PREFIX + "DATABASE_URL"
TABLE_PREFIX_ENV = ENV_PREFIX + "TABLE_PREFIX"


def settings_with(**options: Any) -> Settings:
    """``Settings()`` with each option that was given (not ``None``) in place of its setting;
    validated like the rest, so a bad option is as clear as a bad variable."""
    return Settings(**{name: value for name, value in options.items() if value is not None})


def describe_settings_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        name = ENV_PREFIX + "_".join(str(p) for p in error["loc"]).upper()
        problems.append(f"{name}: {error['msg']}")
    return "; ".join(problems)


def refuse_secret_option(parser: argparse.ArgumentParser, option: str, setting: str) -> None:
    """``option`` stays known only to refuse it, naming the variable to use instead: a
    command line is visible to every user of the machine (``ps``, ``/proc/<pid>/cmdline``)
    and lands in shell histories. The refusal never repeats the value."""
    variable = ENV_PREFIX + setting.upper()

    def refused(_: str) -> str:
        raise argparse.ArgumentTypeError(
            "secrets are not accepted on the command line (every user of the machine sees "
            f"it in ps); set {variable} in the environment or .env instead"
        )

    parser.add_argument(option, type=refused, default=None, help=argparse.SUPPRESS)


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


def database_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"database_url": args.url, "table_prefix": args.prefix}
