"""``crm-whatsapp worker``: the outbox, media fetching and the processor of stored webhook
deliveries, in a process of its own.

For several processes: ``CRM_WHATSAPP_OUTBOX_IN_PROCESS=false`` (and, to leave reading
webhooks to the workers too, ``CRM_WHATSAPP_INGEST_IN_PROCESS=false``) on the servers, and
one or more workers on the same database. On PostgreSQL a worker wakes at once when any
process queues a reply (NOTIFY); it polls the delivery journal, and on SQLite everything.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence

from crm_whatsapp.app.cli.options import settings_with
from crm_whatsapp.app.cli.service import configure_logging
from crm_whatsapp.app.log_redaction import redact_secrets_in_logs
from crm_whatsapp.app.settings import MissingSetting, Settings


def add_worker_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser(
        "worker",
        help="lee los webhooks guardados y envía las respuestas pendientes en un proceso aparte",
        description=(
            "Para varios procesos: pon CRM_WHATSAPP_OUTBOX_IN_PROCESS=false en el servidor y "
            "arranca uno o más workers contra la misma base de datos."
        ),
    )
    worker.add_argument(
        "--poll-seconds", type=float, default=None, help="pausa entre pasadas sin trabajo"
    )
    worker.set_defaults(run=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    settings = settings_with(outbox_poll_seconds=args.poll_seconds)
    configure_logging(settings.log_level)
    redact_secrets_in_logs(settings.secret_values())
    if not settings.secret("access_token"):
        raise MissingSetting(["access_token"])
    asyncio.run(_send_until_stopped(settings))
    return 0


async def _send_until_stopped(settings: Settings) -> None:
    from crm_whatsapp.adapters.events import (  # noqa: PLC0415
        LocalEventHub,
        PostgresEventListener,
    )
    from crm_whatsapp.adapters.sql import Database  # noqa: PLC0415
    from crm_whatsapp.app.container import (  # noqa: PLC0415
        GatewayFactory,
        build_container,
        close_owned,
    )
    from crm_whatsapp.app.ingest_processor import IngestProcessor  # noqa: PLC0415
    from crm_whatsapp.app.media_fetch_worker import (  # noqa: PLC0415
        MediaFetchWorker,
        may_have_queued_a_file,
    )
    from crm_whatsapp.app.outbox_worker import (  # noqa: PLC0415
        OutboxWorker,
        may_have_queued_a_reply,
    )
    from crm_whatsapp.domain.events import Event  # noqa: PLC0415
    from crm_whatsapp.domain.ports import SendRateLimiter  # noqa: PLC0415
    from crm_whatsapp.domain.use_cases import Dependencies, RetryPolicy  # noqa: PLC0415
    from crm_whatsapp.domain.use_cases.media_fetch import MediaFetchPolicy  # noqa: PLC0415

    container = build_container(settings)
    deps: Dependencies = container.resolve(Dependencies)
    database: Database = container.resolve(Database)
    gateways: GatewayFactory = container.resolve(GatewayFactory)
    policy: RetryPolicy = container.resolve(RetryPolicy)
    limiter: SendRateLimiter = container.resolve(SendRateLimiter)
    media_policy: MediaFetchPolicy = container.resolve(MediaFetchPolicy)
    loop = asyncio.get_running_loop()
    stop, wake, media_wake = asyncio.Event(), asyncio.Event(), asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    hub: LocalEventHub = container.resolve(LocalEventHub)

    def wake_up(events: Sequence[Event]) -> None:
        if may_have_queued_a_reply(events):
            loop.call_soon_threadsafe(wake.set)
        if may_have_queued_a_file(events):
            loop.call_soon_threadsafe(media_wake.set)

    # this worker's own processor queues replies too: its events reach the hub directly
    # (on SQLite), or through NOTIFY with every other process's (on PostgreSQL)
    hub.add_listener(wake_up)
    listener = None
    if database.is_postgresql:  # wake at once when any process queues a reply
        listener = PostgresEventListener(database, hub)
        listener.start()
    ingest: IngestProcessor = container.resolve(IngestProcessor)
    ingest.start()
    print(f"crm-whatsapp worker: sending from {database.describe()}", flush=True)
    try:
        async with gateways() as gateway:
            worker = OutboxWorker(
                deps,
                gateway,
                policy,
                limiter=limiter,
                poll_interval=settings.outbox_poll_seconds,
            )
            jobs = [worker.run(stop, wake)]
            if deps.media is not None:
                fetcher = MediaFetchWorker(
                    deps,
                    gateway,
                    deps.media,
                    media_policy,
                    poll_interval=max(settings.outbox_poll_seconds, 1.0),
                )
                jobs.append(fetcher.run(stop, media_wake))
            await asyncio.gather(*jobs)
    finally:
        await asyncio.to_thread(ingest.stop)
        if listener is not None:
            listener.stop()
        close_owned(container)
