"""Whether the web inbox stays fast on a large database, measured in headless Chromium.

Seeds SQLite with 100,000 conversations (~300,000 messages: the history of ``queries.py``)
plus one conversation of 10,000 messages with the newest activity, serves it with the real
app (``create_app`` under uvicorn, on loopback) and drives Debian's Chromium with Playwright:

- first page: from navigation start until the first conversation row is painted, each time
  in a new browser context (nothing cached: a first visit); beside it the API call behind
  it alone (httpx), and the ratio to the 1 s target;
- the long chat: open it, scroll up until its oldest message is on screen (each page of
  older messages loads as the view nears the top), then back down to the newest. While
  scrolling, the longest gap between animation frames and the longest main-thread task (a
  freeze is a long gap); at both ends, the message rows in the DOM (windowed rendering keeps
  them bounded instead of growing to 10,000).

    python benchmarks/inbox_browser.py [--quick] [--runs N] [--scroll-step PX] [--profile]
                                       [--sqlite-dir DIR] [--keep] [--chromium PATH] [--seed N]

Median and max over ``--runs`` (5; 2 with ``--quick``, which seeds 2,000 conversations and a
chat of 1,000 messages). The view scrolls 3,000 px per frame, as a drag of the scroll bar
does: faster than pages arrive, so the time up is the loading's, and every frame shows rows
it has never rendered. ``--profile`` adds one uncounted run under V8's sampling profiler and
prints where the page's main thread spent its time.

The exit code is 0 whatever the figures (this is a measurement), 1 if something did not
work: no row appeared, the chat never reached its oldest message, or messages went missing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

import httpx
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from crm_whatsapp.adapters.sql.mapping import conversation_values, message_values
from crm_whatsapp.adapters.whatsapp.fake_graph_api.runner import running_asgi_app
from crm_whatsapp.app import Settings
from crm_whatsapp.app.asgi import create_app
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.message import Message

# The sibling benchmark seeds large databases fast; reuse its data set and loader.
BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
import queries  # noqa: E402

CHROMIUM = os.environ.get("CRM_WHATSAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TOKEN = "bench-inbox-token-58c3e0a9f1"
API = "/api/v1/conversaciones-whatsapp"
VIEWPORT = ViewportSize(width=1280, height=800)

FIRST_PAGE_TARGET_MS = 1_000.0
FREEZE_MS = 100.0
"""A frame gap this long is felt as a hitch (RAIL: answer a gesture within 100 ms)."""
DOM_ROWS_TARGET = 500
"""Message rows in the DOM: windowed rendering keeps a few screens' worth, not the chat."""
PAGE_TIMEOUT_MS = 30_000
SCROLL_TIMEOUT_MS = 300_000
"""How long one scroll through the chat may take before the run counts as failed."""

ROW = "[data-conversation-id]"
CHAT_VIEWPORT = ".messages"
MESSAGE_ROW = "[data-message-id]"


@dataclass(frozen=True)
class Plan:
    """One database: queries.py's history at ``size``, plus one chat of ``long_messages``."""

    size: queries.Size
    long_messages: int


FULL = Plan(queries.Size("inbox", 300_000, 100_000, 20_000, 365), 10_000)
QUICK = Plan(queries.Size("inbox", 6_000, 2_000, 400, 365), 1_000)


# -- the database ----------------------------------------------------------------------


@dataclass(frozen=True)
class LongChat:
    """The conversation to scroll: its id and the two messages at its ends."""

    conversation_id: str
    messages: int
    oldest_id: str
    newest_id: str


