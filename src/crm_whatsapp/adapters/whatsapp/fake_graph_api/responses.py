"""Answers every route of the fake gives alike: the bearer token check and Graph errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import JSONResponse, Response

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import error_body, sample_for
from crm_whatsapp.adapters.whatsapp.fake_graph_api.state import Failure, FakeGraphApiState

INVALID_TOKEN_MESSAGE = "Invalid OAuth access token - Cannot parse access token"


def token_problem(fake: FakeGraphApiState, authorization: str | None) -> str | None:
    """Why Meta would refuse the credentials, or None if they are fine."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return INVALID_TOKEN_MESSAGE
    token = authorization[len("bearer ") :].strip()
    if not token:
        return INVALID_TOKEN_MESSAGE
    expected = fake.options.access_token
    if expected is not None and token != expected:
        return "Error validating access token: Session has expired."
    return None


def failure_response(fake: FakeGraphApiState, failure: Failure) -> Response:
    if failure.raw_body is not None:
        return Response(
            failure.raw_body, status_code=failure.http_status or 502, media_type="text/html"
        )
    code = failure.code if failure.code is not None else 1
    sample = sample_for(code)
    return graph_error(
        fake,
        code,
        failure.message or sample.message,
        failure.http_status or sample.http_status,
        details=sample.details if failure.message is None else failure.message,
        is_transient=sample.is_transient,
    )


def graph_error(
    fake: FakeGraphApiState,
    code: int,
    message: str,
    http_status: int,
    *,
    details: str | None = None,
    is_transient: bool | None = None,
) -> Response:
    body = error_body(
        code, message, trace_id=fake.fbtrace_id(), details=details, is_transient=is_transient
    )
    headers = {"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'}
    return JSONResponse(body, status_code=http_status, headers=headers if code == 190 else None)


Answer = Callable[[], Awaitable[Response]]


async def guarded_answer(
    fake: FakeGraphApiState, endpoint: str, authorization: str | None, serve: Answer
) -> Response:
    """What Meta answers on an endpoint where a failure can be injected: a refused token
    first, then the failure queued for ``endpoint`` (a slow one delays a good answer),
    then ``serve``."""
    problem = token_problem(fake, authorization)
    if problem is not None:
        return graph_error(fake, 190, problem, http_status=401)
    failure = fake.next_media_failure(endpoint)
    if failure is not None and not failure.slow:
        return failure_response(fake, failure)
    if failure is not None:
        await fake.wait_unless_closing(fake.options.slow_seconds)
    return await serve()
