"""``kill -9`` in the middle of a load: every message that got its 200 is in the database,
and after a restart on the same database every reply still pending goes out.

The server dies with webhooks in flight and the outbox behind (replies queued, some sent
but not yet recorded). Meta then delivers again whatever did not get a 200. A reply can
reach Meta twice only if the crash fell between its send and the record of it: at most
``CRM_WHATSAPP_OUTBOX_CONCURRENCY`` per outbox worker (the sends in flight). It goes out
again when its claim's lease ends (``CRM_WHATSAPP_OUTBOX_LEASE_SECONDS``, 5 s here), and
that claim finds the message still marked in flight: every such double is counted as an
unknown outcome on the message, never silent.

CI size: 1,000 deliveries (30% duplicates) on SQLite, the kill after 40% of the answers;
600 on PostgreSQL (``serve --workers 2`` and two ``worker`` processes, all killed).
``CRM_WHATSAPP_RELIABILITY_SCALE`` multiplies both.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reliability_kit import (
    Process,
    Processes,
    Storm,
    build_storm,
    cluster_env,
    copies_by_recipient,
    deliver,
    read_journal,
    read_stored_once_sent,
    scaled,
    service_env,
    silent_doubles,
    wait_for_replies,
)

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.app.settings import Settings
from polling import wait_until

OUTBOX_CONCURRENCY = Settings.model_fields["outbox_concurrency"].default


def load_and_kill(storm: Storm, servers: list[Process], kill_after: float) -> list[int]:
    """Deliver the storm from a thread, SIGKILL every process once ``kill_after`` of the
    deliveries are answered; the answers (0: none, the server was gone)."""
    answered = threading.Semaphore(0)
    statuses: list[int] = []

    def load() -> None:
        url = servers[0].url + "/webhook"
        statuses.extend(deliver(url, storm.deliveries, on_answer=lambda *_: answered.release()))

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    for _ in range(int(len(storm.deliveries) * kill_after)):
        assert answered.acquire(timeout=60), "the load stalled before the kill"
    for server in servers:
        server.kill()
    thread.join(120)
    assert not thread.is_alive()
    return statuses


def assert_nothing_lost_after_restart(
    storm: Storm,
    *,
    statuses: list[int],
    fake: RunningFakeGraphApi,
    restart: Process,
    database_url: str,
    prefix: str,
    senders: int,
) -> None:
    acknowledged = [i for i, status in enumerate(statuses) if status == 200]
    before_restart = copies_by_recipient(fake.state)
    assert 0 < len(acknowledged) < len(statuses)
    assert set(statuses) <= {0, 200}, {s: statuses.count(s) for s in set(statuses)}

    redelivered = deliver(
        restart.url + "/webhook",
        [d for d, status in zip(storm.deliveries, statuses, strict=True) if status != 200],
    )
    assert set(redelivered) == {200}
    wait_for_replies(fake.state, storm.wa_ids, timeout=120)
    stored = read_stored_once_sent(database_url, prefix, len(storm.wa_ids))
    copies = copies_by_recipient(fake.state)

    assert stored.inbound == dict.fromkeys(storm.messages, 1)
    assert {wa_id: len(rs) for wa_id, rs in stored.replies.items()} == dict.fromkeys(
        storm.wa_ids, 1
    )
    assert stored.replies_with("sent") == len(storm.wa_ids)
    silent = silent_doubles(copies, stored)
    assert not silent, f"copies and unknown outcomes of replies doubled silently: {silent}"
    # Sent before the kill and again after it: the sends in flight when it fell. A reply
    # doubled only by a slow answer (two busy cores) is counted too, but is not one of these.
    again = {wa_id for wa_id, n in before_restart.items() if copies[wa_id] > n}
    assert len(again) <= senders * OUTBOX_CONCURRENCY, again
    doubled = {wa_id: n for wa_id, n in copies.items() if n > 1}
    print(
        f"{len(storm.deliveries)} deliveries, {len(acknowledged)} answered 200 before the "
        f"kill, {len(before_restart)} replies out before it, {len(again)} of them sent again "
        f"after it; copies of each doubled reply, all counted as unknown outcomes: {doubled}"
    )


def test_kill_9_on_sqlite_loses_no_acknowledged_message_and_no_pending_reply(
    tmp_path: Path, processes: Processes
) -> None:
    storm = build_storm(scaled(1_000), duplicate_share=0.3, seed=31)
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    with running_fake_graph_api() as fake:
        env = service_env(database_url, fake.base_url)
        server = processes.serve(env)
        statuses = load_and_kill(storm, [server], kill_after=0.4)

        acknowledged = storm.wamids_of([i for i, s in enumerate(statuses) if s == 200])
        journal = read_journal(database_url)  # before any restart
        assert acknowledged <= journal.wamids
        print(f"at the kill: {journal.unprocessed} acknowledged deliveries not read yet")
        restart = processes.serve(env)
        assert_nothing_lost_after_restart(
            storm,
            statuses=statuses,
            fake=fake,
            restart=restart,
            database_url=database_url,
            prefix="crm_whatsapp_",
            senders=1,
        )


def test_kill_9_of_two_servers_and_two_workers_on_postgresql_loses_nothing(
    postgres_test_url: str, table_prefix: str, processes: Processes
) -> None:
    storm = build_storm(scaled(600), duplicate_share=0.3, seed=32)
    with running_fake_graph_api() as fake:
        env = cluster_env(postgres_test_url, fake.base_url, table_prefix)
        statuses = load_and_kill(storm, processes.cluster(env), kill_after=0.4)

        acknowledged = storm.wamids_of([i for i, s in enumerate(statuses) if s == 200])
        journal = read_journal(postgres_test_url, table_prefix)  # before any restart
        assert acknowledged <= journal.wamids
        print(f"at the kill: {journal.unprocessed} acknowledged deliveries not read yet")
        restart, *_ = processes.cluster(env)
        assert_nothing_lost_after_restart(
            storm,
            statuses=statuses,
            fake=fake,
            restart=restart,
            database_url=postgres_test_url,
            prefix=table_prefix,
            senders=2,
        )


def test_kill_9_with_many_sends_in_flight_loses_nothing_and_counts_every_double(
    tmp_path: Path, processes: Processes
) -> None:
    """Meta's pace (0.5 s per send): dozens of sends wait for Meta's answer when the server
    dies. The fake accepts them all (Meta would deliver them) but the service never hears.
    After the restart each of those replies is claimed again once its lease ends, found
    still in flight, and sent again with an unknown outcome counted: nothing lost, no
    silent double."""
    storm = build_storm(scaled(400), duplicate_share=0.0, seed=33)
    database_url = f"sqlite:///{tmp_path / 'in_flight.db'}"
    with running_fake_graph_api(latency_seconds=0.5) as fake:
        env = service_env(database_url, fake.base_url, CRM_WHATSAPP_GRAPH_API_TIMEOUT_SECONDS="1")
        server = processes.serve(env)
        assert set(deliver(server.url + "/webhook", storm.deliveries)) == {200}
        wait_until(lambda: fake.state.stats().in_flight >= 20, timeout=30)
        server.kill()
        in_flight_at_kill = fake.state.stats().in_flight
        before_restart = copies_by_recipient(fake.state)

        processes.serve(env)
        wait_for_replies(fake.state, storm.wa_ids, timeout=120)
        stored = read_stored_once_sent(database_url, "crm_whatsapp_", len(storm.wa_ids))
        copies = copies_by_recipient(fake.state)

    assert stored.inbound == dict.fromkeys(storm.messages, 1)
    assert stored.replies_with("sent") == len(storm.wa_ids)
    doubled = {wa_id for wa_id, n in copies.items() if n > 1}
    assert doubled, "the kill should have caught sends in flight"
    # Every extra copy is counted: the kill's (a claim found the reply still in flight)
    # and any answer later than the 1 s timeout on a loaded machine alike.
    silent = silent_doubles(copies, stored)
    assert not silent, f"copies and unknown outcomes of replies doubled silently: {silent}"
    print(
        f"{in_flight_at_kill} sends in flight at the kill, {len(before_restart)} replies "
        f"accepted before it, {len(doubled)} sent again, all counted as unknown outcomes"
    )
