"""The memory the service holds while it fetches a customer's 100 MiB document and serves it
back: it must stream, not load the file into memory.

Starts, as processes on 127.0.0.1: the fake Graph API (``crm-whatsapp fake-graph-api``) and
the service (``crm-whatsapp serve``: one process, SQLite, the media fetch job in it, a
filesystem media store in a temporary directory, production timings). Each file goes in as
in production: held by the fake as a customer's document (``POST /__media``: a PDF header
and random bytes), announced by a signed webhook, fetched by the service on arrival; the
script polls the API until the message's ``media.status`` is ``stored`` (fetch time: from
posting the webhook to seeing it stored, within the 50 ms of the polling).

Then, through the message's ``media.url`` (the signed link): ``--downloads`` (3) downloads
one after the other, ``--clients`` (4) clients downloading at once, one slow reader at
``--slow-mibs`` (25 MiB/s: the service must wait for it, not read the file ahead into
memory), and a Range request of 1 MiB in the middle of the file (206; ``--ranges`` of them,
5). Every response is streamed (``httpx.Client.stream``, chunks hashed and dropped) and its
sha256 checked; each client is made (and the concurrent ones connected) before the clock
starts.

The service's memory: a thread of this script reads ``/proc/<pid>/status`` every
``--sample-ms`` (20) ms; the peak of each phase is the kernel's ``VmHWM``, reset at the
start of the phase (``/proc/<pid>/clear_refs``), so that no spike between two samples is
missed (the sampled peak is printed beside it when they differ by more than a MiB). Figures
per file: the RSS before the fetch (baseline), the peak during the fetch, the RSS once the
file is stored, the peak while serving (sequential, concurrent) and its difference with the
RSS before serving, and MiB/s.

The same run measures a ``--small-mib`` (1) file beside the ``--size-mib`` (100) one, in
the same service, the small one first (after an unreported warm-up file of 64 KiB that pays
the first request's imports and allocations): the column large/small shows whether the
memory held grows with the file. ``--stores filesystem,s3`` repeats everything with the S3
store against moto's server (``moto_server`` next to the Python running this script, on
127.0.0.1; objects in moto's memory), in a second service process.

    python benchmarks/media_serving.py                      # 100 MiB and 1 MiB, filesystem
    python benchmarks/media_serving.py --stores filesystem,s3
    python benchmarks/media_serving.py --quick              # 8 MiB, seconds; the tests run it

Exit code 1 if a file was not stored, a download's status, length or sha256 was wrong; the
figures themselves never fail. ``--logs DIR`` keeps the processes' logs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import math
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path[:0] = [str(HERE), str(TESTS / "reliability"), str(TESTS / "http"), str(TESTS)]

from http_service_kit import media_webhook, signed  # noqa: E402 - found through the path above
from reliability_kit import (  # noqa: E402
    API_TOKEN,
    APP_SECRET,
    LOOPBACK,
    Process,
    Processes,
    free_port,
    service_env,
)

from crm_whatsapp.adapters.whatsapp.fake_graph_api.customer_media import (  # noqa: E402
    customer_media_message_over_http,
)
from polling import wait_until  # noqa: E402

MIB = 1024 * 1024
API = "/api/v1/conversaciones-whatsapp"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
STORES = ("filesystem", "s3")
WARM_UP_BYTES = 64 * 1024
RANGE_BYTES = MIB
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstream\n"
PDF_TAIL = b"\nendstream\n%%EOF\n"
PRODUCTION_DEFAULTS = (
    "CRM_WHATSAPP_GRAPH_API_TIMEOUT_SECONDS",
    "CRM_WHATSAPP_OUTBOX_POLL_SECONDS",
    "CRM_WHATSAPP_OUTBOX_RETRY_SECONDS",
    "CRM_WHATSAPP_OUTBOX_MAX_ATTEMPTS",
    "CRM_WHATSAPP_OUTBOX_LEASE_SECONDS",
)
"""``service_env`` speeds these up for the reliability tests; here the service keeps its own."""
S3_BUCKET = "media-bench"
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_ALLOW_HTTP": "true",
}
FETCH_TIMEOUT = 120.0
DOWNLOAD_TIMEOUT = 120.0
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Plan:
    size: int
    """Bytes of the large file."""
    small: int
    downloads: int
    clients: int
    slow_mibs: float
    ranges: int
    stores: tuple[str, ...]
    sample_seconds: float
    seed: int
    logs: Path | None


# -- the service's memory ------------------------------------------------------------------


def status_kib(pid: int) -> dict[str, int]:
    """``VmRSS``, ``VmHWM``, ``RssAnon`` ... of ``/proc/<pid>/status``, in KiB."""
    found = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                found[name] = int(value.split()[0])
    return found


class RssSampler:
    """The process's RSS every ``interval`` seconds, in a thread, as (perf_counter, KiB)."""

    def __init__(self, pid: int, interval: float) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.can_reset_peak = self.reset_peak()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = status_kib(self.pid)["VmRSS"]
            except (OSError, KeyError):
                return  # the process is gone
            self.samples.append((time.perf_counter(), rss))
            self._stop.wait(self.interval)

    def reset_peak(self) -> bool:
        """``VmHWM`` back to the current RSS (Linux ≥ 4.0, our own process)."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w", encoding="ascii") as clear:
                clear.write("5")
        except OSError:
            return False
        return True

    def now(self) -> int:
        return status_kib(self.pid)["VmRSS"]

    def settled(self, seconds: float = 0.3) -> int:
        """The RSS after ``seconds`` of quiet (the median of the samples in them)."""
        start = time.perf_counter()
        time.sleep(seconds)
        found = [rss for at, rss in self.samples if at >= start]
        return int(statistics.median(found)) if found else self.now()

    @contextlib.contextmanager
    def phase(self) -> Iterator[Peak]:
        """The peak RSS of the block: ``VmHWM`` reset at its start, and the samples."""
        peak = Peak()
        self.reset_peak()
        start = time.perf_counter()
        try:
            yield peak
        finally:
            end = time.perf_counter()
            within = [(at, rss) for at, rss in self.samples if start <= at <= end]
            peak.sampled = max((rss for _, rss in within), default=0)
            peak.seconds = end - start
            peak.timeline = [(at - start) / (end - start) for at, _ in within]
            peak.rss = [rss for _, rss in within]
            peak.samples = len(within)
            times = [start] + [at for at, _ in within] + [end]
            peak.max_gap = max(b - a for a, b in itertools.pairwise(times))
            high = status_kib(self.pid).get("VmHWM", 0) if self.can_reset_peak else 0
            peak.kib = max(high, peak.sampled)


@dataclass
class Peak:
    kib: int = 0
    """The phase's peak RSS: ``VmHWM`` after a reset, or the highest sample without one."""
    sampled: int = 0
    samples: int = 0
    max_gap: float = 0.0
    seconds: float = 0.0
    timeline: list[float] = field(default_factory=list)
    """When each sample was taken, as a share of the phase (0 to 1)."""
    rss: list[int] = field(default_factory=list)
    """KiB of each sample."""

    def tenths(self) -> list[int | None]:
        """The highest sample in each tenth of the phase (None: no sample in it)."""
        found: list[int | None] = [None] * 10
        for share, rss in zip(self.timeline, self.rss, strict=True):
            k = min(int(share * 10), 9)
            found[k] = max(found[k] or 0, rss)
        return found


