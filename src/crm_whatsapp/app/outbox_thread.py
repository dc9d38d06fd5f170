"""The outbox worker inside the web process, on a thread of its own.

The use cases' database calls are synchronous; on the server's event loop they would stall
every request while a pass runs. So the worker gets its own thread, its own event loop and
its own Graph API client; ``wake()`` (thread-safe) starts a pass at once when a reply is
queued, so replies do not wait for the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from crm_whatsapp.app.gateway_sessions import GatewayFactory
from crm_whatsapp.app.media_fetch_worker import MediaFetchWorker
from crm_whatsapp.app.outbox_worker import OutboxWorker
from crm_whatsapp.domain.ports import SendRateLimiter
from crm_whatsapp.domain.use_cases import Dependencies, RetryPolicy
from crm_whatsapp.domain.use_cases.media_fetch import MediaFetchPolicy

logger = logging.getLogger("crm_whatsapp.outbox")


class OutboxThread:
    def __init__(
        self,
        deps: Dependencies,
        gateways: GatewayFactory,
        policy: RetryPolicy | None = None,
        *,
        limiter: SendRateLimiter | None = None,
        poll_interval: float = 1.0,
        media_policy: MediaFetchPolicy | None = None,
    ) -> None:
        self._deps = deps
        self._media_policy = media_policy
        self._gateways = gateways
        self._policy = policy
        self._limiter = limiter
        self._poll_interval = poll_interval
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._media_wake: asyncio.Event | None = None
        self._started = threading.Event()
        self._wake_pending = threading.Event()
        self.worker: OutboxWorker | None = None
        self.media_worker: MediaFetchWorker | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="crm-whatsapp-outbox", daemon=True)
        self._thread.start()
        self._started.wait(10)

    def wake(self) -> None:
        """Start a pass soon; many wakes before the pass starts cost one (each wake-up of
        the loop is a system call, and every stored message asks for one)."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed() or self._wake_pending.is_set():
            return
        self._wake_pending.set()
        # the loop may close in between: then there is nothing left to wake
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._woken, wake)

    def _woken(self, wake: asyncio.Event) -> None:
        self._wake_pending.clear()
        wake.set()
        if self._media_wake is not None:
            self._media_wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("the outbox thread did not stop within %ss", timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:
            logger.exception("the outbox thread crashed")
        finally:
            self._started.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop, self._wake = asyncio.Event(), asyncio.Event()
        self._media_wake = asyncio.Event()
        async with self._gateways() as gateway:
            self.worker = OutboxWorker(
                self._deps,
                gateway,
                self._policy,
                limiter=self._limiter,
                poll_interval=self._poll_interval,
            )
            jobs = [self.worker.run(self._stop, self._wake)]
            if self._deps.media is not None:
                self.media_worker = MediaFetchWorker(
                    self._deps,
                    gateway,
                    self._deps.media,
                    self._media_policy,
                    poll_interval=max(self._poll_interval, 1.0),
                )
                jobs.append(self.media_worker.run(self._stop, self._media_wake))
            self._started.set()
            await asyncio.gather(*jobs)
