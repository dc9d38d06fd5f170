"""Shared pieces of the reliability suite (and of ``benchmarks/soak.py``): signed delivery
storms as Meta sends them, real ``crm-whatsapp`` processes, a load of 16 connections, what
the database holds, and a TCP proxy that can cut the service off from PostgreSQL.

Nothing here knows pytest: a failed wait raises ``AssertionError`` with what was missing, so
the soak benchmark can use the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import create_engine, select, text

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import FakeGraphApiState
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from polling import wait_until

APP_SECRET = "reliability-app-secret-3e1f"
VERIFY_TOKEN = "reliability-verify-token-88"
ACCESS_TOKEN = "EAAG-reliability-access-token-5a2c"
API_TOKEN = "reliability-api-token-19d4"
SECRETS = (APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN, API_TOKEN)
BUSINESS_NUMBER_ID = "106540352242922"
LOOPBACK = "127.0.0.1"
CLI = [sys.executable, "-m", "crm_whatsapp.app.cli"]
SCALE_VARIABLE = "CRM_WHATSAPP_RELIABILITY_SCALE"

T = TypeVar("T")


def scaled(size: int, minimum: int = 10) -> int:
    """``size`` times ``CRM_WHATSAPP_RELIABILITY_SCALE`` (default 1: the CI size)."""
    factor = float(os.environ.get(SCALE_VARIABLE, "1") or 1)
    return max(minimum, round(size * factor))


# -- what Meta delivers ----------------------------------------------------------------------

TEXTS = (
    "Hola, buenas tardes",
    "¿Cuál es el precio del envío a Monterrey?",
    "Mi pedido no ha llegado, ¿me ayudan por favor?",
    "¿Aceptan pago con tarjeta? 💳",
    "Quería consultar por un pedido que hice el martes",
    "Buen día, quisiera cotizar 12 piezas para mi negocio en Mérida",
)
"""No opt-out, opt-in or hand-off keyword: the default bot greets every new customer."""


def cluster_env(
    database_url: str, graph_api_url: str, table_prefix: str, **extra: str
) -> dict[str, str]:
    """``service_env`` for ``Processes.cluster``: the outbox only in the worker processes,
    and tables under a prefix of the caller's own."""
    return service_env(
        database_url,
        graph_api_url,
        CRM_WHATSAPP_TABLE_PREFIX=table_prefix,
        CRM_WHATSAPP_OUTBOX_IN_PROCESS="false",
        **extra,
    )


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    wamid: str
    wa_id: str
    text: str
    timestamp: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST as Meta would make it: the exact bytes, their signature, what they carry."""

    body: bytes
    wamids: tuple[str, ...]
    kind: str
    """``original`` (first copy of its messages), ``resend`` (the same bytes again) or
    ``rebatch`` (messages already delivered, inside a body of a different shape)."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.body, APP_SECRET)}


@dataclass
class Storm:
    deliveries: list[Delivery]
    messages: dict[str, CustomerMessage]
    """Every distinct message by wamid: each from a customer of its own, so a reply at the
    fake Graph API is tied to its message by the recipient."""

    @property
    def duplicates(self) -> int:
        return sum(d.kind != "original" for d in self.deliveries)

    @property
    def wa_ids(self) -> set[str]:
        return {m.wa_id for m in self.messages.values()}

    def wamids_of(self, indexes: Sequence[int]) -> set[str]:
        return {w for i in indexes for w in self.deliveries[i].wamids}


def _value(messages: Sequence[CustomerMessage]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": BUSINESS_NUMBER_ID},
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": m.wa_id} for m in messages],
        "messages": [
            {
                "from": m.wa_id,
                "id": m.wamid,
                "timestamp": str(m.timestamp),
                "type": "text",
                "text": {"body": m.text},
            }
            for m in messages
        ],
    }


