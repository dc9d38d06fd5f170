"""Every error the API answers, in one place and one shape: ``{"error": {"code", "message"}}``.

Domain errors carry their own ``code``; this module only decides the HTTP status. Messages
are the exceptions' own texts, which never hold a secret (the database adapter hides the
password, the gateway scrubs the token).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_whatsapp.adapters.whatsapp.webhook import (
    InvalidSignature,
    InvalidWebhookPayload,
    PayloadTooLarge,
    VerificationRefused,
)
from crm_whatsapp.domain.errors import (
    ActivityNotFound,
    CannedResponseNotFound,
    ClientLookupUnavailable,
    ClientNotFound,
    ConversationNotFound,
    CrmWhatsAppError,
    CustomerOptedOut,
    DuplicateShortcut,
    InvalidActor,
    InvalidCannedResponse,
    InvalidCursor,
    InvalidNote,
    InvalidOutboundMessage,
    InvalidPhoneNumber,
    InvalidQueryParameter,
    InvalidStateTransition,
    MediaNotStored,
    MediaStoreUnavailable,
    MediaTooLarge,
    MessageNotFound,
    OutsideServiceWindow,
    StorageUnavailable,
    UnsupportedMediaType,
)
from crm_whatsapp.domain.template_errors import (
    InvalidTemplateParameters,
    MarketingOptedOut,
    TemplateNotFound,
    TemplateNotSendable,
    TemplatesNotConfigured,
    TemplateSyncFailed,
)

logger = logging.getLogger("crm_whatsapp.http")

_STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (PayloadTooLarge, 413),  # before its base class InvalidWebhookPayload
    (InvalidQueryParameter, 400),
    (InvalidCursor, 400),
    (InvalidPhoneNumber, 400),
    (InvalidWebhookPayload, 400),
    (InvalidSignature, 401),
    (VerificationRefused, 403),
    (ConversationNotFound, 404),
    (MessageNotFound, 404),
    (ActivityNotFound, 404),
    (ClientNotFound, 404),
    (MediaNotStored, 404),
    (CannedResponseNotFound, 404),
    (TemplateNotFound, 404),
    (OutsideServiceWindow, 409),
    (TemplateNotSendable, 409),
    (MarketingOptedOut, 409),
    (TemplatesNotConfigured, 409),
    (InvalidTemplateParameters, 422),
    (TemplateSyncFailed, 502),
    (CustomerOptedOut, 409),
    (InvalidStateTransition, 409),  # e.g. fetching a file Meta no longer keeps
    (DuplicateShortcut, 409),
    (MediaTooLarge, 413),
    (UnsupportedMediaType, 415),
    (InvalidOutboundMessage, 422),
    (InvalidActor, 422),
    (InvalidNote, 422),
    (InvalidCannedResponse, 422),  # UnknownPlaceholders too
    (StorageUnavailable, 503),
    (MediaStoreUnavailable, 503),
    (ClientLookupUnavailable, 503),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_body",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the HTTP layer itself raises (bad parameter form, missing token...)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def status_of(exc: Exception) -> int:
    for error_type, status in _STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


def render_api_error(exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return render_api_error(exc)


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    status = status_of(exc)
    code = getattr(exc, "code", "error")
    if status >= 500:
        logger.warning("%s %s: %s", request.method, request.url.path, exc)
    if status == 500:
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "internal error; see the server log")
    headers = {"Retry-After": "5"} if status == 503 else None
    return error_response(status, code, str(exc), headers)


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    return error_response(422, "invalid_body", describe_validation_error(exc))


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    detail = exc.detail if isinstance(exc.detail, str) else code
    return error_response(exc.status_code, code, detail, dict(exc.headers or {}))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; see the server log")


def describe_validation_error(exc: ValidationError, known_fields: Iterable[str] = ()) -> str:
    """One line per problem, naming the field as the client wrote it: ``template.name: ...``;
    an unknown top-level field is matched against ``known_fields`` for a likely typo."""
    known = list(known_fields)
    parts = []
    for problem in exc.errors(include_url=False, include_input=False):
        location = [str(p) for p in problem["loc"]]
        where = ".".join(location) or "body"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden" and len(location) == 1:
            close = difflib.get_close_matches(location[0], known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"unknown field (known: {', '.join(known)}){hint}"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    CrmWhatsAppError: handle_domain_error,
    ValidationError: handle_validation_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
