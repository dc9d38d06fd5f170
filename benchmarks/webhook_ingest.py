"""How fast the service takes in Meta's webhooks next to the least any receiver does, and how
soon a customer's message has its reply on the way to Meta.

Starts, as separate processes on 127.0.0.1: the service (``crm-whatsapp serve``: SQLite,
one uvicorn worker, the outbox in process sending to the fake Graph API), the fake Graph API
(``crm-whatsapp fake-graph-api``), and the reference receiver (``reference_webhook.py``:
signature, ``json.loads``, one SQLite row, same durability settings). A fourth process
generates the load with ``httpx.AsyncClient``; every request is a realistic text-message
webhook with a unique wamid, signed before the timed phases start.

Phase 1, throughput: a closed loop (N connections, each sends its next request as soon as
the last one is answered) for ``--duration`` seconds per target, split into two rounds in
the order reference, service, service, reference so that neither always goes first or
last; before the rounds each target gets a short warm-up, and before every round the
service's outbox is left to drain. Senders come from a pool of ``--customers`` numbers, so
conversations are reused. Prints requests/s, p50 and p99 latency, errors and server CPU per
request for each round and each target, and the ratio service/reference of requests/s.

Phase 2, inbound-to-reply: an open loop at ``--rate`` messages/s for ``--duration``
seconds against the service, every message from a new number; the fake Graph API stamps
each request it receives with ``time.time()`` (``received_at``), and a reply is matched to
its message by recipient (``to``). Prints p50/p99 from sending the webhook to the reply
arriving at the fake, replies received / messages answered 2xx, and replies that went out
twice (an outbox pass that fails after sending sends again when its lease runs out).

    python benchmarks/webhook_ingest.py [--quick] [--duration S] [--connections N]
                                        [--rate R] [--customers N] [--seed N] [--logs DIR]

Exit code 1 if a request failed (non-2xx or no answer), a stored count differs from the
answered one, or a reply never reached the fake Graph API (within 30 s; 15 s in ``--quick``)
or reached it twice; the figures themselves never fail. ``--logs DIR`` keeps the servers'
logs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import math
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from random import Random
from typing import Any

import httpx
from sqlalchemy import func, select

from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (
    customer_text_webhook_body,
    new_wamid,
)
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign

HERE = Path(__file__).resolve().parent
LOOPBACK = "127.0.0.1"
APP_SECRET = "bench-app-secret-4f9d"
VERIFY_TOKEN = "bench-verify-token"
ACCESS_TOKEN = "EAAG-bench-access-token"
API_TOKEN = "bench-api-token"
PHONE_NUMBER_ID = "106540352242922"

TARGET = 0.5
STRETCH = 0.7
MAX_RATE = 4000
"""Requests/s no target is expected to reach: sizes the pre-signed payloads (a round that
uses them all stops early and says so)."""
START_TIMEOUT = 60.0
DRAIN_TIMEOUT = 60.0
SEND_TIMEOUT = 30.0


@dataclass(frozen=True)
class Plan:
    duration: float
    """Phase 1: seconds per target (two rounds of half); phase 2: seconds at ``rate``."""
    warmup: float
    connections: int
    rate: float
    customers: int
    seed: int
    reply_wait: float
    """Most seconds to wait after phase 2 for replies still on their way."""
    logs: Path | None = None


# -- what customers write ------------------------------------------------------------------

TEXTS = (
    "Hola, buenas tardes",
    "¿Cuál es el precio del envío a Monterrey?",
    "Quisiera saber si tienen la talla mediana en existencia",
    "Mi pedido no ha llegado, ¿me ayudan por favor?",
    "¿A qué hora abren el sábado?",
    "Necesito factura, ¿qué datos les paso?",
    "¿Aceptan pago con tarjeta de crédito?",
    "Quiero cambiar la dirección de entrega",
    "¿Cuánto tarda la entrega a Guadalajara?",
    "¿Hay descuento por mayoreo?",
    "Ya hice la transferencia, les mando el comprobante",
    "Perfecto, muchas gracias",
    "¿Dónde está mi paquete? Ya pasaron cinco días",
    "¿Me pueden enviar el catálogo con precios?",
    "¿Tienen envíos a Córdoba?",
    "Quería consultar por un pedido que hice el martes",
    "¿Aceptan Mercado Pago o solo transferencia?",
    "¿El precio incluye IVA?",
    "Buenas, ¿tenéis envío a Valencia?",
    "El paquete llegó dañado, ¿qué hago?",
    "¿Siguen teniendo el modelo azul? Lo vi en su página y me encantó 😍",
    "Buen día, quisiera cotizar 12 piezas para mi negocio en Mérida",
)
"""No opt-out, opt-in or hand-off keyword: every message goes through the bot's rules."""
NAMES = (
    "José", "María", "Ana", "Luis", "Sofía", "Jesús", "Verónica", "Martín", "Lucía",
    "Iñaki", "Begoña", "Néstor", "Ramón", "Florencia", "Agustín", "Tomás", "Mónica",
)  # fmt: skip