# -- a customer's file ---------------------------------------------------------------------


def pdf_bytes(size: int, rng: Random) -> bytes:
    """``size`` bytes that start and end like a PDF, random in between."""
    middle = size - len(PDF_HEAD) - len(PDF_TAIL)
    if middle < 0:
        raise ValueError(f"a file of {size} bytes is too small")
    return PDF_HEAD + rng.randbytes(middle) + PDF_TAIL


@dataclass
class Download:
    status: int
    length: int
    sha256: str
    seconds: float
    first_byte: float
    content_range: str | None = None


def http_client(base_url: str) -> httpx.Client:
    """One client, made before the clock starts (making one costs milliseconds)."""
    return httpx.Client(base_url=base_url, timeout=DOWNLOAD_TIMEOUT)


def download(
    client: httpx.Client,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    pace: float | None = None,
) -> Download:
    """Stream ``url``, hashing and dropping the chunks; at most ``pace`` bytes/s if given
    (a slow reader: the server must wait for it, not read ahead into memory)."""
    digest = hashlib.sha256()
    length = 0
    began = time.perf_counter()
    with client.stream("GET", url, headers=headers) as response:
        first = time.perf_counter() - began
        for chunk in response.iter_bytes():
            digest.update(chunk)
            length += len(chunk)
            if pace is not None:
                time.sleep(max(0.0, began + length / pace - time.perf_counter()))
    seconds = time.perf_counter() - began
    return Download(
        response.status_code,
        length,
        digest.hexdigest(),
        seconds,
        first,
        response.headers.get("content-range"),
    )


