"""The use cases: each one unit of work, then events for the inbox."""

from crm_whatsapp.domain.use_cases.agent import agent_reply
from crm_whatsapp.domain.use_cases.conversation_admin import (
    give_back_to_bot,
    link_client,
    mark_read,
    take_over,
    unlink_client,
)
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.inbound import InboundOutcome, receive_inbound
from crm_whatsapp.domain.use_cases.outbox import OutboxReport, RetryPolicy
from crm_whatsapp.domain.use_cases.outbox_pipeline import OutboxPipeline, send_due_outbound
from crm_whatsapp.domain.use_cases.status import StatusOutcome, record_status_update

__all__ = [
    "Dependencies",
    "InboundOutcome",
    "OutboxPipeline",
    "OutboxReport",
    "RetryPolicy",
    "StatusOutcome",
    "agent_reply",
    "give_back_to_bot",
    "link_client",
    "mark_read",
    "receive_inbound",
    "record_status_update",
    "send_due_outbound",
    "take_over",
    "unlink_client",
]
