"""kill -9 of the delivery processor mid-batch loses nothing and doubles nothing.

A backlog of acknowledged deliveries (duplicates included) waits in the journal; a
``crm-whatsapp worker`` reads it and is killed as soon as it has committed some batches but
not all. Nothing it was in the middle of may be half-stored, and after a restart every
message is stored once with one reply, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import time
from pathlib import Path

from reliability_kit import (
    Processes,
    build_storm,
    read_journal,
    read_stored,
    scaled,
    service_env,
)

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.sql.delivery_journal import GroupCommitJournal
from crm_whatsapp.adapters.system import SystemClock
from crm_whatsapp.adapters.whatsapp.fake_graph_api import running_fake_graph_api
from polling import wait_until


def _journal_backlog(database_url: str, prefix: str, bodies: list[bytes]) -> None:
    database = Database(database_url, prefix=prefix)
    try:
        database.migrate()
        journal = GroupCommitJournal(database, SystemClock())
        futures = [journal.submit(body) for body in bodies]
        for future in futures:
            future.result(60)
        journal.close()
    finally:
        database.dispose()


def _kill_mid_backlog_then_restart(
    processes: Processes, database_url: str, prefix: str, env_extra: dict[str, str]
) -> None:
    storm = build_storm(scaled(1_500), duplicate_share=0.3, seed=41)
    _journal_backlog(database_url, prefix, [d.body for d in storm.deliveries])
    total = len(storm.deliveries)
    with running_fake_graph_api() as fake:
        env = service_env(database_url, fake.base_url, **env_extra)
        worker = processes.worker(env)
        wait_until(
            lambda: read_journal(database_url, prefix).unprocessed < total,
            60,
            "the first batch to be committed",
            interval=0.005,
        )
        worker.kill()
        at_kill = read_journal(database_url, prefix)
        assert 0 < at_kill.unprocessed < total, "killed too late to be mid-backlog"
        stored = read_stored(database_url, prefix)
        assert all(count == 1 for count in stored.inbound.values())
        assert all(len(replies) == 1 for replies in stored.replies.values())

        processes.worker(env)
        wait_until(lambda: read_journal(database_url, prefix).unprocessed == 0, 120, "the backlog")
        time.sleep(0.2)
        stored = read_stored(database_url, prefix)
    assert stored.inbound == dict.fromkeys(storm.messages, 1)
    assert {wa_id: len(r) for wa_id, r in stored.replies.items()} == dict.fromkeys(storm.wa_ids, 1)
    print(
        f"{total} deliveries journaled, {total - at_kill.unprocessed} read before the "
        f"kill -9, {len(storm.messages)} messages stored once after the restart"
    )


def test_kill_9_of_the_processor_on_sqlite_loses_nothing_and_doubles_nothing(
    tmp_path: Path, processes: Processes
) -> None:
    database_url = f"sqlite:///{tmp_path / 'backlog.db'}"
    _kill_mid_backlog_then_restart(processes, database_url, "crm_whatsapp_", {})


def test_kill_9_of_the_processor_on_postgresql_loses_nothing_and_doubles_nothing(
    postgres_test_url: str, table_prefix: str, processes: Processes
) -> None:
    _kill_mid_backlog_then_restart(
        processes,
        postgres_test_url,
        table_prefix,
        {"CRM_WHATSAPP_TABLE_PREFIX": table_prefix},
    )
