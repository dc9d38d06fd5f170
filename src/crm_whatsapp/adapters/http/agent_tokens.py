"""Agent tokens: short-lived JWTs the host CRM's backend signs for one of its users.

The CRM knows who is signed in; this service does not keep users. So the CRM signs a token
(HS256, with the secret both share) that says who the agent is, what they may do and, for
a page about one client, which client; the browser presents it, and every change is
recorded with that agent. The algorithm is pinned: a token that names another algorithm,
``none`` included, is refused before its signature is even looked at.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from crm_whatsapp.domain.access import (
    DEFAULT_AGENT_SCOPES,
    Access,
    Actor,
    Scope,
    parse_scopes,
)
from crm_whatsapp.domain.errors import InvalidActor

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "name", "exp")
MAX_LIFETIME = timedelta(days=7)
"""A longer-lived token is a shared password again: refused when minting and verifying."""
MAX_CLAIM_LENGTH = 200


class AgentTokenRefused(Exception):
    """Why a token is not accepted, in words safe to return (never the token itself)."""


class VerifiedTokens:
    """Tokens already verified, until they expire: a token's validity depends only on its
    bytes and the clock, so a browser's every request need not pay for HMAC and JSON again
    (measured: 0.21 ms a request, a fifth of a small request's cost). Bounded; the least
    recently used go first."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[Access, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, now: float) -> Access | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            access, expires = entry
            if now >= expires:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return access

    def put(self, token: str, access: Access, expires: float) -> None:
        with self._lock:
            self._entries[token] = (access, expires)
            self._entries.move_to_end(token)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


@dataclass(frozen=True)
class AgentTokens:
    secret: bytes
    leeway_seconds: int = 30
    verified: VerifiedTokens = field(default_factory=VerifiedTokens, repr=False, compare=False)

    def verify(self, token: str, now: datetime | None = None) -> Access:
        moment = now or datetime.now(UTC)
        cached = self.verified.get(token, moment.timestamp())
        if cached is not None:
            return cached
        access, expires = self._verify(token, moment)
        self.verified.put(token, access, expires)
        return access

    def _verify(self, token: str, now: datetime) -> tuple[Access, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AgentTokenRefused("not a valid token") from None
        if header.get("alg") != ALGORITHM:
            raise AgentTokenRefused(f"agent tokens are signed with {ALGORITHM} only")
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                leeway=self.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise AgentTokenRefused("the agent token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AgentTokenRefused("the agent token is not valid yet") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AgentTokenRefused(f"the agent token lacks the claim {exc.claim!r}") from None
        except jwt.InvalidSignatureError:
            raise AgentTokenRefused("the agent token's signature does not match") from None
        except jwt.PyJWTError:
            raise AgentTokenRefused("not a valid agent token") from None
        access = _access(claims, token, now, self.leeway_seconds)
        return access, float(claims["exp"]) + self.leeway_seconds

    def mint(
        self,
        sub: str,
        name: str,
        *,
        scopes: Iterable[Scope] = DEFAULT_AGENT_SCOPES,
        client_id: str | None = None,
        lifetime: timedelta = timedelta(hours=8),
        now: datetime | None = None,
    ) -> str:
        """What the host CRM does, for the CLI, the demo and tests."""
        if not timedelta(0) < lifetime <= MAX_LIFETIME:
            raise InvalidActor("hours", f"a token lives more than 0 and at most {MAX_LIFETIME}")
        issued = now or datetime.now(UTC)
        access = Access(Actor.agent(sub, name), frozenset(scopes), client_id)  # validates
        claims: dict[str, Any] = {
            "sub": access.actor.id,
            "name": access.actor.name,
            "iat": int(issued.timestamp()),
            "exp": int((issued + lifetime).timestamp()),
            "scope": " ".join(sorted(s.value for s in access.scopes)),
        }
        if client_id is not None:
            claims["client_id"] = client_id
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)


def _access(claims: dict[str, Any], token: str, now: datetime, leeway: int) -> Access:
    sub, name = claims.get("sub"), claims.get("name")
    scope, client_id = claims.get("scope"), claims.get("client_id")
    for claim, value in (("sub", sub), ("name", name)):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_CLAIM_LENGTH:
            raise AgentTokenRefused(f"the claim {claim!r} must be text of 1 to 200 characters")
    if client_id is not None and (
        not isinstance(client_id, str) or not client_id.strip() or len(client_id) > 200
    ):
        raise AgentTokenRefused("the claim 'client_id' must be text of 1 to 200 characters")
    if scope is not None and not isinstance(scope, str):
        raise AgentTokenRefused("the claim 'scope' must be space-separated text")
    exp = claims["exp"]
    iat = claims.get("iat")
    if isinstance(iat, int | float) and exp - iat > MAX_LIFETIME.total_seconds() + leeway:
        raise AgentTokenRefused("the agent token lives longer than 7 days")
    if exp > (now + MAX_LIFETIME).timestamp() + leeway:
        raise AgentTokenRefused("the agent token lives longer than 7 days")
    try:
        scopes = parse_scopes(scope) if scope is not None else DEFAULT_AGENT_SCOPES
        assert isinstance(sub, str)
        assert isinstance(name, str)
        actor = Actor.agent(sub.strip(), name.strip())
    except InvalidActor as exc:
        raise AgentTokenRefused(f"the claim {exc.field!r}: {exc.problem}") from None
    credential = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return Access(actor, scopes, client_id, credential)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")
