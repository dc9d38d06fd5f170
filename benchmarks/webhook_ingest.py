"""How fast the service takes in Meta's webhooks next to the least any receiver does, how
soon its backlog drains, whether every acknowledged message arrives, and how soon a
customer's message has its reply on the way to Meta.

Starts, as processes on 127.0.0.1: the fake Graph API at Meta's pace (``crm-whatsapp
fake-graph-api --latency-ms 250 --jitter-ms 50 --rate 80``), the reference receiver twice
(``reference_webhook.py``: signature, ``json.loads``, one SQLite row per body, answered 200;
once with ``--synchronous NORMAL``, once with ``FULL``), and, one configuration after the
other, the service:

a. SQLite, ``crm-whatsapp serve`` alone: the processor of stored deliveries is a thread of
   the server (the default);
b. SQLite, ``serve`` with ``CRM_WHATSAPP_INGEST_IN_PROCESS=false`` and one ``crm-whatsapp
   worker``: the processor in a process of its own;
c. PostgreSQL, ``serve`` (``INGEST_IN_PROCESS=false``, ``OUTBOX_IN_PROCESS=false``) and one
   worker;
d. the same with two workers (their batches take turns).

On PostgreSQL the tables get a prefix of the run's own (``bench<hex><config>_``), dropped at
the end. The service keeps its production defaults otherwise.

**Throughput.** The load generator is wrk (Debian's package), one thread per connection (32),
with ``webhook_ingest.lua``: it cycles through pre-generated signed bodies (files in a
temporary directory, removed at the end) and records which ones were answered 2xx. The mix
is Meta's: one customer's text to three status webhooks (sent, delivered, read) of messages
the business sent. Before the rounds the service is given those messages as WhatsApp
Business app echoes (``smb_message_echoes``: outbound messages with their wamids, stored as
sent, as a bot reply is once Meta accepted it), so every status refers to a message it
knows; the texts come from those customers (no bot reply: the outbox stays idle). Per
configuration, rounds of ``--seconds`` in the order reference NORMAL, reference FULL,
service, service, reference FULL, reference NORMAL, after a warm-up of the service (3 s;
the references get theirs once, at the start; none in ``--quick``). Printed per
round: requests/s, wrk's p50/p99, non-2xx answers, socket errors, wrk's CPU, the target's
CPU per request and how busy the machine was; per configuration the ratios service /
reference NORMAL (target >= 0.5, stretch 0.8) and service / reference FULL.

**Backlog.** After each service round, ``GET /api/v1/salud-canal`` (with the API token) is
polled until ``pending_deliveries`` is 0: seconds from the end of the load, and the most
deliveries seen waiting (polled every 0.25 s during the round too). Then the database is
read: every inbound message answered 2xx must be stored, and every status answered 2xx
applied (a message whose ``read`` was acknowledged must be read); the quarantine must be
empty.

**Inbound-to-reply.** An open loop (httpx) at ``--rate`` messages/s (100) for
``--latency-seconds``, each from a new customer (the bot answers a new customer's first
text), spread over ``--numbers`` business numbers (2: 80 sends/s per number is Meta's pace,
and 100/s on one number is a queue that grows as long as the load lasts). p50/p99 from
sending the webhook to the reply reaching the fake (``received_at``), and to the fake's
answer leaving (``answered_at``: Meta's 250 ms inside).

    python benchmarks/webhook_ingest.py [--quick] [--configs a,b,c,d] [--postgres-url URL]
        [--seconds S] [--connections N] [--rate R] [--latency-seconds S] [--logs DIR]

PostgreSQL URL: ``--postgres-url`` or ``$CRM_WHATSAPP_TEST_POSTGRES_URL``; without one,
configurations c and d are left out (said in the output). ``--quick`` (the test suite):
1-second rounds, SQLite configurations unless ``--configs`` says otherwise.

Exit code 1 for a correctness failure only: a request not answered 2xx or cut, an
acknowledged message or status missing from the database, something quarantined, a backlog
not drained in time, a reply missing or sent twice, a reference storing fewer rows than it
acknowledged. The figures never fail.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import secrets
import shlex
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

import httpx
from ingest_kit import (
    ACCESS_TOKEN,
    API_TOKEN,
    APP_SECRET,
    BUSINESS_NUMBERS,
    HERE,
    LUA_SCRIPT,
    STATUSES,
    TEXTS,
    VERIFY_TOKEN,
    WRK,
    Mix,
    OpenResult,
    Outbound,
    Payload,
    Process,
    Processes,
    WrkRun,
    distinct_wa_ids,
    echoes_body,
    fdatasync_cost,
    free_port,
    inbound_body,
    machine_busy,
    open_loop,
    outbound_needed,
    percentile,
    post,
    run_wrk,
    signed_headers,
    wait_ready,
    write_mix,
    wrk_version,
)
from sqlalchemy import create_engine, select, text

from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import new_wamid

__all__ = ["TEXTS", "OpenResult", "Payload", "distinct_wa_ids", "percentile", "post"]
"""What ``outbox_pace.py`` imports from here."""

TARGET, STRETCH = 0.5, 0.8
CLI = [sys.executable, "-m", "crm_whatsapp.app.cli"]
FAKE_PACE = ("--latency-ms", "250", "--jitter-ms", "50", "--rate", "80")
REFERENCES = ("NORMAL", "FULL")
ECHOES_PER_BODY = 100
MARGIN = 1.6
"""Bodies generated for a warm-up or a reference round: the expected requests times this
(a thread that runs out starts its file again, and the table says so)."""
ROUND_MARGIN = 1.5
"""A service round's bodies: the warm-up's requests/s times this, times its seconds (in
``--quick``, twice as much: a warm-up of one second is a cold one)."""
REFERENCE_RATE = 8000.0
"""Requests/s the reference's bodies are sized for."""
POLL_SECONDS = 0.25
CpuClock = Callable[[], float]


