"""The one wrapper that turns an ``Operation`` record into the running endpoint.

Everything an endpoint does besides its use case happens here, once, from the record:
the token check, the path and query parameters, the body (one JSON decoder, one NUL
policy), running the handler off the event loop, and serialising the declared response
model. Errors travel as exceptions to the one error table (``errors.py``). Handlers are
left with the use case itself, so a new endpoint cannot forget a check.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_whatsapp.adapters.http.context import ApiContext, BodyModel, Call
from crm_whatsapp.adapters.http.errors import ApiError, describe_validation_error
from crm_whatsapp.adapters.http.operations import Answer, Operation
from crm_whatsapp.adapters.http.params import parse_parameters
from crm_whatsapp.domain.access import Access

Endpoint = Callable[[Request], Awaitable[Response]]


def endpoint_for(operation: Operation, context: ApiContext) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        access = authorize(operation, context, request) if operation.authenticated else None
        values = parse_parameters(
            operation.path_params,
            request.path_params,
            operation.query,
            request.query_params,
            default_timezone=context.default_timezone,
            default_region=context.default_region,
            ignore_unknown=operation.ignore_unknown_query,
        )
        if operation.form is not None and _is_multipart(request):
            async with request.form(max_files=1, max_fields=20) as form:
                upload, fields = _file_and_fields(form)
                fields_body = validate_fields(fields, operation.form)
                call = Call(
                    values,
                    fields_body,
                    b"",
                    request.headers,
                    upload=upload,
                    address=client_address(request),
                    access=access,
                )
                return render(operation, await _run(operation, context, call))
        raw = await request.body() if operation.body or operation.raw_body else b""
        body = decode_body(raw, operation.body) if operation.body is not None else None
        call = Call(
            values=values,
            body=body,
            raw_body=raw,
            headers=request.headers,
            address=client_address(request),
            access=access,
        )
        answer = await _run(operation, context, call)
        return render(operation, answer)

    endpoint.__name__ = operation.name
    endpoint.__doc__ = operation.summary
    return endpoint


def authorize(operation: Operation, context: ApiContext, request: Request) -> Access:
    """The token (401), the throttle on failures (429), the operation's scope and, for a
    token confined to one client, whether the operation is open to it (403)."""
    access = context.auth.authenticate(request.headers, client_address(request))
    scope = operation.scope
    if scope is not None and not access.allows(scope):
        raise ApiError(403, "forbidden", f"this token lacks the scope {scope.value!r}")
    if access.is_confined and not operation.confinable:
        raise ApiError(403, "forbidden", "a token for one client's conversations cannot call this")
    return access


def client_address(request: Request) -> str:
    """The peer's address as the server saw it (behind a proxy, the proxy's, unless uvicorn
    is told to trust its forwarded headers)."""
    return request.client.host if request.client is not None else "unknown"


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


def _file_and_fields(form: FormData) -> tuple[UploadFile, dict[str, str]]:
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name != "file":
                raise ApiError(422, "invalid_body", f"{name}: only the field 'file' takes a file")
            upload = value
        elif name in fields:
            raise ApiError(422, "invalid_body", f"{name}: given more than once")
        else:
            fields[name] = value
    if upload is None:
        raise ApiError(422, "invalid_body", "file: required (a multipart field named 'file')")
    return upload, fields


def validate_fields(fields: dict[str, str], model: type[BodyModel]) -> BodyModel:
    """Form fields are text: the model's own coercion reads ``true``/``false`` and numbers;
    NUL characters are refused as in JSON bodies."""
    for name, value in fields.items():
        if "\x00" in value or "\x00" in name:
            raise ApiError(422, "invalid_body", f"{name}: must not contain NUL characters")
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise ApiError(
            422, "invalid_body", describe_validation_error(exc, model.model_fields)
        ) from None


async def _run(operation: Operation, context: ApiContext, call: Call) -> Answer:
    if inspect.iscoroutinefunction(operation.handler):
        pending = operation.handler(context, call)
        assert inspect.isawaitable(pending), operation.name
        answer = await pending
    else:
        answer = await run_in_threadpool(operation.handler, context, call)
    assert isinstance(answer, BaseModel | Response), operation.name
    return answer


def render(operation: Operation, answer: Answer) -> Response:
    """A model answers with the operation's first declared status, and must be the model
    declared for it: a handler cannot answer a shape the document does not promise."""
    if isinstance(answer, Response):
        return answer
    status = operation.success_status
    declared = operation.model_for(status)
    if declared is None or not isinstance(answer, declared):
        raise TypeError(
            f"{operation.name} answered {type(answer).__name__}, "
            f"but its record declares {declared.__name__ if declared else 'no model'}"
        )
    return JSONResponse(answer.model_dump(mode="json"), status_code=status)


def decode_body(raw: bytes, model: type[BodyModel]) -> BodyModel:
    """An empty body is ``{}`` (every field of the model may be optional); a NUL anywhere
    is refused, since PostgreSQL cannot store it in text."""
    try:
        document: Any = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body's JSON is nested too deeply") from None
    if not isinstance(document, dict):
        raise ApiError(422, "invalid_body", "body: expected a JSON object")
    where = _first_nul(document)
    if where is not None:
        raise ApiError(422, "invalid_body", f"{where}: must not contain NUL characters")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise ApiError(
            422, "invalid_body", describe_validation_error(exc, model.model_fields)
        ) from None


def _first_nul(node: object, path: str = "") -> str | None:
    """Where the first NUL is, as the client would name the field (``template.parameters``)."""
    if isinstance(node, str):
        return (path or "body") if "\x00" in node else None
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here
            found = _first_nul(value, here)
            if found is not None:
                return found
    if isinstance(node, list):
        for value in node:
            found = _first_nul(value, path)
            if found is not None:
                return found
    return None