def long_thread(
    dataset: queries.Dataset, length: int, seed: int
) -> tuple[Conversation, list[Message]]:
    """A customer who wrote ``length`` messages over months, built like every other thread
    (domain objects, mixed bot and agent replies, Meta's delivery statuses).

    ``days=0`` makes the thread end 60 s before ``queries.END``; every other thread ends
    earlier, so this one heads the inbox and is easy to find.
    """
    rng = Random(f"{seed}:long-chat")
    taken = {plan.customer.number.wa_id for plan in dataset.plans}
    number = queries.mexican(rng)
    while number.wa_id in taken:
        number = queries.mexican(rng)
    plan = queries.ConversationPlan(
        id=f"{rng.getrandbits(128):032x}",
        business_number_id=queries.BUSINESS_NUMBERS[0],
        customer=queries.Customer(number, "Cliente frecuente", None, None),
        length=length,
        bot_paused=False,
        opted_out=False,
        linked_manually=False,
    )
    return queries.Thread(rng, plan, queries.Size("long", length, 1, 0, 0)).build()


def batch_of(conversation: Conversation, messages: Sequence[Message]) -> queries.Batch:
    """Rows of one conversation through the library's own mapping, as queries.py loads them."""
    batch = queries.Batch(conversations=[conversation_values(conversation)])
    batch.keys.extend(
        {
            "business_number_id": conversation.business_number_id,
            "customer_key": key,
            "conversation_id": conversation.id,
        }
        for key in conversation.customer.conversation_keys()
    )
    batch.messages.extend(message_values(m) for m in messages)
    return batch


class InboxDataset(queries.Dataset):
    """queries.py's history plus the long chat, loaded in the same bulk load (indexes are
    built once, after every row is in)."""

    def __init__(self, plan: Plan, seed: int) -> None:
        super().__init__(plan.size, seed)
        self.long_conversation, self.long_messages = long_thread(self, plan.long_messages, seed)
        ordered = sorted(self.long_messages, key=lambda m: (m.sent_at, m.created_at, m.id))
        self.chat = LongChat(self.long_conversation.id, len(ordered), ordered[0].id, ordered[-1].id)

    def conversation_batches(self, per_batch: int = 2_000) -> Iterator[queries.Batch]:
        yield from super().conversation_batches(per_batch)
        yield batch_of(self.long_conversation, self.long_messages)


@dataclass(frozen=True)
class Seeded:
    target: queries.Target
    seeding: queries.Seeding
    chat: LongChat
    plan_seconds: float

    @property
    def path(self) -> Path:
        assert self.target.path is not None
        return self.target.path


def seed_database(plan: Plan, options: argparse.Namespace) -> Seeded:
    started = time.perf_counter()
    dataset = InboxDataset(plan, options.seed)
    plan_seconds = time.perf_counter() - started
    target_options = argparse.Namespace(
        keep=options.keep, quick=options.quick, sqlite_dir=options.sqlite_dir, postgres_url=""
    )
    target = queries.Target("sqlite", plan.size, target_options)
    try:
        seeding = target.seed(dataset)
    except BaseException:
        target.close()
        raise
    target.database.dispose()  # the service opens its own engine on the file
    return Seeded(target, seeding, dataset.chat, plan_seconds)


# -- the service -----------------------------------------------------------------------