# -- the service's view --------------------------------------------------------------------


def api_get(client: httpx.Client, path: str) -> Any:
    answer = client.get(path, headers=AUTH)
    answer.raise_for_status()
    return answer.json()


def find_message(client: httpx.Client, wamid: str) -> dict[str, Any] | None:
    for conversation in api_get(client, API)["items"]:
        for message in api_get(client, f"{API}/{conversation['id']}/mensajes")["items"]:
            if message["wamid"] == wamid:
                return dict(message)
    return None


def settled_media(client: httpx.Client, wamid: str, timeout: float) -> dict[str, Any]:
    """The message once its file is no longer pending (stored or failed)."""

    def settled() -> dict[str, Any] | None:
        message = find_message(client, wamid)
        media = (message or {}).get("media")
        return message if media and media["status"] != "pending" else None

    found = wait_until(settled, timeout, f"the file of {wamid} fetched", interval=POLL_SECONDS)
    assert found is not None
    return found


def lookup_at(fake_url: str, media_id: str) -> float:
    """``time.time()`` when the fake received the first lookup of ``media_id``."""
    answer = httpx.get(fake_url.rstrip("/") + "/__media_requests", timeout=30)
    answer.raise_for_status()
    times = [
        float(r["received_at"])
        for r in answer.json()
        if r.get("endpoint") == "lookup" and r.get("media_id") == media_id
    ]
    return min(times, default=math.nan)


# -- one file, end to end ------------------------------------------------------------------


@dataclass
class FileResult:
    size: int
    stored: bool = False
    error: str | None = None
    baseline: int = 0
    """KiB of RSS before the webhook."""
    fetch_seconds: float = math.nan
    fetch_start_seconds: float = math.nan
    """From posting the webhook to the fake receiving the service's lookup of the file."""
    fetch_peak: Peak = field(default_factory=Peak)
    before_serving: int = 0
    sequential: list[Download] = field(default_factory=list)
    sequential_seconds: float = math.nan
    sequential_peak: Peak = field(default_factory=Peak)
    concurrent: list[Download] = field(default_factory=list)
    concurrent_seconds: float = math.nan
    concurrent_peak: Peak = field(default_factory=Peak)
    slow: Download | None = None
    slow_peak: Peak = field(default_factory=Peak)
    ranges: list[Download] = field(default_factory=list)
    range_bytes: int = 0
    range_peak: Peak = field(default_factory=Peak)
    after: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class Stage:
    name: str
    """What the store is, for the report."""
    service: Process
    fake_url: str
    sampler: RssSampler
    http: httpx.Client
    startup: int = 0
    """KiB of RSS once the service answered /health."""
    warm_up: FileResult | None = None
    files: list[FileResult] = field(default_factory=list)