def random_wa_id(rng: Random) -> str:
    """A WhatsApp id as Meta sends it: Mexico (half with the old mobile 1), Argentina,
    Colombia, Spain."""
    country = rng.choices(("MX", "AR", "CO", "ES"), (50, 20, 15, 15))[0]
    if country == "MX":
        area = rng.choice(("55", "33", "81", "222", "998"))
        national = (
            area + str(rng.randint(2, 9)) + "".join(rng.choices("0123456789", k=9 - len(area)))
        )
        return ("521" if rng.random() < 0.5 else "52") + national
    if country == "AR":
        return "54911" + str(rng.randint(2, 9)) + "".join(rng.choices("0123456789", k=7))
    if country == "CO":
        return "573" + "".join(rng.choices("0123456789", k=9))
    return "346" + "".join(rng.choices("0123456789", k=8))


def distinct_wa_ids(rng: Random, count: int, taken: set[str]) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        wa_id = random_wa_id(rng)
        if wa_id not in taken:
            taken.add(wa_id)
            found.append(wa_id)
    return found


@dataclass(frozen=True, slots=True)
class Payload:
    wa_id: str
    body: bytes
    headers: dict[str, str]


def build_payloads(rng: Random, senders: Sequence[str], wamids: set[str]) -> list[Payload]:
    """One signed webhook per sender (in that order), each with a wamid never used before."""
    names = {wa_id: rng.choice(NAMES) for wa_id in dict.fromkeys(senders)}
    now = int(time.time())
    payloads = []
    for wa_id in senders:
        wamid = new_wamid(wa_id)
        while wamid in wamids:
            wamid = new_wamid(wa_id)
        wamids.add(wamid)
        body = json.dumps(
            customer_text_webhook_body(
                wa_id=wa_id,
                text=rng.choice(TEXTS),
                wamid=wamid,
                timestamp=now,
                phone_number_id=PHONE_NUMBER_ID,
                profile_name=names[wa_id],
            ),
            ensure_ascii=False,
        ).encode()
        headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(body, APP_SECRET)}
        payloads.append(Payload(wa_id, body, headers))
    return payloads


# -- the load generator (its own process) -------------------------------------------------


@dataclass
class ClosedResult:
    """One closed-loop round against one target."""

    latencies: list[float]
    """Seconds, one per answered or failed request."""
    errors: int
    elapsed: float
    generator_cpu: float
    """Seconds of CPU the load generator used in the round."""
    ran_out: bool
    statuses: dict[int, int]


@dataclass
class OpenResult:
    """Phase 2: what was sent when, and how the webhook answered."""

    sent_at: dict[str, float]
    """Recipient (the sender's wa_id) -> ``time.time()`` when its webhook was sent."""
    answered: dict[str, int]
    """Recipient -> the webhook's answer status (0: none)."""
    latencies: list[float]
    errors: int
    statuses: dict[int, int]
    max_lag: float
    """Most seconds a send started after its schedule: the generator keeping up or not."""


