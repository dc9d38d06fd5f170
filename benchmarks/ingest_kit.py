"""Pieces of ``webhook_ingest.py``: Meta's webhook bodies, the wrk load generator, the
processes on 127.0.0.1 and the open loop that times replies.

Also imported by ``outbox_pace.py`` (through ``webhook_ingest``): ``TEXTS``, ``Payload``,
``OpenResult``, ``post``, ``distinct_wa_ids`` and ``percentile``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import httpx

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (
    StatusContext,
    customer_text_webhook_body,
    new_wamid,
    status_webhook_body,
)
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign

HERE = Path(__file__).resolve().parent
LUA_SCRIPT = HERE / "webhook_ingest.lua"
WRK = "/usr/bin/wrk"
LOOPBACK = "127.0.0.1"
APP_SECRET = "bench-app-secret-4f9d"
VERIFY_TOKEN = "bench-verify-token"
ACCESS_TOKEN = "EAAG-bench-access-token"
API_TOKEN = "bench-api-token-4e7a91c0d2"
BUSINESS_NUMBERS = ("106540352242922", "106540352242923", "106540352242924", "106540352242925")
DISPLAY_NUMBER = "15550783881"
ACCOUNT_ID = "102290129340398"
START_TIMEOUT = 60.0
SEND_TIMEOUT = 30.0

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
BUSINESS_TEXTS = (
    "Claro, le comparto el catálogo en un momento",
    "Su pedido sale mañana por paquetería",
    "Gracias por su compra 🙌",
    "El envío a Monterrey cuesta $150",
    "Sí, tenemos la talla mediana",
)
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


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (any order); NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# -- Meta's bodies -------------------------------------------------------------------------


def encoded(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(body: bytes) -> dict[str, str]:
    return {"content-type": "application/json", SIGNATURE_HEADER: sign(body, APP_SECRET)}


def inbound_body(rng: Random, wa_id: str, number: str, wamid: str | None = None) -> bytes:
    return encoded(
        customer_text_webhook_body(
            wa_id=wa_id,
            text=rng.choice(TEXTS),
            wamid=wamid or new_wamid(wa_id),
            timestamp=int(time.time()),
            phone_number_id=number,
            display_phone_number=DISPLAY_NUMBER,
            business_account_id=ACCOUNT_ID,
            profile_name=rng.choice(NAMES),
        )
    )


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message the business sent: what a status webhook refers to."""

    wamid: str
    wa_id: str
    number: str


def status_body(message: Outbound, status: str) -> bytes:
    """Meta's envelope for one status (sent, delivered, read) of one of our messages."""
    now = int(time.time())
    context = StatusContext(
        wamid=message.wamid,
        phone_number_id=message.number,
        recipient_field="to",
        recipient=message.wa_id,
        is_template=False,
        conversation_id=secrets.token_hex(16),
        sent_at=now,
    )
    return encoded(
        status_webhook_body(
            context,
            status,
            now,
            business_account_id=ACCOUNT_ID,
            display_phone_number=DISPLAY_NUMBER,
        )
    )


def echoes_body(rng: Random, messages: Sequence[Outbound]) -> bytes:
    """``smb_message_echoes``: texts the business sent from the WhatsApp Business app on
    ``messages[0].number``; the service stores each as an outbound message, already sent."""
    now = str(int(time.time()))
    echoes = [
        {
            "from": DISPLAY_NUMBER,
            "to": m.wa_id,
            "id": m.wamid,
            "timestamp": now,
            "type": "text",
            "text": {"body": rng.choice(BUSINESS_TEXTS)},
        }
        for m in messages
    ]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": messages[0].number},
        "message_echoes": echoes,
    }
    change = {"field": "smb_message_echoes", "value": value}
    return encoded(
        {"object": "whatsapp_business_account", "entry": [{"id": ACCOUNT_ID, "changes": [change]}]}
    )


STATUSES = ("sent", "delivered", "read")


@dataclass(frozen=True, slots=True)
class Item:
    """What one body carries: an inbound text (its wamid), or a status of an outbound one."""

    kind: str
    """``inbound`` or one of ``STATUSES``."""
    wamid: str


