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

from starlette.responses import StreamingResponse

from crm_whatsapp.adapters.events import Lagged, LocalEventHub, event_to_json
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.errors import ApiError

RECONNECT_MILLISECONDS = 3000


def live_events(context: ApiContext, call: Call) -> StreamingResponse:
    hub = context.live_events
    if hub is None:
        raise ApiError(503, "unavailable", "live events are not enabled in this service")
    return StreamingResponse(
        _events(hub, call.text("conversation_id"), context.keepalive_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    hub: LocalEventHub, only: str | None, keepalive_seconds: float
) -> AsyncIterator[str]:
    subscription = hub.subscribe()
    try:
        yield f"retry: {RECONNECT_MILLISECONDS}\n: connected\n\n"
        while True:
            try:
                item = await subscription.next(keepalive_seconds)
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
