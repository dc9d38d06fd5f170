"""Short-lived signed links to media files, for ``<img>``, ``<audio>`` and download links.

A browser element cannot send our bearer token, and a token in a URL would end up in
proxies' logs and the browser's history. So each message in the API carries a link signed
for that one file and a few minutes: ``/api/v1/medios/{id}?expira=<unix time>&firma=<mac>``.
The signature is an HMAC of the message id and the expiry with a server key; it grants
nothing but that file until then, and holds no secret itself.

Several servers behind a load balancer must accept each other's links, so the key is
configured (``CRM_WHATSAPP_SIGNING_KEY``) or derived from secrets they all share.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from urllib.parse import quote

MEDIA_PATH = "/api/v1/medios"
SIGNATURE_HEX_LENGTH = 64


class MediaLinks:
    def __init__(self, key: bytes, lifetime_seconds: int = 900) -> None:
        if len(key) < 16:
            raise ValueError("the signing key must be at least 16 bytes")
        if lifetime_seconds < 1:
            raise ValueError("a link must live at least a second")
        self._key = key
        self.lifetime_seconds = lifetime_seconds

    def __repr__(self) -> str:
        return f"MediaLinks(lifetime_seconds={self.lifetime_seconds})"

    @classmethod
    def derived_from(cls, secrets: list[str], lifetime_seconds: int = 900) -> MediaLinks:
        """A key from secrets every server of one deployment shares (the app secret, the
        API tokens), so no extra setting is needed; one-way, so it reveals none of them."""
        material = "\x00".join(sorted(s for s in secrets if s)).encode("utf-8", "surrogatepass")
        if not material:
            raise ValueError("no secret to derive the media link key from")
        key = hmac.new(b"crm_whatsapp media links v1", material, hashlib.sha256).digest()
        return cls(key, lifetime_seconds)

    def url_for(self, message_id: str, now: datetime) -> str:
        expires = int(now.timestamp()) + self.lifetime_seconds
        signature = self._sign(message_id, expires)
        return f"{MEDIA_PATH}/{quote(message_id, safe='')}?expira={expires}&firma={signature}"

    def allows(self, message_id: str, expires: int, signature: str, now: datetime) -> bool:
        """Whether the link was signed by us for this file and has not expired. A link
        valid too far ahead was not made by us (or the key leaked): refused too."""
        left = expires - now.timestamp()
        if left < 0 or left > self.lifetime_seconds + 60:
            return False
        if len(signature) != SIGNATURE_HEX_LENGTH:
            return False
        return hmac.compare_digest(self._sign(message_id, expires), signature.lower())

    def _sign(self, message_id: str, expires: int) -> str:
        data = f"{message_id}\x00{expires}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()
