"""Why a webhook request is refused: bad body, bad signature, refused verification.

Each error has a ``code`` (our error tree's convention) that the HTTP layer maps to a status:
``invalid_webhook_payload`` -> 400, ``payload_too_large`` -> 413, ``invalid_signature`` -> 401,
``verification_refused`` -> 403. Messages name what is wrong and where, never a value taken
from the request: bodies carry customers' personal data and headers carry signatures, and
both end up in logs.
"""

from __future__ import annotations

from crm_whatsapp.domain.errors import CrmWhatsAppError


class InvalidWebhookPayload(CrmWhatsAppError, ValueError):
    """A POST body that is not a WhatsApp Business Account webhook we can store completely.

    ``location`` is the path of the offending part (``entry[0].changes[1].value.messages[0]
    .timestamp``, or ``body`` for the whole request); nothing of the body is stored when this
    is raised, so Meta's retry (or a fixed sender) gets a second chance at all of it.
    """

    code = "invalid_webhook_payload"

    def __init__(self, location: str, problem: str) -> None:
        super().__init__(f"{location}: {problem}")
        self.location = location
        self.problem = problem


class PayloadTooLarge(InvalidWebhookPayload):
    """A body over the size limit, refused before it is even decoded."""

    code = "payload_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__("body", f"{size} bytes, more than the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class InvalidSignature(CrmWhatsAppError):
    """``X-Hub-Signature-256`` missing, malformed, or not the HMAC of the body.

    ``reason`` is ``missing``, ``malformed`` or ``mismatch``. The expected signature is never
    part of the message: echoing it would let anyone forge the next request.
    """

    code = "invalid_signature"

    def __init__(self, reason: str, problem: str) -> None:
        super().__init__(f"X-Hub-Signature-256: {problem}")
        self.reason = reason


class VerificationRefused(CrmWhatsAppError):
    """A GET subscription check that is not Meta's (wrong mode, token or no challenge)."""

    code = "verification_refused"

    def __init__(self, problem: str) -> None:
        super().__init__(f"webhook verification refused: {problem}")
        self.problem = problem
