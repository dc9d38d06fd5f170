"""Server-sent events: the inbox hears about new messages, ticks and changes as they happen.

Each event names what changed (``message_stored``, ``delivery_status_changed``,
``conversation_changed``) and the ids; the client fetches what it shows through the API,
so an event never carries more than the caller could read anyway. A comment line every
``keepalive_seconds`` keeps proxies from closing an idle stream. A subscriber too slow to
keep up gets one ``resync`` event instead of unbounded memory on the server: it should
reload what it shows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from crm_whatsapp.adapters.events import Lagged, LocalEventHub, event_to_json
from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.adapters.http.operations import Param
from crm_whatsapp.adapters.http.params import Query

EVENT_PARAMS = (Param("conversation_id", "only events of this conversation", max_length=200),)
RECONNECT_MILLISECONDS = 3000


class LiveEndpoints:
    def __init__(self, services: ApiContext) -> None:
        self._s = services

    async def stream(self, request: Request) -> Response:
        self._s.tokens.check(request)
        query = Query(request.query_params, EVENT_PARAMS)
        only = query.text("conversation_id", 200)
        hub = self._s.live_events
        if hub is None:
            raise ApiError(503, "unavailable", "live events are not enabled in this service")
        return StreamingResponse(
            self._events(hub, only),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _events(self, hub: LocalEventHub, only: str | None) -> AsyncIterator[str]:
        subscription = hub.subscribe()
        try:
            yield f"retry: {RECONNECT_MILLISECONDS}\n: connected\n\n"
            while True:
                try:
                    item = await subscription.next(self._s.keepalive_seconds)
                except RuntimeError:
                    if subscription.closed:  # the server is stopping: end the stream
                        return
                    raise
                if item is None:
                    yield ": keepalive\n\n"
                elif isinstance(item, Lagged):
                    yield "event: resync\ndata: {}\n\n"
                else:
                    data = event_to_json(item)
                    if only is None or data.get("conversation_id") == only:
                        yield f"event: {data['type']}\ndata: {json.dumps(data)}\n\n"
        finally:
            subscription.close()
