"""The JSON the CRM API speaks, as pydantic models: one source for the bodies and the OpenAPI.

Responses are built from domain objects by the ``*_out`` functions; requests are validated
with ``extra="forbid"`` so that a typo in a field name is a 422 naming the field, not a
silently ignored value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_whatsapp.adapters.http.interactive_schemas import (
    InteractiveIn,
    InteractiveOut,
    interactive_out,
)
from crm_whatsapp.adapters.http.media_links import MediaLinks
from crm_whatsapp.adapters.http.media_schemas import MediaOut, media_out
from crm_whatsapp.adapters.http.template_schemas import TemplateIn
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import InvalidOutboundMessage
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.statistics import DurationSummary, Statistics


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class _In(BaseModel):
    """Request bodies; NUL characters are refused before validation (``endpoint.py``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class CustomerOut(_Out):
    wa_id: str | None
    user_id: str | None
    phone: str | None = Field(description="E.164, when Meta gave a number")


class ClientOut(_Out):
    id: str
    name: str


class ConversationOut(_Out):
    id: str
    business_number_id: str
    customer: CustomerOut
    display_name: str = Field(description="client name, else WhatsApp profile name, else number")
    profile_name: str | None
    client: ClientOut | None
    client_linked_manually: bool
    started_at: datetime
    last_activity_at: datetime
    last_inbound_at: datetime | None
    service_window_closes_at: datetime | None
    service_window_open: bool
    last_preview: str
    unread_count: int
    bot_paused: bool
    assigned_agent: str | None
    assigned_agent_id: str | None = Field(description="the assignee's id in the host CRM")
    status: Literal["open", "pending", "resolved"]
    opted_out: bool
    marketing_opt_out: bool = Field(
        description="the customer stopped marketing messages in WhatsApp (user_preferences)"
    )
    marketing_preference_at: datetime | None = Field(
        description="when they last stopped or resumed them"
    )


class AuthorOut(_Out):
    kind: Literal["customer", "bot", "agent", "phone_app"]
    name: str | None


class ProcessingOut(_Out):
    state: Literal["received", "replied", "skipped", "failed"]
    detail: str | None
    rule: str | None


class SendFailureOut(_Out):
    code: str
    title: str
    retryable: bool


class DeliveryOut(_Out):
    status: Literal["pending", "sent", "delivered", "read", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_error: SendFailureOut | None
    unknown_outcomes: int
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None


class TemplateOut(_Out):
    name: str
    language: str
    parameters: list[str]
    named_parameters: dict[str, str] = Field(default_factory=dict)
    category: str | None = None


class MessageOut(_Out):
    id: str
    conversation_id: str
    direction: Literal["inbound", "outbound"]
    kind: str
    author: AuthorOut
    text: str | None
    wamid: str | None
    created_at: datetime
    sent_at: datetime
    media_id: str | None
    reply_to_wamid: str | None
    details: dict[str, Any]
    processing: ProcessingOut | None
    delivery: DeliveryOut | None
    template: TemplateOut | None
    media: MediaOut | None
    interactive: InteractiveOut | None = Field(description="reply buttons or a list we sent")


class ConversationPage(_Out):
    items: list[ConversationOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class MessagePage(_Out):
    items: list[MessageOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for older messages")


class ClientList(_Out):
    items: list[ClientOut]


class DurationOut(_Out):
    count: int
    median_seconds: float | None
    p90_seconds: float | None


class DayCountOut(_Out):
    day: str = Field(description="local date, YYYY-MM-DD")
    inbound: int
    outbound: int


class StatisticsOut(_Out):
    since: datetime | None
    until: datetime | None
    timezone: str
    inbound_messages: int
    outbound_messages: int
    bot_messages: int
    agent_messages: int
    conversations: int
    customers: int
    linked_conversations: int
    unlinked_conversations: int
    bot_replies: int
    handoffs: int
    opt_outs: int
    failed_sends: dict[str, int]
    delivery_rate: float | None
    read_rate: float | None
    first_response_bot: DurationOut
    first_response_agent: DurationOut
    messages_per_day: list[DayCountOut]
    heatmap: list[list[int]] = Field(description="[weekday 0=Monday][hour] customer messages")


class ErrorDetail(_Out):
    code: str
    message: str


class ErrorBody(_Out):
    error: ErrorDetail


class Status(_Out):
    status: Literal["ok"]


class Readiness(_Out):
    """Nothing but the status: anyone may ask. Why it is unavailable is in the log; the
    ingest backlog is at ``GET /api/v1/salud-canal``, with a token."""

    status: Literal["ready", "unavailable"]


_AGENT = (
    "who is answering: with an agent token, omit it (the token says who); with a service "
    "token, the agent the CRM acts for"
)


class AgentReplyIn(_In):
    agent: str | None = Field(default=None, min_length=1, max_length=200, description=_AGENT)
    text: str | None = Field(default=None, max_length=4096)
    template: TemplateIn | None = None
    reply_to_wamid: str | None = Field(default=None, max_length=200)
    take_over: bool = Field(default=True, description="pause the bot for this conversation")
    interactive: InteractiveIn | None = Field(
        default=None, description="reply buttons or a list, instead of text or a template"
    )


class AgentFileIn(_In):
    """The form fields beside ``file`` when an agent sends a file (multipart/form-data)."""

    agent: str | None = Field(default=None, min_length=1, max_length=200, description=_AGENT)
    caption: str | None = Field(default=None, max_length=1024)
    voice: bool = Field(
        default=False,
        description="a voice note recorded in the browser (WebM/Opus is remuxed to OGG/Opus)",
    )
    as_document: bool = Field(default=False, description="send a picture or video as a file")
    reply_to_wamid: str | None = Field(default=None, max_length=200)
    take_over: bool = Field(default=True, description="pause the bot for this conversation")
    template: str | None = Field(
        default=None,
        max_length=20000,
        description="a template (the JSON of `template` in a JSON reply) whose media header "
        "is this file; then no caption, and the 24-hour window does not apply",
    )

    def template_in(self) -> TemplateIn | None:
        """The ``template`` field read as JSON; a 422 naming it when it is not one."""
        if self.template is None:
            return None
        try:
            return TemplateIn.model_validate_json(self.template)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise InvalidOutboundMessage(
                f"template{'.' + where if where else ''}", str(first["msg"])
            ) from None


class LinkClientIn(_In):
    client_id: str = Field(min_length=1, max_length=128)  # what the client_id column holds


class TakeOverIn(_In):
    agent: str | None = Field(default=None, min_length=1, max_length=200, description=_AGENT)


def conversation_out(conversation: Conversation, now: datetime) -> ConversationOut:
    c = conversation
    client = ClientOut(id=c.client_id, name=c.client_name or "") if c.client_id else None
    return ConversationOut(
        id=c.id,
        business_number_id=c.business_number_id,
        customer=CustomerOut(
            wa_id=c.customer.wa_id,
            user_id=c.customer.user_id,
            phone=str(c.customer.phone) if c.customer.phone else None,
        ),
        display_name=c.display_name,
        profile_name=c.profile_name,
        client=client,
        client_linked_manually=c.client_linked_manually,
        started_at=c.started_at,
        last_activity_at=c.last_activity_at,
        last_inbound_at=c.last_inbound_at,
        service_window_closes_at=c.service_window_closes_at,
        service_window_open=c.service_window_open(now),
        last_preview=c.last_preview,
        unread_count=c.unread_count,
        bot_paused=c.bot_paused,
        assigned_agent=c.assigned_agent,
        assigned_agent_id=c.assigned_agent_id,
        status=c.status.value,
        opted_out=c.opted_out,
        marketing_opt_out=c.marketing_opt_out,
        marketing_preference_at=c.marketing_preference_at,
    )


def message_out(
    message: Message, links: MediaLinks | None = None, now: datetime | None = None
) -> MessageOut:
    """``links`` signs the file's ``url`` (valid from ``now``); without it ``url`` is the
    plain path, which answers to the API token only."""
    m = message
    processing = (
        ProcessingOut(
            state=m.processing.state.value, detail=m.processing.detail, rule=m.processing.rule
        )
        if m.processing
        else None
    )
    delivery = None
    if m.delivery is not None:
        d = m.delivery
        error = (
            SendFailureOut(
                code=d.last_error.code, title=d.last_error.title, retryable=d.last_error.retryable
            )
            if d.last_error
            else None
        )
        delivery = DeliveryOut(
            status=d.status.value,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_error=error,
            unknown_outcomes=d.unknown_outcomes,
            sent_at=d.sent_at,
            delivered_at=d.delivered_at,
            read_at=d.read_at,
            failed_at=d.failed_at,
        )
    template = (
        TemplateOut(
            name=m.template.name,
            language=m.template.language,
            parameters=list(m.template.parameters),
            named_parameters=dict(m.template.named_parameters),
            category=m.template.category,
        )
        if m.template
        else None
    )
    return MessageOut(
        id=m.id,
        conversation_id=m.conversation_id,
        direction=m.direction.value,
        kind=m.kind.value,
        author=AuthorOut(kind=m.author.kind.value, name=m.author.name),
        text=m.text,
        wamid=m.wamid,
        created_at=m.created_at,
        sent_at=m.sent_at,
        media_id=m.media_id,
        reply_to_wamid=m.reply_to_wamid,
        details=dict(m.details),
        processing=processing,
        delivery=delivery,
        template=template,
        media=media_out(m, links, now) if m.media is not None else None,
        interactive=interactive_out(m.interactive) if m.interactive is not None else None,
    )


def client_out(client: ClientRef) -> ClientOut:
    return ClientOut(id=client.id, name=client.name)


def _duration(summary: DurationSummary) -> DurationOut:
    return DurationOut(
        count=summary.count, median_seconds=summary.median_seconds, p90_seconds=summary.p90_seconds
    )


def statistics_out(stats: Statistics) -> StatisticsOut:
    return StatisticsOut(
        since=stats.since,
        until=stats.until,
        timezone=stats.timezone,
        inbound_messages=stats.inbound_messages,
        outbound_messages=stats.outbound_messages,
        bot_messages=stats.bot_messages,
        agent_messages=stats.agent_messages,
        conversations=stats.conversations,
        customers=stats.customers,
        linked_conversations=stats.linked_conversations,
        unlinked_conversations=stats.unlinked_conversations,
        bot_replies=stats.bot_replies,
        handoffs=stats.handoffs,
        opt_outs=stats.opt_outs,
        failed_sends=dict(stats.failed_sends),
        delivery_rate=stats.delivery_rate,
        read_rate=stats.read_rate,
        first_response_bot=_duration(stats.first_response_bot),
        first_response_agent=_duration(stats.first_response_agent),
        messages_per_day=[
            DayCountOut(day=d.day.isoformat(), inbound=d.inbound, outbound=d.outbound)
            for d in stats.messages_per_day
        ],
        heatmap=[list(row) for row in stats.heatmap],
    )
