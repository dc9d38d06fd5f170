"""The handlers of canned responses: the team's list, its changes (``manage``), and one
response expanded for a conversation the caller may see (a confined token: only its
client's conversations, every other one a 404)."""

from __future__ import annotations

from starlette.responses import Response

from crm_whatsapp.adapters.http.callers import acting_actor, visible_conversation
from crm_whatsapp.adapters.http.canned_schemas import (
    CannedResponseChangeIn,
    CannedResponseIn,
    CannedResponseList,
    CannedResponseOut,
    ExpandedCannedResponseOut,
    canned_response_out,
    expanded_out,
)
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.domain.use_cases.canned_responses import (
    create_canned_response,
    delete_canned_response,
    expand_canned_response,
    find_canned_responses,
    update_canned_response,
)


def list_canned_responses(context: ApiContext, call: Call) -> CannedResponseList:
    found = find_canned_responses(context.deps, call.text("q") or "", call.integer("limit"))
    return CannedResponseList(items=[canned_response_out(r) for r in found])


def add_canned_response(context: ApiContext, call: Call) -> CannedResponseOut:
    body = call.body_as(CannedResponseIn)
    saved = create_canned_response(
        context.deps, body.shortcut, body.text, body.title, acting_actor(call, None)
    )
    return canned_response_out(saved)


def change_canned_response(context: ApiContext, call: Call) -> CannedResponseOut:
    body = call.body_as(CannedResponseChangeIn)
    changed = update_canned_response(
        context.deps, call.required("id"), shortcut=body.shortcut, title=body.title, text=body.text
    )
    return canned_response_out(changed)


def remove_canned_response(context: ApiContext, call: Call) -> Response:
    delete_canned_response(context.deps, call.required("id"))
    return Response(status_code=204)


def canned_response_for_conversation(context: ApiContext, call: Call) -> ExpandedCannedResponseOut:
    conversation = visible_conversation(context, call, call.required("conversation_id"))
    expansion = expand_canned_response(context.deps, conversation.id, call.required("shortcut"))
    return expanded_out(expansion)