def _envelope(entries: list[list[Sequence[CustomerMessage]]]) -> bytes:
    """Entries of changes of messages, as ``{"object": ..., "entry": [...]}`` bytes."""
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [{"field": "messages", "value": _value(c)} for c in changes],
            }
            for changes in entries
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def build_storm(
    deliveries: int, duplicate_share: float = 0.3, seed: int = 7, *, first_customer: int = 0
) -> Storm:
    """``deliveries`` signed POSTs, ``duplicate_share`` of them carrying only messages that
    another POST carries too (half the same bytes again, half the messages re-packed in a
    body of another shape: several changes, two entries), shuffled with ``seed``.

    One original in five holds two or three messages in one change, so there are more
    distinct messages than original bodies.
    """
    if deliveries < 1 or not 0.0 <= duplicate_share < 1.0:
        raise ValueError("deliveries must be positive and duplicate_share in [0, 1)")
    rng = random.Random(seed)
    originals = max(1, round(deliveries * (1 - duplicate_share)))
    now = int(time.time())
    run = uuid.uuid4().hex[:8]
    customer = first_customer
    messages: dict[str, CustomerMessage] = {}
    bodies: list[Delivery] = []
    for _ in range(originals):
        group = []
        for _ in range(rng.choice((2, 3)) if rng.random() < 0.2 else 1):
            wa_id = f"52155{customer:08d}"
            customer += 1
            message = CustomerMessage(f"wamid.rel.{run}.{wa_id}", wa_id, rng.choice(TEXTS), now)
            messages[message.wamid] = message
            group.append(message)
        bodies.append(Delivery(_envelope([[group]]), tuple(m.wamid for m in group), "original"))
    copies: list[Delivery] = []
    for n in range(deliveries - originals):
        if n % 2 == 0:
            copies.append(replace_kind(rng.choice(bodies), "resend"))
            continue
        group = [messages[w] for b in rng.sample(bodies, min(2, len(bodies))) for w in b.wamids]
        rng.shuffle(group)
        split = rng.randint(1, max(1, len(group) - 1))
        entries = [[[m] for m in group[:split]], [[m] for m in group[split:]]]
        body = _envelope([e for e in entries if e])
        copies.append(Delivery(body, tuple(m.wamid for m in group), "rebatch"))
    everything = bodies + copies
    rng.shuffle(everything)
    return Storm(everything, messages)


def replace_kind(delivery: Delivery, kind: str) -> Delivery:
    return Delivery(delivery.body, delivery.wamids, kind)


# -- the load --------------------------------------------------------------------------------

Answer = Callable[[int, int], None]
"""Called with (delivery index, HTTP status or 0 for no answer) as each answer comes."""


def deliver(
    url: str,
    deliveries: Sequence[Delivery],
    *,
    connections: int = 16,
    on_answer: Answer | None = None,
    timeout: float = 30.0,
) -> list[int]:
    """POST every delivery to ``url`` over ``connections`` keep-alive connections at once;
    the status of each (0: no answer: refused, cut, timed out)."""
    return asyncio.run(_deliver(url, deliveries, connections, on_answer, timeout))


async def _deliver(
    url: str,
    deliveries: Sequence[Delivery],
    connections: int,
    on_answer: Answer | None,
    timeout: float,
) -> list[int]:
    statuses = [0] * len(deliveries)
    queue = iter(range(len(deliveries)))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def connection() -> None:
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
            for index in queue:
                delivery = deliveries[index]
                try:
                    response = await client.post(
                        url, content=delivery.body, headers=delivery.headers
                    )
                    statuses[index] = response.status_code
                except httpx.HTTPError:
                    statuses[index] = 0
                if on_answer is not None:
                    on_answer(index, statuses[index])

    await asyncio.gather(*(connection() for _ in range(connections)))
    return statuses


