"""The outbox at Meta's pace: how many replies a second leave for the Graph API, how long a
customer waits for one, and whether any is lost, doubled or out of order.

Starts, as processes on 127.0.0.1: the fake Graph API (``crm-whatsapp fake-graph-api
--latency-ms 250 --jitter-ms 50 --rate 80``: every answer takes a quarter of a second, and
a business number sending past 80/s gets Meta's 130429) and the service it sends to. Three
scenarios, each with customers of its own (every wa_id new to the service):

``burst``: ``--customers`` new customers (1,000) each write ``--messages`` texts (1) at
once, over ``--connections`` connections (64); a customer's texts go one after the other,
each once the previous one was answered. Replies/s from the first webhook to the last reply
the fake accepted, as a ratio of the number's rate (80/s); the most sends the fake had in
flight at once; 130429 answers; customers left without a reply (lost), replies beyond one
per text (doubles), customers whose replies came in another order than their texts.

``steady``: an open loop at each of ``--steady-rates`` (50 and 100 messages/s) for
``--steady-seconds`` (20): messages leave on schedule whatever the answers, each from a new
customer. Inbound-to-reply p50/p99: from posting the webhook to the fake accepting the
reply (its answer leaving, so Meta's 250 ms are inside). More messages a second than the
business numbers may send (80/s each) make a queue that grows as long as the load lasts:
``--numbers 2`` spreads the customers over two numbers.

``tier``: the upgraded tier, a second fake at ``--tier-rate`` (1,000/s) and the service on
PostgreSQL (``--postgres-url``, tables under a prefix of the run's own, dropped at the end)
as ``serve --workers 2`` plus ``--tier-workers`` (2) ``crm-whatsapp worker`` processes.
``--tier-customers`` (5,000) webhooks are stored while the workers are stopped, then the
workers start: replies/s from the first reply to the last is the outbox's own pace. (Live,
it would measure the webhook ingest instead: four processes on two cores take in ~150
webhooks/s, see ``soak.py``.)

The service runs with its production defaults (poll interval, retries, timeouts), plus
``CRM_WHATSAPP_OUTBOX_CONCURRENCY`` (``--outbox-concurrency``, 64) and
``CRM_WHATSAPP_SEND_RATE`` set to the fake's rate for the business number, and anything
given with ``--service-env KEY=VALUE``. Its bot answers text ``pasoK`` with ``Respuesta
pasoK`` (a rules file of the run's own), so that a reply names the text it answers.

The load generator is this script's process: ``httpx.AsyncClient``, one client per
connection (``--connections``, 64), for the burst and for the open loop alike (one shared
pool of many connections costs several times the CPU per request once requests queue for
it). It prints its CPU per webhook, hence how many webhooks/s it could push on one core,
its share of the time it spent sending, and its worst lag behind the open loop's schedule.
Against the fake alone on a 2-core machine it kept a 300/s schedule within 31 ms (a 100/s
one within 4 ms, at 2 ms of CPU a webhook) and pushed 550-800 webhooks/s in a burst: several
times what the scenarios need.

    python benchmarks/outbox_pace.py            # burst, steady on SQLite; tier on PostgreSQL
    python benchmarks/outbox_pace.py --scenarios burst --customers 200 --messages 3
    python benchmarks/outbox_pace.py --quick    # seconds; the test suite runs this

Waits for replies at most ``--max-wait`` seconds per scenario (600; a slower outbox shows
as replies missing). Exit code 1 if a webhook was not answered 2xx, or a reply is missing,
doubled or out of order; the figures themselves never fail. ``--logs DIR`` keeps the logs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path[:0] = [str(HERE), str(TESTS / "reliability"), str(TESTS)]

from reliability_kit import (  # noqa: E402 - found through the path above
    APP_SECRET,
    BUSINESS_NUMBER_ID,
    Process,
    Processes,
    cluster_env,
    drop_prefixed_tables,
    free_port,
    service_env,
    wait_until,
)
from webhook_ingest import (  # noqa: E402
    TEXTS,
    OpenResult,
    Payload,
    distinct_wa_ids,
    percentile,
    post,
)

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (  # noqa: E402
    customer_text_webhook_body,
    new_wamid,
)
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign  # noqa: E402

SCENARIOS = ("burst", "steady", "tier")
CAP_TARGET, CAP_STRETCH = 0.75, 1.0
P50_TARGET_MS, P50_STRETCH_MS = 400.0, 300.0
TIER_TARGET = 500.0
SEND_TIMEOUT = 60.0
MAX_MESSAGES = 20
PRODUCTION_DEFAULTS = (
    "CRM_WHATSAPP_GRAPH_API_TIMEOUT_SECONDS",
    "CRM_WHATSAPP_OUTBOX_POLL_SECONDS",
    "CRM_WHATSAPP_OUTBOX_RETRY_SECONDS",
    "CRM_WHATSAPP_OUTBOX_MAX_ATTEMPTS",
    "CRM_WHATSAPP_OUTBOX_LEASE_SECONDS",
)
"""``service_env`` speeds these up for the reliability tests; here the service keeps its own."""


@dataclass(frozen=True)
class Plan:
    scenarios: tuple[str, ...]
    customers: int
    messages: int
    connections: int
    latency_ms: float
    jitter_ms: float
    rate: float
    steady_rates: tuple[float, ...]
    steady_seconds: float
    tier_rate: float
    numbers: tuple[str, ...]
    """The business numbers (phone_number_ids) the customers write to, in turn."""
    tier_customers: int
    tier_workers: int
    database: str
    postgres_url: str | None
    outbox_concurrency: int
    service_env: dict[str, str]
    max_wait: float
    quiet: float
    """Seconds to keep watching after the last reply, so that a wrong second copy shows."""
    seed: int
    logs: Path | None


# -- what customers write ------------------------------------------------------------------


def rules_file(directory: Path, messages: int) -> Path:
    """The bot's rules: text ``pasoK`` gets ``Respuesta pasoK``; no flood limit in reach."""
    lines = ['[flood_limit]\nmax_replies = 1000\nwindow = "10m"\n']
    for k in range(1, messages + 1):
        lines.append(
            f'[[rules]]\nname = "paso{k}"\nkeywords = ["paso{k}"]\nreply = "Respuesta paso{k}"\n'
        )
    path = directory / "pace-rules.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def conversations(
    rng: Random, count: int, messages: int, taken: set[str], numbers: Sequence[str]
) -> list[list[Payload]]:
    """``count`` new customers (wa_ids never used in this run), each with ``messages``
    signed text webhooks ``paso1``, ``paso2``, ... to one of ``numbers`` (in turn)."""
    now = int(time.time())
    found = []
    for i, wa_id in enumerate(distinct_wa_ids(rng, count, taken)):
        texts = []
        for k in range(1, messages + 1):
            body = customer_text_webhook_body(
                wa_id=wa_id,
                text=f"paso{k}: {rng.choice(TEXTS)}",
                wamid=new_wamid(wa_id),
                timestamp=now,
                phone_number_id=numbers[i % len(numbers)],
                profile_name="Cliente",
            )
            raw = json.dumps(body, ensure_ascii=False).encode()
            headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(raw, APP_SECRET)}
            texts.append(Payload(wa_id, raw, headers))
        found.append(texts)
    return found