@contextlib.contextmanager
def serving(database: Path) -> Iterator[str]:
    """The real app on the seeded file; yields its base URL. No outbox (the few pending
    replies at the end of the long chat stay pending) and no Graph API: nothing leaves."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{database}",
        "app_secret": "bench-app-secret",
        "verify_token": "bench-verify-token",
        "access_token": "bench-access-token",
        "api_tokens": TOKEN,
        "graph_api_url": "http://127.0.0.1:9",
        "outbox_in_process": False,
        "migrate_on_start": True,
        "clients_table": "clientes",
        "clients_name_column": "nombre",
        "clients_phone_columns": "telefono,celular",
        "log_level": "WARNING",
    }
    settings = Settings(_env_file=None, **values)
    with running_asgi_app(create_app(settings)) as base_url:
        yield base_url


# -- what runs inside the page ---------------------------------------------------------

INIT_SCRIPT = """
(() => {
  sessionStorage.setItem('crm_whatsapp.token', %(token)s);
  const bench = { firstRowAt: null, firstRowPaintedAt: null, recording: false };
  window.__bench = bench;
  // the first conversation row: when it enters the DOM, and the end of the frame that paints it
  const observer = new MutationObserver(() => {
    if (bench.firstRowAt !== null || !document.querySelector(%(row)s)) return;
    bench.firstRowAt = performance.now();
    observer.disconnect();
    const painted = () => { bench.firstRowPaintedAt = performance.now(); };
    requestAnimationFrame(() => setTimeout(painted, 0));
  });
  observer.observe(document, { childList: true, subtree: true });
  try {
    new PerformanceObserver((list) => {
      if (bench.recording) for (const entry of list.getEntries()) bench.tasks.push(entry.duration);
    }).observe({ type: 'longtask' });
  } catch (error) {
    bench.noLongTasks = String(error);
  }
  // gaps between animation frames, only while a measurement records
  bench.start = () => {
    bench.gaps = [];
    bench.tasks = [];
    bench.recording = true;
    let last = 0;
    const tick = (now) => {
      if (!bench.recording) return;
      if (last) bench.gaps.push(now - last);
      last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  bench.stop = () => {
    bench.recording = false;
    return { gaps: bench.gaps, tasks: bench.tasks };
  };
})();
"""

SCROLL_SCRIPT = """
async ({ viewportSelector, targetId, step, direction, timeout }) => {
  const viewport = document.querySelector(viewportSelector);
  const started = performance.now();
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  for (;;) {
    const reached = viewport.querySelector(`[data-message-id="${targetId}"]`);
    const atEnd = direction < 0
      ? viewport.scrollTop <= 0
      : viewport.scrollHeight - viewport.scrollTop - viewport.clientHeight <= 1;
    const elapsed = performance.now() - started;
    if (reached && atEnd) return { ok: true, ms: elapsed };
    if (elapsed > timeout) return { ok: false, ms: elapsed };
    viewport.scrollTop += direction * step;
    await frame();
  }
}
"""

COUNT_SCRIPT = """
({ viewportSelector, rowSelector }) => ({
  rows: document.querySelector(viewportSelector).querySelectorAll(rowSelector).length,
  elements: document.getElementsByTagName('*').length,
})
"""


# -- measurements ----------------------------------------------------------------------


class MeasurementFailed(Exception):
    """Something the figures depend on did not happen (no row, messages missing...)."""


@dataclass
class PageWatch:
    """Uncaught errors of a page, and the responses of the chat's message pages."""

    errors: list[str] = field(default_factory=list)
    message_pages: list[Response] = field(default_factory=list)


def open_page(browser: Browser) -> tuple[BrowserContext, Page, PageWatch]:
    """A new context (empty cache and storage, the token in sessionStorage) and its page."""
    context = browser.new_context(viewport=VIEWPORT, locale="es-MX")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.add_init_script(INIT_SCRIPT % {"token": json.dumps(TOKEN), "row": json.dumps(ROW)})
    page = context.new_page()
    watch = PageWatch()
    page.on("pageerror", lambda error: watch.errors.append(str(error)))

    def on_response(response: Response) -> None:
        if "/mensajes" in response.url and response.request.method == "GET":
            watch.message_pages.append(response)

    page.on("response", on_response)
    return context, page, watch


def first_page_ms(page: Page, base_url: str) -> float:
    """Navigation start to the end of the frame that painted the first conversation row."""
    page.goto(base_url + "/inbox/")
    page.wait_for_selector(ROW, state="visible")
    handle = page.wait_for_function("() => window.__bench.firstRowPaintedAt")
    return float(handle.json_value())


def measure_first_page(browser: Browser, base_url: str) -> tuple[float, list[str]]:
    context, page, watch = open_page(browser)
    try:
        return first_page_ms(page, base_url), watch.errors
    except PlaywrightError as exc:
        raise MeasurementFailed(f"the inbox never showed a conversation row: {exc}") from exc
    finally:
        context.close()


def measure_api(base_url: str, runs: int) -> list[float]:
    """The call behind the first page alone, after one warm-up call."""
    samples = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for run in range(runs + 1):
            started = time.perf_counter()
            response = client.get(API, params={"limit": 50})
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if len(response.json()["items"]) != 50:
                raise MeasurementFailed("the API's first page did not hold 50 conversations")
            if run:
                samples.append(elapsed)
    return samples


@dataclass(frozen=True)
class Frames:
    """What the main thread did while the view scrolled."""

    count: int
    median_gap_ms: float
    longest_gap_ms: float
    p95_gap_ms: float
    over_freeze: int
    longest_task_ms: float

    @staticmethod
    def of(recorded: dict[str, list[float]]) -> Frames:
        gaps = sorted(recorded["gaps"]) or [0.0]
        tasks = recorded["tasks"] or [0.0]
        return Frames(
            count=len(recorded["gaps"]),
            median_gap_ms=statistics.median(gaps),
            longest_gap_ms=gaps[-1],
            p95_gap_ms=gaps[max(0, round(0.95 * len(gaps)) - 1)],
            over_freeze=sum(1 for gap in gaps if gap >= FREEZE_MS),
            longest_task_ms=max(tasks),
        )


Hot = list[tuple[str, float]]
"""Functions and their self time in ms, most expensive first."""


@dataclass(frozen=True)
class ChatRun:
    open_ms: float
    up_seconds: float
    up: Frames
    rows_at_top: int
    elements_at_top: int
    down_seconds: float
    down: Frames
    rows_at_bottom: int
    requests: int
    loaded: int
    errors: list[str]
    hot_up: Hot
    hot_down: Hot


def scroll(page: Page, target_id: str, step: int, direction: int) -> tuple[float, Frames]:
    """Scroll ``step`` px per frame until ``target_id`` is on screen at that end."""
    page.evaluate("() => window.__bench.start()")
    result = page.evaluate(
        SCROLL_SCRIPT,
        {
            "viewportSelector": CHAT_VIEWPORT,
            "targetId": target_id,
            "step": step,
            "direction": direction,
            "timeout": SCROLL_TIMEOUT_MS,
        },
    )
    frames = Frames.of(page.evaluate("() => window.__bench.stop()"))
    if not result["ok"]:
        end = "oldest" if direction < 0 else "newest"
        raise MeasurementFailed(
            f"the chat did not reach its {end} message in {SCROLL_TIMEOUT_MS / 1000:.0f} s"
        )
    return float(result["ms"]) / 1000, frames


def count_rows(page: Page) -> tuple[int, int]:
    counts = page.evaluate(
        COUNT_SCRIPT, {"viewportSelector": CHAT_VIEWPORT, "rowSelector": MESSAGE_ROW}
    )
    return int(counts["rows"]), int(counts["elements"])


def loaded_messages(pages: Sequence[Response]) -> int:
    ids: set[str] = set()
    for response in pages:
        body = response.json()
        ids.update(item["id"] for item in body["items"])
    return len(ids)


@contextlib.contextmanager
def profiling(context: BrowserContext, page: Page, enabled: bool) -> Iterator[Hot]:
    """V8's sampling profiler around a block (when ``enabled``); fills the yielded list."""
    hot: Hot = []
    if not enabled:
        yield hot
        return
    cdp = context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 500})
    cdp.send("Profiler.start")
    try:
        yield hot
    finally:
        hot.extend(self_times(cdp.send("Profiler.stop")["profile"]))
        cdp.detach()


