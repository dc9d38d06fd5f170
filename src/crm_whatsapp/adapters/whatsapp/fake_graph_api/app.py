"""The fake Graph API as a Starlette app: Meta's messages endpoint, plus test controls.

Routes:

* ``POST /{version}/{phone_number_id}/messages`` - send a message or mark one as read,
  validated the way Meta validates the basics (bearer token, ``messaging_product``, a
  recipient, the object named by ``type``), answered with Meta's JSON shapes.
* ``GET /__requests`` - every messages request so far: ``method``, ``path``, ``headers``
  (authorization shown as ``Bearer ***``), ``body`` and the ``response_status`` given.
  ``DELETE /__requests`` forgets them.
* ``POST /__fail_next`` - ``{"code": 131047, "http_status": 400, "times": 1}`` answers the
  next requests with that Graph error; ``{"slow": true}`` delays a success past the
  client's timeout; ``{"http_status": 502, "raw_body": "<html>..."}`` answers non-JSON.
* ``GET /__accepted`` and ``GET /__webhooks`` - accepted messages (each with its
  ``accepted_at``) and posted webhooks.
* ``GET /__stats`` - ``{"accepted": 812, "throttled": 9, "in_flight": 3, "in_flight_max":
  64}``: messages accepted, sends answered 130429 by the throughput limit, and sends
  waiting for their answer now and at most at once. ``DELETE /__stats`` starts counting
  afresh (between a benchmark's rounds).

* Files (``media_app``): ``GET /{version}/{media_id}`` (lookup), ``GET /__download/...``
  (the bytes, behind a short-lived signed URL), ``POST /{version}/{phone_number_id}/media``
  (upload), ``POST /__media`` (a customer's file, for tests), ``GET /__media`` and
  ``GET /__media_requests``. A media message sent by ``id`` must name a file the fake
  holds and that has not expired (else 131053), and takes only the fields Meta allows.

* Templates (``template_app``): ``GET /{version}/{waba_id}/message_templates`` (Meta's
  list, paged), ``GET``/``POST /__templates`` and ``POST /__templates/{name}/{language}/
  status`` (signed template webhooks). A template send is checked against the catalogue
  of the WABA owning the number (``template_checks``: 132000, 132001, 132012, 132015...).

Each recorded request carries ``received_at`` and ``answered_at`` (``time.time()``). With
a latency (``FakeGraphApiOptions.latency_seconds``) every messages request is answered
that long after it arrived; with a ``send_rate``, a send past its number's throughput is
answered as Meta does (HTTP 400, code 130429, "Rate limit hit").
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_whatsapp.adapters.whatsapp.fake_graph_api.interactive import interactive_problem
from crm_whatsapp.adapters.whatsapp.fake_graph_api.media import (
    MEDIA_KINDS,
    MEDIA_UPLOAD_ERROR,
    send_problem,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.media_app import (
    MEDIA_UPLOAD_MESSAGE,
    media_routes,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (
    META_SUPPORTED_TYPES,
    THROUGHPUT_HTTP_STATUS,
    JsonObject,
    new_wamid,
    send_success_body,
    throughput_error_body,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.responses import (
    failure_response,
    graph_error,
    token_problem,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.state import (
    INJECTABLE_ENDPOINTS,
    AcceptedMessage,
    Failure,
    FakeGraphApiOptions,
    FakeGraphApiState,
    redacted_headers,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.template_app import template_routes
from crm_whatsapp.adapters.whatsapp.fake_graph_api.template_checks import template_refusal


class _Rejected(Exception):
    """A request Meta would refuse with ``(#100)``: the message says which parameter."""

    def __init__(self, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def create_fake_graph_api(
    options: FakeGraphApiOptions | None = None, state: FakeGraphApiState | None = None
) -> Starlette:
    """The ASGI app; its ``FakeGraphApiState`` is ``app.state.fake``."""
    fake = state or FakeGraphApiState(options)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await fake.started()
        try:
            yield
        finally:
            await fake.stopped()

    async def messages(request: Request) -> Response:
        return await _messages(fake, request)

    async def list_requests(_: Request) -> Response:
        return JSONResponse(fake.requests())

    async def clear_requests(_: Request) -> Response:
        fake.clear_requests()
        return Response(status_code=204)

    async def fail_next(request: Request) -> Response:
        try:
            failure, times, endpoint = _parse_failure(await request.body())
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        fake.fail_next(failure, times, endpoint=endpoint)
        return JSONResponse({"queued": times})

    async def accepted(_: Request) -> Response:
        return JSONResponse([asdict(message) for message in fake.accepted()])

    async def webhooks(_: Request) -> Response:
        return JSONResponse([asdict(delivery) for delivery in fake.webhook_deliveries()])

    async def stats(_: Request) -> Response:
        return JSONResponse(asdict(fake.stats()))

    async def reset_stats(_: Request) -> Response:
        fake.pace.reset_counters()
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/__requests", list_requests, methods=["GET"]),
            Route("/__requests", clear_requests, methods=["DELETE"]),
            Route("/__fail_next", fail_next, methods=["POST"]),
            Route("/__accepted", accepted, methods=["GET"]),
            Route("/__webhooks", webhooks, methods=["GET"]),
            Route("/__stats", stats, methods=["GET"]),
            Route("/__stats", reset_stats, methods=["DELETE"]),
            *template_routes(fake),
            Route("/{version}/{phone_number_id}/messages", messages, methods=["POST"]),
            *media_routes(fake),
        ],
        lifespan=lifespan,
    )
    app.state.fake = fake
    return app