# -- real processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def service_env(database_url: str, graph_api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``crm-whatsapp`` process: our secrets, the database, the fake
    Graph API, fast outbox timings (a retry 50 ms after a failure, a 0.5 s answer timeout,
    claims hidden 5 s), and nothing inherited from the caller's ``CRM_WHATSAPP_*``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    env.update(
        {
            "CRM_WHATSAPP_APP_SECRET": APP_SECRET,
            "CRM_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "CRM_WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
            "CRM_WHATSAPP_API_TOKENS": API_TOKEN,
            "CRM_WHATSAPP_DATABASE_URL": database_url,
            "CRM_WHATSAPP_GRAPH_API_URL": graph_api_url,
            "CRM_WHATSAPP_GRAPH_API_TIMEOUT_SECONDS": "0.5",
            "CRM_WHATSAPP_OUTBOX_POLL_SECONDS": "0.1",
            "CRM_WHATSAPP_OUTBOX_RETRY_SECONDS": "0.05",
            "CRM_WHATSAPP_OUTBOX_MAX_ATTEMPTS": "25",
            "CRM_WHATSAPP_OUTBOX_LEASE_SECONDS": "5",
            "CRM_WHATSAPP_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


@dataclass
class Process:
    """One ``crm-whatsapp`` command in a session of its own (so that ``kill`` reaches the
    uvicorn workers too), its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL to the whole process group: no shutdown code runs anywhere."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait (a graceful stop), SIGKILL if it does not end in time."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):  # orphans of a killed parent
            os.killpg(self.popen.pid, signal.SIGKILL)


class Processes:
    """Every process a test starts, stopped at the end whatever happened."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Process] = []

    def start(
        self, name: str, arguments: Sequence[str], env: dict[str, str], port: int | None = None
    ) -> Process:
        log = self.directory / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [*CLI, *arguments],
                env=env,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log, port)
        self.started.append(process)
        return process

    def serve(self, env: dict[str, str], *, workers: int = 1, port: int | None = None) -> Process:
        """``crm-whatsapp serve`` on a free port (or ``port``), once ``/health`` answers."""
        port = port or free_port()
        arguments = ["serve", "--port", str(port), "--workers", str(workers)]
        process = self.start("serve", arguments, env, port)
        wait_healthy(process)
        return process

    def worker(self, env: dict[str, str]) -> Process:
        """``crm-whatsapp worker`` (the outbox in a process of its own), once it says so."""
        process = self.start("worker", ["worker"], env)
        wait_until(
            lambda: "sending from" in process.log_text() or process.popen.poll() is not None,
            60,
            "the worker to start",
        )
        if process.popen.poll() is not None:
            raise AssertionError(f"the worker exited: {process.log_text()[-2000:]}")
        return process

    def cluster(self, env: dict[str, str]) -> list[Process]:
        """The service as run for load on PostgreSQL: ``serve --workers 2`` (first in the
        list) and two ``crm-whatsapp worker`` processes sending the replies."""
        return [self.serve(env, workers=2), self.worker(env), self.worker(env)]

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()

    def logs(self) -> str:
        return "\n".join(p.log_text() for p in self.started)


