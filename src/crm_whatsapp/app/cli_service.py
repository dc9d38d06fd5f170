"""``crm-whatsapp serve | migrate | worker | check-config``: the service from the command line.

Settings come from ``CRM_WHATSAPP_*`` variables and ``.env`` (see ``settings.py``). Every
failure is printed as one line naming the problem (a missing secret, a bad rules file, a
database that does not answer), never as a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Any

from pydantic import ValidationError

from crm_whatsapp.app.log_redaction import redact_secrets_in_logs
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
    commands.add_parser("migrate", help="crea o actualiza las tablas de crm_whatsapp")
    worker = commands.add_parser(
        "worker",
        help="envía las respuestas pendientes (outbox) en un proceso aparte",
        description=(
            "Para varios procesos: pon CRM_WHATSAPP_OUTBOX_IN_PROCESS=false en el servidor y "
            "arranca uno o más workers contra la misma base de datos."
        ),
    )
    worker.add_argument(
        "--poll-seconds", type=float, default=None, help="pausa entre pasadas sin trabajo"
    )
    commands.add_parser(
        "check-config",
        help="valida la configuración (secretos, reglas, tabla de clientes, base de datos)",
    )


def load_settings() -> Settings:
    return Settings()


def describe_settings_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        name = ENV_PREFIX + "_".join(str(p) for p in error["loc"]).upper()
        problems.append(f"{name}: {error['msg']}")
    return "; ".join(problems)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    from crm_whatsapp.app.asgi import create_app  # noqa: PLC0415
    from crm_whatsapp.app.graceful import GracefulServer  # noqa: PLC0415

    settings = load_settings()
    _configure_logging(settings.log_level)
    settings.require_secrets()
    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    if settings.migrate_on_start:
        _database(settings).migrate()
    if args.workers == 1:
        app = create_app(settings.model_copy(update={"migrate_on_start": False}))
        config = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=args.graceful_seconds,
        )
        GracefulServer(config).run()
        return 0
    if _database(settings).is_sqlite:
        logging.getLogger("crm_whatsapp").warning(
            "%d workers on SQLite: writes queue on one file and live events stay inside "
            "each process; use PostgreSQL for several workers",
            args.workers,
        )
    create_app(settings)  # fail here, once, on a bad rules file or client table
    os.environ[ENV_PREFIX + "MIGRATE_ON_START"] = "false"
    uvicorn.run(
        "crm_whatsapp.app.asgi:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=args.graceful_seconds,
    )
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    database = _database(settings)
    try:
        database.migrate()
        print(f"{database.describe()}: tablas al día")
    finally:
        database.dispose()
    return 0


def run_worker(args: argparse.Namespace) -> int:
    settings = load_settings()
    _configure_logging(settings.log_level)
    redact_secrets_in_logs(settings.secret_values())
    if not settings.secret("access_token"):
        raise ValueError(f"missing required setting(s): {ENV_PREFIX}ACCESS_TOKEN")
    asyncio.run(_worker(settings, args.poll_seconds or settings.outbox_poll_seconds))
    return 0


async def _worker(settings: Settings, poll_seconds: float) -> None:
    from crm_whatsapp.adapters.events import (  # noqa: PLC0415
        LocalEventHub,
        PostgresEventListener,
    )
    from crm_whatsapp.adapters.sql import Database  # noqa: PLC0415
    from crm_whatsapp.app.container import GatewayFactory, build_container  # noqa: PLC0415
    from crm_whatsapp.app.outbox_worker import OutboxWorker  # noqa: PLC0415
    from crm_whatsapp.domain.use_cases import Dependencies, RetryPolicy  # noqa: PLC0415

    container = build_container(settings)
    deps: Dependencies = container.resolve(Dependencies)
    database: Database = container.resolve(Database)
    gateways: GatewayFactory = container.resolve(GatewayFactory)
    loop = asyncio.get_running_loop()
    stop, wake = asyncio.Event(), asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    listener = None
    if database.is_postgresql:  # wake at once when any process queues a reply
        hub: LocalEventHub = container.resolve(LocalEventHub)

        def wake_up(events: object) -> None:
            loop.call_soon_threadsafe(wake.set)

        hub.add_listener(wake_up)
        listener = PostgresEventListener(database, hub)
        listener.start()
    print(f"crm-whatsapp worker: sending from {database.describe()}", flush=True)
    try:
        async with gateways() as gateway:
            policy: RetryPolicy = container.resolve(RetryPolicy)
            worker = OutboxWorker(deps, gateway, policy, poll_interval=poll_seconds)
            await worker.run(stop, wake)
    finally:
        if listener is not None:
            listener.stop()
        database.dispose()


def run_check_config(args: argparse.Namespace) -> int:
    from crm_whatsapp.app.container import build_container  # noqa: PLC0415
    from crm_whatsapp.domain.policy import BotRules  # noqa: PLC0415
    from crm_whatsapp.domain.ports import ClientLookup, ConversationQueries  # noqa: PLC0415
    from crm_whatsapp.domain.queries import ConversationFilter  # noqa: PLC0415

    settings = load_settings()
    for name, value in _described(settings):
        print(f"  {name:<40} {value}")
    settings.require_secrets()
    container = build_container(settings)
    rules: BotRules = container.resolve(BotRules)
    print(f"ok  bot rules: {len(rules.rules)} keyword rules")
    container.resolve(ClientLookup)
    print("ok  client lookup")
    queries: ConversationQueries = container.resolve(ConversationQueries)
    queries.conversations(ConversationFilter(), 1)
    print("ok  database answers and has the tables")
    if not settings.api_tokens:
        print(f"warning: {ENV_PREFIX}API_TOKENS is empty: the CRM API refuses every call")
    return 0


def _described(settings: Settings) -> list[tuple[str, Any]]:
    rows = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if name == "database_url":
            value = _database(settings).describe()
        elif name == "api_tokens":
            value = f"{len(value)} token(s)" if value else "(none)"
        elif value is not None and type(value).__name__ == "SecretStr":
            value = "set (hidden)"
        elif value is None or value == ():
            value = "(not set)"
        rows.append((ENV_PREFIX + name.upper(), value))
    return rows


def _database(settings: Settings) -> Any:
    from crm_whatsapp.adapters.sql import Database  # noqa: PLC0415

    return Database(settings.database_url.get_secret_value(), prefix=settings.table_prefix)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
