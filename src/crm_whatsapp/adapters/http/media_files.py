"""Serving a message's file: its stored type, never sniffed, and nothing a browser would run.

The file came from a customer (or an agent), so it is untrusted content served from our
origin. Every answer says exactly what it is (``Content-Type`` as stored, ``nosniff``),
runs nothing (``Content-Security-Policy: sandbox``), and is shown inline only when it is a
picture, a sound or a video; HTML, SVG, PDF and anything unknown are attachments, with the
file name made safe for the header (RFC 6266). Range requests let players seek; the body is
streamed from the media store, never read into memory.

Access: the API's bearer token, or a short-lived signed link (``media_links.py``) for
elements that cannot send a header.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.domain.access import Access, Scope
from crm_whatsapp.domain.errors import MediaNotStored, MessageNotFound
from crm_whatsapp.domain.media import MediaStatus
from crm_whatsapp.domain.media_types import serves_inline
from crm_whatsapp.domain.message import Message

MESSAGE = "message_id"
UNKNOWN_TYPE = "application/octet-stream"
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


async def serve_media(context: ApiContext, call: Call) -> Response:
    message_id = call.required(MESSAGE)
    access = _authorize(context, call, message_id)
    store = context.deps.media
    if store is None:
        raise ApiError(503, "unavailable", "this service keeps no media files")
    message = await run_in_threadpool(context.queries.message, message_id)
    if access is not None and access.is_confined:
        conversation = await run_in_threadpool(
            context.queries.conversation, message.conversation_id
        )
        if not access.sees(conversation):
            raise MessageNotFound(message_id)
    media = message.media
    if media is None:
        raise ApiError(404, "not_found", f"message {message_id} has no file")
    if media.status is not MediaStatus.STORED or media.sha256 is None:
        raise MediaNotStored(f"the file of message {message_id} ({media.status.value})")
    size = await store.size(media.sha256)
    if size is None:
        raise MediaNotStored(f"the file of message {message_id}")
    headers = file_headers(message, media.sha256)
    wanted = byte_range(call.headers.get("range"), size)
    if isinstance(wanted, Unsatisfiable):
        return Response(status_code=416, headers=headers | {"Content-Range": f"bytes */{size}"})
    start, end = (wanted.start, wanted.end) if wanted else (0, size)
    headers["Content-Length"] = str(end - start)
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return StreamingResponse(
        store.open(media.sha256, start, end),
        status_code=status,
        headers=headers,
        media_type=media.mime_type or UNKNOWN_TYPE,
    )


def _authorize(context: ApiContext, call: Call, message_id: str) -> Access | None:
    """The token's access (scope ``read``), or None for a valid signed link (made for a
    caller who could read the message)."""
    signature, expires = call.text("firma"), call.values.get("expira")
    if signature is None and expires is None:
        access = context.auth.authenticate(call.headers, call.address)
        if not access.allows(Scope.READ):
            raise ApiError(403, "forbidden", "this token lacks the scope 'read'")
        return access
    links = context.media_links
    now = context.deps.clock.now()
    if not isinstance(expires, int) or signature is None or links is None:
        raise ApiError(401, "unauthorized", "a media link needs both expira and firma")
    if not links.allows(message_id, expires, signature, now):
        raise ApiError(
            403,
            "forbidden",
            "the media link expired or was not made for this file; list the messages "
            "again for a fresh one",
        )
    return None


def file_headers(message: Message, sha256: str) -> dict[str, str]:
    media = message.media
    assert media is not None
    mime = media.mime_type or UNKNOWN_TYPE
    disposition = "inline" if serves_inline(mime) else "attachment"
    name = media.filename or f"{message.kind.value}-{message.id}.{_EXTENSIONS.get(mime, 'bin')}"
    return {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Content-Disposition": content_disposition(disposition, name),
        "Accept-Ranges": "bytes",
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=3600",
        "Referrer-Policy": "no-referrer",
    }


def content_disposition(disposition: str, filename: str) -> str:
    """RFC 6266: a plain ASCII ``filename`` for old clients and the exact name in
    ``filename*``. The name is the customer's, so nothing in it may end the header, quote
    its way out, or name a path."""
    cleaned = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C")
    cleaned = cleaned.replace("/", "_").replace("\\", "_").strip().strip(".") or "archivo"
    cleaned = cleaned[:200]
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()+-]", "_", ascii_name).strip() or "archivo"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int
    """Exclusive."""


@dataclass(frozen=True, slots=True)
class Unsatisfiable:
    pass


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> ByteRange | Unsatisfiable | None:
    """The one range asked for; None for the whole file (no header, several ranges, or a
    header we do not understand, which RFC 9110 lets us ignore)."""
    if header is None:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0:
            return Unsatisfiable()
        return ByteRange(max(size - suffix, 0), size)
    start = int(first)
    if start >= size:
        return Unsatisfiable()
    end = size if not last else min(int(last) + 1, size)
    if end <= start:
        return None
    return ByteRange(start, end)