def wait_healthy(process: Process, timeout: float = 60.0) -> None:
    def healthy() -> bool:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.name} exited early:\n{process.log_text()[-3000:]}")
        try:
            return httpx.get(process.url + "/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, timeout, f"{process.name} to answer /health")


# -- what reached the fake Graph API -----------------------------------------------------------


def copies_by_recipient(fake: FakeGraphApiState) -> Counter[str]:
    """Messages the fake accepted (Meta would deliver them), counted by recipient; a slow
    answer the client gave up on counts too: Meta may well have sent that one."""
    return Counter(message.recipient for message in fake.accepted())


def wait_for_replies(
    fake: FakeGraphApiState, recipients: set[str], timeout: float, quiet: float = 1.0
) -> Counter[str]:
    """Until every recipient has a copy, then ``quiet`` seconds more so that a wrong second
    copy has time to show; the copies by recipient."""

    def missing() -> set[str]:
        return recipients - set(copies_by_recipient(fake))

    wait_until(
        lambda: not missing(), timeout, f"replies to {len(missing())} customers", interval=0.25
    )
    time.sleep(quiet)
    return copies_by_recipient(fake)


# -- what the database holds -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredReply:
    wa_id: str
    status: str
    attempts: int
    unknown_outcomes: int
    error_code: str | None
    error_title: str | None


@dataclass
class Stored:
    inbound: Counter[str] = field(default_factory=Counter)
    """Stored copies of each customer message, by wamid (the schema allows one)."""
    replies: dict[str, list[StoredReply]] = field(default_factory=dict)
    """The bot's replies by customer wa_id."""

    def replies_with(self, status: str) -> int:
        return sum(r.status == status for rs in self.replies.values() for r in rs)


def silent_doubles(copies: Counter[str], stored: Stored) -> dict[str, tuple[int, int]]:
    """Replies Meta got more often than the service counted: at least once, never silently
    twice. Each copy past the first needs an unknown outcome on the reply: a Graph answer
    later than the timeout, or a claim that found the reply still in flight (its worker
    died or outlived its lease). Copies and unknown outcomes of each such reply."""
    counted = {
        wa_id: sum(reply.unknown_outcomes for reply in replies)
        for wa_id, replies in stored.replies.items()
    }
    return {
        wa_id: (n, counted.get(wa_id, 0))
        for wa_id, n in copies.items()
        if n > 1 + counted.get(wa_id, 0)
    }


def read_stored(database_url: str, prefix: str = "crm_whatsapp_") -> Stored:
    """Every message of the service's tables, read straight from the database."""
    database = Database(database_url, prefix=prefix)
    try:
        messages, conversations = database.tables.messages, database.tables.conversations
        query = select(
            messages.c.direction,
            messages.c.wamid,
            messages.c.delivery_status,
            messages.c.attempts,
            messages.c.unknown_outcomes,
            messages.c.last_error_code,
            messages.c.last_error_title,
            conversations.c.wa_id,
        ).join(conversations, conversations.c.id == messages.c.conversation_id)
        stored = Stored()
        with database.reader.connect() as connection:
            for row in connection.execute(query):
                if row.direction == "inbound":
                    stored.inbound[row.wamid] += 1
                    continue
                reply = StoredReply(
                    row.wa_id,
                    row.delivery_status,
                    row.attempts,
                    row.unknown_outcomes,
                    row.last_error_code,
                    row.last_error_title,
                )
                stored.replies.setdefault(row.wa_id, []).append(reply)
        return stored
    finally:
        database.dispose()


def read_stored_once_sent(
    database_url: str, prefix: str, replies: int, timeout: float = 60.0
) -> Stored:
    """``read_stored`` once ``replies`` replies are recorded sent (or at the timeout). Meta
    may hold a copy of a reply whose outcome is not recorded yet (a slow answer, retried);
    once every reply is recorded sent no further copy can go out, so copies counted after
    this are final."""
    deadline = time.monotonic() + timeout
    stored = read_stored(database_url, prefix)
    while stored.replies_with("sent") < replies and time.monotonic() < deadline:
        time.sleep(0.25)
        stored = read_stored(database_url, prefix)
    return stored


@dataclass(frozen=True)
class Journal:
    """What the webhook's journal holds: the wamids of the messages in its stored bodies,
    and how many bodies the processor had not read yet."""

    wamids: set[str]
    unprocessed: int


def read_journal(database_url: str, prefix: str = "crm_whatsapp_") -> Journal:
    """The delivery journal read straight from the database: an acknowledged webhook is a
    row here before it is a message anywhere else."""
    database = Database(database_url, prefix=prefix)
    try:
        deliveries = database.tables.ingest.deliveries
        wamids: set[str] = set()
        unprocessed = 0
        with database.reader.connect() as connection:
            for row in connection.execute(select(deliveries.c.body, deliveries.c.processed_at)):
                unprocessed += row.processed_at is None
                body = json.loads(bytes(row.body))
                for entry in body["entry"]:
                    for change in entry["changes"]:
                        wamids.update(m["id"] for m in change["value"].get("messages", ()))
        return Journal(wamids, unprocessed)
    finally:
        database.dispose()


def drop_prefixed_tables(url: str, prefix: str) -> None:
    """Drop every table of ``public`` whose name starts with ``prefix`` (a test's own)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            names = connection.execute(
                text(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename LIKE :p"
                ),
                {"p": prefix.replace("_", r"\_") + "%"},
            ).scalars()
            for name in list(names):
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()


@contextlib.contextmanager
def sqlite_write_lock(path: Path) -> Iterator[None]:
    """Another program holding the SQLite file's write lock (``BEGIN EXCLUSIVE``): for the
    service, the database is down for writes until the block ends."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


# -- a TCP proxy that can be cut ---------------------------------------------------------------


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target``; ``cut()`` resets every open connection and
    refuses new ones (the database is unreachable), ``restore()`` accepts again on the same
    port. Threads, not asyncio: it must keep running while a test blocks."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self.cuts = 0

    def __enter__(self) -> TcpProxy:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.port))
        listener.listen(128)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._acceptor is not None:
            self._acceptor.join(5)
        with self._lock:
            sockets, self._open = list(self._open), set()
            self.cuts += 1
        for sock in sockets:  # both pipe threads wake up, and close their sockets
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        """Copy one direction; at its end shut both down (the other direction ends too) and
        close ``source``: each socket is the source of exactly one pipe."""
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open.discard(source)
            source.close()
