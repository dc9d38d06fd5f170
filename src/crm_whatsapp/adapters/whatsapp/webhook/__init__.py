"""WhatsApp Cloud API webhooks: signature check, subscription check, and body parsing.

The HTTP layer does, for a POST: ``verify_signature(body, header, app_secret)`` (401 on
``InvalidSignature``), a size check (413), then stores the raw body; the processor reads it
with ``WebhookBodyReader`` (every part on its own; what cannot be read is quarantined).
``parse_webhook`` reads a body all or nothing, for callers that want that. For a GET:
``answer_verification(query, verify_token)`` (403 on ``VerificationRefused``).
"""

from crm_whatsapp.adapters.whatsapp.webhook.conversion import (
    RETRYABLE_ERROR_CODES,
    ProblemKind,
    WebhookBatch,
    WebhookProblem,
    is_retryable,
    send_failure,
)
from crm_whatsapp.adapters.whatsapp.webhook.parsing import (
    DEFAULT_MAX_BYTES,
    InvalidWebhookPayload,
    PayloadTooLarge,
    parse_webhook,
)
from crm_whatsapp.adapters.whatsapp.webhook.reading import WebhookBodyReader
from crm_whatsapp.adapters.whatsapp.webhook.security import (
    SIGNATURE_HEADER,
    InvalidSignature,
    VerificationRefused,
    answer_verification,
    sign,
    verify_signature,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "RETRYABLE_ERROR_CODES",
    "SIGNATURE_HEADER",
    "InvalidSignature",
    "InvalidWebhookPayload",
    "PayloadTooLarge",
    "ProblemKind",
    "VerificationRefused",
    "WebhookBatch",
    "WebhookBodyReader",
    "WebhookProblem",
    "answer_verification",
    "is_retryable",
    "parse_webhook",
    "send_failure",
    "sign",
    "verify_signature",
]