class Generator:
    """The generator's state: payloads built once, so that both targets get the same ones
    in the same order (each target has a cursor of its own into the list)."""

    def __init__(self, plan: Plan) -> None:
        rng = Random(plan.seed)
        taken: set[str] = set()
        customers = distinct_wa_ids(rng, plan.customers, taken)
        count = math.ceil(MAX_RATE * (plan.duration + plan.warmup))
        wamids: set[str] = set()
        self.closed = build_payloads(rng, [rng.choice(customers) for _ in range(count)], wamids)
        newcomers = distinct_wa_ids(rng, math.ceil(plan.rate * plan.duration), taken)
        self.open = build_payloads(rng, newcomers, wamids)
        self.cursors: dict[str, int] = {}

    def closed_loop(self, name: str, url: str, seconds: float, connections: int) -> ClosedResult:
        start = self.cursors.get(name, 0)
        result, used = asyncio.run(closed_loop(self.closed, start, url, seconds, connections))
        self.cursors[name] = start + used
        return result


async def closed_loop(
    payloads: Sequence[Payload], start: int, url: str, seconds: float, connections: int
) -> tuple[ClosedResult, int]:
    """Each connection is a client of its own that holds one keep-alive connection: one
    shared pool of N connections costs the generator more CPU per request as N grows."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cursor = start
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(limits=limits, timeout=SEND_TIMEOUT))
            for _ in range(connections)
        ]

        async def connection(client: httpx.AsyncClient) -> None:
            nonlocal cursor
            while time.perf_counter() < deadline and cursor < len(payloads):
                payload = payloads[cursor]
                cursor += 1
                before = time.perf_counter()
                status = await post(client, url, payload)
                latencies.append(time.perf_counter() - before)
                statuses[status] = statuses.get(status, 0) + 1

        cpu, began = time.process_time(), time.perf_counter()
        deadline = began + seconds
        await asyncio.gather(*(connection(client) for client in clients))
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    errors = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    ran_out = cursor >= len(payloads)
    return ClosedResult(latencies, errors, elapsed, cpu, ran_out, statuses), cursor - start


async def open_loop(payloads: Sequence[Payload], url: str, rate: float) -> OpenResult:
    sent_at: dict[str, float] = {}
    answered: dict[str, int] = {}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    max_lag = 0.0
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=SEND_TIMEOUT) as client:

        async def send(payload: Payload, due: float) -> None:
            nonlocal max_lag
            max_lag = max(max_lag, time.perf_counter() - due)
            sent_at[payload.wa_id] = time.time()
            before = time.perf_counter()
            status = await post(client, url, payload)
            latencies.append(time.perf_counter() - before)
            statuses[status] = statuses.get(status, 0) + 1
            answered[payload.wa_id] = status

        tasks = []
        began = time.perf_counter() + 0.05
        for i, payload in enumerate(payloads):
            due = began + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(send(payload, due)))
        await asyncio.gather(*tasks)
    errors = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    return OpenResult(sent_at, answered, latencies, errors, statuses, max_lag)


async def post(client: httpx.AsyncClient, url: str, payload: Payload) -> int:
    """The answer's status, 0 if there was none."""
    try:
        response = await client.post(url, content=payload.body, headers=payload.headers)
    except httpx.HTTPError:
        return 0
    return response.status_code


