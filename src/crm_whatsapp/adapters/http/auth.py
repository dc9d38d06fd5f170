"""Bearer tokens for the CRM API: every token is compared in constant time, every time.

The webhook is not behind this: Meta cannot send our tokens, it signs its body instead.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.requests import Request

from crm_whatsapp.adapters.http.errors import ApiError

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="crm_whatsapp"'}


class BearerTokens:
    """The API tokens the CRM's users hold; with none configured the CRM API is closed."""

    def __init__(self, tokens: Iterable[str]) -> None:
        # Digests have one length, so compare_digest never leaks a token's length either.
        self._digests = tuple(_digest(t) for t in tokens if t)

    @property
    def configured(self) -> bool:
        return bool(self._digests)

    def check(self, request: Request) -> None:
        """Raise a 401 unless the request carries one of the tokens."""
        self.check_headers(request.headers)

    def check_headers(self, request_headers: Headers) -> None:
        """``check`` for a request's headers (a handler holds those, not the request)."""
        if not self._digests:
            raise ApiError(
                401,
                "unauthorized",
                "the CRM API has no tokens configured (set CRM_WHATSAPP_API_TOKENS)",
                _CHALLENGE,
            )
        headers = request_headers.getlist("authorization")
        if not headers:
            raise ApiError(401, "unauthorized", "missing Authorization: Bearer <token>", _CHALLENGE)
        if len(headers) > 1:
            # A proxy may check one and we another: ambiguous credentials are no credentials.
            raise ApiError(
                401, "unauthorized", "send one Authorization header, not several", _CHALLENGE
            )
        header = headers[0]
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401, "unauthorized", "Authorization must use the Bearer scheme", _CHALLENGE
            )
        if not self.accepts(token.strip()):
            raise ApiError(401, "unauthorized", "invalid API token", _CHALLENGE)

    def accepts(self, token: str) -> bool:
        given = _digest(token)
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(given, digest)
        return matched


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
