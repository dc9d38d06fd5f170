"""The Graph API throttles, fails and hangs: with the fake failing 30% of the sends (HTTP 500,
429, and answers slower than the gateway's timeout), every reply still goes out, a customer
gets a second copy only where a timeout left the outcome unknown (and that is counted on the
reply), and a final Graph error marks the reply failed with Meta's reason.

Real ``crm-whatsapp serve`` on SQLite, the fake Graph API on loopback posting signed status
webhooks back (sent, delivered, read), the real httpx gateway with a 0.25 s answer timeout.
CI size: 200 deliveries (30% duplicates), about 190 replies; ``CRM_WHATSAPP_RELIABILITY_SCALE``
multiplies it.
"""

from __future__ import annotations

import time
from pathlib import Path

from reliability_kit import (
    APP_SECRET,
    Processes,
    build_storm,
    copies_by_recipient,
    deliver,
    free_port,
    read_stored,
    scaled,
    service_env,
    wait_until,
)

from crm_whatsapp.adapters.whatsapp.fake_graph_api import Failure, running_fake_graph_api

FINAL = {"sent", "delivered", "read", "failed"}


def all_final(database_url: str, wa_ids: set[str]) -> bool:
    """Every customer has one reply, and none is pending any more."""
    replies = read_stored(database_url).replies
    return all(len(replies.get(w, ())) == 1 and replies[w][0].status in FINAL for w in wa_ids)


def test_replies_survive_a_graph_api_failing_30_percent_and_final_errors_say_why(
    tmp_path: Path, processes: Processes
) -> None:
    storm = build_storm(scaled(200), duplicate_share=0.3, seed=21)
    doomed = build_storm(3, duplicate_share=0.0, seed=22, first_customer=len(storm.messages))
    database_url = f"sqlite:///{tmp_path / 'faults.db'}"
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/webhook"
    with running_fake_graph_api(
        fail_rate=0.3, seed=23, slow_seconds=1.0, status_webhook_url=webhook, app_secret=APP_SECRET
    ) as fake:
        env = service_env(
            database_url, fake.base_url, CRM_WHATSAPP_GRAPH_API_TIMEOUT_SECONDS="0.25"
        )
        server = processes.serve(env, port=port)
        assert set(deliver(server.url + "/webhook", storm.deliveries)) == {200}

        wait_until(
            lambda: all_final(database_url, storm.wa_ids),
            120,
            "every reply sent or failed",
            interval=0.5,
        )
        time.sleep(0.5)  # the fake's last status webhooks
        stored = read_stored(database_url)
        copies = copies_by_recipient(fake.state)
        answers = [r["response_status"] for r in fake.state.requests()]
        late = sum(m.answered_late for m in fake.state.accepted())

        # A final error: the next sends are refused for good (outside the 24 hours).
        fake.state.fail_next(Failure(code=131047, http_status=400), times=len(doomed.wa_ids))
        assert set(deliver(server.url + "/webhook", doomed.deliveries)) == {200}
        wait_until(
            lambda: all_final(database_url, doomed.wa_ids),
            30,
            "the refused replies to be marked",
        )
        refused = read_stored(database_url)
        refused_copies = copies_by_recipient(fake.state)

    replies = {wa_id: rs[0] for wa_id, rs in stored.replies.items()}
    assert {wa_id: len(rs) for wa_id, rs in stored.replies.items()} == dict.fromkeys(
        storm.wa_ids, 1
    )
    assert stored.inbound == dict.fromkeys(storm.messages, 1)
    faults = {status: answers.count(status) for status in (429, 500)}
    assert min(faults.values()) > 0, faults
    assert late > 0
    for wa_id, reply in replies.items():
        assert reply.status in {"sent", "delivered", "read"}, reply
        assert 1 <= copies[wa_id] <= 1 + reply.unknown_outcomes, (reply, copies[wa_id])
    doubles = sum(copies[w] - 1 for w in replies)
    unknown = sum(r.unknown_outcomes for r in replies.values())
    print(
        f"{len(storm.deliveries)} deliveries, {len(replies)} replies, sends refused: "
        f"{faults[500]} × 500 and {faults[429]} × 429, {late} answered after the timeout; "
        f"unknown outcomes {unknown}, second copies {doubles}"
    )
    assert 0 < doubles <= unknown  # the 0.25 s timeout reached the gateway

    for wa_id in doomed.wa_ids:
        (reply,) = refused.replies[wa_id]
        assert (reply.status, reply.attempts, reply.error_code) == ("failed", 1, "131047")
        assert "24 horas" in (reply.error_title or "")
        assert refused_copies[wa_id] == 0