def generator_process(channel: Connection, plan: Plan) -> None:
    """Serve commands from the main process until it says stop (or goes away)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    generator = Generator(plan)
    channel.send("ready")
    while True:
        try:
            command, *arguments = channel.recv()
        except EOFError:
            return
        if command == "closed":
            channel.send(generator.closed_loop(*arguments))
        elif command == "open":
            url, rate = arguments
            channel.send(asyncio.run(open_loop(generator.open, url, rate)))
        else:
            return


class LoadGenerator:
    def __init__(self, plan: Plan) -> None:
        context = multiprocessing.get_context("spawn")
        self._channel, child = context.Pipe()
        self._process = context.Process(
            target=generator_process, args=(child, plan), name="load-generator", daemon=True
        )
        self._process.start()
        child.close()
        if not self._channel.poll(START_TIMEOUT) or self._channel.recv() != "ready":
            raise RuntimeError("the load generator did not start")

    def closed_loop(self, name: str, url: str, seconds: float, connections: int) -> ClosedResult:
        self._channel.send(("closed", name, url, seconds, connections))
        result: ClosedResult = self._channel.recv()
        return result

    def open_loop(self, url: str, rate: float) -> OpenResult:
        self._channel.send(("open", url, rate))
        result: OpenResult = self._channel.recv()
        return result

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._channel.send(("stop",))
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._channel.close()


# -- the servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM if this script is killed outright (no orphans)."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the process so far (Linux ``/proc``), None elsewhere."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Servers:
    """Every process this run starts; ``stop_all`` ends each one, whatever happened."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Server] = []

    def start(self, name: str, command: list[str], env: dict[str, str], port: int) -> Server:
        log = self.directory / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - no threads run yet
            )
        server = Server(name, process, port, log)
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            if server.process.poll() is None:
                server.process.terminate()
        for server in self.started:
            try:
                server.process.wait(10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(5)


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}


def wait_ready(server: Server, health_path: str | None) -> None:
    """Until the port accepts connections (and ``health_path`` answers 200, if given)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited early:\n{server.log_tail()}")
        try:
            if health_path is None:
                with socket.create_connection((LOOPBACK, server.port), timeout=1):
                    return
            elif httpx.get(server.url + health_path, timeout=1).status_code == 200:
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not become ready in time:\n{server.log_tail()}")


def start_servers(servers: Servers) -> tuple[Server, Server, Server]:
    """The fake Graph API, the service and the reference; ready when this returns."""
    python = sys.executable
    cli = [python, "-m", "crm_whatsapp.app.cli"]
    fake_port, service_port, reference_port = free_port(), free_port(), free_port()
    fake = servers.start(
        "fake-graph-api", [*cli, "fake-graph-api", "--port", str(fake_port)], base_env(), fake_port
    )
    service_env = base_env() | {
        "CRM_WHATSAPP_DATABASE_URL": f"sqlite:///{servers.directory / 'svc.db'}",
        "CRM_WHATSAPP_APP_SECRET": APP_SECRET,
        "CRM_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "CRM_WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "CRM_WHATSAPP_API_TOKENS": API_TOKEN,
        "CRM_WHATSAPP_GRAPH_API_URL": f"http://{LOOPBACK}:{fake_port}",
        "CRM_WHATSAPP_LOG_LEVEL": "WARNING",
    }
    service = servers.start(
        "service", [*cli, "serve", "--port", str(service_port)], service_env, service_port
    )
    reference = servers.start(
        "reference",
        [
            python,
            str(HERE / "reference_webhook.py"),
            "--port",
            str(reference_port),
            "--database",
            str(servers.directory / "reference.db"),
        ],
        base_env() | {"CRM_WHATSAPP_APP_SECRET": APP_SECRET},
        reference_port,
    )
    wait_ready(fake, None)
    wait_ready(service, "/health")
    wait_ready(reference, None)
    return fake, service, reference


def replies(fake: Server) -> list[dict[str, Any]]:
    """The messages requests the fake Graph API received (read receipts included)."""
    answer = httpx.get(fake.url + "/__requests", timeout=30)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


def wait_for_outbox(fake: Server, quiet: float) -> int:
    """Until no request has reached the fake for ``quiet`` seconds (the service's outbox
    has sent what it had queued), at most DRAIN_TIMEOUT; the number received so far."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    count, since = len(replies(fake)), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(quiet / 4)
        now_count = len(replies(fake))
        if now_count != count:
            count, since = now_count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return count


# -- the phases ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (any order); NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Round:
    target: str
    number: int
    result: ClosedResult
    server_cpu: float | None

    @property
    def requests(self) -> int:
        return len(self.result.latencies)