# -- the load ------------------------------------------------------------------------------


@dataclass
class Sent:
    statuses: Counter[int]
    began: float
    """``time.time()`` when the first webhook left."""
    seconds: float
    cpu: float
    """Seconds of this process's CPU spent sending."""

    @property
    def webhooks(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)


async def warm_up(clients: Sequence[httpx.AsyncClient], webhook_url: str) -> None:
    """Each client opens its connection (``GET /health``) before the clock starts, as a
    sender that has been running a while has its connections open."""
    health = webhook_url.rsplit("/", 1)[0] + "/health"
    await asyncio.gather(*(client.get(health) for client in clients), return_exceptions=True)


def burst(url: str, customers: Sequence[Sequence[Payload]], connections: int) -> Sent:
    """Every customer's texts one after the other, ``connections`` customers at a time.

    The clients are made, and connected, before the clock and the CPU count start: making
    one costs milliseconds of TLS setup that a long-running sender pays once."""

    async def run() -> Sent:
        statuses: Counter[int] = Counter()
        queue = iter(customers)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

        async def connection(client: httpx.AsyncClient) -> None:
            for texts in queue:
                for payload in texts:
                    statuses[await post(client, url, payload)] += 1

        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    httpx.AsyncClient(limits=limits, timeout=SEND_TIMEOUT)
                )
                for _ in range(connections)
            ]
            await warm_up(clients, url)
            cpu, began, started = time.process_time(), time.time(), time.perf_counter()
            await asyncio.gather(*(connection(client) for client in clients))
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        return Sent(statuses, began, seconds, cpu)

    return asyncio.run(run())


