"""``crm-whatsapp serve | migrate | check-config``: the service from the command line.

Settings come from ``CRM_WHATSAPP_*`` variables and ``.env`` (see ``settings.py``); the
objects from the composition root. Every failure is one line naming the problem (a
missing secret, a bad rules file, a database that does not answer), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from crm_whatsapp.app.cli.options import settings_with
from crm_whatsapp.app.settings import ENV_PREFIX, Settings


def add_service_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="sirve el webhook, la API del CRM y los eventos en vivo (uvicorn)",
        description=(
            "Arranca el servicio. Necesita CRM_WHATSAPP_APP_SECRET, CRM_WHATSAPP_VERIFY_TOKEN "
            "y CRM_WHATSAPP_ACCESS_TOKEN; crea o actualiza las tablas al arrancar."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="dirección (por omisión 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="puerto (por omisión 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="procesos de uvicorn (PostgreSQL para más de 1)"
    )
    serve.add_argument(
        "--graceful-seconds",
        type=int,
        default=5,
        help=(
            "al detenerse, espera esto a las solicitudes en curso y luego corta las que "
            "queden (por omisión 5; con un solo proceso los flujos de eventos se cierran "
            "enseguida)"
        ),
    )
    serve.set_defaults(run=run_serve)
    migrate = commands.add_parser("migrate", help="crea o actualiza las tablas de crm_whatsapp")
    migrate.set_defaults(run=run_migrate)
    check = commands.add_parser(
        "check-config",
        help="valida la configuración (secretos, reglas, tabla de clientes, base de datos)",
    )
    check.set_defaults(run=run_check_config)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only this command needs the server
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    from crm_whatsapp.adapters.sql import Database  # noqa: PLC0415
    from crm_whatsapp.app.asgi import ServiceFactory, create_app  # noqa: PLC0415
    from crm_whatsapp.app.container import build_container, close_owned  # noqa: PLC0415
    from crm_whatsapp.app.graceful import GracefulServer  # noqa: PLC0415
    from crm_whatsapp.app.server_limits import uvicorn_limits  # noqa: PLC0415

    settings = settings_with()
    configure_logging(settings.log_level)
    settings.require_secrets()
    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    container = build_container(settings)
    try:
        database: Database = container.resolve(Database)
        if settings.migrate_on_start:  # once, before any worker starts
            database.migrate()
        if args.workers > 1 and database.is_sqlite:
            logging.getLogger("crm_whatsapp").warning(
                "%d workers on SQLite: writes queue on one file and live events stay inside "
                "each process; use PostgreSQL for several workers",
                args.workers,
            )
    finally:
        close_owned(container)
    migrated = settings.model_copy(update={"migrate_on_start": False})
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": settings.log_level.lower(),
        "timeout_graceful_shutdown": args.graceful_seconds,
        **uvicorn_limits(
            header_timeout=settings.header_timeout_seconds,
            body_timeout=settings.body_timeout_seconds,
            max_connections=settings.max_connections,
        ),
    }
    if args.workers == 1:
        GracefulServer(uvicorn.Config(create_app(migrated), **options)).run()
        return 0
    create_app(migrated)  # fail here, once, on a bad rules file or client table
    config = uvicorn.Config(ServiceFactory(migrated), factory=True, workers=args.workers, **options)
    Multiprocess(config, sockets=[config.bind_socket()]).run()
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    from crm_whatsapp.adapters.sql import Database  # noqa: PLC0415
    from crm_whatsapp.app.container import build_container, close_owned  # noqa: PLC0415

    container = build_container(settings_with())
    try:
        database: Database = container.resolve(Database)
        database.migrate()
        print(f"{database.describe()}: tablas al día")
    finally:
        close_owned(container)
    return 0


def run_check_config(args: argparse.Namespace) -> int:
    from crm_whatsapp.adapters.sql import Database  # noqa: PLC0415
    from crm_whatsapp.app.container import build_container, close_owned  # noqa: PLC0415
    from crm_whatsapp.domain.policy import BotRules  # noqa: PLC0415
    from crm_whatsapp.domain.ports import (  # noqa: PLC0415
        ClientLookup,
        ConversationQueries,
        MediaStore,
    )
    from crm_whatsapp.domain.queries import ConversationFilter  # noqa: PLC0415

    settings = settings_with()
    container = build_container(settings)
    try:
        database: Database = container.resolve(Database)
        for name, value in _described(settings, database.describe()):
            print(f"  {name:<40} {value}")
        settings.require_secrets()
        rules: BotRules = container.resolve(BotRules)
        print(f"ok  bot rules: {len(rules.rules)} keyword rules")
        container.resolve(ClientLookup)
        print("ok  client lookup")
        queries: ConversationQueries = container.resolve(ConversationQueries)
        queries.conversations(ConversationFilter(), 1)
        print("ok  database answers and has the tables")
        media: MediaStore = container.resolve(MediaStore)
        asyncio.run(media.exists("0" * 64))  # MediaStoreUnavailable if it does not answer
        print("ok  media store answers")
    finally:
        close_owned(container)
    if not settings.api_tokens:
        print(f"warning: {ENV_PREFIX}API_TOKENS is empty: the CRM API refuses every call")
    return 0


def _described(settings: Settings, database: str) -> list[tuple[str, Any]]:
    rows = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if name == "database_url":
            value = database
        elif name == "api_tokens":
            value = f"{len(value)} token(s)" if value else "(none)"
        elif value is not None and type(value).__name__ == "SecretStr":
            value = "set (hidden)"
        elif value is None or value in ((), {}):
            value = "(not set)"
        rows.append((ENV_PREFIX + name.upper(), value))
    return rows


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