@dataclass
class Throughput:
    rounds: list[Round] = field(default_factory=list)
    warmups: dict[str, ClosedResult] = field(default_factory=dict)
    replies_sent: int = 0

    def of(self, target: str) -> list[Round]:
        return [r for r in self.rounds if r.target == target]

    def rate(self, target: str) -> float:
        rounds = self.of(target)
        return sum(r.requests for r in rounds) / sum(r.result.elapsed for r in rounds)

    def errors(self) -> int:
        """Failed requests, warm-up included."""
        results = [*self.warmups.values(), *(r.result for r in self.rounds)]
        return sum(result.errors for result in results)

    def cpu_per_request(self, target: str) -> float | None:
        """Seconds of the server's CPU per request over its rounds; None without /proc."""
        rounds = self.of(target)
        cpus = [r.server_cpu for r in rounds]
        if any(cpu is None for cpu in cpus):
            return None
        return sum(cpu or 0.0 for cpu in cpus) / sum(r.requests for r in rounds)

    def answered(self, target: str) -> int:
        """Requests answered 200, warm-up included: what the target must have stored."""
        results = [self.warmups[target], *(r.result for r in self.of(target))]
        return sum(result.statuses.get(200, 0) for result in results)


ORDER = (("reference", 1), ("service", 1), ("service", 2), ("reference", 2))


def phase_throughput(
    plan: Plan, generator: LoadGenerator, fake: Server, targets: dict[str, Server]
) -> Throughput:
    results = Throughput()
    quiet = 0.5 if plan.duration < 5 else 1.5
    for name in ("reference", "service"):
        log(f"warm-up: {name}, {plan.warmup:g} s")
        results.warmups[name] = generator.closed_loop(
            name, targets[name].url + "/webhook", plan.warmup, plan.connections
        )
    for name, number in ORDER:
        wait_for_outbox(fake, quiet)
        server = targets[name]
        cpu_before = server.cpu_seconds()
        result = generator.closed_loop(
            name, server.url + "/webhook", plan.duration / 2, plan.connections
        )
        cpu_after = server.cpu_seconds()
        cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        results.rounds.append(Round(name, number, result, cpu))
        log(f"{name} round {number}: {len(result.latencies) / result.elapsed:,.0f} requests/s")
    results.replies_sent = wait_for_outbox(fake, quiet)
    return results


@dataclass
class ReplyLatency:
    sent: OpenResult
    latencies: list[float]
    expected: int
    duplicates: int
    """Replies beyond the first to the same customer: the bot answered a message twice."""

    @property
    def received(self) -> int:
        return len(self.latencies)


def phase_reply_latency(
    plan: Plan, generator: LoadGenerator, fake: Server, service: Server
) -> ReplyLatency:
    httpx.delete(fake.url + "/__requests", timeout=30).raise_for_status()
    log(f"inbound-to-reply: {plan.rate:g} messages/s for {plan.duration:g} s")
    sent = generator.open_loop(service.url + "/webhook", plan.rate)
    expected = {to for to, status in sent.answered.items() if 200 <= status < 300}
    deadline = time.monotonic() + plan.reply_wait
    while True:
        arrived: dict[str, float] = {}
        duplicates = 0
        for request in replies(fake):
            to = (request.get("body") or {}).get("to")
            if to in arrived:
                duplicates += 1
            elif to in expected:
                arrived[to] = float(request["received_at"])
        if len(arrived) == len(expected) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    latencies = [arrived[to] - sent.sent_at[to] for to in arrived]
    return ReplyLatency(sent, latencies, len(expected), duplicates)


# -- checks and the report -----------------------------------------------------------------


def stored_counts(directory: Path, reference: Server) -> tuple[int, int]:
    """Inbound messages in the service's database, rows in the reference's."""
    database = Database(f"sqlite:///{directory / 'svc.db'}")
    try:
        messages = database.tables.messages
        with database.reader.connect() as connection:
            service = connection.execute(
                select(func.count()).select_from(messages).where(messages.c.direction == "inbound")
            ).scalar_one()
    finally:
        database.dispose()
    rows = httpx.get(reference.url + "/count", timeout=30).json()
    return int(service), int(rows)


