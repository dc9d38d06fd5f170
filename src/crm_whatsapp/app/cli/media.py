"""``crm-whatsapp media prune``: retention for our copies of customers' and agents' files.

Deletes the files of messages older than ``--older-than-days`` (by default
``CRM_WHATSAPP_MEDIA_RETENTION_DAYS``; 0 there means retention is off, and the command
refuses to guess). The messages stay, their files marked ``pruned``; a file a newer
message shares stays too. Meant for a daily cron job: a second run has nothing to do.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from crm_whatsapp.app.cli.options import add_database_options, database_options, settings_with
from crm_whatsapp.app.settings import ENV_PREFIX

if TYPE_CHECKING:
    from crm_whatsapp.domain.use_cases.media_retention import PruneReport

RETENTION_ENV = ENV_PREFIX + "MEDIA_RETENTION_DAYS"


def add_media_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    media = commands.add_parser("media", help="los archivos de los mensajes (fotos, audios, PDF)")
    actions = media.add_subparsers(dest="media_command", metavar="ACTION", required=True)
    prune = actions.add_parser(
        "prune",
        help="borra los archivos de los mensajes antiguos (los mensajes se quedan)",
        description=(
            "Borra nuestra copia de los archivos de los mensajes más antiguos que N días; "
            "los mensajes se quedan, con su archivo marcado como borrado. Un archivo que "
            "comparte un mensaje más nuevo no se borra."
        ),
    )
    add_database_options(prune)
    prune.add_argument(
        "--media-url",
        default=None,
        help=f"dónde están los archivos (o ${ENV_PREFIX}MEDIA_URL)",
    )
    prune.add_argument(
        "--older-than-days",
        type=int,
        default=None,
        metavar="N",
        help=f"antigüedad mínima en días (o ${RETENTION_ENV})",
    )
    prune.add_argument(
        "--dry-run",
        action="store_true",
        help="solo cuenta lo que se borraría, sin cambiar nada",
    )
    media.set_defaults(run=run_media)


def run_media(args: argparse.Namespace) -> int:
    from crm_whatsapp.adapters.sql import ProgressBar  # noqa: PLC0415 - heavy
    from crm_whatsapp.app.container import build_container, close_owned  # noqa: PLC0415
    from crm_whatsapp.domain.errors import (  # noqa: PLC0415
        MediaStoreUnavailable,
        StorageUnavailable,
    )
    from crm_whatsapp.domain.ports import Clock, MediaStore  # noqa: PLC0415
    from crm_whatsapp.domain.use_cases import Dependencies  # noqa: PLC0415
    from crm_whatsapp.domain.use_cases.media_retention import (  # noqa: PLC0415
        count_prunable,
        prune_media,
    )

    settings = settings_with(**database_options(args), media_url=args.media_url)
    days = args.older_than_days
    if days is None:
        days = settings.media_retention_days
        if days == 0:
            print(
                f"crm-whatsapp media prune: retention is off ({RETENTION_ENV} is 0); "
                "set it, or give --older-than-days N",
                file=sys.stderr,
            )
            return 2
    elif days < 1:
        print("crm-whatsapp media prune: --older-than-days must be at least 1", file=sys.stderr)
        return 2
    container = build_container(settings)
    try:
        deps: Dependencies = container.resolve(Dependencies)
        store: MediaStore = container.resolve(MediaStore)
        clock: Clock = container.resolve(Clock)
        before = clock.now() - timedelta(days=days)
        expected = count_prunable(deps, before)
        if args.dry_run:
            print(_summary(expected, before, days, dry_run=True))
            return 0
        bar = ProgressBar(sys.stderr, label="files")
        total = expected.pruned_messages

        def progress(done: int) -> None:
            bar(done, max(total, done))

        report = asyncio.run(prune_media(deps, store, before, progress=progress))
        if 0 < report.pruned_messages < total:  # others pruned some meanwhile: end the bar
            bar(report.pruned_messages, report.pruned_messages)
        print(_summary(report, before, days, dry_run=False))
    except (StorageUnavailable, MediaStoreUnavailable) as exc:
        print(f"crm-whatsapp media prune: {exc}", file=sys.stderr)
        return 1
    finally:
        close_owned(container)
    return 0


def _summary(report: PruneReport, before: datetime, days: int, *, dry_run: bool) -> str:
    cutoff = before.replace(microsecond=0).isoformat()
    messages = _plural(report.pruned_messages, "message")
    deleted = _plural(report.deleted_files, "file")
    kept = _plural(report.kept_shared, "file")
    if dry_run:
        return (
            f"dry run: would prune the files of {messages} older than {days} days "
            f"(before {cutoff}): {deleted} to delete, {kept} kept for newer messages; "
            "nothing changed"
        )
    return (
        f"pruned the files of {messages} older than {days} days (before {cutoff}): "
        f"{deleted} deleted, {kept} kept for newer messages"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
