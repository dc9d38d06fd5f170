"""How many live event streams each credential holds open."""

from __future__ import annotations

import threading
import weakref
from collections.abc import AsyncIterator

from crm_whatsapp.adapters.http.errors import ApiError

RETRY_SECONDS = 3


class StreamSlots:
    """Open streams per credential. A stream is counted while its generator exists: one
    that ends, fails or is dropped before it starts (the client left early) is no longer
    referenced and stops counting, with no release step to forget."""

    def __init__(self) -> None:
        self._streams: dict[str, weakref.WeakSet[AsyncIterator[str]]] = {}
        self._lock = threading.Lock()

    def open(self, credential: str, cap: int, stream: AsyncIterator[str]) -> None:
        with self._lock:
            for empty in [key for key, held in self._streams.items() if not held]:
                del self._streams[empty]
            streams = self._streams.setdefault(credential, weakref.WeakSet())
            if len(streams) >= cap:
                raise ApiError(
                    429,
                    "too_many_requests",
                    f"this token already holds {cap} live event streams; close one first",
                    {"Retry-After": str(RETRY_SECONDS)},
                )
            streams.add(stream)
