"""Meta's report on one of our outbound messages, as the webhook writes it."""

from __future__ import annotations

from pydantic import JsonValue

from crm_whatsapp.adapters.whatsapp.webhook.base import (
    MetaError,
    NonEmptyStr,
    UnixTimestamp,
    UserIdStr,
    WamidStr,
    WebhookModel,
)


class WebhookStatus(WebhookModel):
    """A status object of ``value.statuses``.

    ``status`` stays a plain string: Meta added ``played`` in 2026 and may add more, and an
    unknown status is reported as a problem rather than refusing the whole body. Billing
    data (``conversation``, ``pricing``) changes shape with Meta's pricing models, so it is
    only required to be a JSON object and is kept as received.
    """

    id: WamidStr
    status: NonEmptyStr
    timestamp: UnixTimestamp
    recipient_id: UserIdStr | None = None
    recipient_user_id: str | None = None
    recipient_parent_user_id: str | None = None
    conversation: dict[str, JsonValue] | None = None
    pricing: dict[str, JsonValue] | None = None
    biz_opaque_callback_data: str | None = None
    errors: tuple[MetaError, ...] = ()