@dataclass
class Mix:
    """The bodies of one wrk run, one file per thread (``bodies-<n>.txt``, as the Lua
    script reads them): in each thread an inbound text, then three statuses, and again.
    A thread's statuses go through its share of ``outbound`` in order, each message's
    sent, delivered and read one after the other (interleaved with the other threads').
    """

    directory: Path
    items: list[list[Item]]
    """Per thread, what each body carries, in the order the thread sends them."""

    @property
    def bodies(self) -> int:
        return sum(len(thread) for thread in self.items)


def outbound_needed(bodies_per_thread: int, threads: int) -> int:
    statuses = bodies_per_thread - math.ceil(bodies_per_thread / 4)
    return math.ceil(statuses / 3) * threads


def write_mix(
    directory: Path,
    rng: Random,
    customers: Sequence[str],
    outbound: Sequence[Outbound],
    *,
    threads: int,
    per_thread: int,
) -> Mix:
    """``threads`` files of ``per_thread`` bodies; ``outbound`` must hold
    ``outbound_needed(per_thread, threads)`` messages (statuses refer to them), and
    the inbound texts come from ``customers`` in turn, each with a fresh wamid."""
    directory.mkdir(parents=True, exist_ok=True)
    share = outbound_needed(per_thread, threads) // threads
    if len(outbound) < share * threads:
        raise ValueError(f"{len(outbound)} outbound messages for {share * threads} statuses")
    items: list[list[Item]] = []
    customer = 0
    for thread in range(threads):
        mine = outbound[thread * share : (thread + 1) * share]
        kinds: list[Item] = []
        status = 0
        with (directory / f"bodies-{thread}.txt").open("wb") as out:
            for index in range(per_thread):
                if index % 4 == 0:
                    wa_id = customers[customer % len(customers)]
                    customer += 1
                    wamid = new_wamid(wa_id)
                    body = inbound_body(rng, wa_id, BUSINESS_NUMBERS[0], wamid)
                    kinds.append(Item("inbound", wamid))
                else:
                    message, kind = mine[status // 3], STATUSES[status % 3]
                    status += 1
                    body = status_body(message, kind)
                    kinds.append(Item(kind, message.wamid))
                out.write(sign(body, APP_SECRET).encode() + b"\t" + body + b"\n")
        items.append(kinds)
    return Mix(directory, items)


# -- wrk -----------------------------------------------------------------------------------


@dataclass
class WrkRun:
    """One wrk run, as the Lua script's ``done()`` and the kernel tell it."""

    command: list[str]
    seconds: float
    requests: int
    """Answers wrk counted (any status)."""
    p50: float
    p99: float
    """Seconds."""
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    acked: list[list[int]]
    """Per thread, the indexes of the bodies answered 2xx."""
    wrapped: int
    """Times a thread ran out of bodies and started again from its first."""
    cpu: float
    """Seconds of CPU wrk used (user + system)."""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else math.nan

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


def wrk_version() -> str:
    try:
        result = subprocess.run([WRK, "-v"], capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    return (result.stdout or result.stderr).splitlines()[0].split(" Copyright")[0].strip()


def run_wrk(url: str, mix: Mix, seconds: int, log: Path) -> WrkRun:
    """``wrk`` for ``seconds`` with one thread per connection, one connection per file of
    ``mix``; its CPU from ``wait4``."""
    threads = len(mix.items)
    result_path = mix.directory / "result.json"
    command = [
        WRK,
        f"-t{threads}",
        f"-c{threads}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    env = os.environ | {"WEBHOOK_BODIES": str(mix.directory), "WEBHOOK_RESULT": str(result_path)}
    with log.open("ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        popen = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(popen.pid, 0)
        popen.returncode = os.waitstatus_to_exitcode(status)
    if popen.returncode != 0 or not result_path.exists():
        raise RuntimeError(f"wrk failed (exit {popen.returncode}); see {log}")
    data = json.loads(result_path.read_text())
    result_path.unlink()
    per_thread = sorted(data["threads"], key=lambda t: t["thread"])
    statuses: dict[int, int] = {}
    for thread in per_thread:
        for status_code, n in thread["statuses"].items():
            statuses[int(status_code)] = statuses.get(int(status_code), 0) + n
    errors = data["errors"]
    return WrkRun(
        command=command,
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        p50=data["latency_us"]["p50"] / 1e6,
        p99=data["latency_us"]["p99"] / 1e6,
        statuses=statuses,
        socket_errors={k: errors[k] for k in ("connect", "read", "write", "timeout")},
        acked=[t["acked"] for t in per_thread],
        wrapped=sum(t["wrapped"] for t in per_thread),
        cpu=usage.ru_utime + usage.ru_stime,
    )


# -- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if this script is killed outright (no orphans)."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux ``/proc``), None if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float] | None:
    """(busy, total) jiffies of every core so far, from ``/proc/stat``."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    values = [int(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


def fdatasync_cost(directory: Path, tries: int = 200) -> tuple[float, float]:
    """p50 and p99 seconds of ``fdatasync`` after writing 4 KiB over a file's existing
    blocks in ``directory``, as a WAL commit does once the WAL has grown: what a commit
    with ``synchronous=FULL`` pays here, and ``NORMAL`` does not."""
    path = directory / "fdatasync-probe"
    blocks = 64
    times = []
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, os.urandom(4096 * blocks))
        os.fsync(fd)
        for i in range(tries):
            os.pwrite(fd, os.urandom(4096), (i % blocks) * 4096)
            began = time.perf_counter()
            os.fdatasync(fd)
            times.append(time.perf_counter() - began)
    finally:
        os.close(fd)
        path.unlink()
    return percentile(times, 0.5), percentile(times, 0.99)


@dataclass
class Process:
    name: str
    command: list[str]
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(self.popen.pid) or 0.0

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to its process group and wait; SIGKILL if it does not end in time."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)


@dataclass
class Processes:
    """Every process this run starts; ``stop_all`` ends each one, whatever happened."""

    directory: Path
    started: list[Process] = field(default_factory=list)

    def start(
        self, name: str, command: list[str], env: dict[str, str], port: int | None = None
    ) -> Process:
        log = self.directory / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                command,
                env=env,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads run yet
            )
        process = Process(name, command, popen, log, port)
        self.started.append(process)
        return process

    def stop(self, processes: Sequence[Process]) -> None:
        for process in reversed(processes):
            process.stop()

    def stop_all(self) -> None:
        self.stop(self.started)


def wait_ready(process: Process, path: str | None = None, text: str | None = None) -> None:
    """Until the port accepts connections, ``path`` answers 200, or ``text`` is in the log."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited early:\n{process.log_tail()}")
        try:
            if text is not None:
                if text in process.log.read_text(errors="replace"):
                    return
            elif path is None:
                with socket.create_connection((LOOPBACK, process.port or 0), timeout=1):
                    return
            elif httpx.get(process.url + path, timeout=2).status_code == 200:
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not become ready in time:\n{process.log_tail()}")


# -- the open loop (inbound-to-reply) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Payload:
    wa_id: str
    body: bytes
    headers: dict[str, str]


@dataclass
class OpenResult:
    """An open loop: what was sent when, and how the webhook answered."""

    sent_at: dict[str, float]
    """Recipient (the sender's wa_id) -> ``time.time()`` when its webhook was sent."""
    answered: dict[str, int]
    """Recipient -> the webhook's answer status (0: none)."""
    latencies: list[float]
    errors: int
    statuses: dict[int, int]
    max_lag: float
    """Most seconds a send started after its schedule: the generator keeping up or not."""


async def post(client: httpx.AsyncClient, url: str, payload: Payload) -> int:
    """The answer's status, 0 if there was none."""
    try:
        response = await client.post(url, content=payload.body, headers=payload.headers)
    except httpx.HTTPError:
        return 0
    return response.status_code


async def open_loop(payloads: Sequence[Payload], url: str, rate: float) -> OpenResult:
    """Each payload at its time (``rate`` a second), whatever the answers."""
    result = OpenResult({}, {}, [], 0, {}, 0.0)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=SEND_TIMEOUT) as client:

        async def send(payload: Payload, due: float) -> None:
            result.max_lag = max(result.max_lag, time.perf_counter() - due)
            result.sent_at[payload.wa_id] = time.time()
            before = time.perf_counter()
            status = await post(client, url, payload)
            result.latencies.append(time.perf_counter() - before)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.answered[payload.wa_id] = status

        tasks = []
        began = time.perf_counter() + 0.05
        for i, payload in enumerate(payloads):
            due = began + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(send(payload, due)))
        await asyncio.gather(*tasks)
    result.errors = sum(n for s, n in result.statuses.items() if not 200 <= s < 300)
    return result