@dataclass(frozen=True)
class Config:
    key: str
    label: str
    backend: str
    workers: int
    ingest_in_process: bool
    outbox_in_process: bool = True


CONFIGS = {
    c.key: c
    for c in (
        Config("a", "SQLite, serve alone (processor in the server)", "sqlite", 0, True),
        Config("b", "SQLite, serve + 1 worker (processor in the worker)", "sqlite", 1, False),
        Config("c", "PostgreSQL, serve + 1 worker", "postgresql", 1, False, False),
        Config("d", "PostgreSQL, serve + 2 workers", "postgresql", 2, False, False),
    )
}


@dataclass(frozen=True)
class Plan:
    configs: tuple[Config, ...]
    skipped: str
    """Why some configurations are left out ("" if none)."""
    seconds: int
    warmup: int
    warmup_rate: float
    """Requests/s the service's warm-up bodies are sized for."""
    connections: int
    customers: int
    rate: float
    latency_seconds: float
    numbers: int
    postgres_url: str | None
    drain_timeout: float
    reply_wait: float
    quiet: float
    """Seconds to keep watching the fake after the last reply, for a second copy."""
    seed: int
    logs: Path | None
    quick: bool


# -- results -------------------------------------------------------------------------------


@dataclass
class Round:
    number: int
    target: str
    """``service``, ``reference NORMAL`` or ``reference FULL``."""
    run: WrkRun
    target_cpu: float
    busy: float | None
    """Cores busy on the whole machine during the round (all processes)."""
    max_backlog: int = 0
    drain: float | None = None
    """Seconds from the end of the load to an empty backlog (service rounds)."""


@dataclass
class Latency:
    sent: OpenResult
    expected: int
    to_fake: list[float]
    to_answer: list[float]
    duplicates: int
    numbers: int


@dataclass
class Checked:
    inbound_acked: int = 0
    inbound_missing: int = 0
    statuses_acked: int = 0
    statuses_missing: int = 0
    seeded: int = 0
    seeded_missing: int = 0
    quarantined: int = 0
    replies_in_rounds: int = 0


@dataclass
class ConfigResult:
    config: Config
    commands: list[str]
    rounds: list[Round] = field(default_factory=list)
    warmup: Round | None = None
    latency: Latency | None = None
    checked: Checked = field(default_factory=Checked)
    seed_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def of(self, target: str) -> list[Round]:
        return [r for r in self.rounds if r.target == target]

    def rate(self, target: str) -> float:
        rounds = self.of(target)
        seconds = sum(r.run.seconds for r in rounds)
        return sum(r.run.requests for r in rounds) / seconds if seconds else math.nan


# -- the machine ---------------------------------------------------------------------------


def postgres_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def machine(plan: Plan, directory: Path) -> str:
    versions = []
    for name in ("uvicorn", "httptools", "uvloop"):
        with contextlib.suppress(ImportError):
            versions.append(f"{name} {__import__(name).__version__}")
    pg = postgres_version(plan.postgres_url) if plan.postgres_url else "not used"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    fsync_p50, fsync_p99 = fdatasync_cost(directory)
    return (
        f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}, {', '.join(versions)}, "
        f"load generator {wrk_version()}; write 4 KiB + fdatasync in the run's directory "
        f"p50 {fsync_p50 * 1e6:.0f} µs, p99 {fsync_p99 * 1e6:.0f} µs; load average at the "
        f"start {load}"
    )


# -- the processes -------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}


def shown(command: Sequence[str], env: dict[str, str] | None = None) -> str:
    """A command as one would type it, with the ``CRM_WHATSAPP_*`` variables that matter
    (secrets and paths of the temporary directory left out)."""
    words = list(command)
    if words[0] == sys.executable:
        words[0] = "python"
    if words[:3] == ["python", "-m", "crm_whatsapp.app.cli"]:
        words = ["crm-whatsapp", *words[3:]]
    words = [str(Path(w).relative_to(HERE.parent)) if w.startswith(str(HERE)) else w for w in words]
    hidden = ("SECRET", "TOKEN", "MEDIA_URL", "GRAPH_API_URL")
    variables = [
        f"{k}={v}"
        for k, v in sorted((env or {}).items())
        if k.startswith("CRM_WHATSAPP_") and not any(h in k for h in hidden)
    ]
    return " ".join([*variables, *(shlex.quote(w) for w in words)])


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    cpu: CpuClock
    """Seconds of CPU its processes used so far."""


