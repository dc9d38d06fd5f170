"""Server-sent events: the inbox hears about new messages, ticks and changes as they happen.

Each event names what changed (``message_stored``, ``delivery_status_changed``,
``conversation_changed``, ``activity_recorded``...) and the ids; the client fetches what it
shows through the API, so an event never carries more than the caller could read anyway. A
token confined to one client hears only about that client's conversations. A comment line
every ``keepalive_seconds`` keeps proxies from closing an idle stream. A subscriber too slow
to keep up gets one ``resync`` event instead of unbounded memory on the server: it should
reload what it shows. One credential holds at most ``max_streams_per_token`` streams, so a
leaked or buggy token cannot pin the server's memory and file descriptors.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from crm_whatsapp.adapters.events import Lagged, event_to_json
from crm_whatsapp.adapters.http.callers import visible_conversation
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.domain.access import Access
from crm_whatsapp.domain.errors import ConversationNotFound

RECONNECT_MILLISECONDS = 3000


async def live_events(context: ApiContext, call: Call) -> StreamingResponse:
    hub = context.live_events
    if hub is None:
        raise ApiError(503, "unavailable", "live events are not enabled in this service")
    access = call.caller
    only = call.text("conversation_id")
    if only is not None and access.is_confined:
        await run_in_threadpool(visible_conversation, context, call, only)
    stream = _events(context, call, only)
    context.stream_slots.open(access.credential, context.max_streams_per_token, stream)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(context: ApiContext, call: Call, only: str | None) -> AsyncIterator[str]:
    hub = context.live_events
    assert hub is not None
    access = call.caller
    subscription = hub.subscribe()
    try:
        yield f"retry: {RECONNECT_MILLISECONDS}\n: connected\n\n"
        while True:
            try:
                item = await subscription.next(context.keepalive_seconds)
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
                if only is not None and data.get("conversation_id") != only:
                    continue
                if access.is_confined and not await _sees(context, access, data):
                    continue
                yield f"event: {data['type']}\ndata: {json.dumps(data)}\n\n"
    finally:
        subscription.close()


async def _sees(context: ApiContext, access: Access, data: dict[str, str]) -> bool:
    """Whether a confined token may hear of this event's conversation (looked up each
    time: a link made or removed a moment ago counts at once)."""
    conversation_id = data.get("conversation_id")
    if conversation_id is None:
        return False
    try:
        conversation = await run_in_threadpool(context.queries.conversation, conversation_id)
    except ConversationNotFound:
        return False
    return access.sees(conversation)
