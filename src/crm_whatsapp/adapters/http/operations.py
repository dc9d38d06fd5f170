"""One description per endpoint, used twice: to route requests and to write the OpenAPI.

Keeping both in one record means the document cannot drift from what the server does: a
parameter the endpoint reads is a parameter the document lists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

Endpoint = Callable[[Request], Awaitable[Response]]
ParamType = Literal["string", "integer", "boolean"]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    description: str
    type: ParamType = "string"
    required: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    endpoint: Endpoint
    summary: str
    tag: str
    responses: dict[int, type[BaseModel] | str]
    """Status -> body model; a string is a media type with no JSON schema (text, SSE)."""
    authenticated: bool = True
    query: tuple[Param, ...] = ()
    path_params: tuple[Param, ...] = ()
    body: type[BaseModel] | None = None
    description: str = ""
    extra_statuses: tuple[int, ...] = field(default=())

    @property
    def query_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.query)