@dataclass
class Shared:
    """What lives for the whole run: the fake Graph API, the two references and the bodies
    they get (the same in every round: a reference stores one row per body, whatever it
    holds)."""

    processes: Processes
    fake: Process
    references: dict[str, Target]
    reference_mix: Mix
    commands: list[str]
    run_id: str
    taken: set[str]
    """Every customer number used so far: a new customer is new."""

    @property
    def log(self) -> Path:
        """wrk's output, every run."""
        return self.processes.directory / "wrk.log"


def start_shared(plan: Plan, processes: Processes, rng: Random) -> Shared:
    fake_port = free_port()
    command = [*CLI, "fake-graph-api", "--port", str(fake_port), *FAKE_PACE, "--seed", "7"]
    fake = processes.start("fake-graph-api", command, base_env(), fake_port)
    commands = [shown(command)]
    references = {}
    for synchronous in REFERENCES:
        port = free_port()
        name = f"reference-{synchronous.lower()}"
        command = [sys.executable, str(HERE / "reference_webhook.py"), "--port", str(port)]
        command += ["--database", f"{name}.db", "--synchronous", synchronous]
        env = base_env() | {"CRM_WHATSAPP_APP_SECRET": APP_SECRET}
        process = processes.start(name, command, env, port)
        references[synchronous] = Target(f"reference {synchronous}", process.url, process.cpu)
        commands.append(shown(command))
        wait_ready(process)
    wait_ready(fake, text="listening on")
    per_thread = math.ceil(REFERENCE_RATE * plan.seconds * MARGIN / plan.connections)
    taken: set[str] = set()
    wa_ids = distinct_wa_ids(rng, outbound_needed(per_thread, plan.connections), taken)
    mix = write_mix(
        processes.directory / "reference-mix",
        rng,
        distinct_wa_ids(rng, plan.customers, taken),
        [Outbound(new_wamid(w), w, BUSINESS_NUMBERS[0]) for w in wa_ids],
        threads=plan.connections,
        per_thread=per_thread,
    )
    return Shared(processes, fake, references, mix, commands, secrets.token_hex(4), taken)


@dataclass
class Service:
    """One configuration's processes: the server first, then its workers."""

    server: Process
    workers: list[Process]
    database_url: str
    prefix: str

    @property
    def all(self) -> list[Process]:
        return [self.server, *self.workers]

    def cpu(self) -> float:
        return sum(p.cpu() for p in self.all)

    def ingest(self) -> tuple[int, int]:
        """(pending deliveries, open quarantine) from ``GET /api/v1/salud-canal``, the
        operators' view (``/ready`` answers only its status)."""
        answer = httpx.get(
            self.server.url + "/api/v1/salud-canal",
            headers={"Authorization": f"Bearer {API_TOKEN}"},
            timeout=30,
        )
        answer.raise_for_status()
        health = answer.json()
        return int(health["pending_deliveries"]), int(health["quarantine_open"])


def service_env(
    plan: Plan, config: Config, shared: Shared, database_url: str, prefix: str
) -> dict[str, str]:
    env = base_env() | {
        "CRM_WHATSAPP_DATABASE_URL": database_url,
        "CRM_WHATSAPP_APP_SECRET": APP_SECRET,
        "CRM_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "CRM_WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "CRM_WHATSAPP_API_TOKENS": API_TOKEN,
        "CRM_WHATSAPP_GRAPH_API_URL": shared.fake.url,
        "CRM_WHATSAPP_MEDIA_URL": str(shared.processes.directory / f"media-{config.key}"),
        "CRM_WHATSAPP_LOG_LEVEL": "WARNING",
    }
    if config.backend == "postgresql":
        env["CRM_WHATSAPP_TABLE_PREFIX"] = prefix
    if not config.ingest_in_process:
        env["CRM_WHATSAPP_INGEST_IN_PROCESS"] = "false"
    if not config.outbox_in_process:
        env["CRM_WHATSAPP_OUTBOX_IN_PROCESS"] = "false"
    return env


