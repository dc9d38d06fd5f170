"""Who is calling the CRM API: a static service token, or an agent token the host CRM
signed; and a brake on guessing either.

Static tokens are compared in constant time, every time. Agent tokens are verified with
the shared secret (``agent_tokens.py``). Failed attempts are counted per client address,
and past the limit the address is refused with 429 before its credential is even looked
at, so guessing costs a minute per twenty tries. The webhook is not behind this: Meta
cannot send our tokens, it signs its body instead.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable

from starlette.datastructures import Headers

from crm_whatsapp.adapters.http.agent_tokens import AgentTokenRefused, AgentTokens, looks_like_jwt
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.domain.access import Access

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="crm_whatsapp"'}


class BearerTokens:
    """The static API tokens (server to server); with none configured and no agent secret
    the CRM API is closed."""

    def __init__(self, tokens: Iterable[str]) -> None:
        # Digests have one length, so compare_digest never leaks a token's length either.
        self._digests = tuple(_digest(t) for t in tokens if t)

    @property
    def configured(self) -> bool:
        return bool(self._digests)

    def accepts(self, token: str) -> bool:
        given = _digest(token)
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(given, digest)
        return matched


class FailedAuthThrottle:
    """At most ``limit`` failed authentications per client address in ``window`` seconds.

    Memory is bounded: at most ``max_addresses`` are remembered, the least recently failed
    forgotten first (an attacker rotating addresses gains nothing from filling it, since
    each new address starts with its own small budget anyway).
    """

    def __init__(
        self,
        limit: int = 20,
        window: float = 60.0,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._max = max_addresses
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        """Raise 429 with ``Retry-After`` while ``address`` is over its budget."""
        with self._lock:
            failures = self._recent(address)
            if failures is None or len(failures) < self.limit:
                return
            wait = failures[0] + self.window - self._clock()
        raise ApiError(
            429,
            "too_many_requests",
            "too many failed authentications from this address; wait and try again",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )

    def failed(self, address: str) -> None:
        with self._lock:
            failures = self._recent(address)
            if failures is None:
                failures = self._failures[address] = deque()
            failures.append(self._clock())
            self._failures.move_to_end(address)
            while len(self._failures) > self._max:
                self._failures.popitem(last=False)

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures


class Authenticator:
    """Turns a request's ``Authorization`` header into an ``Access``, or a 401/429."""

    def __init__(
        self,
        tokens: BearerTokens,
        agent_tokens: AgentTokens | None = None,
        throttle: FailedAuthThrottle | None = None,
    ) -> None:
        self.tokens = tokens
        self.agent_tokens = agent_tokens
        self.throttle = throttle if throttle is not None else FailedAuthThrottle()

    @property
    def configured(self) -> bool:
        return self.tokens.configured or self.agent_tokens is not None

    def authenticate(self, headers: Headers, address: str) -> Access:
        self.throttle.check(address)
        try:
            return self._access(headers)
        except ApiError:
            self.throttle.failed(address)
            raise

    def _access(self, headers: Headers) -> Access:
        if not self.configured:
            raise ApiError(
                401,
                "unauthorized",
                "the CRM API has no tokens configured (set CRM_WHATSAPP_API_TOKENS or "
                "CRM_WHATSAPP_AGENT_TOKEN_SECRET)",
                _CHALLENGE,
            )
        token = _bearer(headers)
        if self.tokens.accepts(token):
            return Access.service(_digest(token).hex()[:32])
        if self.agent_tokens is not None and looks_like_jwt(token):
            try:
                return self.agent_tokens.verify(token)
            except AgentTokenRefused as exc:
                raise ApiError(401, "unauthorized", str(exc), _CHALLENGE) from None
        raise ApiError(401, "unauthorized", "invalid API token", _CHALLENGE)


def _bearer(headers: Headers) -> str:
    values = headers.getlist("authorization")
    if not values:
        raise ApiError(401, "unauthorized", "missing Authorization: Bearer <token>", _CHALLENGE)
    if len(values) > 1:
        # A proxy may check one and we another: ambiguous credentials are no credentials.
        raise ApiError(
            401, "unauthorized", "send one Authorization header, not several", _CHALLENGE
        )
    scheme, _, token = values[0].partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Authorization must use the Bearer scheme", _CHALLENGE)
    return token.strip()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