def self_times(profile: dict[str, Any]) -> Hot:
    """Self time per function of a CDP CPU profile; idle time left out."""
    names = {}
    for node in profile["nodes"]:
        frame = node["callFrame"]
        where = (
            f" {frame['url'].rsplit('/', 1)[-1]}:{frame['lineNumber'] + 1}" if frame["url"] else ""
        )
        names[node["id"]] = f"{frame['functionName'] or '(anonymous)'}{where}"
    totals: dict[str, float] = {}
    deltas = profile.get("timeDeltas", [])
    for i, node_id in enumerate(profile["samples"]):
        spent = deltas[i + 1] / 1000 if i + 1 < len(deltas) else 0.0
        totals[names[node_id]] = totals.get(names[node_id], 0.0) + spent
    totals.pop("(idle)", None)
    return sorted(totals.items(), key=lambda item: -item[1])


def measure_chat(
    browser: Browser, base_url: str, chat: LongChat, step: int, profile: bool = False
) -> ChatRun:
    context, page, watch = open_page(browser)
    try:
        page.goto(base_url + "/inbox/")
        row = page.wait_for_selector(f'[data-conversation-id="{chat.conversation_id}"]')
        assert row is not None
        started = time.perf_counter()
        row.click()
        page.wait_for_selector(f"{CHAT_VIEWPORT} {MESSAGE_ROW}", state="visible")
        open_ms = (time.perf_counter() - started) * 1000
        page.wait_for_selector(f'[data-message-id="{chat.newest_id}"]', state="attached")

        with profiling(context, page, profile) as hot_up:
            up_seconds, up = scroll(page, chat.oldest_id, step, -1)
        rows_at_top, elements_at_top = count_rows(page)
        with profiling(context, page, profile) as hot_down:
            down_seconds, down = scroll(page, chat.newest_id, step, +1)
        rows_at_bottom, _ = count_rows(page)
        loaded = loaded_messages(watch.message_pages)
        requests = len(watch.message_pages)
    except PlaywrightError as exc:
        raise MeasurementFailed(f"the long chat could not be scrolled: {exc}") from exc
    finally:
        context.close()
    if loaded != chat.messages:
        raise MeasurementFailed(f"the chat loaded {loaded:,} of its {chat.messages:,} messages")
    return ChatRun(
        open_ms,
        up_seconds,
        up,
        rows_at_top,
        elements_at_top,
        down_seconds,
        down,
        rows_at_bottom,
        requests,
        loaded,
        watch.errors,
        hot_up,
        hot_down,
    )