def measure_file(
    stage: Stage, plan: Plan, size: int, rng: Random, wa_id: str, *, label: str
) -> FileResult:
    """Fetch a new file of ``size`` bytes into the service, then serve it every way."""
    run = FileRun(stage, plan, label, pdf_bytes(size, rng))
    url = run.fetch(wa_id)
    if url is not None:
        run.sequential(url)
        run.concurrent(url)
        run.slow(url)
        run.ranges(url)
        run.result.after = stage.sampler.settled(0.5)
    return run.result


class FileRun:
    """One file's measurements, into ``result``."""

    def __init__(self, stage: Stage, plan: Plan, label: str, content: bytes) -> None:
        self.stage = stage
        self.plan = plan
        self.label = label
        self.content = content
        self.size = len(content)
        self.sha256 = hashlib.sha256(content).hexdigest()
        self.result = FileResult(self.size)

    def fetch(self, wa_id: str) -> str | None:
        """The customer sends the file; its ``media.url`` once stored (None: a failure)."""
        stage, result, label = self.stage, self.result, self.label
        with httpx.Client(timeout=FETCH_TIMEOUT) as fake:
            part = customer_media_message_over_http(
                stage.fake_url,
                self.content,
                "application/pdf",
                kind="document",
                filename=f"contrato-{label}.pdf",
                client=fake,
            )
        wamid = f"wamid.bench.media.{label}.{time.monotonic_ns()}"
        body = media_webhook(wa_id, part, wamid=wamid)
        result.baseline = stage.sampler.settled()
        log(f"{stage.name}: {label}: fetching {self.size / MIB:g} MiB")
        with stage.sampler.phase() as result.fetch_peak:
            began, posted = time.perf_counter(), time.time()
            answer = stage.http.post("/webhook", content=body, headers=signed(body, APP_SECRET))
            if answer.status_code != 200:
                result.failures.append(f"{label}: webhook answered {answer.status_code}")
                return None
            try:
                message = settled_media(stage.http, wamid, FETCH_TIMEOUT)
            except AssertionError as exc:
                result.failures.append(f"{label}: {exc}")
                return None
            result.fetch_seconds = time.perf_counter() - began
        media = message["media"]
        if (media["status"], media["sha256"], media["size"]) != ("stored", self.sha256, self.size):
            status, error = media["status"], media.get("error")
            result.failures.append(f"{label}: the file is {status} ({error}), not stored as sent")
            return None
        result.stored = True
        result.fetch_start_seconds = lookup_at(stage.fake_url, str(part["document"]["id"])) - posted
        result.before_serving = stage.sampler.settled()
        return str(media["url"])

    def check(self, d: Download, what: str, status: int, length: int, sha256: str) -> None:
        if (d.status, d.length, d.sha256) != (status, length, sha256):
            self.result.failures.append(
                f"{self.label}: {what}: HTTP {d.status}, {d.length} bytes, sha256 "
                f"{d.sha256[:12]} (wanted {status}, {length}, {sha256[:12]})"
            )

    def sequential(self, url: str) -> None:
        result, base = self.result, self.stage.service.url
        log(f"{self.stage.name}: {self.label}: {self.plan.downloads} downloads in a row")
        with http_client(base) as client, self.stage.sampler.phase() as result.sequential_peak:
            began = time.perf_counter()
            for _ in range(self.plan.downloads):
                result.sequential.append(download(client, url))
            result.sequential_seconds = time.perf_counter() - began
        for d in result.sequential:
            self.check(d, "download", 200, self.size, self.sha256)

    def concurrent(self, url: str) -> None:
        """``clients`` threads, each a client of its own, released at the same moment."""
        result, base, clients = self.result, self.stage.service.url, self.plan.clients
        log(f"{self.stage.name}: {self.label}: {clients} clients at once")
        barrier = threading.Barrier(clients + 1)

        def together() -> Download:
            with http_client(base) as client:
                barrier.wait()
                return download(client, url)

        with ThreadPoolExecutor(clients) as pool:
            futures = [pool.submit(together) for _ in range(clients)]
            with self.stage.sampler.phase() as result.concurrent_peak:
                barrier.wait()
                began = time.perf_counter()
                result.concurrent = [f.result() for f in futures]
                result.concurrent_seconds = time.perf_counter() - began
        for d in result.concurrent:
            self.check(d, "concurrent download", 200, self.size, self.sha256)

    def slow(self, url: str) -> None:
        """One client reading at ``--slow-mibs``."""
        result, pace = self.result, self.plan.slow_mibs * MIB
        log(f"{self.stage.name}: {self.label}: one reader at {self.plan.slow_mibs:g} MiB/s")
        with (
            http_client(self.stage.service.url) as client,
            self.stage.sampler.phase() as result.slow_peak,
        ):
            result.slow = download(client, url, pace=pace)
        self.check(result.slow, "slow download", 200, self.size, self.sha256)

    def ranges(self, url: str) -> None:
        """``Range`` of 1 MiB (half the file, if smaller) in the middle: 206 and its bytes."""
        result, size = self.result, self.size
        length = min(RANGE_BYTES, size // 2)
        first = size // 2 - length // 2
        last = first + length - 1
        result.range_bytes = length
        wanted = hashlib.sha256(self.content[first : last + 1]).hexdigest()
        headers = {"Range": f"bytes={first}-{last}"}
        with (
            http_client(self.stage.service.url) as client,
            self.stage.sampler.phase() as result.range_peak,
        ):
            for _ in range(self.plan.ranges):
                result.ranges.append(download(client, url, headers))
        for d in result.ranges:
            self.check(d, "range", 206, length, wanted)
            if d.content_range != f"bytes {first}-{last}/{size}":
                result.failures.append(
                    f"{self.label}: range answered Content-Range {d.content_range}"
                )


# -- the processes -------------------------------------------------------------------------


def start_fake(processes: Processes, seed: int) -> str:
    port = free_port()
    arguments = ["fake-graph-api", "--port", str(port), "--seed", str(seed)]
    arguments += ["--log-level", "warning"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    fake = processes.start("fake-graph-api", arguments, env, port)
    wait_until(lambda: "listening on" in fake.log_text(), 60, "the fake Graph API to listen")
    return fake.url


@dataclass
class Moto:
    popen: subprocess.Popen[bytes]
    endpoint: str

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)


def moto_binary() -> Path | None:
    found = Path(sys.executable).parent / "moto_server"
    if found.exists():
        return found
    which = shutil.which("moto_server")
    return Path(which) if which else None


def start_moto(directory: Path) -> Moto:
    binary = moto_binary()
    if binary is None:
        raise RuntimeError("moto_server not found (pip install 'moto[server]')")
    port = free_port()
    with (directory / "moto.log").open("wb") as out:
        popen = subprocess.Popen(
            [str(binary), "-H", LOOPBACK, "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    moto = Moto(popen, f"http://{LOOPBACK}:{port}")

    def answers() -> bool:
        if popen.poll() is not None:
            raise RuntimeError(f"moto_server exited: {(directory / 'moto.log').read_text()}")
        try:
            return httpx.get(moto.endpoint, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, 60, "moto's S3 server to answer")
        created = httpx.put(f"{moto.endpoint}/{S3_BUCKET}", timeout=10)
        created.raise_for_status()
    except BaseException:
        moto.stop()
        raise
    return moto


def media_env(env: dict[str, str]) -> dict[str, str]:
    for name in PRODUCTION_DEFAULTS:
        env.pop(name, None)
    return env


def run_store(
    store: str, *, plan: Plan, directory: Path, fake_url: str, processes: Processes, rng: Random
) -> Stage:
    database = f"sqlite:///{directory / f'media-{store}.db'}"
    moto: Moto | None = None
    if store == "filesystem":
        media_dir = directory / "media"
        env = service_env(database, fake_url, CRM_WHATSAPP_MEDIA_URL=str(media_dir))
        name = "filesystem"
    else:
        moto = start_moto(directory)
        s3 = {**S3_CREDENTIALS, "AWS_ENDPOINT_URL": moto.endpoint}
        env = service_env(database, fake_url, CRM_WHATSAPP_MEDIA_URL=f"s3://{S3_BUCKET}/media")
        env.update(s3)
        name = "S3 (moto_server)"
    try:
        service = processes.serve(media_env(env))
        with (
            RssSampler(service.popen.pid, plan.sample_seconds) as sampler,
            httpx.Client(base_url=service.url, timeout=30) as http,
        ):
            stage = Stage(name, service, fake_url, sampler, http)
            stage.startup = sampler.settled()
            stage.warm_up = measure_file(
                stage, plan, WARM_UP_BYTES, rng, "5215500000001", label=f"{store}-warm-up"
            )
            for n, size in enumerate((plan.small, plan.size), start=2):
                label = f"{store}-{size // 1024}KiB"
                stage.files.append(
                    measure_file(stage, plan, size, rng, f"52155000000{n:02d}", label=label)
                )
        service.stop()
    finally:
        if moto is not None:
            moto.stop()
    return stage


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def keep_logs(plan: Plan, processes: Processes, directory: Path) -> None:
    if plan.logs is None:
        return
    plan.logs.mkdir(parents=True, exist_ok=True)
    for process in processes.started:
        shutil.copy(process.log, plan.logs / process.log.name)
    moto_log = directory / "moto.log"
    if moto_log.exists():
        shutil.copy(moto_log, plan.logs / moto_log.name)


# -- the report ----------------------------------------------------------------------------


def mib(kib: float) -> str:
    return f"{kib / 1024:,.1f} MiB"


def delta(kib: float) -> str:
    return f"{kib / 1024:+,.1f} MiB"


def size_name(size: int) -> str:
    return f"{size / MIB:g} MiB" if size >= MIB else f"{size / 1024:g} KiB"


def rate(size: int, seconds: float) -> float:
    return size / MIB / seconds if seconds > 0 else math.nan


def ratio(large: float, small: float) -> str:
    if not small or math.isnan(small) or math.isnan(large):
        return "—"
    return f"{large / small:,.2f}"


def ms(seconds: float) -> str:
    return "—" if math.isnan(seconds) else f"{seconds * 1000:,.0f} ms"


def figures(r: FileResult, plan: Plan) -> list[tuple[str, str, float]]:
    """(figure, shown value, value for the ratio) for one file."""
    seq_bytes = r.size * len(r.sequential)
    conc_bytes = r.size * len(r.concurrent)
    seq_mibs = rate(seq_bytes, r.sequential_seconds)
    conc_mibs = rate(conc_bytes, r.concurrent_seconds)
    fetch_mibs = rate(r.size, r.fetch_seconds)
    range_ms = [d.seconds for d in r.ranges]
    range_p50 = statistics.median(range_ms) if range_ms else math.nan
    seq_each = statistics.median([d.seconds for d in r.sequential]) if r.sequential else math.nan
    seq_peak = r.sequential_peak.kib - r.before_serving
    conc_peak = r.concurrent_peak.kib - r.before_serving
    rows: list[tuple[str, str, float]] = [
        ("RSS before the webhook (baseline)", mib(r.baseline), r.baseline),
        (
            "fetch on arrival: webhook → the service asks the fake for the file",
            ms(r.fetch_start_seconds),
            r.fetch_start_seconds,
        ),
        ("fetch on arrival: webhook → `stored` seen", ms(r.fetch_seconds), r.fetch_seconds),
        ("fetch throughput", f"{fetch_mibs:,.1f} MiB/s", fetch_mibs),
        ("peak RSS during the fetch", mib(r.fetch_peak.kib), r.fetch_peak.kib),
        ("peak − baseline, fetch", delta(r.fetch_peak.kib - r.baseline), math.nan),
        ("RSS once stored (before serving)", mib(r.before_serving), r.before_serving),
        (
            f"sequential: {plan.downloads} download(s) in a row, MiB/s (median each)",
            f"{seq_mibs:,.1f} MiB/s ({ms(seq_each)})",
            seq_mibs,
        ),
        ("peak RSS, sequential", mib(r.sequential_peak.kib), r.sequential_peak.kib),
        ("peak − before serving, sequential", delta(seq_peak), math.nan),
        (
            f"concurrent: {plan.clients} clients at once, MiB/s (all bytes / wall time)",
            f"{conc_mibs:,.1f} MiB/s ({ms(r.concurrent_seconds)})",
            conc_mibs,
        ),
        ("peak RSS, concurrent", mib(r.concurrent_peak.kib), r.concurrent_peak.kib),
        ("peak − before serving, concurrent", delta(conc_peak), math.nan),
        (
            f"slow reader at {plan.slow_mibs:g} MiB/s: time",
            ms(r.slow.seconds if r.slow else math.nan),
            r.slow.seconds if r.slow else math.nan,
        ),
        ("peak RSS, slow reader", mib(r.slow_peak.kib), r.slow_peak.kib),
        ("peak − before serving, slow reader", delta(r.slow_peak.kib - r.before_serving), math.nan),
        (
            f"Range request in the middle → 206: bytes, p50 of {len(r.ranges)} (first)",
            f"{size_name(r.range_bytes)}: {ms(range_p50)} "
            f"({ms(r.ranges[0].seconds) if r.ranges else '—'})",
            range_p50,
        ),
        ("peak RSS, ranges", mib(r.range_peak.kib), r.range_peak.kib),
        ("RSS after serving", mib(r.after), r.after),
    ]
    return rows


def print_stage(stage: Stage, plan: Plan) -> None:
    small, large = stage.files if len(stage.files) == 2 else (None, None)
    print(
        f"\n### {stage.name}: service RSS {mib(stage.startup)} after start; "
        f"warm-up {size_name(WARM_UP_BYTES)} file fetched and served (not shown)"
    )
    if small is None or large is None or not (small.stored and large.stored):
        print("(not measured: a file was not stored, see FAILED)")
        return
    print(f"\n| figure | {size_name(small.size)} | {size_name(large.size)} | large/small |")
    print("|---|---|---|---|")
    for (name, shown_small, v_small), (_, shown_large, v_large) in zip(
        figures(small, plan), figures(large, plan), strict=True
    ):
        print(f"| {name} | {shown_small} | {shown_large} | {ratio(v_large, v_small)} |")
    grown = max(
        large.sequential_peak.kib - large.before_serving,
        large.concurrent_peak.kib - large.before_serving,
    ) - max(
        small.sequential_peak.kib - small.before_serving,
        small.concurrent_peak.kib - small.before_serving,
    )
    print(
        f"\nfile size ratio {large.size / small.size:,.0f}×; the most serving held above the "
        f"RSS before serving differs by {delta(grown)} between the two files"
    )
    for r in stage.files:
        for phase, peak in (
            ("fetch", r.fetch_peak),
            ("sequential", r.sequential_peak),
            ("concurrent", r.concurrent_peak),
            ("slow reader", r.slow_peak),
        ):
            if peak.samples >= 5 and abs(peak.kib - peak.sampled) > 1024:
                print(
                    f"{size_name(r.size)}, {phase}: VmHWM {mib(peak.kib)}, highest of "
                    f"{peak.samples} samples {mib(peak.sampled)} (longest gap "
                    f"{peak.max_gap * 1000:.0f} ms)"
                )
    print(
        f"\n{size_name(large.size)} file, RSS above the RSS before the phase, highest sample "
        "in each tenth of the phase (a file held in memory would climb tenth by tenth):"
    )
    for phase, peak, before in (
        ("fetch", large.fetch_peak, large.baseline),
        ("sequential", large.sequential_peak, large.before_serving),
        (f"{plan.clients} clients", large.concurrent_peak, large.before_serving),
        (f"slow reader, {plan.slow_mibs:g} MiB/s", large.slow_peak, large.before_serving),
    ):
        steps = " ".join("·" if k is None else f"{(k - before) / 1024:+.1f}" for k in peak.tenths())
        print(f"- {phase} ({peak.samples} samples over {ms(peak.seconds)}): {steps} MiB")


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
        "--quick", action="store_true", help="seconds: an 8 MiB file, one download, 2 clients"
    )
    parser.add_argument("--size-mib", type=float, default=None, help="the large file (100)")
    parser.add_argument("--small-mib", type=float, default=1.0, help="the small file (1)")
    parser.add_argument("--downloads", type=int, default=None, help="one after the other (3)")
    parser.add_argument("--clients", type=int, default=None, help="downloading at once (4)")
    parser.add_argument(
        "--slow-mibs", type=float, default=25.0, help="the slow reader's MiB/s (25)"
    )
    parser.add_argument("--ranges", type=int, default=None, help="range requests (5)")
    parser.add_argument("--stores", default="filesystem", help="comma-separated, of filesystem, s3")
    parser.add_argument("--sample-ms", type=float, default=20.0, help="RSS sampling (20)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--logs", type=Path, default=None, help="copy the processes' logs here")
    o = parser.parse_args(argv)
    quick = o.quick
    stores = tuple(s.strip() for s in o.stores.split(",") if s.strip())
    if not stores or set(stores) - set(STORES):
        parser.error(f"--stores takes some of {', '.join(STORES)}")
    if "s3" in stores and moto_binary() is None:
        parser.error("--stores s3 needs moto_server (pip install 'moto[server]')")
    plan = Plan(
        size=int((o.size_mib or (8.0 if quick else 100.0)) * MIB),
        small=int(o.small_mib * MIB),
        downloads=o.downloads or (1 if quick else 3),
        clients=o.clients or (2 if quick else 4),
        slow_mibs=o.slow_mibs,
        ranges=o.ranges or (1 if quick else 5),
        stores=stores,
        sample_seconds=o.sample_ms / 1000,
        seed=o.seed,
        logs=o.logs,
    )
    if (
        min(plan.downloads, plan.clients, plan.ranges) < 1
        or min(plan.sample_seconds, plan.slow_mibs) <= 0
    ):
        parser.error("counts and the sampling interval must be positive")
    if not 64 * 1024 <= plan.small < plan.size:
        parser.error("--small-mib must be at least 1/16 and below --size-mib")
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_options(argv)
    if not Path("/proc/self/status").exists():
        print("not measured: no /proc to read a process's RSS from")
        return 0
    rng = Random(plan.seed)
    stages: list[Stage] = []
    with tempfile.TemporaryDirectory(prefix="media-serving-") as tmp:
        directory = Path(tmp)
        processes = Processes(directory)
        try:
            fake_url = start_fake(processes, plan.seed)
            for store in plan.stores:
                (directory / store).mkdir()
                stage = run_store(
                    store,
                    plan=plan,
                    directory=directory / store,
                    fake_url=fake_url,
                    processes=processes,
                    rng=rng,
                )
                stages.append(stage)
        finally:
            processes.stop_all()
            keep_logs(plan, processes, directory)
    print(
        f"Media serving: {machine()}; crm-whatsapp serve (1 process, SQLite, media fetch "
        f"inside), fake Graph API in its own process; client: httpx.Client streaming "
        f"(sha256 of every byte checked); service RSS from /proc/<pid>/status every "
        f"{plan.sample_seconds * 1000:g} ms, peaks from VmHWM reset per phase"
        f"{'' if stages and stages[0].sampler.can_reset_peak else ' (no reset: sampled)'}; "
        f"seed {plan.seed}"
    )
    if "s3" not in plan.stores:
        print("S3 store: not measured (--stores filesystem,s3)")
    failures: list[str] = []
    for stage in stages:
        print_stage(stage, plan)
        for r in ([stage.warm_up] if stage.warm_up else []) + stage.files:
            failures += [f"{stage.name}: {failure}" for failure in r.failures]
    print()
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