def error_cell(statuses: dict[int, int]) -> str:
    """``0``, or the count of failed requests by status (``0``: no answer)."""
    failed = {status: n for status, n in sorted(statuses.items()) if not 200 <= status < 300}
    if not failed:
        return "0"
    detail = ", ".join(f"{status or 'no answer'}: {n}" for status, n in failed.items())
    return f"{sum(failed.values())} ({detail})"


def merged(results: Sequence[ClosedResult]) -> dict[int, int]:
    statuses: dict[int, int] = {}
    for result in results:
        for status, n in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return statuses


def ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def machine(reference: Server) -> str:
    pragmas = httpx.get(reference.url + "/pragmas", timeout=10).json()
    return (
        f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"httpx {httpx.__version__}; reference SQLite: journal_mode={pragmas['journal_mode']} "
        f"synchronous={pragmas['synchronous']} busy_timeout={pragmas['busy_timeout']}"
    )


def print_throughput(plan: Plan, results: Throughput) -> None:
    print(
        f"\nPhase 1: throughput, closed loop, {plan.connections} connections, "
        f"{plan.duration / 2:g} s per round, order reference, service, service, reference "
        f"(after {plan.warmup:g} s of warm-up each)\n"
    )
    print(
        "| target | round | requests | requests/s | p50 ms | p99 ms | errors "
        "| server CPU ms/request | generator CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for round_ in sorted(results.rounds, key=lambda r: (r.target != "reference", r.number)):
        result = round_.result
        cpu = (
            "—"
            if round_.server_cpu is None
            else f"{round_.server_cpu / round_.requests * 1000:.2f}"
        )
        note = " (payloads ran out)" if result.ran_out else ""
        print(
            f"| {round_.target} | {round_.number}{note} | {round_.requests:,} "
            f"| {round_.requests / result.elapsed:,.0f} | {ms(percentile(result.latencies, 0.5))} "
            f"| {ms(percentile(result.latencies, 0.99))} | {error_cell(result.statuses)} | {cpu} "
            f"| {result.generator_cpu / result.elapsed:.0%} |"
        )
    for name in ("reference", "service"):
        rounds = results.of(name)
        latencies = [x for r in rounds for x in r.result.latencies]
        per_request = results.cpu_per_request(name)
        cpu = "—" if per_request is None else f"{per_request * 1000:.2f}"
        print(
            f"| **{name}** | both | {len(latencies):,} | {results.rate(name):,.0f} "
            f"| {ms(percentile(latencies, 0.5))} | {ms(percentile(latencies, 0.99))} "
            f"| {error_cell(merged([r.result for r in rounds]))} | {cpu} | |"
        )
    ratio = results.rate("service") / results.rate("reference")
    verdict = (
        "meets the stretch target"
        if ratio >= STRETCH
        else "meets the target"
        if ratio >= TARGET
        else "below the target"
    )
    print(
        f"\nratio service/reference (requests/s): {ratio:.2f} — target ≥ {TARGET} "
        f"(stretch {STRETCH}): {verdict}"
    )
    service_cpu = results.cpu_per_request("service")
    reference_cpu = results.cpu_per_request("reference")
    if service_cpu is not None and reference_cpu is not None:
        print(
            f"server CPU per request: service {service_cpu * 1000:.2f} ms, reference "
            f"{reference_cpu * 1000:.2f} ms ({service_cpu / reference_cpu:.1f}×)"
        )
    sent = results.replies_sent
    print(f"replies the service's outbox sent to the fake Graph API in phase 1: {sent:,}")


def print_reply_latency(plan: Plan, result: ReplyLatency) -> None:
    sent = result.sent
    print(
        f"\nPhase 2: inbound-to-reply, open loop at {plan.rate:g} messages/s for "
        f"{plan.duration:g} s, each message from a new number\n"
    )
    print(
        "| messages | webhook errors | webhook p50 ms | webhook p99 ms | replies received / 2xx "
        "| duplicate replies | inbound-to-reply p50 ms | p99 ms | max ms "
        "| generator's worst lag ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(sent.latencies):,} | {error_cell(sent.statuses)} "
        f"| {ms(percentile(sent.latencies, 0.5))} "
        f"| {ms(percentile(sent.latencies, 0.99))} | {result.received:,} / {result.expected:,} "
        f"| {result.duplicates} "
        f"| {ms(percentile(result.latencies, 0.5))} | {ms(percentile(result.latencies, 0.99))} "
        f"| {ms(max(result.latencies, default=math.nan))} | {ms(sent.max_lag)} |"
    )


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def parse_options(argv: Sequence[str] | None = None) -> Plan:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per phase, 50 messages/s")
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds per target and for phase 2 (10)"
    )
    parser.add_argument("--connections", type=int, default=16, help="phase 1 (16)")
    parser.add_argument("--rate", type=float, default=None, help="phase 2 messages/s (200)")
    parser.add_argument("--customers", type=int, default=500, help="phase 1 senders (500)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--logs", type=Path, default=None, help="copy the servers' logs here")
    options = parser.parse_args(argv)
    duration = options.duration or (2.0 if options.quick else 10.0)
    rate = options.rate or (50.0 if options.quick else 200.0)
    if duration <= 0 or rate <= 0 or options.connections < 1 or options.customers < 1:
        parser.error("--duration, --rate, --connections and --customers must be positive")
    return Plan(
        duration=duration,
        warmup=0.5 if options.quick else 1.0,
        connections=options.connections,
        rate=rate,
        customers=options.customers,
        seed=options.seed,
        reply_wait=15.0 if options.quick else 30.0,
        logs=options.logs,
    )