async def _messages(fake: FakeGraphApiState, request: Request) -> Response:
    """Everything is decided when the request arrives (credentials, shape, the number's
    throughput, a failure to inject); the answer, and a message's acceptance, come after
    the drawn latency, which sleeps without holding up any other request."""
    received_at = time.time()
    body = _decoded(await request.body())
    record: JsonObject = {
        "method": request.method,
        "path": request.url.path,
        "headers": redacted_headers(request.headers),
        "body": body,
        "received_at": received_at,
    }
    delay = fake.pace.delay()

    async def answer(make: Callable[[], Response]) -> Response:
        if delay > 0:
            await fake.wait_unless_closing(delay)
        response = make()
        fake.record({**record, "response_status": response.status_code, "answered_at": time.time()})
        return response

    problem = token_problem(fake, request.headers.get("authorization"))
    if problem is not None:
        refused = graph_error(fake, 190, problem, http_status=401)
        return await answer(lambda: refused)
    try:
        kind, message = _validated(body)
    except _Rejected as rejected:
        invalid = graph_error(fake, 100, rejected.message, 400, details=rejected.details)
        return await answer(lambda: invalid)
    message_type = str(message.get("type", "text"))
    if kind == "message" and message_type in MEDIA_KINDS:
        problem = send_problem(fake.media, message_type, message[message_type])
        if problem is not None:
            refused = graph_error(
                fake, MEDIA_UPLOAD_ERROR, MEDIA_UPLOAD_MESSAGE, 400, details=problem
            )
            return await answer(lambda: refused)
    wrong = interactive_problem(message) if kind == "message" else None
    if wrong is not None:
        refused = graph_error(fake, wrong.code, wrong.message, 400, details=wrong.details)
        return await answer(lambda: refused)
    if kind == "message" and message_type == "template":
        number = str(request.path_params["phone_number_id"])
        refusal = template_refusal(fake.templates, number, message["template"])
        if refusal is not None:
            refused = graph_error(
                fake, refusal.code, refusal.message, refusal.http_status, details=refusal.details
            )
            return await answer(lambda: refused)
    if kind == "read":
        return await _answered(fake, answer, lambda _: {"success": True})
    fake.pace.send_started()
    try:
        if not fake.pace.admit(str(request.path_params["phone_number_id"])):
            return await answer(lambda: _throttled(fake))
        return await _answered(
            fake, answer, lambda late: _accept(fake, request, message, answered_late=late)
        )
    finally:
        fake.pace.send_answered()


async def _answered(
    fake: FakeGraphApiState,
    answer: Callable[[Callable[[], Response]], Awaitable[Response]],
    success: Callable[[bool], JsonObject],
) -> Response:
    """A request that passed every check: a failure if one is due, else ``success`` (told
    whether the answer will come late), held back by ``slow_seconds`` for a slow one."""
    failure = fake.next_failure()
    if failure is not None and not failure.slow:
        return await answer(lambda: failure_response(fake, failure))
    late = failure is not None
    response = await answer(lambda: JSONResponse(success(late)))
    if late:
        await fake.wait_unless_closing(fake.options.slow_seconds)
    return response


def _throttled(fake: FakeGraphApiState) -> Response:
    body = throughput_error_body(fake.fbtrace_id())
    return JSONResponse(body, status_code=THROUGHPUT_HTTP_STATUS)


def _accept(
    fake: FakeGraphApiState, request: Request, body: JsonObject, *, answered_late: bool
) -> JsonObject:
    field = "to" if isinstance(body.get("to"), str) and body["to"] else "recipient"
    recipient = str(body[field])
    wamid = new_wamid(recipient)
    while not fake.claim_wamid(wamid):
        wamid = new_wamid(recipient)
    message_type = str(body.get("type", "text"))
    media = body[message_type] if message_type in MEDIA_KINDS else {}
    fake.accept(
        AcceptedMessage(
            wamid=wamid,
            phone_number_id=str(request.path_params["phone_number_id"]),
            recipient_field=field,
            recipient=recipient,
            type=message_type,
            body=body,
            answered_late=answered_late,
            accepted_at=time.time(),
            media_id=media.get("id"),
            caption=media.get("caption"),
            filename=media.get("filename"),
            voice=media.get("voice"),
        )
    )
    return send_success_body(field, recipient, wamid, template=message_type == "template")


