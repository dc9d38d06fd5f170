"""Soak: Meta's at-least-once deliveries and a failing Graph API, at a size CI does not run.

Starts, as processes on 127.0.0.1: the fake Graph API (``crm-whatsapp fake-graph-api``,
failing ``--fail-rate`` of the sends: HTTP 500, 429, or an answer held four times the
service's Graph API timeout ``--timeout``) and the service (``crm-whatsapp serve``): on SQLite
one process with the outbox inside; on PostgreSQL (``--postgres-url``) ``serve --workers 2``
and two ``crm-whatsapp worker`` processes, tables under a prefix of the run's own, dropped at
the end. Retries start 50 ms after a failure (``service_env`` of the kit).

Then, as Meta would: ``--deliveries`` signed webhook POSTs over ``--connections`` connections,
``--duplicates`` of them carrying messages another POST carries too (the same bytes again, or
re-packed in a body of another shape), shuffled with ``--seed``; every POST not answered 200
is delivered again (up to 5 rounds). Every distinct message comes from a customer of its own,
so each reply at the fake is tied to its message by the recipient. Once every reply is sent
or failed, the script reads the database and the fake and prints:

deliveries, distinct messages, duplicate deliveries, answers by status, faults the fake
injected, messages stored, replies sent and failed, doubles (customers who got a reply more
than once, and how many of those the service counted as unknown outcomes), losses (messages
not stored, replies never sent), wall time and deliveries/s of the first round.

    python benchmarks/soak.py                      # 10,000 deliveries on SQLite
    python benchmarks/soak.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/soak.py --quick              # 100 deliveries; the test suite runs this

Exit code 1 on a loss, a message stored twice, a double the service did not count as an
unknown outcome, or an answer other than 200 and 503. Uses the reliability suite's helpers
(``tests/reliability/reliability_kit.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS / "reliability"), str(TESTS)]  # reliability_kit, and its polling

from reliability_kit import (  # noqa: E402 - found through the path above
    Processes,
    Stored,
    Storm,
    build_storm,
    cluster_env,
    deliver,
    drop_prefixed_tables,
    free_port,
    read_stored,
    service_env,
    wait_until,
)

REDELIVERY_ROUNDS = 5
DRAIN_TIMEOUT = 1800.0
FINAL = frozenset({"sent", "delivered", "read", "failed"})


@dataclass(frozen=True)
class Plan:
    deliveries: int
    duplicates: float
    connections: int
    fail_rate: float
    timeout: float
    seed: int
    postgres_url: str | None


@dataclass
class Run:
    storm: Storm
    first_round: list[int]
    rounds: int
    answers: Counter[int]
    ingest_seconds: float
    wall_seconds: float
    requests: list[dict[str, Any]]
    accepted: list[dict[str, Any]]
    stored: Stored
    database: str


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def start_fake(processes: Processes, plan: Plan) -> str:
    port = free_port()
    arguments = ["fake-graph-api", "--port", str(port), "--fail-rate", str(plan.fail_rate)]
    slow = str(plan.timeout * 4)
    arguments += ["--seed", str(plan.seed), "--slow-seconds", slow]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    fake = processes.start("fake-graph-api", arguments, env, port)
    wait_until(lambda: "listening on" in fake.log_text(), 30, "the fake Graph API to listen")
    return fake.url


def fake_json(url: str, path: str) -> list[dict[str, Any]]:
    answer = httpx.get(url + path, timeout=120)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


def all_final(database_url: str, prefix: str, wa_ids: set[str]) -> bool:
    replies = read_stored(database_url, prefix).replies
    return all(len(replies.get(w, ())) >= 1 and replies[w][0].status in FINAL for w in wa_ids)


def soak(plan: Plan, directory: Path) -> Run:
    storm = build_storm(plan.deliveries, plan.duplicates, plan.seed)
    processes = Processes(directory)
    prefix = f"soak{uuid.uuid4().hex[:8]}_"
    try:
        fake_url = start_fake(processes, plan)
        timeout = {"CRM_WHATSAPP_GRAPH_API_TIMEOUT_SECONDS": str(plan.timeout)}
        if plan.postgres_url is None:
            database_url, prefix = f"sqlite:///{directory / 'soak.db'}", "crm_whatsapp_"
            server = processes.serve(service_env(database_url, fake_url, **timeout))
            database = "SQLite, 1 process (outbox inside)"
        else:
            database_url = plan.postgres_url
            server, *_ = processes.cluster(cluster_env(database_url, fake_url, prefix, **timeout))
            database = "PostgreSQL, serve --workers 2 + 2 outbox workers"
        log(f"{len(storm.deliveries):,} deliveries to {database}")
        began = time.perf_counter()
        first = deliver(server.url + "/webhook", storm.deliveries, connections=plan.connections)
        ingest = time.perf_counter() - began
        answers = Counter(first)
        pending = [i for i, status in enumerate(first) if status != 200]
        rounds = 1
        while pending and rounds <= REDELIVERY_ROUNDS:
            log(f"round {rounds + 1}: {len(pending)} deliveries again")
            time.sleep(1.0)
            again = deliver(server.url + "/webhook", [storm.deliveries[i] for i in pending])
            answers.update(again)
            pending = [i for i, status in zip(pending, again, strict=True) if status != 200]
            rounds += 1
        log("waiting for every reply to be sent or failed")
        wait_until(
            lambda: all_final(database_url, prefix, storm.wa_ids),
            DRAIN_TIMEOUT,
            "every reply sent or failed",
            interval=1.0,
        )
        time.sleep(1.0)  # room for a wrong second send to show
        wall = time.perf_counter() - began
        requests = fake_json(fake_url, "/__requests")
        accepted = fake_json(fake_url, "/__accepted")
        stored = read_stored(database_url, prefix)
    finally:
        processes.stop_all()
        if plan.postgres_url is not None:
            drop_prefixed_tables(plan.postgres_url, prefix)
    return Run(storm, first, rounds, answers, ingest, wall, requests, accepted, stored, database)


@dataclass(frozen=True)
class Figures:
    rows: list[tuple[str, str]]
    failures: list[str]


def figures(plan: Plan, run: Run) -> Figures:
    storm = run.storm
    stored = run.stored
    kinds = Counter(d.kind for d in storm.deliveries)
    statuses = Counter(r["response_status"] for r in run.requests)
    late = sum(1 for m in run.accepted if m["answered_late"])
    copies = Counter(m["recipient"] for m in run.accepted)
    replies = {w: rs for w, rs in stored.replies.items() if w in storm.wa_ids}
    sent = sum(r.status in ("sent", "delivered", "read") for rs in replies.values() for r in rs)
    failed = sum(r.status == "failed" for rs in replies.values() for r in rs)
    doubles = {w: n - 1 for w, n in copies.items() if n > 1}
    unknown = {w: sum(r.unknown_outcomes for r in replies.get(w, ())) for w in storm.wa_ids}
    explained = sum(min(extra, unknown[w]) for w, extra in doubles.items())
    not_stored = [w for w in storm.messages if stored.inbound[w] == 0]
    stored_twice = [w for w in storm.messages if stored.inbound[w] > 1]
    unanswered = [w for w in storm.wa_ids if copies[w] == 0]
    others = {s: n for s, n in run.answers.items() if s not in (200, 503)}
    rows = [
        ("database", run.database),
        ("deliveries", f"{len(storm.deliveries):,}"),
        ("distinct messages", f"{len(storm.messages):,}"),
        (
            "duplicate deliveries",
            f"{kinds['resend'] + kinds['rebatch']:,} ({kinds['resend']:,} same bytes, "
            f"{kinds['rebatch']:,} re-packed)",
        ),
        ("connections", str(plan.connections)),
        (
            "answers",
            ", ".join(f"{s or 'none'}: {n:,}" for s, n in sorted(run.answers.items()))
            + f" ({run.rounds} round{'s' if run.rounds > 1 else ''})",
        ),
        ("sends to the fake Graph API", f"{len(run.requests):,}"),
        (
            "faults injected",
            f"{statuses[500] + statuses[429] + late:,} ({statuses[500]:,} × 500, "
            f"{statuses[429]:,} × 429, {late:,} answered after the timeout)",
        ),
        ("messages stored", f"{sum(stored.inbound[w] for w in storm.messages):,}"),
        ("replies sent", f"{sent:,}"),
        ("replies failed", f"{failed:,}"),
        (
            "doubles",
            f"{sum(doubles.values()):,} ({explained:,} counted as unknown outcomes)",
        ),
        (
            "losses",
            f"{len(not_stored) + len(unanswered):,} ({len(not_stored):,} messages not "
            f"stored, {len(unanswered):,} customers without a reply)",
        ),
        ("wall time", f"{run.wall_seconds:.1f} s (first round {run.ingest_seconds:.1f} s)"),
        ("deliveries/s (first round)", f"{len(storm.deliveries) / run.ingest_seconds:,.0f}"),
    ]
    failures = []
    if not_stored:
        failures.append(f"{len(not_stored)} messages not stored")
    if stored_twice:
        failures.append(f"{len(stored_twice)} messages stored twice")
    if unanswered:
        failures.append(f"{len(unanswered)} customers got no reply")
    if sum(doubles.values()) > explained:
        failures.append(f"{sum(doubles.values()) - explained} doubles not counted as unknown")
    if others:
        failures.append(f"answers other than 200 and 503: {others}")
    return Figures(rows, failures)


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, httpx {httpx.__version__}"
    )


def parse_options(argv: Sequence[str] | None = None) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 deliveries (the test suite)")
    parser.add_argument("--deliveries", type=int, default=None, help="webhook POSTs (10000)")
    parser.add_argument("--duplicates", type=float, default=0.3, help="share of duplicates")
    parser.add_argument("--connections", type=int, default=16, help="at once (16)")
    parser.add_argument("--fail-rate", type=float, default=0.3, help="failed sends (0.3)")
    parser.add_argument(
        "--timeout", type=float, default=0.25, help="the service's Graph API timeout (0.25 s)"
    )
    parser.add_argument("--postgres-url", default=None, help="PostgreSQL instead of SQLite")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args(argv)
    deliveries = options.deliveries or (100 if options.quick else 10_000)
    if deliveries < 1 or options.connections < 1 or options.timeout <= 0:
        parser.error("--deliveries, --connections and --timeout must be positive")
    if not 0.0 <= options.duplicates < 1.0 or not 0.0 <= options.fail_rate < 1.0:
        parser.error("--duplicates and --fail-rate must be in [0, 1)")
    return Plan(
        deliveries,
        options.duplicates,
        options.connections,
        options.fail_rate,
        options.timeout,
        options.seed,
        options.postgres_url,
    )


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_options(argv)
    with tempfile.TemporaryDirectory(prefix="soak-") as directory:
        run = soak(plan, Path(directory))
    result = figures(plan, run)
    print(
        f"Soak: {machine()}; seed {plan.seed}, fail rate {plan.fail_rate:g}, "
        f"Graph API timeout {plan.timeout:g} s\n"
    )
    print("| figure | value |")
    print("|---|---|")
    for name, value in result.rows:
        print(f"| {name} | {value} |")
    for failure in result.failures:
        print(f"FAILED: {failure}")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
