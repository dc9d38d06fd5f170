"""Is a webhook request Meta's? The POST's signature and the GET's subscription check.

``X-Hub-Signature-256`` proves that a POST comes from Meta and was not altered: Meta signs
the exact bytes of the body with the app secret (HMAC-SHA256) and sends ``sha256=<hex
digest>``. Verify before parsing, on the raw body as received: re-serialized JSON would
differ by a space and never match. A failure is answered with 401 by the HTTP layer (our
choice; Meta only documents that the request must be dropped), which Meta treats as a
failed delivery and retries, so a wrongly configured secret shows up as a retry storm in the
logs instead of as silently lost messages.

When a webhook URL is subscribed, Meta calls ``GET
?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<random>`` and expects the
challenge back as the plain-text body of a 200. Anyone can call the URL, so the token is
compared in constant time and a refusal (``VerificationRefused``) is answered with 403 by
the HTTP layer. The challenge is echoed only as ``text/plain``: it comes from the caller,
and served as HTML it would be a reflected script.

Neither error ever quotes the request: echoing the expected signature would let anyone
forge the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from crm_whatsapp.domain.errors import CrmWhatsAppError


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


SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def sign(raw_body: bytes, app_secret: str) -> str:
    """The header value Meta would send for this body (for tests and the fake Graph API)."""
    _require_secret(app_secret)
    return _PREFIX + _digest(raw_body, app_secret)


def verify_signature(raw_body: bytes, header_value: str | None, app_secret: str) -> None:
    """Return if the header is the body's signature; raise ``InvalidSignature`` otherwise.

    The comparison takes the same time however many characters match, so the signature of a
    forged body cannot be found by timing answers.
    """
    _require_secret(app_secret)
    if header_value is None or not header_value.strip():
        raise InvalidSignature("missing", "missing header")
    value = header_value.strip()
    if not value.startswith(_PREFIX) or not _HEX_DIGEST.fullmatch(value[len(_PREFIX) :]):
        raise InvalidSignature("malformed", "expected 'sha256=' and 64 hexadecimal digits")
    given = value[len(_PREFIX) :].lower().encode("ascii")
    expected = _digest(raw_body, app_secret).encode("ascii")
    if not hmac.compare_digest(given, expected):
        raise InvalidSignature("mismatch", "does not match the body (wrong app secret?)")


def _digest(raw_body: bytes, app_secret: str) -> str:
    return hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def _require_secret(app_secret: str) -> None:
    """An empty secret is a configuration mistake, not a client's: fail loudly (500)."""
    if not app_secret:
        raise ValueError("the WhatsApp app secret is empty; set it before serving webhooks")


MAX_CHALLENGE_LENGTH = 1024
"""Meta's challenges are short numbers; anything huge is not Meta."""


def answer_verification(params: Mapping[str, str], verify_token: str) -> str:
    """The ``hub.challenge`` to answer with, if the request is a genuine subscription."""
    if not verify_token:
        raise ValueError("the webhook verify token is empty; set it before serving webhooks")
    if params.get("hub.mode") != "subscribe":
        raise VerificationRefused("hub.mode is not 'subscribe'")
    given = params.get("hub.verify_token", "").encode("utf-8")
    if not hmac.compare_digest(given, verify_token.encode("utf-8")):
        raise VerificationRefused("hub.verify_token does not match")
    challenge = params.get("hub.challenge", "")
    if not challenge:
        raise VerificationRefused("hub.challenge is missing")
    if len(challenge) > MAX_CHALLENGE_LENGTH:
        raise VerificationRefused(f"hub.challenge is longer than {MAX_CHALLENGE_LENGTH}")
    return challenge