def _validated(body: object) -> tuple[str, JsonObject]:
    """``read`` for a read receipt, ``message`` for a message, with the body as a JSON
    object; raises ``_Rejected`` for what Meta would refuse."""
    if not isinstance(body, dict):
        raise _Rejected(
            "(#100) The parameter messaging_product is required.",
            "The request body must be a JSON object.",
        )
    if body.get("messaging_product") != "whatsapp":
        raise _Rejected("(#100) The parameter messaging_product is required.")
    if "status" in body:
        if body["status"] != "read":
            raise _Rejected(
                f'(#100) Param status must be one of {{read}} - got "{body["status"]}".'
            )
        if not isinstance(body.get("message_id"), str) or not body["message_id"]:
            raise _Rejected("(#100) The parameter message_id is required.")
        return "read", body
    has_to = isinstance(body.get("to"), str) and bool(body["to"])
    has_recipient = isinstance(body.get("recipient"), str) and bool(body["recipient"])
    if not has_to and not has_recipient:
        raise _Rejected("(#100) The parameter to is required.")
    message_type = body.get("type", "text")
    if message_type not in META_SUPPORTED_TYPES:
        raise _Rejected(
            f"(#100) Param type must be one of {{{', '.join(sorted(META_SUPPORTED_TYPES))}}}"
            f' - got "{message_type}".'
        )
    content = body.get(message_type)
    if not isinstance(content, dict):
        raise _Rejected(f"(#100) The parameter {message_type} is required.")
    if message_type == "text" and (not isinstance(content.get("body"), str) or not content["body"]):
        raise _Rejected("(#100) The parameter text['body'] is required.")
    if message_type in MEDIA_KINDS:
        _validate_media(message_type, content)
    return "message", body


CAPTIONED = frozenset({"image", "video", "document"})


def _validate_media(message_type: str, media: dict[str, Any]) -> None:
    """A file by ``id`` (uploaded) or ``link``, with only the fields its type takes:
    ``caption`` (image, video, document), ``filename`` (document), ``voice`` (audio)."""
    has_id = isinstance(media.get("id"), str) and bool(media["id"])
    has_link = isinstance(media.get("link"), str) and bool(media["link"])
    if has_id == has_link:
        raise _Rejected(
            "(#100) Invalid parameter",
            f"{message_type} needs exactly one of id (an uploaded file) or link.",
        )
    allowed = {"id", "link"}
    if message_type in CAPTIONED:
        allowed.add("caption")
    if message_type == "document":
        allowed.add("filename")
    if message_type == "audio":
        allowed.add("voice")
    unexpected = sorted(set(media) - allowed)
    if unexpected:
        raise _Rejected(
            f"(#100) Param {message_type}['{unexpected[0]}'] is not valid for {message_type}.",
            f"{message_type} takes only {', '.join(sorted(allowed))}.",
        )
    for name in ("caption", "filename"):
        if name in media and not isinstance(media[name], str):
            raise _Rejected(f"(#100) Param {message_type}['{name}'] must be a string.")
    if "voice" in media and not isinstance(media["voice"], bool):
        raise _Rejected("(#100) Param audio['voice'] must be a boolean.")


def _decoded(raw: bytes) -> object:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")


def _parse_failure(raw: bytes) -> tuple[Failure, int, str]:
    try:
        spec = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError("the body must be JSON") from exc
    if not isinstance(spec, dict):
        raise ValueError("the body must be a JSON object")
    known = {"code", "http_status", "times", "slow", "message", "raw_body", "endpoint"}
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    code, http_status, times = spec.get("code"), spec.get("http_status"), spec.get("times", 1)
    slow, message, raw_body = spec.get("slow", False), spec.get("message"), spec.get("raw_body")
    if code is not None and (not isinstance(code, int) or isinstance(code, bool)):
        raise ValueError("code must be an integer")
    if http_status is not None and (
        not isinstance(http_status, int) or not 400 <= http_status <= 599
    ):
        raise ValueError("http_status must be an HTTP error status (400-599)")
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError("times must be a positive integer")
    if not isinstance(slow, bool):
        raise ValueError("slow must be true or false")
    if message is not None and not isinstance(message, str):
        raise ValueError("message must be a string")
    if raw_body is not None and not isinstance(raw_body, str):
        raise ValueError("raw_body must be a string")
    if not slow and code is None and raw_body is None:
        raise ValueError("give a Graph error code, a raw_body, or slow: true")
    endpoint = spec.get("endpoint", "messages")
    if endpoint != "messages" and endpoint not in INJECTABLE_ENDPOINTS:
        raise ValueError(f"endpoint must be messages or one of {', '.join(INJECTABLE_ENDPOINTS)}")
    return Failure(code, http_status, slow, message, raw_body), times, endpoint
