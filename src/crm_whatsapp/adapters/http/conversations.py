"""The CRM API's handlers on the original CRM's paths (``/api/v1/conversaciones-whatsapp``).

Each handler is a use case or a query over values the operation wrapper already checked
(``endpoint.py``); it runs in the threadpool, because the database adapters are
synchronous. The parameters each one reads are declared beside it, in ``routes.py``.
"""

from __future__ import annotations

import logging

from anyio import from_thread
from starlette.concurrency import run_in_threadpool

from crm_whatsapp.adapters.http import schemas
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.uploads import send_file
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.use_cases import (
    agent_reply,
    give_back_to_bot,
    link_client,
    mark_read,
    take_over,
    unlink_client,
)
from crm_whatsapp.domain.use_cases.media_fetch import retry_media_fetch

logger = logging.getLogger("crm_whatsapp.http")
CONVERSATION = "conversation_id"


# -- reading -------------------------------------------------------------------------------
def list_conversations(context: ApiContext, call: Call) -> schemas.ConversationPage:
    return _page(
        context,
        call,
        ConversationFilter(
            client_id=call.text("client_id"),
            number=call.phone("number"),
            since=call.moment("since"),
            until=call.moment("until"),
            linked=call.flag("linked"),
            bot_paused=call.flag("bot_paused"),
            opted_out=call.flag("opted_out"),
            text=call.text("q"),
        ),
    )


def conversations_of_client(context: ApiContext, call: Call) -> schemas.ConversationPage:
    return _page(context, call, ConversationFilter(client_id=call.required("cliente_id")))


def conversations_with_number(context: ApiContext, call: Call) -> schemas.ConversationPage:
    return _page(context, call, ConversationFilter(number=call.phone("numero")))


def one_conversation(context: ApiContext, call: Call) -> schemas.ConversationOut:
    return _out(context, context.queries.conversation(call.required(CONVERSATION)))


def messages(context: ApiContext, call: Call) -> schemas.MessagePage:
    conversation_id = call.required(CONVERSATION)
    context.queries.conversation(conversation_id)  # 404 rather than an empty page
    page = context.queries.messages(conversation_id, call.integer("limit"), call.text("cursor"))
    now = context.deps.clock.now()
    return schemas.MessagePage(
        items=[schemas.message_out(m, context.media_links, now) for m in page.items],
        next_cursor=page.next_cursor,
    )


def statistics(context: ApiContext, call: Call) -> schemas.StatisticsOut:
    timezone = call.text("timezone") or context.default_timezone
    stats = context.queries.statistics(call.moment("since"), call.moment("until"), timezone)
    return schemas.statistics_out(stats)


def search_clients(context: ApiContext, call: Call) -> schemas.ClientList:
    clients = context.deps.clients.search(call.required("q"), call.integer("limit"))
    return schemas.ClientList(items=[schemas.client_out(c) for c in clients])


# -- acting --------------------------------------------------------------------------------
async def reply(context: ApiContext, call: Call) -> schemas.MessageOut:
    """JSON: text or a template; multipart/form-data: a file (``uploads.py``)."""
    if call.upload is not None:
        return await send_file(context, call, call.required(CONVERSATION))
    return await run_in_threadpool(_reply, context, call)


def _reply(context: ApiContext, call: Call) -> schemas.MessageOut:
    body = call.body_as(schemas.AgentReplyIn)
    message = agent_reply(
        context.deps,
        call.required(CONVERSATION),
        body.agent,
        text=body.text,
        template=body.template.to_domain() if body.template else None,
        reply_to_wamid=body.reply_to_wamid,
        take_over=body.take_over,
    )
    return schemas.message_out(message, context.media_links, context.deps.clock.now())


def retry_media(context: ApiContext, call: Call) -> schemas.MessageOut:
    message = retry_media_fetch(context.deps, call.required("message_id"))
    return schemas.message_out(message, context.media_links, context.deps.clock.now())


def link(context: ApiContext, call: Call) -> schemas.ConversationOut:
    client_id = call.body_as(schemas.LinkClientIn).client_id
    return _out(context, link_client(context.deps, call.required(CONVERSATION), client_id))


def unlink(context: ApiContext, call: Call) -> schemas.ConversationOut:
    return _out(context, unlink_client(context.deps, call.required(CONVERSATION)))


def pause_bot(context: ApiContext, call: Call) -> schemas.ConversationOut:
    agent = call.body_as(schemas.TakeOverIn).agent
    return _out(context, take_over(context.deps, call.required(CONVERSATION), agent))


def resume_bot(context: ApiContext, call: Call) -> schemas.ConversationOut:
    return _out(context, give_back_to_bot(context.deps, call.required(CONVERSATION)))


def read(context: ApiContext, call: Call) -> schemas.ConversationOut:
    conversation = mark_read(context.deps, call.required(CONVERSATION))
    _send_read_receipt(context, conversation)
    return _out(context, conversation)


# -- helpers -------------------------------------------------------------------------------
def _page(
    context: ApiContext, call: Call, conversation_filter: ConversationFilter
) -> schemas.ConversationPage:
    page = context.queries.conversations(
        conversation_filter, call.integer("limit"), call.text("cursor")
    )
    now = context.deps.clock.now()
    return schemas.ConversationPage(
        items=[schemas.conversation_out(c, now) for c in page.items],
        next_cursor=page.next_cursor,
    )


def _out(context: ApiContext, conversation: Conversation) -> schemas.ConversationOut:
    return schemas.conversation_out(conversation, context.deps.clock.now())


def _send_read_receipt(context: ApiContext, conversation: Conversation) -> None:
    """Blue ticks for the customer's latest message: a courtesy, so failures are logged.
    The gateway belongs to the server's event loop, so the send runs there."""
    gateway = context.read_receipts
    if gateway is None:
        return
    page = context.queries.messages(conversation.id, 20, None)
    latest = next((m for m in page.items if m.is_inbound and m.wamid), None)
    if latest is None or latest.wamid is None:
        return
    try:
        from_thread.run(gateway.mark_read, conversation.business_number_id, latest.wamid)
    except GatewayError as exc:
        logger.warning("read receipt for conversation %s failed: %s", conversation.id, exc)