def start_service(plan: Plan, config: Config, shared: Shared) -> tuple[Service, list[str]]:
    processes = shared.processes
    if config.backend == "sqlite":
        url = f"sqlite:///{processes.directory / f'service-{config.key}.db'}"
        prefix = "crm_whatsapp_"
        shown_url = f"sqlite:///service-{config.key}.db"
    else:
        assert plan.postgres_url is not None
        url, prefix, shown_url = (
            plan.postgres_url,
            f"bench{shared.run_id}{config.key}_",
            plan.postgres_url,
        )
    env = service_env(plan, config, shared, url, prefix)
    port = free_port()
    command = [*CLI, "serve", "--port", str(port)]
    server = processes.start(f"serve-{config.key}", command, env, port)
    commands = [shown(command, env | {"CRM_WHATSAPP_DATABASE_URL": shown_url})]
    wait_ready(server, "/health")
    workers = []
    for n in range(config.workers):
        workers.append(processes.start(f"worker-{config.key}{n + 1}", [*CLI, "worker"], env))
        commands.append(shown([*CLI, "worker"], env | {"CRM_WHATSAPP_DATABASE_URL": shown_url}))
    for worker in workers:
        wait_ready(worker, text="sending from")
    return Service(server, workers, url, prefix), commands


def drop_tables(url: str, prefix: str) -> int:
    """Drop every table whose name starts with ``prefix``; how many are left after."""
    like = prefix.replace("_", r"\_") + "%"
    query = text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE :p"
    )
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for name in list(connection.execute(query, {"p": like}).scalars()):
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            return len(list(connection.execute(query, {"p": like}).scalars()))
    finally:
        engine.dispose()


# -- the backlog -----------------------------------------------------------------------------


@contextlib.contextmanager
def watching(service: Service) -> Iterator[list[int]]:
    """Polls the backlog every POLL_SECONDS while the block runs; yields [most seen]."""
    most = [0]
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(POLL_SECONDS):
            with contextlib.suppress(httpx.HTTPError):
                most[0] = max(most[0], service.ingest()[0])

    thread = threading.Thread(target=poll, name="backlog-poller", daemon=True)
    thread.start()
    try:
        yield most
    finally:
        stop.set()
        thread.join(10)


def drain(service: Service, timeout: float) -> tuple[float | None, int]:
    """Seconds until nothing is pending (None: not within ``timeout``), and the most seen."""
    began = time.monotonic()
    most = 0
    while time.monotonic() - began < timeout:
        pending, _ = service.ingest()
        most = max(most, pending)
        if pending == 0:
            return time.monotonic() - began, most
        time.sleep(0.1)
    return None, most


# -- the rounds ------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the service acknowledged: the bodies answered 2xx, by what they carry."""

    inbound: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)
    """wamid -> the furthest status acknowledged (index in STATUSES)."""

    def add(self, mix: Mix, run: WrkRun) -> None:
        for items, acked in zip(mix.items, run.acked, strict=True):
            for index in acked:
                item = items[index]
                if item.kind == "inbound":
                    self.inbound.add(item.wamid)
                else:
                    rank = STATUSES.index(item.kind)
                    self.statuses[item.wamid] = max(rank, self.statuses.get(item.wamid, -1))


def measure(number: int, target: Target, mix: Mix, seconds: int, log: Path) -> Round:
    """One wrk run against ``target``, with its CPU and the whole machine's."""
    cpu_before, busy_before = target.cpu(), machine_busy()
    run = run_wrk(target.url + "/webhook", mix, seconds, log)
    cpu_after, busy_after = target.cpu(), machine_busy()
    busy = None
    if busy_before is not None and busy_after is not None:
        total = busy_after[1] - busy_before[1]
        if total:
            busy = (busy_after[0] - busy_before[0]) / total * (os.cpu_count() or 1)
    return Round(number, target.name, run, cpu_after - cpu_before, busy)


def seed_outbound(
    service: Service, rng: Random, customers: Sequence[str], count: int, timeout: float
) -> list[Outbound]:
    """``count`` messages the business sent from the WhatsApp Business app, as echo
    webhooks, each to one of ``customers`` in turn; returns once they are processed."""
    outbound = []
    for i in range(count):
        wa_id = customers[i % len(customers)]
        outbound.append(Outbound(new_wamid(wa_id), wa_id, BUSINESS_NUMBERS[0]))
    with httpx.Client(timeout=30) as client:
        for start in range(0, count, ECHOES_PER_BODY):
            body = echoes_body(rng, outbound[start : start + ECHOES_PER_BODY])
            answer = client.post(
                service.server.url + "/webhook", content=body, headers=signed_headers(body)
            )
            answer.raise_for_status()
    seconds, _ = drain(service, timeout)
    if seconds is None:
        raise RuntimeError(f"the service did not process {count} echoes in {timeout:g} s")
    return outbound


