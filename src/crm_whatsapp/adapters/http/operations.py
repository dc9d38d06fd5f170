"""One record per endpoint: the contract that both runs the endpoint and writes the OpenAPI.

An ``Operation`` declares what a request may carry (path and query parameters with their
kinds and limits, a body model) and what it answers; ``endpoint.py`` turns the record into
the running endpoint and ``openapi.py`` into the document, so neither can say more or less
than the other. Handlers receive the ``ApiContext`` and a ``Call`` whose values are
already checked (``context.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel
from starlette.responses import Response

from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.domain.access import Scope

ParamKind = Literal[
    "text", "integer", "boolean", "date_from", "date_until", "timezone", "phone", "cursor", "id"
]
"""How a parameter's text becomes a value: ``date_from``/``date_until`` are a date-time with
its offset or a plain date (``until`` includes that day); ``phone`` is any format; ``id`` is
a path identifier; ``cursor`` is a page cursor as issued."""

_OPENAPI_TYPE: Mapping[ParamKind, str] = {"integer": "integer", "boolean": "boolean"}
_DEFAULT_MAX_LENGTH: Mapping[ParamKind, int] = {
    "text": 500,
    "date_from": 64,
    "date_until": 64,
    "timezone": 64,
    "phone": 64,
    "cursor": 1000,
    "id": 200,
    "integer": 10,
    "boolean": 10,
}


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    description: str
    kind: ParamKind = "text"
    required: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: int | None = None
    """The value of an absent integer (a page size); other kinds are ``None`` when absent."""

    @property
    def openapi_type(self) -> str:
        return _OPENAPI_TYPE.get(self.kind, "string")

    @property
    def length_limit(self) -> int:
        return self.max_length if self.max_length is not None else _DEFAULT_MAX_LENGTH[self.kind]


NO_CONTENT = ""
"""The media type of an answer without a body (``DELETE``'s 204)."""

Answer = BaseModel | Response
Handler = Callable[[ApiContext, Call], Answer | Awaitable[Answer]]
"""Synchronous handlers run in the threadpool (the database adapters are synchronous);
a coroutine runs on the event loop."""


@dataclass(frozen=True, slots=True)
class Operation:
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    handler: Handler
    summary: str
    tag: str
    responses: dict[int, type[BaseModel] | str]
    """Status -> body model; a string is a media type with no JSON schema (text, SSE), and
    ``NO_CONTENT`` no body at all. The first entry is the status of a handler's model
    answer."""
    authenticated: bool = True
    scope: Scope | None = None
    """What the caller's token must allow (every authenticated operation names one)."""
    confinable: bool = True
    """A token confined to one client may call it (its answers are filtered to that
    client's conversations); False for figures about everyone (statistics, operations of
    the channel), which such a token is refused with 403."""
    query: tuple[Param, ...] = ()
    path_params: tuple[Param, ...] = ()
    body: type[BaseModel] | None = None
    raw_body: bool = False
    """The handler reads the body as bytes (a signed webhook); no JSON decoding here."""
    form: type[BaseModel] | None = None
    """Also takes ``multipart/form-data``: a ``file`` plus these fields (an agent's file)."""
    ignore_unknown_query: bool = False
    """Meta's webhook and the probes tolerate what proxies and load balancers add; the CRM
    API refuses an unknown parameter, so that a typo is an error, not an unfiltered list."""
    description: str = ""
    extra_statuses: tuple[int, ...] = field(default=())

    @property
    def name(self) -> str:
        """The operation id: the handler's name and the method (``list_conversations_get``)."""
        return f"{self.handler.__name__}_{self.method.lower()}"

    @property
    def success_status(self) -> int:
        return next(iter(self.responses))

    @property
    def query_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.query)

    def model_for(self, status: int) -> type[BaseModel] | None:
        declared = self.responses.get(status)
        return None if declared is None or isinstance(declared, str) else declared