def steady(
    url: str, payloads: Sequence[Payload], rate: float, connections: int
) -> tuple[OpenResult, Sent]:
    """An open loop: message ``i`` leaves ``i / rate`` seconds after the start whatever
    the answers, on whichever of ``connections`` single-connection clients is free (waiting
    for one counts as lag behind the schedule). One shared httpx pool would cost several
    times the CPU per request once requests queue for its connections."""

    async def run() -> tuple[OpenResult, Sent]:
        result = OpenResult({}, {}, [], 0, {}, 0.0)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    httpx.AsyncClient(limits=limits, timeout=SEND_TIMEOUT)
                )
                for _ in range(connections)
            ]
            await warm_up(clients, url)
            idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
            for client in clients:
                idle.put_nowait(client)

            async def send(payload: Payload, due: float) -> None:
                client = await idle.get()
                try:
                    result.max_lag = max(result.max_lag, time.perf_counter() - due)
                    result.sent_at[payload.wa_id] = time.time()
                    before = time.perf_counter()
                    status = await post(client, url, payload)
                    result.latencies.append(time.perf_counter() - before)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    result.answered[payload.wa_id] = status
                finally:
                    idle.put_nowait(client)

            cpu, began, started = time.process_time(), time.time(), time.perf_counter()
            tasks = []
            for i, payload in enumerate(payloads):
                due = started + i / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.create_task(send(payload, due)))
            await asyncio.gather(*tasks)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        result.errors = sum(n for s, n in result.statuses.items() if not 200 <= s < 300)
        return result, Sent(Counter(result.statuses), began, seconds, cpu)

    return asyncio.run(run())


# -- the fake's view -----------------------------------------------------------------------


def fake_get(url: str, path: str) -> Any:
    answer = httpx.get(url + path, timeout=120)
    answer.raise_for_status()
    return answer.json()


def wait_for_replies(fake_url: str, expected: int, deadline: float, quiet: float) -> None:
    """Until the fake accepted ``expected`` messages since its counters were reset (or the
    deadline passed), then ``quiet`` seconds more."""
    while fake_get(fake_url, "/__stats")["accepted"] < expected and time.monotonic() < deadline:
        time.sleep(0.25)
    time.sleep(quiet)


@dataclass
class Replies:
    """The replies the fake accepted for one scenario's customers."""

    by_customer: dict[str, list[tuple[float, str]]]
    """wa_id -> (accepted_at, text) in the order the fake accepted them."""
    expected: int
    """Texts per customer."""
    stats: dict[str, int]

    @property
    def count(self) -> int:
        return sum(min(len(r), self.expected) for r in self.by_customer.values())

    @property
    def last(self) -> float:
        """When the last reply the scenario waited for was accepted (doubles aside)."""
        counted = (at for r in self.by_customer.values() for at, _ in r[: self.expected])
        return max(counted, default=math.nan)

    @property
    def first(self) -> float:
        return min((at for r in self.by_customer.values() for at, _ in r), default=math.nan)

    @property
    def lost(self) -> int:
        """Customers with fewer replies than texts."""
        return sum(len(r) < self.expected for r in self.by_customer.values())

    @property
    def doubles(self) -> int:
        return sum(max(0, len(r) - self.expected) for r in self.by_customer.values())

    @property
    def out_of_order(self) -> int:
        """Customers whose replies the fake accepted in another order than their texts
        (a double counts as a double, not as disorder)."""
        wanted = [f"Respuesta paso{k}" for k in range(1, self.expected + 1)]
        broken = 0
        for r in self.by_customer.values():
            distinct = list(dict.fromkeys(text for _, text in r))
            broken += distinct != wanted[: len(distinct)]
        return broken


