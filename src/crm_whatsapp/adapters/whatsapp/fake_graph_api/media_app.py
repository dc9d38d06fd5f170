"""The fake's media routes, added to the app by ``create_fake_graph_api``.

* ``GET /{version}/{media_id}`` - Meta's lookup: type, hex sha256, size, and a download
  URL on the fake itself, valid for ``media_url_lifetime_seconds``; an unknown or expired
  media id answers HTTP 400, code 100, subcode 33.
* ``GET /__download/{token}`` - the bytes, with the same bearer token; after the URL's
  lifetime, 404 (as an expired lookaside URL).
* ``POST /{version}/{phone_number_id}/media`` - multipart upload (``file``, ``type``,
  ``messaging_product``) checked against Meta's types and size limits (131053), answered
  ``{"id": ...}``.
* ``POST /__media`` (test control) - the raw body, with its ``Content-Type``, becomes a
  customer's file: ``{"id", "mime_type", "sha256", "file_size"}``; ``?id=`` picks the
  media id, ``?filename=`` names it. ``GET /__media`` lists the files (without content),
  ``GET /__media_requests`` the lookups, downloads and uploads made.

Failures are injected per endpoint: ``POST /__fail_next`` with ``"endpoint": "lookup"``
(or ``download``, ``upload``).
"""

from __future__ import annotations

import time

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crm_whatsapp.adapters.whatsapp.fake_graph_api.media import (
    MEDIA_UPLOAD_ERROR,
    lookup_body,
    object_missing_body,
    upload_problem,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import JsonObject
from crm_whatsapp.adapters.whatsapp.fake_graph_api.responses import (
    Answer,
    graph_error,
    guarded_answer,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.state import (
    FakeGraphApiState,
    redacted_headers,
)

DOWNLOAD_PREFIX = "/__download/"
MEDIA_UPLOAD_MESSAGE = "(#131053) Media upload error"


def media_routes(fake: FakeGraphApiState) -> list[Route]:
    """The routes, in matching order (``/__download/...`` before ``/{version}/{id}``)."""

    async def lookup(request: Request) -> Response:
        media_id = str(request.path_params["media_id"])
        await _at_metas_pace(fake)
        return await _guarded(fake, request, "lookup", media_id, lambda: _lookup(fake, request))

    async def download(request: Request) -> Response:
        token = str(request.path_params["token"])

        async def serve() -> Response:
            media = fake.media.resolve(token)
            if media is None:
                return PlainTextResponse("Not Found", status_code=404)
            return Response(media.content, headers={"content-type": media.mime_type})

        return await _guarded(fake, request, "download", None, serve)

    async def upload(request: Request) -> Response:
        await _at_metas_pace(fake)
        return await _guarded(fake, request, "upload", None, lambda: _upload(fake, request))

    async def add(request: Request) -> Response:
        mime_type = request.headers.get("content-type", "")
        if not mime_type:
            return JSONResponse({"error": "send the file's Content-Type"}, status_code=400)
        try:
            media = fake.media.add(
                await request.body(),
                mime_type,
                media_id=request.query_params.get("id") or None,
                filename=request.query_params.get("filename") or None,
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(
            {
                "id": media.media_id,
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": media.file_size,
            }
        )

    async def listing(_: Request) -> Response:
        return JSONResponse([media.summary() for media in fake.media.all()])

    async def requests(_: Request) -> Response:
        return JSONResponse(fake.media_requests())

    return [
        Route("/__media", add, methods=["POST"]),
        Route("/__media", listing, methods=["GET"]),
        Route("/__media_requests", requests, methods=["GET"]),
        Route(DOWNLOAD_PREFIX + "{token}", download, methods=["GET"]),
        Route("/{version}/{phone_number_id}/media", upload, methods=["POST"]),
        Route("/{version}/{media_id}", lookup, methods=["GET"]),
    ]


async def _at_metas_pace(fake: FakeGraphApiState) -> None:
    """Lookups and uploads are Graph API calls like a send: they take the same latency
    (``--latency-ms``/``--jitter-ms``), so a fake at Meta's pace is slow where Meta is."""
    delay = fake.pace.delay()
    if delay > 0:
        await fake.wait_unless_closing(delay)


async def _guarded(
    fake: FakeGraphApiState,
    request: Request,
    endpoint: str,
    media_id: str | None,
    serve: Answer,
) -> Response:
    """The bearer token, then a failure queued for the endpoint, then ``serve``; every
    request recorded (a download's path hidden: it is a credential)."""
    path = DOWNLOAD_PREFIX + "***" if endpoint == "download" else request.url.path
    record: JsonObject = {
        "endpoint": endpoint,
        "method": request.method,
        "path": path,
        "headers": redacted_headers(request.headers),
        "media_id": media_id,
        "received_at": time.time(),
    }
    response = await guarded_answer(fake, endpoint, request.headers.get("authorization"), serve)
    fake.media.record({**record, "response_status": response.status_code})
    return response


async def _lookup(fake: FakeGraphApiState, request: Request) -> Response:
    media_id = str(request.path_params["media_id"])
    media = fake.media.get(media_id)
    if media is None:
        return JSONResponse(object_missing_body(media_id, fake.fbtrace_id()), status_code=400)
    base = str(request.base_url).rstrip("/")
    url = f"{base}{DOWNLOAD_PREFIX}{fake.media.download_token(media_id)}"
    return JSONResponse(lookup_body(media, url))


async def _upload(fake: FakeGraphApiState, request: Request) -> Response:
    def invalid(message: str, details: str | None = None) -> Response:
        return graph_error(fake, 100, message, 400, details=details)

    try:
        async with request.form(max_files=1, max_fields=10) as form:
            if form.get("messaging_product") != "whatsapp":
                return invalid("(#100) The parameter messaging_product is required.")
            file = form.get("file")
            if not isinstance(file, UploadFile):
                return invalid("(#100) The parameter file is required.")
            mime_type = form.get("type")
            if not isinstance(mime_type, str) or not mime_type:
                return invalid("(#100) The parameter type is required.")
            content = await file.read()
            filename = file.filename
    except (MultiPartException, HTTPException) as exc:
        return invalid("(#100) Invalid parameter", f"Unreadable multipart body: {exc}")
    problem = upload_problem(mime_type, len(content))
    if problem is not None:
        return graph_error(fake, MEDIA_UPLOAD_ERROR, MEDIA_UPLOAD_MESSAGE, 400, details=problem)
    media = fake.media.add(
        content,
        mime_type,
        source="uploaded",
        filename=filename,
        phone_number_id=str(request.path_params["phone_number_id"]),
    )
    return JSONResponse({"id": media.media_id})
