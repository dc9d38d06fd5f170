"""A webhook status to a ``StatusUpdate``, or to a problem when the status is new to us."""

from __future__ import annotations

from typing import Any

from crm_whatsapp.adapters.whatsapp.webhook.batch import ProblemKind, WebhookProblem
from crm_whatsapp.adapters.whatsapp.webhook.failures import UNKNOWN_FAILURE, send_failure
from crm_whatsapp.adapters.whatsapp.webhook.status_models import WebhookStatus
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.inbound import StatusUpdate

_STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    # A voice note was played: it was read, and more. Our delivery states stop at read;
    # ``details["meta_status"]`` keeps the difference.
    "played": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def status_update(status: WebhookStatus, business_number_id: str) -> StatusUpdate | WebhookProblem:
    """The update, or a problem for a status we cannot place (``deleted``, future ones)."""
    delivery_status = _STATUSES.get(status.status)
    details = _details(status, business_number_id)
    if delivery_status is None:
        return WebhookProblem(
            kind=ProblemKind.UNKNOWN_STATUS,
            business_number_id=business_number_id,
            description=f"status {status.status!r} of message {status.id} is unknown",
            details=details | {"wamid": status.id, "timestamp": status.timestamp.isoformat()},
        )
    failure = None
    if delivery_status is DeliveryStatus.FAILED:
        failure = send_failure(status.errors[0]) if status.errors else UNKNOWN_FAILURE
    return StatusUpdate(
        wamid=status.id,
        status=delivery_status,
        timestamp=status.timestamp,
        failure=failure,
        recipient_id=status.recipient_id or None,
        details=details,
    )


def _details(status: WebhookStatus, business_number_id: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "meta_status": status.status,
        "business_number_id": business_number_id,
    }
    optional: dict[str, Any] = {
        "recipient_user_id": status.recipient_user_id,
        "recipient_parent_user_id": status.recipient_parent_user_id,
        "conversation": status.conversation,
        "pricing": status.pricing,
        "biz_opaque_callback_data": status.biz_opaque_callback_data,
    }
    details |= {key: value for key, value in optional.items() if value is not None}
    if status.errors:
        details["errors"] = [error.as_details() for error in status.errors]
    return details