def run_config(plan: Plan, config: Config, shared: Shared, rng: Random) -> ConfigResult:
    """Start the configuration, warm it up, seed it, run the six rounds, time replies,
    check the database; its processes stopped (and its PostgreSQL tables dropped) after."""
    directory = shared.processes.directory
    threads = plan.connections
    customers = distinct_wa_ids(rng, plan.customers, shared.taken)
    service, commands = start_service(plan, config, shared)
    result = ConfigResult(config, commands)
    ledger = Ledger()
    seeded: list[Outbound] = []

    def seed(count: int) -> list[Outbound]:
        began = time.monotonic()
        pool = seed_outbound(service, rng, customers, count, plan.drain_timeout)
        result.seed_seconds += time.monotonic() - began
        seeded.extend(pool)
        log_line(f"({config.key}) seeded {count:,} echoes in {time.monotonic() - began:.1f} s")
        return pool

    def mix_of(pool: Sequence[Outbound], per_thread: int) -> Mix:
        return write_mix(
            directory / "mix", rng, customers, pool, threads=threads, per_thread=per_thread
        )

    try:
        log_line(f"({config.key}) started")
        per_thread = math.ceil(plan.warmup_rate * plan.warmup * MARGIN / threads)
        mix = mix_of(seed(outbound_needed(per_thread, threads)), per_thread)
        result.warmup = service_round(
            0, service, mix, seconds=plan.warmup, plan=plan, ledger=ledger
        )
        log_line(f"({config.key}) warm-up: {result.warmup.run.rate:,.0f} requests/s")
        # The rounds' bodies follow the warm-up's pace, with room: a cold service is
        # slower, and so is one on a machine that was busier during the warm-up.
        margin = ROUND_MARGIN * (2 if plan.quick else 1)
        expected = max(result.warmup.run.rate, plan.warmup_rate / 4) * margin
        per_thread = math.ceil(expected * plan.seconds / threads)
        pool = seed(2 * outbound_needed(per_thread, threads))
        pools = [pool[: len(pool) // 2], pool[len(pool) // 2 :]]
        fake_before = len(fake_requests(shared))
        for number, name in enumerate(
            ("NORMAL", "FULL", "service", "service", "FULL", "NORMAL"), 1
        ):
            log_line(f"({config.key}) round {number}: {name}")
            if name == "service":
                mix = mix_of(pools.pop(0), per_thread)
                measured = service_round(
                    number, service, mix, seconds=plan.seconds, plan=plan, ledger=ledger
                )
            else:
                reference = shared.references[name]
                measured = measure(
                    number, reference, shared.reference_mix, plan.seconds, shared.log
                )
            result.rounds.append(measured)
        result.checked.replies_in_rounds = len(fake_requests(shared)) - fake_before
        log_line(f"({config.key}) inbound-to-reply, {plan.rate:g} messages/s")
        result.latency = reply_latency(plan, service, shared, rng)
        check(result, service, ledger, seeded)
        log_line(f"({config.key}) checked")
    finally:
        shared.processes.stop(service.all)
        log_line(f"({config.key}) stopped")
        if config.backend == "postgresql" and plan.postgres_url:
            left = drop_tables(plan.postgres_url, service.prefix)
            if left:
                result.failures.append(f"{left} tables with prefix {service.prefix} left behind")
    return result


def service_round(
    number: int, service: Service, mix: Mix, *, seconds: int, plan: Plan, ledger: Ledger
) -> Round:
    """A round against the service, then its backlog drained; what it acknowledged goes
    to ``ledger``."""
    log = service.server.log.parent / "wrk.log"
    target = Target("service", service.server.url, service.cpu)
    with watching(service) as most:
        measured = measure(number, target, mix, seconds, log)
    drained, seen = drain(service, plan.drain_timeout)
    measured.max_backlog = max(most[0], seen)
    measured.drain = drained
    ledger.add(mix, measured.run)
    return measured


def reached(status: str | None, rank: int) -> bool:
    """Whether a message's stored status is at least ``STATUSES[rank]``."""
    return status in STATUSES and STATUSES.index(status) >= rank


def check(
    result: ConfigResult, service: Service, ledger: Ledger, seeded: Sequence[Outbound]
) -> None:
    """The database against what was acknowledged, and the quarantine."""
    failures, checked = result.failures, result.checked
    for r in [result.warmup, *result.rounds]:
        if r is None:
            continue
        if r.run.non_2xx or r.run.errors:
            failures.append(
                f"round {r.number} ({r.target}): {r.run.non_2xx} answers not 2xx, "
                f"socket errors {r.run.socket_errors}"
            )
        if r.target == "service" and r.drain is None:
            failures.append(f"round {r.number}: the backlog did not drain in time")
    database = Database(service.database_url, prefix=service.prefix)
    try:
        messages = database.tables.messages
        query = select(messages.c.direction, messages.c.wamid, messages.c.delivery_status)
        inbound: set[str] = set()
        outbound: dict[str, str | None] = {}
        with database.reader.connect() as connection:
            for row in connection.execute(query):
                if row.direction == "inbound":
                    inbound.add(row.wamid)
                elif row.wamid is not None:
                    outbound[row.wamid] = row.delivery_status
    finally:
        database.dispose()
    checked.inbound_acked = len(ledger.inbound)
    checked.inbound_missing = len(ledger.inbound - inbound)
    checked.seeded = len(seeded)
    checked.seeded_missing = sum(1 for m in seeded if m.wamid not in outbound)
    checked.statuses_acked = len(ledger.statuses)
    checked.statuses_missing = sum(
        1 for wamid, rank in ledger.statuses.items() if not reached(outbound.get(wamid), rank)
    )
    checked.quarantined = service.ingest()[1]
    if checked.inbound_missing:
        failures.append(f"{checked.inbound_missing} acknowledged inbound messages are not stored")
    if checked.seeded_missing:
        failures.append(f"{checked.seeded_missing} echoed messages are not stored")
    if checked.statuses_missing:
        failures.append(f"{checked.statuses_missing} acknowledged statuses are not applied")
    if checked.quarantined:
        failures.append(f"{checked.quarantined} items in the quarantine")


# -- inbound-to-reply ------------------------------------------------------------------------


def fake_requests(shared: Shared) -> list[dict[str, object]]:
    answer = httpx.get(shared.fake.url + "/__requests", timeout=60)
    answer.raise_for_status()
    found: list[dict[str, object]] = answer.json()
    return found


def reply_latency(plan: Plan, service: Service, shared: Shared, rng: Random) -> Latency:
    """The open loop, then the fake's requests until every acknowledged message has its
    reply accepted (at most ``plan.reply_wait``), and ``plan.quiet`` more for doubles."""
    httpx.delete(shared.fake.url + "/__requests", timeout=30).raise_for_status()
    newcomers = distinct_wa_ids(rng, max(1, round(plan.rate * plan.latency_seconds)), shared.taken)
    payloads = []
    for i, wa_id in enumerate(newcomers):
        body = inbound_body(rng, wa_id, BUSINESS_NUMBERS[i % plan.numbers])
        payloads.append(Payload(wa_id, body, signed_headers(body)))
    sent = asyncio.run(open_loop(payloads, service.server.url + "/webhook", plan.rate))
    expected = {to for to, status in sent.answered.items() if 200 <= status < 300}

    def accepted() -> dict[str, list[dict[str, object]]]:
        """The sends the fake accepted (200; not a 130429), by recipient, oldest first."""
        found: dict[str, list[dict[str, object]]] = {}
        for request in fake_requests(shared):
            body = request.get("body")
            to = body.get("to") if isinstance(body, dict) else None
            if to in expected and request.get("response_status") == 200:
                found.setdefault(str(to), []).append(request)
        return found

    deadline = time.monotonic() + plan.reply_wait
    while len(accepted()) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.25)
    time.sleep(plan.quiet)  # a second copy would show by now
    replies = accepted()
    first = {to: min(rs, key=lambda r: float(str(r["received_at"]))) for to, rs in replies.items()}
    return Latency(
        sent=sent,
        expected=len(expected),
        to_fake=[float(str(r["received_at"])) - sent.sent_at[to] for to, r in first.items()],
        to_answer=[float(str(r["answered_at"])) - sent.sent_at[to] for to, r in first.items()],
        duplicates=sum(len(rs) - 1 for rs in replies.values()),
        numbers=plan.numbers,
    )


# -- the report ------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    return "—" if seconds is None or math.isnan(seconds) else f"{seconds * 1000:.1f}"


STARTED = time.monotonic()


def log_line(line: str) -> None:
    """Progress on stderr, with the seconds since the start."""
    print(f"[{time.monotonic() - STARTED:6.1f} s] {line}", file=sys.stderr, flush=True)


def print_config(plan: Plan, result: ConfigResult) -> None:
    config = result.config
    print(f"\n### ({config.key}) {config.label}\n")
    for command in result.commands:
        print(f"    {command}")
    print(
        f"\nSeeded {result.checked.seeded:,} outbound messages (echoes) in "
        f"{result.seed_seconds:.1f} s; warm-up {plan.warmup} s per target; rounds of "
        f"{plan.seconds} s, {plan.connections} connections\n"
    )
    print(
        "| round | target | requests | requests/s | p50 ms | p99 ms | non-2xx | socket errors "
        "| wrk CPU (of a core) | target CPU ms/request | machine busy (cores) "
        "| max backlog | drained in s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in result.rounds:
        run = r.run
        wrapped = f" ({run.wrapped} wraps)" if run.wrapped else ""
        backlog = f"{r.max_backlog:,}" if r.target == "service" else ""
        drained = (
            ""
            if r.target != "service"
            else ("not drained" if r.drain is None else f"{r.drain:.1f}")
        )
        cpu = r.target_cpu / run.requests * 1000 if run.requests else math.nan
        busy = "—" if r.busy is None else f"{r.busy:.2f}"
        print(
            f"| {r.number} | {r.target}{wrapped} | {run.requests:,} | {run.rate:,.0f} "
            f"| {ms(run.p50)} | {ms(run.p99)} | {run.non_2xx} | {run.errors} "
            f"| {run.cpu / run.seconds:.0%} | {cpu:.2f} | {busy} | {backlog} | {drained} |"
        )
    c = result.checked
    print(
        f"\nAcknowledged and stored: {c.inbound_acked - c.inbound_missing:,} / "
        f"{c.inbound_acked:,} inbound messages; statuses applied to "
        f"{c.statuses_acked - c.statuses_missing:,} / {c.statuses_acked:,} messages; "
        f"quarantine {c.quarantined}; replies sent during the rounds {c.replies_in_rounds} "
        "(warm-up included)"
    )
    if result.latency is not None:
        print_latency(plan, result.latency)


def print_latency(plan: Plan, latency: Latency) -> None:
    sent = latency.sent
    print(
        f"\nInbound-to-reply: {plan.rate:g} messages/s for {plan.latency_seconds:g} s, each "
        f"from a new customer, over {latency.numbers} business numbers; the fake at Meta's "
        "pace\n"
    )
    print(
        "| messages | webhook non-2xx | webhook p50 / p99 ms | replies / acknowledged "
        "| duplicates | to the fake p50 ms | p99 ms | max ms | to its answer p50 ms | p99 ms "
        "| generator's worst lag ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(sent.latencies):,} | {sent.errors} | {ms(percentile(sent.latencies, 0.5))} / "
        f"{ms(percentile(sent.latencies, 0.99))} | {len(latency.to_fake):,} / "
        f"{latency.expected:,} | {latency.duplicates} | {ms(percentile(latency.to_fake, 0.5))} "
        f"| {ms(percentile(latency.to_fake, 0.99))} | {ms(max(latency.to_fake, default=math.nan))} "
        f"| {ms(percentile(latency.to_answer, 0.5))} | {ms(percentile(latency.to_answer, 0.99))} "
        f"| {ms(sent.max_lag)} |"
    )


def verdict(ratio: float) -> str:
    if ratio >= STRETCH:
        return "meets the stretch target"
    return "meets the target" if ratio >= TARGET else "below the target"


def print_summary(plan: Plan, results: Sequence[ConfigResult]) -> None:
    print(f"\n## Summary (target: service / reference NORMAL ≥ {TARGET}, stretch {STRETCH})\n")
    print(
        "| configuration | service requests/s | p50 / p99 ms (worse round) | reference NORMAL "
        "| reference FULL | service / NORMAL | service / FULL | max backlog | drain s "
        f"| inbound stored / acked | reply p50 / p99 ms at {plan.rate:g}/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        service = r.of("service")
        normal, full = r.rate("reference NORMAL"), r.rate("reference FULL")
        rate = r.rate("service")
        p50 = max((x.run.p50 for x in service), default=math.nan)
        p99 = max((x.run.p99 for x in service), default=math.nan)
        drains = [x.drain for x in service]
        drain = "not drained" if None in drains else f"{max(d or 0 for d in drains):.1f}"
        c = r.checked
        reply = "—"
        if r.latency is not None:
            to_fake = r.latency.to_fake
            reply = f"{ms(percentile(to_fake, 0.5))} / {ms(percentile(to_fake, 0.99))}"
        print(
            f"| ({r.config.key}) {r.config.label} | {rate:,.0f} | {ms(p50)} / {ms(p99)} "
            f"| {normal:,.0f} | {full:,.0f} | **{rate / normal:.2f}** ({verdict(rate / normal)}) "
            f"| {rate / full:.2f} | {max((x.max_backlog for x in service), default=0):,} | {drain} "
            f"| {c.inbound_acked - c.inbound_missing:,} / {c.inbound_acked:,} | {reply} |"
        )
    every = [x for r in results for x in r.rounds]
    wrk_share = max((x.run.cpu / x.run.seconds for x in every), default=math.nan)
    per_request = sum(x.run.cpu for x in every) / max(1, sum(x.run.requests for x in every))
    service_best = max((r.rate("service") for r in results), default=math.nan)
    normal_best = max((r.rate("reference NORMAL") for r in results), default=math.nan)
    print(
        f"\nLoad generator: {wrk_version()}, {plan.connections} threads of one connection each, "
        f"{LUA_SCRIPT.name}. It used at most {wrk_share:.0%} of one core in a round "
        f"({per_request * 1e6:.0f} µs of CPU per request), and with the same generator the "
        f"reference NORMAL took {normal_best:,.0f} requests/s against the service's best "
        f"{service_best:,.0f}: wrk is not what limits the service."
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Load average at the end: {load}")


def parse_options(argv: Sequence[str] | None = None) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1-second rounds (the test suite)")
    parser.add_argument("--configs", default=None, help="some of a,b,c,d (default: all)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CRM_WHATSAPP_TEST_POSTGRES_URL"),
        help="for c and d (default $CRM_WHATSAPP_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--seconds", type=int, default=None, help="per round (10; quick 1)")
    parser.add_argument("--connections", type=int, default=32, help="wrk's, one per thread (32)")
    parser.add_argument("--customers", type=int, default=None, help="senders (1000; quick 200)")
    parser.add_argument("--rate", type=float, default=100.0, help="inbound-to-reply messages/s")
    parser.add_argument(
        "--latency-seconds", type=float, default=None, help="inbound-to-reply (10; quick 1)"
    )
    parser.add_argument("--numbers", type=int, default=2, help="business numbers (2, at most 4)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--logs", type=Path, default=None, help="copy the processes' logs here")
    o = parser.parse_args(argv)
    if not Path(WRK).exists():
        parser.error(f"{WRK} is missing: apt-get install wrk")
    keys = [k.strip() for k in (o.configs or ("a,b" if o.quick else "a,b,c,d")).split(",")]
    if not keys or set(keys) - set(CONFIGS):
        parser.error("--configs takes some of a,b,c,d")
    skipped = ""
    if o.postgres_url is None and any(CONFIGS[k].backend == "postgresql" for k in keys):
        if o.configs:
            parser.error("c and d need --postgres-url (or $CRM_WHATSAPP_TEST_POSTGRES_URL)")
        keys = [k for k in keys if CONFIGS[k].backend == "sqlite"]
        skipped = "c and d (PostgreSQL) left out: no --postgres-url"
    seconds = o.seconds or (1 if o.quick else 10)
    if (
        seconds < 1
        or o.connections < 1
        or o.rate <= 0
        or not 1 <= o.numbers <= len(BUSINESS_NUMBERS)
    ):
        parser.error("--seconds, --connections and --rate must be positive, --numbers 1 to 4")
    return Plan(
        configs=tuple(CONFIGS[k] for k in keys),
        skipped=skipped,
        seconds=seconds,
        warmup=1 if o.quick else 3,
        warmup_rate=2000.0 if o.quick else 5000.0,
        connections=o.connections,
        customers=o.customers or (200 if o.quick else 1000),
        rate=o.rate,
        latency_seconds=o.latency_seconds or (1.0 if o.quick else 10.0),
        numbers=o.numbers,
        postgres_url=o.postgres_url,
        drain_timeout=60.0 if o.quick else 300.0,
        reply_wait=20.0 if o.quick else 60.0,
        quiet=0.5 if o.quick else 2.0,
        seed=o.seed,
        logs=o.logs,
        quick=o.quick,
    )


@contextlib.contextmanager
def terminated_on_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so that the ``finally`` blocks stop the processes."""
    import signal  # noqa: PLC0415

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_options(argv)
    rng = Random(plan.seed)
    results: list[ConfigResult] = []
    failures: list[str] = []
    with terminated_on_sigterm(), tempfile.TemporaryDirectory(prefix="webhook-ingest-") as tmp:
        processes = Processes(Path(tmp))
        try:
            log_line("starting the fake Graph API and the references")
            shared = start_shared(plan, processes, rng)
            print(f"# Webhook ingest\n\nMachine: {machine(plan, Path(tmp))}\n")
            if plan.skipped:
                print(f"{plan.skipped}\n")
            print("Started for the whole run (in a temporary directory):\n")
            for command in shared.commands:
                print(f"    {command}")
            for name, reference in shared.references.items():
                pragmas = httpx.get(reference.url + "/pragmas", timeout=30).json()
                settings = ", ".join(f"{k}={v}" for k, v in pragmas.items())
                print(f"    (reference {name}: {settings})")
            print(
                f"\nLoad: WEBHOOK_BODIES=<dir> WEBHOOK_RESULT=<file> wrk -t{plan.connections} "
                f"-c{plan.connections} -d{plan.seconds}s --timeout 30s -s "
                f"benchmarks/{LUA_SCRIPT.name} http://127.0.0.1:<port>/webhook"
            )
            if not plan.quick:
                log_line("warming up the references")
                for reference in shared.references.values():
                    measure(0, reference, shared.reference_mix, plan.warmup, shared.log)
            for config in plan.configs:
                log_line(f"configuration ({config.key}): {config.label}")
                result = run_config(plan, config, shared, rng)
                results.append(result)
                print_config(plan, result)
                failures += [f"({config.key}) {f}" for f in result.failures]
            stored = {
                name: int(httpx.get(t.url + "/count", timeout=30).json())
                for name, t in shared.references.items()
            }
        finally:
            processes.stop_all()
            if plan.logs is not None:
                plan.logs.mkdir(parents=True, exist_ok=True)
                for process in processes.started:
                    shutil.copy(process.log, plan.logs / process.log.name)
                shutil.copy(Path(tmp) / "wrk.log", plan.logs / "wrk.log")
    print_summary(plan, results)
    for name, rows in stored.items():
        acked = sum(
            sum(len(a) for a in r.run.acked)
            for result in results
            for r in result.rounds
            if r.target == f"reference {name}"
        )
        print(f"reference {name}: {rows:,} rows stored, {acked:,} acknowledged in the rounds")
        if rows < acked:
            failures.append(f"reference {name} stored {rows} rows but acknowledged {acked}")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: every process was stopped", file=sys.stderr)
        sys.exit(130)
