"""Templates over HTTP: the synced catalogue, syncing it, and starting a conversation.

Sending a template in an existing conversation is the agent reply (``conversations.py``,
JSON; ``uploads.py`` when the header's file is uploaded with it).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from crm_whatsapp.adapters.http import schemas
from crm_whatsapp.adapters.http.callers import acting_actor, visible_conversation
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.adapters.http.template_schemas import (
    TemplateCatalogueOut,
    TemplateIn,
    TemplateSyncOut,
    catalogue_template_out,
    sync_out,
)
from crm_whatsapp.domain.errors import ConversationNotFound, MessageNotFound
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.template_errors import InvalidTemplateParameters, TemplatesNotConfigured
from crm_whatsapp.domain.templates import TemplateFilter
from crm_whatsapp.domain.use_cases.start_conversation import start_conversation

_AGENT = "with a service token, the agent the CRM acts for; with an agent token, omit it"


class StartConversationIn(BaseModel):
    model_config = {"extra": "forbid"}

    to: str | None = Field(
        default=None, min_length=3, max_length=40, description="the number, in any format"
    )
    client_id: str | None = Field(default=None, min_length=1, max_length=128)
    template: TemplateIn
    agent: str | None = Field(default=None, min_length=1, max_length=200, description=_AGENT)
    business_number_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="the business number to write from (default: CRM_WHATSAPP_PHONE_NUMBER_ID)",
    )


class StartedConversationOut(BaseModel):
    conversation: schemas.ConversationOut
    message: schemas.MessageOut
    created: bool = Field(description="true when the conversation was made for this message")


def check_header_file_visible(context: ApiContext, call: Call, template: TemplateIn) -> None:
    """A header that reuses a stored file must name one of the caller's own conversations:
    a client-confined token cannot send another client's document by guessing its id."""
    media_id = template.header.media_id if template.header is not None else None
    if media_id is None or not call.caller.is_confined:
        return
    try:
        owner = context.queries.message(media_id).conversation_id
        visible_conversation(context, call, owner)
    except (MessageNotFound, ConversationNotFound):
        raise InvalidTemplateParameters(
            template.name, [f"header: no message {media_id!r} holds a file"]
        ) from None


def list_templates(context: ApiContext, call: Call) -> TemplateCatalogueOut:
    where = TemplateFilter(
        status=call.text("status"),
        language=call.text("language"),
        category=call.text("category"),
        text=call.text("q"),
    )
    with context.deps.unit_of_work() as uow:
        templates = uow.templates.list(where)
        synced_at = uow.templates.synced_at()
    return TemplateCatalogueOut(
        items=[catalogue_template_out(t) for t in templates],
        synced_at=synced_at,
        configured=context.sync_templates is not None,
    )


async def sync_templates(context: ApiContext, call: Call) -> TemplateSyncOut:
    if context.sync_templates is None:
        raise TemplatesNotConfigured()
    return sync_out(await context.sync_templates())


def start(context: ApiContext, call: Call) -> StartedConversationOut:
    body = call.body_as(StartConversationIn)
    if body.to is None and body.client_id is None:
        raise ApiError(422, "invalid_request", "give 'to' (a number) or 'client_id', or both")
    confined_to = call.caller.client_id
    if confined_to is not None and body.client_id != confined_to:
        raise ApiError(
            403, "forbidden", "this token writes to its own client only: give its client_id"
        )
    number = body.business_number_id or context.default_business_number_id
    if number is None:
        raise ApiError(
            422,
            "invalid_request",
            "business_number_id: none given and CRM_WHATSAPP_PHONE_NUMBER_ID is not set",
        )
    check_header_file_visible(context, call, body.template)
    to = PhoneNumber.parse(body.to, context.default_region) if body.to is not None else None
    started = start_conversation(
        context.deps,
        context.queries,
        acting_actor(call, body.agent),
        number,
        body.template.to_domain(),
        to=to,
        client_id=body.client_id,
    )
    now = context.deps.clock.now()
    return StartedConversationOut(
        conversation=schemas.conversation_out(started.conversation, now),
        message=schemas.message_out(started.message, context.media_links, now),
        created=started.created,
    )