@contextlib.contextmanager
def terminated_on_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so that the ``finally`` blocks stop the servers."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_options(argv)
    failures: list[str] = []
    with terminated_on_sigterm(), tempfile.TemporaryDirectory(prefix="webhook-ingest-") as tmp:
        servers = Servers(Path(tmp))
        generator: LoadGenerator | None = None
        try:
            log("starting the fake Graph API, the service and the reference")
            fake, service, reference = start_servers(servers)
            log("building and signing the payloads")
            generator = LoadGenerator(plan)
            print(f"Webhook ingest: {machine(reference)}")
            throughput = phase_throughput(
                plan, generator, fake, {"reference": reference, "service": service}
            )
            latency = phase_reply_latency(plan, generator, fake, service)
            stored_service, stored_reference = stored_counts(Path(tmp), reference)
        finally:
            if generator is not None:
                generator.stop()
            servers.stop_all()
            if plan.logs is not None:
                plan.logs.mkdir(parents=True, exist_ok=True)
                for server in servers.started:
                    shutil.copy(server.log, plan.logs / server.log.name)
    print_throughput(plan, throughput)
    print_reply_latency(plan, latency)
    answered_service = throughput.answered("service") + latency.sent.statuses.get(200, 0)
    answered_reference = throughput.answered("reference")
    print(
        f"\nstored: service {stored_service:,} inbound messages, reference {stored_reference:,} "
        f"rows (warm-up included; answered 200: {answered_service:,} and {answered_reference:,})"
    )
    if throughput.errors():
        failures.append(f"phase 1: {throughput.errors()} requests failed")
    if latency.sent.errors:
        failures.append(f"phase 2: {latency.sent.errors} requests failed")
    if latency.received < latency.expected:
        failures.append(
            f"phase 2: {latency.expected - latency.received} replies did not reach the fake "
            f"Graph API within {plan.reply_wait:g} s"
        )
    if latency.duplicates:
        failures.append(f"phase 2: {latency.duplicates} replies went out a second time")
    if stored_service != answered_service:
        failures.append(
            f"the service answered 200 {answered_service} times, stored {stored_service}"
        )
    if stored_reference != answered_reference:
        failures.append(
            f"the reference answered 200 {answered_reference} times, stored {stored_reference}"
        )
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: every server was stopped", file=sys.stderr)
        sys.exit(130)