# -- the report ------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    name: str
    samples: list[float]
    unit: str
    target: str = "—"
    meets: Callable[[float], bool] | None = None
    """Judged on the worst run (max): a target met only by the median is not met."""
    digits: int = 0


def summarize(figure: Figure) -> list[str]:
    median = statistics.median(figure.samples)
    worst = max(figure.samples)
    verdict = "—" if figure.meets is None else ("yes" if figure.meets(worst) else "**NO**")
    unit = f" {figure.unit}" if figure.unit else ""
    return [
        figure.name,
        f"{median:,.{figure.digits}f}{unit}",
        f"{worst:,.{figure.digits}f}{unit}",
        figure.target,
        verdict,
    ]


def figures(
    first_pages: list[float], api: list[float], chats: list[ChatRun], messages: int
) -> list[Figure]:
    def of(pick: Callable[[ChatRun], float]) -> list[float]:
        return [pick(run) for run in chats]

    freeze = f"< {FREEZE_MS:.0f} ms"
    bounded = f"< {DOM_ROWS_TARGET}"
    return [
        Figure(
            "first page: navigation start → first conversation row painted",
            first_pages,
            "ms",
            f"≤ {FIRST_PAGE_TARGET_MS:,.0f} ms",
            lambda v: v <= FIRST_PAGE_TARGET_MS,
        ),
        Figure(
            "first page / 1 s target",
            [v / FIRST_PAGE_TARGET_MS for v in first_pages],
            "",
            "≤ 1",
            lambda v: v <= 1,
            digits=2,
        ),
        Figure("API alone: GET conversaciones-whatsapp?limit=50", api, "ms", digits=1),
        Figure("open the long chat: click → newest messages shown", of(lambda r: r.open_ms), "ms"),
        Figure(
            f"scroll up through {messages:,} messages: until the oldest is on screen",
            of(lambda r: r.up_seconds),
            "s",
            digits=1,
        ),
        Figure("  message pages requested on the way", of(lambda r: r.requests), ""),
        Figure(
            "  longest frame gap while scrolling up",
            of(lambda r: r.up.longest_gap_ms),
            "ms",
            freeze,
            lambda v: v < FREEZE_MS,
        ),
        Figure(
            "  median frame gap while scrolling up (16.7 ms = 60 fps)",
            of(lambda r: r.up.median_gap_ms),
            "ms",
            digits=1,
        ),
        Figure("  p95 frame gap while scrolling up", of(lambda r: r.up.p95_gap_ms), "ms", digits=1),
        Figure(
            f"  frames ≥ {FREEZE_MS:.0f} ms while scrolling up", of(lambda r: r.up.over_freeze), ""
        ),
        Figure(
            "  longest main-thread task while scrolling up",
            of(lambda r: r.up.longest_task_ms),
            "ms",
        ),
        Figure(
            "  message rows in the DOM at the top",
            of(lambda r: r.rows_at_top),
            "",
            bounded,
            lambda v: v < DOM_ROWS_TARGET,
        ),
        Figure("  elements in the whole page at the top", of(lambda r: r.elements_at_top), ""),
        Figure(
            f"scroll back down through all {messages:,} (all loaded)",
            of(lambda r: r.down_seconds),
            "s",
            digits=1,
        ),
        Figure(
            "  longest frame gap while scrolling down",
            of(lambda r: r.down.longest_gap_ms),
            "ms",
            freeze,
            lambda v: v < FREEZE_MS,
        ),
        Figure(
            "  median frame gap while scrolling down",
            of(lambda r: r.down.median_gap_ms),
            "ms",
            digits=1,
        ),
        Figure(
            "  p95 frame gap while scrolling down", of(lambda r: r.down.p95_gap_ms), "ms", digits=1
        ),
        Figure(
            "  longest main-thread task while scrolling down",
            of(lambda r: r.down.longest_task_ms),
            "ms",
        ),
        Figure(
            "  message rows in the DOM at the bottom",
            of(lambda r: r.rows_at_bottom),
            "",
            bounded,
            lambda v: v < DOM_ROWS_TARGET,
        ),
    ]


