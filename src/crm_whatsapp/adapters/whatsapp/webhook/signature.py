"""``X-Hub-Signature-256``: proof that a webhook POST comes from Meta and was not altered.

Meta signs the exact bytes of the body with the app secret (HMAC-SHA256) and sends
``sha256=<hex digest>``. Verify before parsing, on the raw body as received: re-serialized
JSON would differ by a space and never match. A failure is answered with 401 by the HTTP
layer (our choice; Meta only documents that the request must be dropped), which Meta treats
as a failed delivery and retries, so a wrongly configured secret shows up as a retry storm in
the logs instead of as silently lost messages.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from crm_whatsapp.adapters.whatsapp.webhook.errors import InvalidSignature

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