def replies_for(fake_url: str, customers: Sequence[str], expected: int) -> Replies:
    by_customer: dict[str, list[tuple[float, str]]] = {wa_id: [] for wa_id in customers}
    for message in fake_get(fake_url, "/__accepted"):
        found = by_customer.get(message["recipient"])
        if found is not None:
            text = ((message["body"] or {}).get("text") or {}).get("body", "")
            found.append((float(message["accepted_at"]), text))
    for found in by_customer.values():
        found.sort()
    return Replies(by_customer, expected, fake_get(fake_url, "/__stats"))


# -- the processes -------------------------------------------------------------------------


def start_fake(processes: Processes, plan: Plan, rate: float) -> str:
    port = free_port()
    arguments = ["fake-graph-api", "--port", str(port), "--seed", str(plan.seed)]
    arguments += ["--latency-ms", f"{plan.latency_ms:g}", "--jitter-ms", f"{plan.jitter_ms:g}"]
    arguments += ["--rate", f"{rate:g}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    fake = processes.start("fake-graph-api", arguments, env, port)
    wait_until(lambda: "listening on" in fake.log_text(), 60, "the fake Graph API to listen")
    return fake.url


def pace_env(env: dict[str, str], plan: Plan, rate: float, rules: Path) -> dict[str, str]:
    for name in PRODUCTION_DEFAULTS:
        env.pop(name, None)
    env["CRM_WHATSAPP_BOT_RULES_FILE"] = str(rules)
    env["CRM_WHATSAPP_OUTBOX_CONCURRENCY"] = str(plan.outbox_concurrency)
    env["CRM_WHATSAPP_SEND_RATE"] = ",".join(f"{number}={rate:g}" for number in plan.numbers)
    return env | plan.service_env


def start_workers(processes: Processes, env: dict[str, str], count: int) -> list[Process]:
    """Every worker at once (one after the other, the first would drain alone for seconds)."""
    workers = [processes.start("worker", ["worker"], env) for _ in range(count)]
    for worker in workers:
        wait_until(
            lambda w=worker: "sending from" in w.log_text() or w.popen.poll() is not None,
            60,
            "the workers to start",
        )
        if worker.popen.poll() is not None:
            raise AssertionError(f"a worker exited: {worker.log_text()[-2000:]}")
    return workers


# -- the scenarios -------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """A running service and the fake it sends to."""

    setup: str
    fake_url: str
    webhook_url: str
    cap: float
    """The fake's sends/s per number."""


@dataclass
class BurstResult:
    name: str
    setup: str
    customers: int
    sent: Sent
    replies: Replies
    cap: float
    waited_out: bool
    drain: bool = False
    """The tier: replies/s counted from the first reply (the backlog was stored first)."""

    @property
    def seconds(self) -> float:
        start = self.replies.first if self.drain else self.sent.began
        return self.replies.last - start

    @property
    def per_second(self) -> float:
        return self.replies.count / self.seconds if self.seconds > 0 else math.nan


@dataclass
class SteadyResult:
    rate: float
    open: OpenResult
    sent: Sent
    replies: Replies
    latencies: list[float] = field(default_factory=list)


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_service_scenarios(
    plan: Plan, directory: Path, rng: Random, taken: set[str]
) -> tuple[BurstResult | None, list[SteadyResult], str]:
    processes = Processes(directory)
    prefix = f"pace{uuid.uuid4().hex[:8]}_"
    rules = rules_file(directory, plan.messages)
    try:
        fake_url = start_fake(processes, plan, plan.rate)
        if plan.database == "sqlite":
            env = service_env(f"sqlite:///{directory / 'pace.db'}", fake_url)
            setup = "SQLite, serve (1 process, outbox inside)"
        else:
            assert plan.postgres_url is not None
            extra = {"CRM_WHATSAPP_TABLE_PREFIX": prefix}
            env = service_env(plan.postgres_url, fake_url, **extra)
            setup = "PostgreSQL, serve (1 process, outbox inside)"
        service = processes.serve(pace_env(env, plan, plan.rate, rules))
        cap = plan.rate * len(plan.numbers)
        stage = Stage(setup, fake_url, service.url + "/webhook", cap)
        result = None
        if "burst" in plan.scenarios:
            customers = conversations(rng, plan.customers, plan.messages, taken, plan.numbers)
            result = run_burst("burst", plan, stage, customers)
        steadies = []
        for rate in plan.steady_rates if "steady" in plan.scenarios else ():
            count = max(1, round(rate * plan.steady_seconds))
            payloads = [c[0] for c in conversations(rng, count, 1, taken, plan.numbers)]
            steadies.append(run_steady(plan, stage, payloads, rate))
    finally:
        processes.stop_all()
        keep_logs(plan, processes)
        if plan.database == "postgresql" and plan.postgres_url is not None:
            drop_prefixed_tables(plan.postgres_url, prefix)
    return result, steadies, setup


def run_burst(
    name: str,
    plan: Plan,
    stage: Stage,
    customers: list[list[Payload]],
    *,
    start_senders: Callable[[], object] | None = None,
) -> BurstResult:
    """``start_senders``: the outbox is stopped; start it once every webhook is stored."""
    fake_url = stage.fake_url
    httpx.delete(fake_url + "/__stats", timeout=30).raise_for_status()
    texts = sum(len(c) for c in customers)
    log(f"{name}: {len(customers):,} customers, {texts:,} webhooks, {plan.connections} connections")
    sent = burst(stage.webhook_url, customers, plan.connections)
    if start_senders is not None:
        log(f"{name}: backlog stored ({sent.webhooks / sent.seconds:,.0f} webhooks/s); workers")
        start_senders()
    deadline = time.monotonic() + plan.max_wait
    wait_for_replies(fake_url, texts, deadline, plan.quiet)
    wa_ids = [c[0].wa_id for c in customers]
    replies = replies_for(fake_url, wa_ids, plan.messages)
    waited_out = replies.count < texts
    result = BurstResult(
        name,
        stage.setup,
        len(customers),
        sent,
        replies,
        stage.cap,
        waited_out,
        start_senders is not None,
    )
    log(f"{name}: {replies.count:,} replies, {result.per_second:,.1f}/s")
    return result


def run_steady(plan: Plan, stage: Stage, payloads: list[Payload], rate: float) -> SteadyResult:
    fake_url = stage.fake_url
    httpx.delete(fake_url + "/__stats", timeout=30).raise_for_status()
    log(f"steady: {rate:g} messages/s for {plan.steady_seconds:g} s ({len(payloads):,} customers)")
    result, sent = steady(stage.webhook_url, payloads, rate, plan.connections)
    answered = [p.wa_id for p in payloads if 200 <= result.answered.get(p.wa_id, 0) < 300]
    wait_for_replies(fake_url, len(answered), time.monotonic() + plan.max_wait, plan.quiet)
    replies = replies_for(fake_url, [p.wa_id for p in payloads], 1)
    latencies = [
        found[0][0] - result.sent_at[wa_id]
        for wa_id, found in replies.by_customer.items()
        if found and wa_id in result.sent_at
    ]
    return SteadyResult(rate, result, sent, replies, latencies)


def run_tier(plan: Plan, directory: Path, rng: Random, taken: set[str]) -> BurstResult:
    assert plan.postgres_url is not None
    processes = Processes(directory)
    prefix = f"pacetier{uuid.uuid4().hex[:8]}_"
    rules = rules_file(directory, plan.messages)
    workers = plan.tier_workers
    setup = f"PostgreSQL, serve --workers 2 + {workers} worker{'s' * (workers != 1)}"
    try:
        fake_url = start_fake(processes, plan, plan.tier_rate)
        env = cluster_env(plan.postgres_url, fake_url, prefix)
        env = pace_env(env, plan, plan.tier_rate, rules)
        server = processes.serve(env, workers=2)
        cap = plan.tier_rate * len(plan.numbers)
        stage = Stage(setup, fake_url, server.url + "/webhook", cap)
        customers = conversations(rng, plan.tier_customers, plan.messages, taken, plan.numbers)
        return run_burst(
            "tier",
            plan,
            stage,
            customers,
            start_senders=lambda: start_workers(processes, env, workers),
        )
    finally:
        processes.stop_all()
        keep_logs(plan, processes)
        drop_prefixed_tables(plan.postgres_url, prefix)


def keep_logs(plan: Plan, processes: Processes) -> None:
    if plan.logs is None:
        return
    plan.logs.mkdir(parents=True, exist_ok=True)
    for process in processes.started:
        shutil.copy(process.log, plan.logs / process.log.name)


# -- the report ----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:,.0f}"


def verdict(value: float, target: float, stretch: float, *, lower_is_better: bool = False) -> str:
    if math.isnan(value):
        return "not measured"
    meets = (lambda v, t: v <= t) if lower_is_better else (lambda v, t: v >= t)
    if meets(value, stretch):
        return "meets the stretch target"
    return "meets the target" if meets(value, target) else "**below the target**"


def generator_line(sents: Sequence[Sent], what: str) -> str:
    """The generator's CPU per webhook, and its share of the wall time while it sent: far
    below 100%, it was waiting for the service, not the other way round."""
    webhooks = sum(s.webhooks for s in sents)
    cpu, seconds = sum(s.cpu for s in sents), sum(s.seconds for s in sents)
    if not webhooks or cpu <= 0:
        return f"load generator ({what}): nothing sent"
    per = cpu / webhooks
    return (
        f"load generator ({what}): {per * 1000:.2f} ms of CPU per webhook (up to "
        f"~{1 / per:,.0f} webhooks/s on one core), busy {cpu / seconds:.0%} of the "
        f"{seconds:,.1f} s it spent sending {webhooks:,} webhooks"
    )


def print_bursts(plan: Plan, results: Sequence[BurstResult]) -> None:
    print(
        "\n| scenario | service | customers × texts | webhooks/s | replies | replies/s "
        "| cap/s (all numbers) | ratio to cap | sends in flight (max) | 130429 answers | lost "
        "| doubles | out of order |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        replies = r.replies
        counted = "first reply → last reply" if r.drain else "first webhook → last reply"
        waited = f" (waited {plan.max_wait:g} s)" if r.waited_out else ""
        print(
            f"| {r.name} | {r.setup} | {r.customers:,} × {plan.messages} "
            f"| {r.sent.webhooks / r.sent.seconds:,.0f} | {replies.count:,}{waited} "
            f"| {r.per_second:,.1f} ({counted}, {r.seconds:,.1f} s) | {r.cap:g} "
            f"| {r.per_second / r.cap:.2f} | {replies.stats['in_flight_max']:,} "
            f"| {replies.stats['throttled']:,} | {replies.lost:,} | {replies.doubles:,} "
            f"| {replies.out_of_order:,} |"
        )
    for r in results:
        if r.name == "tier":
            line = verdict(r.per_second, TIER_TARGET, r.cap)
            print(f"\ntier: {r.per_second:,.1f} replies/s — target ≥ {TIER_TARGET:g}: {line}")
        else:
            ratio = r.per_second / r.cap
            line = verdict(ratio, CAP_TARGET, CAP_STRETCH)
            print(
                f"\n{r.name}: {ratio:.2f} of the {r.cap:g}/s cap — target ≥ {CAP_TARGET} "
                f"(stretch {CAP_STRETCH}): {line}"
            )


def print_steady(plan: Plan, results: Sequence[SteadyResult], setup: str) -> None:
    print(
        f"\nInbound-to-reply at a steady rate ({setup}), open loop for "
        f"{plan.steady_seconds:g} s, each message from a new customer:\n"
    )
    print(
        "| messages/s | messages | webhook errors | webhook p50 / p99 ms | replies / 2xx "
        "| inbound-to-reply p50 ms | p99 ms | max ms | sends in flight (max) "
        "| 130429 answers | doubles | generator's worst lag ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        answered = sum(1 for s in r.open.answered.values() if 200 <= s < 300)
        print(
            f"| {r.rate:g} | {r.sent.webhooks:,} | {r.sent.errors:,} "
            f"| {ms(percentile(r.open.latencies, 0.5))} / {ms(percentile(r.open.latencies, 0.99))} "
            f"| {len(r.latencies):,} / {answered:,} | {ms(percentile(r.latencies, 0.5))} "
            f"| {ms(percentile(r.latencies, 0.99))} | {ms(max(r.latencies, default=math.nan))} "
            f"| {r.replies.stats['in_flight_max']:,} | {r.replies.stats['throttled']:,} "
            f"| {r.replies.doubles:,} | {ms(r.open.max_lag)} |"
        )
    cap = plan.rate * len(plan.numbers)
    for r in results:
        p50 = percentile(r.latencies, 0.5) * 1000
        line = verdict(p50, P50_TARGET_MS, P50_STRETCH_MS, lower_is_better=True)
        over = (
            f" (above the {cap:g}/s the numbers may send: the queue grows for as long as the "
            "load lasts, and so does the wait)"
            if r.rate > cap
            else ""
        )
        print(
            f"\nat {r.rate:g} messages/s: p50 {p50:,.0f} ms — target ≤ {P50_TARGET_MS:g} ms "
            f"(stretch {P50_STRETCH_MS:g}): {line}{over}"
        )


def failures_of(bursts: Sequence[BurstResult], steadies: Sequence[SteadyResult]) -> list[str]:
    failures = []
    for b in bursts:
        if b.sent.errors:
            failures.append(f"{b.name}: {b.sent.errors} webhooks not answered 2xx")
        if b.replies.lost:
            failures.append(f"{b.name}: {b.replies.lost} customers without every reply")
        if b.replies.doubles:
            failures.append(f"{b.name}: {b.replies.doubles} replies went out twice")
        if b.replies.out_of_order:
            failures.append(f"{b.name}: {b.replies.out_of_order} customers' replies out of order")
    for s in steadies:
        answered = sum(1 for status in s.open.answered.values() if 200 <= status < 300)
        if s.sent.errors:
            failures.append(f"steady {s.rate:g}/s: {s.sent.errors} webhooks not answered 2xx")
        if len(s.latencies) < answered:
            failures.append(f"steady {s.rate:g}/s: {answered - len(s.latencies)} replies missing")
        if s.replies.doubles:
            failures.append(f"steady {s.rate:g}/s: {s.replies.doubles} replies went out twice")
    return failures


def machine() -> str:
    return (
        f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"httpx {httpx.__version__}"
    )


# -- options -------------------------------------------------------------------------------


def parse_options(argv: Sequence[str] | None = None) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="seconds, not minutes: 50 customers × 2 texts, 50 ms latency, 1 s per rate",
    )
    parser.add_argument(
        "--scenarios",
        default=None,
        help="comma-separated, of burst, steady, tier (default all; --quick: burst,steady)",
    )
    parser.add_argument("--customers", type=int, default=None, help="burst customers (1000)")
    parser.add_argument("--messages", type=int, default=None, help="texts per customer (1)")
    parser.add_argument("--connections", type=int, default=64, help="burst connections (64)")
    parser.add_argument("--latency-ms", type=float, default=None, help="the fake's (250)")
    parser.add_argument("--jitter-ms", type=float, default=None, help="± the fake's (50)")
    parser.add_argument("--rate", type=float, default=80.0, help="sends/s per number (80)")
    parser.add_argument("--steady-rates", default=None, help="messages/s, comma-separated")
    parser.add_argument("--steady-seconds", type=float, default=None, help="per rate (20)")
    parser.add_argument("--tier-rate", type=float, default=1000.0, help="tier sends/s (1000)")
    parser.add_argument("--tier-customers", type=int, default=None, help="tier backlog (5000)")
    parser.add_argument("--tier-workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument(
        "--numbers",
        type=int,
        default=1,
        help="business numbers the customers write to, in turn, each with its own rate (1)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="burst and steady (the tier is always PostgreSQL)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CRM_WHATSAPP_TEST_POSTGRES_URL"),
        help="default $CRM_WHATSAPP_TEST_POSTGRES_URL",
    )
    parser.add_argument("--outbox-concurrency", type=int, default=64, help="the service's (64)")
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="more environment for the service (repeatable)",
    )
    parser.add_argument("--max-wait", type=float, default=None, help="seconds (600)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--logs", type=Path, default=None, help="copy the processes' logs here")
    o = parser.parse_args(argv)
    quick = o.quick
    names = o.scenarios or ("burst,steady" if quick else ",".join(SCENARIOS))
    scenarios = tuple(s.strip() for s in names.split(",") if s.strip())
    if not scenarios or set(scenarios) - set(SCENARIOS):
        parser.error(f"--scenarios takes some of {', '.join(SCENARIOS)}")
    if ("tier" in scenarios or o.database == "postgresql") and not o.postgres_url:
        parser.error("PostgreSQL runs need --postgres-url (or $CRM_WHATSAPP_TEST_POSTGRES_URL)")
    rates = o.steady_rates or ("50,100")
    try:
        steady_rates = tuple(float(r) for r in rates.split(","))
    except ValueError:
        parser.error("--steady-rates takes numbers, e.g. 50,100")
    environment = {}
    for item in o.service_env:
        key, equals, value = item.partition("=")
        if not equals or not key.startswith("CRM_WHATSAPP_"):
            parser.error("--service-env takes CRM_WHATSAPP_NAME=value")
        environment[key] = value
    plan = Plan(
        scenarios=scenarios,
        customers=o.customers or (50 if quick else 1000),
        messages=o.messages or (2 if quick else 1),
        connections=o.connections,
        latency_ms=o.latency_ms if o.latency_ms is not None else (50.0 if quick else 250.0),
        jitter_ms=o.jitter_ms if o.jitter_ms is not None else (10.0 if quick else 50.0),
        rate=o.rate,
        steady_rates=steady_rates,
        steady_seconds=o.steady_seconds or (1.0 if quick else 20.0),
        tier_rate=o.tier_rate,
        numbers=tuple(str(int(BUSINESS_NUMBER_ID) + k) for k in range(max(1, o.numbers))),
        tier_customers=o.tier_customers or (200 if quick else 5000),
        tier_workers=o.tier_workers,
        database=o.database,
        postgres_url=o.postgres_url,
        outbox_concurrency=o.outbox_concurrency,
        service_env=environment,
        max_wait=o.max_wait or (30.0 if quick else 600.0),
        quiet=0.5 if quick else 1.5,
        seed=o.seed,
        logs=o.logs,
    )
    positive = (plan.customers, plan.connections, plan.rate, plan.steady_seconds, plan.tier_rate)
    if min(positive) <= 0 or min(plan.steady_rates) <= 0 or plan.tier_customers < 1:
        parser.error("counts, rates and durations must be positive")
    if o.numbers < 1:
        parser.error("--numbers must be at least 1")
    if not 1 <= plan.messages <= MAX_MESSAGES or plan.tier_workers < 1:
        parser.error(f"--messages must be 1 to {MAX_MESSAGES}, --tier-workers at least 1")
    if not 0 <= plan.jitter_ms <= plan.latency_ms:
        parser.error("--jitter-ms must be between 0 and --latency-ms")
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_options(argv)
    rng = Random(plan.seed)
    taken: set[str] = set()
    bursts: list[BurstResult] = []
    steadies: list[SteadyResult] = []
    setup = ""
    with tempfile.TemporaryDirectory(prefix="outbox-pace-") as tmp:
        directory = Path(tmp)
        if {"burst", "steady"} & set(plan.scenarios):
            (directory / "service").mkdir()
            burst_result, steadies, setup = run_service_scenarios(
                plan, directory / "service", rng, taken
            )
            bursts += [burst_result] if burst_result is not None else []
        if "tier" in plan.scenarios:
            (directory / "tier").mkdir()
            bursts.append(run_tier(plan, directory / "tier", rng, taken))
    print(
        f"Outbox pace: {machine()}; fake Graph API latency {plan.latency_ms:g} ± "
        f"{plan.jitter_ms:g} ms, {plan.rate:g} sends/s per number (tier {plan.tier_rate:g}), "
        f"{len(plan.numbers)} business number{'s' * (len(plan.numbers) > 1)}; "
        f"CRM_WHATSAPP_OUTBOX_CONCURRENCY={plan.outbox_concurrency}; seed {plan.seed}"
    )
    if bursts:
        print_bursts(plan, bursts)
    if steadies:
        print_steady(plan, steadies, setup)
    print()
    if bursts:
        print(generator_line([b.sent for b in bursts], f"bursts, {plan.connections} clients"))
    if steadies:
        print(generator_line([s.sent for s in steadies], "open loop"))
    failures = failures_of(bursts, steadies)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