def print_table(rows: Sequence[Figure], runs: int) -> None:
    print(f"\nMedian and max over {runs} runs; a target is judged on the max.\n")
    print("| figure | median | max | target | meets |")
    print("|---|---|---|---|---|")
    for figure in rows:
        print("| " + " | ".join(summarize(figure)) + " |")


PROFILE_TOP = 12


def print_profile(run: ChatRun) -> None:
    """Where the page's main thread spent its time in one extra, profiled run."""
    for label, hot, seconds in (
        ("scrolling up (loading)", run.hot_up, run.up_seconds),
        ("scrolling down (all loaded)", run.hot_down, run.down_seconds),
    ):
        busy = sum(ms for _, ms in hot)
        print(
            f"\nCPU profile, {label}: {seconds:.1f} s with the profiler on, "
            f"{busy / 1000:.1f} s busy (self time, top {PROFILE_TOP})\n"
        )
        print("| function | self ms |")
        print("|---|---|")
        for name, ms in hot[:PROFILE_TOP]:
            print(f"| `{name}` | {ms:,.0f} |")


def load_average() -> str:
    """The machine is shared: a busy one stretches every figure, so the report says so."""
    try:
        return " / ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def print_seeding(plan: Plan, seeded: Seeded) -> None:
    s = seeded.seeding
    size = plan.size
    print(
        f"\nSeeding: {size.conversations:,} conversations ({size.messages:,} messages), "
        f"{size.clients:,} CRM clients, plus one chat of {seeded.chat.messages:,} messages: "
        f"planned {seeded.plan_seconds:.1f} s, rows {s.rows_seconds:.1f} s, indexes "
        f"{s.index_seconds:.1f} s, phone index {s.phone_index_seconds:.1f} s, ANALYZE "
        f"{s.analyze_seconds:.1f} s; database {s.megabytes:,.0f} MB"
    )


