"""The CRM API's handlers on the original CRM's paths (``/api/v1/conversaciones-whatsapp``).

Each handler is a use case or a query over values the operation wrapper already checked
(``endpoint.py``); it runs in the threadpool, because the database adapters are
synchronous. The parameters each one reads are declared beside it, in ``routes.py``.
"""

from __future__ import annotations

import logging

from anyio import from_thread
from starlette.concurrency import run_in_threadpool

from crm_whatsapp.adapters.http import schemas, team_schemas
from crm_whatsapp.adapters.http.callers import (
    acting_actor,
    assignee_filter,
    confined_filter,
    visible_conversation,
)
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.adapters.http.templates import check_header_file_visible
from crm_whatsapp.adapters.http.uploads import send_file
from crm_whatsapp.domain.conversation import Conversation, ConversationStatus
from crm_whatsapp.domain.errors import (
    ConversationNotFound,
    GatewayError,
    InvalidQueryParameter,
    MessageNotFound,
)
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
from crm_whatsapp.domain.use_cases.team import Assignee, add_note, assign, set_status

logger = logging.getLogger("crm_whatsapp.http")
CONVERSATION = "conversation_id"


# -- reading -------------------------------------------------------------------------------
def list_conversations(context: ApiContext, call: Call) -> schemas.ConversationPage:
    assigned_agent_id, assigned = assignee_filter(call.caller, call.text("assignee"))
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
            status=_status(call.text("status")),
            assigned_agent_id=assigned_agent_id,
            assigned=assigned,
        ),
    )


def conversations_of_client(context: ApiContext, call: Call) -> schemas.ConversationPage:
    return _page(context, call, ConversationFilter(client_id=call.required("cliente_id")))


def conversations_with_number(context: ApiContext, call: Call) -> schemas.ConversationPage:
    return _page(context, call, ConversationFilter(number=call.phone("numero")))


def one_conversation(context: ApiContext, call: Call) -> schemas.ConversationOut:
    return _out(context, visible_conversation(context, call, call.required(CONVERSATION)))


def messages(context: ApiContext, call: Call) -> schemas.MessagePage:
    conversation_id = call.required(CONVERSATION)
    visible_conversation(context, call, conversation_id)  # 404 rather than an empty page
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
    """JSON: text, a template, or buttons or a list; multipart/form-data: a file
    (``uploads.py``)."""
    if call.upload is not None:
        return await send_file(context, call, call.required(CONVERSATION))
    return await run_in_threadpool(_reply, context, call)


def _reply(context: ApiContext, call: Call) -> schemas.MessageOut:
    body = call.body_as(schemas.AgentReplyIn)
    actor = acting_actor(call, body.agent)
    conversation_id = visible_conversation(context, call, call.required(CONVERSATION)).id
    if body.template is not None:
        check_header_file_visible(context, call, body.template)
    message = agent_reply(
        context.deps,
        conversation_id,
        actor,
        text=body.text,
        template=body.template.to_domain() if body.template else None,
        interactive=body.interactive.to_domain() if body.interactive else None,
        reply_to_wamid=body.reply_to_wamid,
        take_over=body.take_over,
    )
    return schemas.message_out(message, context.media_links, context.deps.clock.now())


def retry_media(context: ApiContext, call: Call) -> schemas.MessageOut:
    message_id = call.required("message_id")
    if call.caller.is_confined:
        owner = context.queries.message(message_id).conversation_id
        try:
            visible_conversation(context, call, owner)
        except ConversationNotFound:
            raise MessageNotFound(message_id) from None
    message = retry_media_fetch(context.deps, message_id)
    return schemas.message_out(message, context.media_links, context.deps.clock.now())


def link(context: ApiContext, call: Call) -> schemas.ConversationOut:
    client_id = call.body_as(schemas.LinkClientIn).client_id
    target = _target(context, call)
    if call.caller.is_confined and client_id != call.caller.client_id:
        raise ApiError(403, "forbidden", "client_id: a token for one client links to it only")
    return _out(context, link_client(context.deps, target, client_id, call.caller.actor))


def unlink(context: ApiContext, call: Call) -> schemas.ConversationOut:
    target = _target(context, call)
    return _out(context, unlink_client(context.deps, target, call.caller.actor))


def pause_bot(context: ApiContext, call: Call) -> schemas.ConversationOut:
    actor = acting_actor(call, call.body_as(schemas.TakeOverIn).agent)
    return _out(context, take_over(context.deps, _target(context, call), actor))


def resume_bot(context: ApiContext, call: Call) -> schemas.ConversationOut:
    target = _target(context, call)
    return _out(context, give_back_to_bot(context.deps, target, call.caller.actor))


def read(context: ApiContext, call: Call) -> schemas.ConversationOut:
    conversation = mark_read(context.deps, _target(context, call), call.caller.actor)
    _send_read_receipt(context, conversation)
    return _out(context, conversation)


# -- helpers -------------------------------------------------------------------------------
def _target(context: ApiContext, call: Call) -> str:
    """The path's conversation, once the caller is known to see it."""
    return visible_conversation(context, call, call.required(CONVERSATION)).id


def _status(text: str | None) -> ConversationStatus | None:
    if text is None:
        return None
    try:
        return ConversationStatus(text)
    except ValueError:
        raise InvalidQueryParameter("status", "must be open, pending or resolved") from None


def _page(
    context: ApiContext, call: Call, conversation_filter: ConversationFilter
) -> schemas.ConversationPage:
    allowed = confined_filter(call.caller, conversation_filter)
    if allowed is None:
        return schemas.ConversationPage(items=[], next_cursor=None)
    page = context.queries.conversations(allowed, call.integer("limit"), call.text("cursor"))
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


# -- the team's work -------------------------------------------------------------------------
def me(context: ApiContext, call: Call) -> team_schemas.MeOut:
    return team_schemas.me_out(call.caller)


def activity(context: ApiContext, call: Call) -> team_schemas.ActivityPage:
    conversation_id = _target(context, call)
    page = context.queries.activity(conversation_id, call.integer("limit"), call.text("cursor"))
    return team_schemas.ActivityPage(
        items=[team_schemas.activity_out(a) for a in page.items], next_cursor=page.next_cursor
    )


def assign_conversation(context: ApiContext, call: Call) -> schemas.ConversationOut:
    wanted = call.body_as(team_schemas.AssignIn).agent
    actor = call.caller.actor
    if wanted == "me":
        assignee: Assignee | None = Assignee.of(actor)
    elif wanted is None:
        assignee = None
    else:
        assignee = Assignee(wanted.name, wanted.id)
    return _out(context, assign(context.deps, _target(context, call), assignee, actor))


def change_status(context: ApiContext, call: Call) -> schemas.ConversationOut:
    status = ConversationStatus(call.body_as(team_schemas.StatusIn).status)
    return _out(
        context, set_status(context.deps, _target(context, call), status, call.caller.actor)
    )


def write_note(context: ApiContext, call: Call) -> team_schemas.ActivityOut:
    text = call.body_as(team_schemas.NoteIn).text
    entry = add_note(context.deps, _target(context, call), text, call.caller.actor)
    return team_schemas.activity_out(entry)
