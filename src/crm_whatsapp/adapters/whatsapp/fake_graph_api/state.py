"""The fake Graph API's memory and behaviour: what it was asked, what it accepted, which
failures it will answer, and the status webhooks it posts.

The server runs on its own event loop (often in a background thread of a test), while a
test reads this state from its own thread: every list is guarded by a lock and read
through copies.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from crm_whatsapp.adapters.whatsapp.fake_graph_api.media import MediaRegistry
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (
    JsonObject,
    StatusContext,
    fbtrace_id,
    status_webhook_body,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.options import (
    INJECTABLE_ENDPOINTS,
    MEDIA_ENDPOINTS,
    STATUS_SEQUENCE,
    FakeGraphApiOptions,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.pace import Pace, PaceStats
from crm_whatsapp.adapters.whatsapp.fake_graph_api.template_catalogue import DEMO_TEMPLATES
from crm_whatsapp.adapters.whatsapp.fake_graph_api.templates import TemplateCatalogue
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign

logger = logging.getLogger("crm_whatsapp.fake_graph_api")

__all__ = [
    "INJECTABLE_ENDPOINTS",
    "MEDIA_ENDPOINTS",
    "AcceptedMessage",
    "Failure",
    "FakeGraphApiOptions",
    "FakeGraphApiState",
    "WebhookDelivery",
    "redacted_headers",
]


@dataclass(frozen=True, slots=True)
class Failure:
    """One failure the fake answers instead of accepting a request.

    ``slow`` delays a *successful* answer by the options' ``slow_seconds``. Otherwise the
    answer is an error: a Graph error ``code`` with ``http_status``, or ``raw_body`` (not
    JSON, like a proxy's error page) when given.
    """

    code: int | None = None
    http_status: int | None = None
    slow: bool = False
    message: str | None = None
    raw_body: str | None = None


@dataclass(frozen=True, slots=True)
class AcceptedMessage:
    """A message the fake accepted (and would have delivered)."""

    wamid: str
    phone_number_id: str
    recipient_field: str
    """``to`` (a phone-number WhatsApp id) or ``recipient`` (a business-scoped user id)."""
    recipient: str
    type: str
    body: JsonObject
    answered_late: bool
    accepted_at: float
    """``time.time()`` when the fake accepted it: the moment its answer left, after the
    latency (a benchmark on the same machine times replies end to end with it)."""
    media_id: str | None = None
    """For a file (image, audio, video, document, sticker) sent by id: that id; the
    three below are what the file's object carried."""
    caption: str | None = None
    filename: str | None = None
    voice: bool | None = None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One status webhook the fake posted, and how the receiver answered."""

    wamid: str
    status: str
    response_status: int | None
    error: str | None = None


class FakeGraphApiState:
    """Everything the fake remembers; safe to read from any thread."""

    def __init__(self, options: FakeGraphApiOptions | None = None) -> None:
        self.options = options or FakeGraphApiOptions()
        self._lock = threading.Lock()
        self._rng = random.Random(self.options.seed)
        self._trace_rng = random.Random(self.options.seed)
        self._requests: list[JsonObject] = []
        self._accepted: list[AcceptedMessage] = []
        self._wamids: set[str] = set()
        self._deliveries: list[WebhookDelivery] = []
        self._forced: deque[Failure] = deque()
        self._media_forced: dict[str, deque[Failure]] = {
            name: deque() for name in INJECTABLE_ENDPOINTS
        }
        self._conversation_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self.pace = Pace(
            self.options.latency_seconds,
            self.options.jitter_seconds,
            self.options.send_rate,
            self.options.seed,
        )
        self.media = MediaRegistry(
            self.options.media_url_lifetime_seconds,
            self.options.media_id_lifetime_seconds,
            seed=self.options.seed,
        )
        templates = self.options.templates
        self.templates = TemplateCatalogue(
            self.options.waba_id,
            DEMO_TEMPLATES if templates is None else templates,
            self.options.phone_number_wabas,
        )

    # -- what a test reads ---------------------------------------------------------------

    def requests(self) -> list[JsonObject]:
        """Every request to the messages endpoint, oldest first (authorization redacted)."""
        with self._lock:
            return [dict(request) for request in self._requests]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def accepted(self) -> list[AcceptedMessage]:
        """Every message accepted, including those whose answer was delayed."""
        with self._lock:
            return list(self._accepted)

    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    def stats(self) -> PaceStats:
        """Messages accepted, sends throttled, and sends in flight (now and at most)."""
        return self.pace.stats()

    def reset(self) -> None:
        """Forget requests, accepted messages, webhooks, files and queued failures, and put
        the template catalogue back as it started (so that one server can serve many
        tests); the options and the random sequence carry on."""
        with self._lock:
            self._requests.clear()
            self._accepted.clear()
            self._deliveries.clear()
            self._forced.clear()
            for queue in self._media_forced.values():
                queue.clear()
        self.media.clear()
        self.templates.reset()
        self.pace.reset_counters()

    def fail_next(self, failure: Failure, times: int = 1, *, endpoint: str = "messages") -> None:
        """Answer the next ``times`` requests to ``endpoint`` with ``failure``: message
        requests (before any random failure, whatever ``fail_rate`` says), or one of
        ``INJECTABLE_ENDPOINTS`` (``lookup``, ``download``, ``upload``, ``templates``)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if endpoint != "messages" and endpoint not in INJECTABLE_ENDPOINTS:
            raise ValueError(
                f"endpoint must be messages or one of {', '.join(INJECTABLE_ENDPOINTS)}"
            )
        with self._lock:
            queue = self._forced if endpoint == "messages" else self._media_forced[endpoint]
            queue.extend([failure] * times)

    # -- files ---------------------------------------------------------------------------

    def add_media(
        self,
        content: bytes,
        mime_type: str,
        *,
        media_id: str | None = None,
        filename: str | None = None,
    ) -> str:
        """Hold a customer's file; returns its media id (``media_id``, else a new one).
        ``customer_media_message`` also builds the webhook message that names it."""
        return self.media.add(content, mime_type, media_id=media_id, filename=filename).media_id

    def expire_media(self, media_id: str) -> bool:
        """Meta forgets the id now (as 7 days after the message); False if unknown."""
        return self.media.expire(media_id)

    def stale_next_download_urls(self, times: int = 1) -> None:
        """The next ``times`` lookups hand out a download URL that has already expired."""
        self.media.stale_next_urls(times)

    def media_requests(self) -> list[JsonObject]:
        """Every lookup, download and upload, oldest first (authorization redacted,
        download URLs hidden): ``endpoint``, ``path``, ``media_id``, ``response_status``."""
        return self.media.requests()

    # -- what the server uses ------------------------------------------------------------

    def next_failure(self) -> Failure | None:
        """The forced failure queued next, else a random one at ``fail_rate``, else None."""
        with self._lock:
            if self._forced:
                return self._forced.popleft()
            if self.options.fail_rate <= 0 or self._rng.random() >= self.options.fail_rate:
                return None
            kind = self._rng.choice(("server_error", "throttled", "slow"))
            if kind == "server_error":
                return Failure(code=self._rng.choice((1, 2)), http_status=500)
            if kind == "throttled":
                return Failure(code=130429, http_status=429)
            return Failure(slow=True)

    def next_media_failure(self, endpoint: str) -> Failure | None:
        """The failure queued for a media endpoint or the templates list, if any (no
        random ones there)."""
        with self._lock:
            queue = self._media_forced[endpoint]
            return queue.popleft() if queue else None

    def fbtrace_id(self) -> str:
        """A Meta-style trace id (from its own generator: drawing trace ids must not shift
        the seeded sequence of failures)."""
        with self._lock:
            return fbtrace_id(self._trace_rng)

    def record(self, request: JsonObject) -> None:
        """Keep ``request``, stamped with ``received_at`` (``time.time()``) unless it has one
        (the server stamps its arrival), so that a benchmark on the same machine can time
        replies end to end."""
        stamped = {**request, "received_at": request.get("received_at", time.time())}
        with self._lock:
            self._requests.append(stamped)

    def claim_wamid(self, wamid: str) -> bool:
        """Reserve a freshly made wamid; False if it was ever issued (make another)."""
        with self._lock:
            if wamid in self._wamids:
                return False
            self._wamids.add(wamid)
            return True

    def accept(self, message: AcceptedMessage) -> None:
        with self._lock:
            self._accepted.append(message)
            conversation = f"{next(self._conversation_ids):032x}"
        self.pace.count_accepted()
        if self.options.status_webhook_url and self._loop is not None:
            context = StatusContext(
                wamid=message.wamid,
                phone_number_id=message.phone_number_id,
                recipient_field=message.recipient_field,
                recipient=message.recipient,
                is_template=message.type == "template",
                conversation_id=conversation,
                sent_at=int(time.time()),
            )
            task = self._loop.create_task(self._post_statuses(context))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def wait_unless_closing(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the server is shutting down (so that a delayed
        answer never holds up a test's teardown)."""
        if self._closing is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)

    # -- life cycle (called by the app's lifespan and by the runner) ---------------------

    async def started(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))

    def begin_shutdown(self) -> None:
        """Thread-safe: wake delayed answers and stop posting webhooks."""
        loop, closing = self._loop, self._closing
        if loop is None or closing is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile: nothing to wake
            loop.call_soon_threadsafe(self._close_now)

    def _close_now(self) -> None:
        if self._closing is not None:
            self._closing.set()
        for task in list(self._tasks):
            task.cancel()

    async def stopped(self) -> None:
        self._close_now()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- status webhooks -----------------------------------------------------------------

    async def _post_statuses(self, context: StatusContext) -> None:
        for status, delay in zip(STATUS_SEQUENCE, self.options.status_delays, strict=True):
            await asyncio.sleep(delay)
            await self._post_status(context, status)

    async def _post_status(self, context: StatusContext, status: str) -> None:
        if self.options.status_webhook_url is None or self._http is None:
            return
        payload = status_webhook_body(
            context,
            status,
            max(int(time.time()), context.sent_at),
            business_account_id=self.templates.waba_of(context.phone_number_id),
            display_phone_number=self.options.display_phone_number,
        )
        response_status, error = await self.post_signed(payload)
        if error is not None:
            logger.warning("status webhook %s for %s failed: %s", status, context.wamid, error)
        with self._lock:
            self._deliveries.append(WebhookDelivery(context.wamid, status, response_status, error))

    async def post_signed(self, payload: JsonObject) -> tuple[int | None, str | None]:
        """POST ``payload`` to the webhook URL, signed with the app secret as Meta signs
        (``X-Hub-Signature-256``): the receiver's HTTP status, or why there is none."""
        url, secret, http = self.options.status_webhook_url, self.options.app_secret, self._http
        if url is None or secret is None:
            return None, "no webhook URL configured (status_webhook_url)"
        if http is None:
            return None, "the fake is not running"
        raw = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, secret)}
        try:
            response = await http.post(url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return response.status_code, None


def redacted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Request headers as recorded: names in lower case, the bearer token hidden."""
    recorded: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key == "authorization":
            recorded[key] = "Bearer ***" if value.lower().startswith("bearer ") else "***"
        else:
            recorded[key] = value
    return recorded
