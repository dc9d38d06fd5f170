"""A queued reply wakes the sender at once, not at its next poll: in the web process (an
event from the processor's thread) and in a ``crm-whatsapp worker`` process of its own
(PostgreSQL NOTIFY, or its own processor's events). The outbox's poll interval here is
60 s, so a reply that waited for it would take a minute; each of these leaves within
seconds of its message.
"""

from __future__ import annotations

import time
from pathlib import Path

from reliability_kit import (
    Delivery,
    Process,
    Processes,
    Storm,
    build_storm,
    deliver,
    service_env,
)

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)

POLL = {"CRM_WHATSAPP_OUTBOX_POLL_SECONDS": "60"}
PROMPT_SECONDS = 10.0
"""Far above a woken reply's time (milliseconds) and far below the poll interval."""


def reply_seconds(
    server: Process, fake: RunningFakeGraphApi, storm: Storm, delivery: Delivery
) -> float:
    """Deliver one message; how long until the fake accepted its reply."""
    [wamid] = delivery.wamids
    message = storm.messages[wamid]
    started = time.monotonic()
    assert deliver(server.url + "/webhook", [delivery]) == [200]
    while not any(m.recipient == message.wa_id for m in fake.state.accepted()):
        waited = time.monotonic() - started
        assert waited < PROMPT_SECONDS, f"no reply {waited:.1f} s after the message"
        time.sleep(0.02)
    return time.monotonic() - started


def test_the_web_processes_outbox_is_woken_by_each_queued_reply(
    tmp_path: Path, processes: Processes
) -> None:
    storm = build_storm(3, duplicate_share=0.0, seed=51)
    with running_fake_graph_api() as fake:
        server = processes.serve(
            service_env(f"sqlite:///{tmp_path / 'wake.db'}", fake.base_url, **POLL)
        )
        time.sleep(1.0)  # the outbox has started its first 60 s wait
        waits = [reply_seconds(server, fake, storm, d) for d in storm.deliveries]
    print(f"reply after {', '.join(f'{w:.3f}' for w in waits)} s (poll: 60 s)")


def test_a_worker_process_is_woken_through_postgresql(
    postgres_test_url: str, table_prefix: str, processes: Processes
) -> None:
    storm = build_storm(3, duplicate_share=0.0, seed=52)
    with running_fake_graph_api() as fake:
        env = service_env(
            postgres_test_url,
            fake.base_url,
            CRM_WHATSAPP_TABLE_PREFIX=table_prefix,
            CRM_WHATSAPP_OUTBOX_IN_PROCESS="false",
            **POLL,
        )
        server = processes.serve(env)
        processes.worker(env)
        time.sleep(1.0)
        waits = [reply_seconds(server, fake, storm, d) for d in storm.deliveries]
    print(f"reply after {', '.join(f'{w:.3f}' for w in waits)} s (poll: 60 s)")


def test_a_worker_on_sqlite_is_woken_by_the_replies_its_own_processor_queues(
    tmp_path: Path, processes: Processes
) -> None:
    """The server only stores webhooks; the worker reads them and its processor queues the
    replies: its outbox hears them at once (it was woken only through PostgreSQL's NOTIFY,
    so on SQLite every reply waited for the poll)."""
    storm = build_storm(3, duplicate_share=0.0, seed=53)
    with running_fake_graph_api() as fake:
        env = service_env(
            f"sqlite:///{tmp_path / 'wake.db'}",
            fake.base_url,
            CRM_WHATSAPP_OUTBOX_IN_PROCESS="false",
            CRM_WHATSAPP_INGEST_IN_PROCESS="false",
            **POLL,
        )
        server = processes.serve(env)
        processes.worker(env)
        time.sleep(1.0)
        waits = [reply_seconds(server, fake, storm, d) for d in storm.deliveries]
    print(f"reply after {', '.join(f'{w:.3f}' for w in waits)} s (poll: 60 s)")