def machine(browser: Browser) -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = f" ({line.split(':', 1)[1].strip()})"
                break
    memory = ""
    with contextlib.suppress(ValueError, OSError, AttributeError):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        memory = f", {total / 2**30:.0f} GiB"
    return (
        f"{os.cpu_count()} cores{model}{memory}, Python {platform.python_version()}, "
        f"Chromium {browser.version} (headless), SQLite {sqlite3.sqlite_version}, "
        f"{datetime.now(UTC):%Y-%m-%d}; load average (1/5/15 min) {load_average()}"
    )


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def parse_options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 conversations, chat of 1,000")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (5; quick: 2)")
    parser.add_argument(
        "--scroll-step", type=int, default=3_000, help="px scrolled per frame (default 3000)"
    )
    parser.add_argument("--sqlite-dir", default=None, help="default: a temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"default {CHROMIUM}")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="one more chat run under the CPU profiler: where the main thread's time goes",
    )
    options = parser.parse_args(argv)
    if options.runs is None:
        options.runs = 2 if options.quick else 5
    return options


def measure(
    browser: Browser, base_url: str, seeded: Seeded, options: argparse.Namespace
) -> tuple[list[Figure], ChatRun | None]:
    chat = seeded.chat
    warm_up, errors = measure_first_page(browser, base_url)
    log(f"first page, first load after start (not counted): {warm_up:.0f} ms")
    first_pages = []
    for run in range(options.runs):
        elapsed, page_errors = measure_first_page(browser, base_url)
        errors += page_errors
        first_pages.append(elapsed)
        log(f"first page, run {run + 1}: {elapsed:.0f} ms")
    api = measure_api(base_url, options.runs)
    chats = []
    for run in range(options.runs):
        result = measure_chat(browser, base_url, chat, options.scroll_step)
        errors += result.errors
        chats.append(result)
        log(
            f"long chat, run {run + 1}: up {result.up_seconds:.1f} s "
            f"(longest gap {result.up.longest_gap_ms:.0f} ms), down {result.down_seconds:.1f} s "
            f"(longest gap {result.down.longest_gap_ms:.0f} ms), rows {result.rows_at_top}"
        )
    profiled = None
    if options.profile:
        log("long chat, one more run under the CPU profiler (not counted)")
        profiled = measure_chat(browser, base_url, chat, options.scroll_step, profile=True)
        errors += profiled.errors
    for error in dict.fromkeys(errors):
        print(f"page error: {error}")
    return figures(first_pages, api, chats, chat.messages), profiled


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    plan = QUICK if options.quick else FULL
    with contextlib.ExitStack() as stack:
        if options.sqlite_dir is None:
            options.sqlite_dir = stack.enter_context(tempfile.TemporaryDirectory())
        size = plan.size
        log(f"seeding {size.conversations:,} conversations and a chat of {plan.long_messages:,}")
        seeded = seed_database(plan, options)
        stack.callback(seeded.target.close)
        log(f"seeded in {seeded.seeding.rows_seconds + seeded.seeding.index_seconds:.1f} s")
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(
            executable_path=options.chromium, args=CHROMIUM_ARGS, headless=True
        )
        stack.callback(browser.close)
        base_url = stack.enter_context(serving(seeded.path))
        print(
            f"Web inbox in headless Chromium: {plan.size.conversations:,} conversations "
            f"+ one chat of {plan.long_messages:,} messages; scroll step {options.scroll_step:,} "
            f"px per frame; viewport {VIEWPORT['width']}×{VIEWPORT['height']}"
        )
        print(f"Machine: {machine(browser)}")
        try:
            rows, profiled = measure(browser, base_url, seeded, options)
        except (MeasurementFailed, httpx.HTTPError) as exc:
            print(f"FAILED: {exc}")
            return 1
        print_table(rows, options.runs)
        if profiled is not None:
            print_profile(profiled)
        print_seeding(plan, seeded)
        print(f"Load average at the end: {load_average()} (cores: {os.cpu_count()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
