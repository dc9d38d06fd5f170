"""A customer sends a file: the fake holds it under a media id, and the webhook message
that names it is built, so that a test or the demo delivers real media the service can
download through the fake, exactly as from Meta.

In-process (the fake runs in a thread of the test)::

    part = customer_media_message(fake.state, jpeg_bytes, "image/jpeg", caption="Así llegó")

Against a fake in another process (``crm-whatsapp fake-graph-api``)::

    part = customer_media_message_over_http(fake_url, pdf_bytes, "application/pdf",
                                            filename="factura.pdf")

Either way ``part`` is ``{"type": "image", "image": {"id", "mime_type", "sha256", ...}}``,
to put in a message object (``customer_message_webhook_body(part=part, ...)``).
"""

from __future__ import annotations

import httpx

from crm_whatsapp.adapters.whatsapp.fake_graph_api.media import (
    essence,
    kind_of,
    webhook_media_part,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import JsonObject
from crm_whatsapp.adapters.whatsapp.fake_graph_api.state import FakeGraphApiState


def customer_media_message(
    state: FakeGraphApiState,
    content: bytes,
    mime_type: str,
    *,
    kind: str | None = None,
    caption: str | None = None,
    filename: str | None = None,
    voice: bool | None = None,
    media_id: str | None = None,
) -> JsonObject:
    """Hold ``content`` as a customer's file and return the webhook message part for it.

    ``kind`` defaults from the type (image/webp: sticker; a type WhatsApp does not list:
    document); ``voice`` defaults to true for an OGG audio, as a voice note arrives."""
    media = state.media.add(content, mime_type, media_id=media_id, filename=filename)
    return _part(
        media.media_id,
        mime_type,
        media.sha256,
        kind=kind,
        caption=caption,
        filename=filename,
        voice=voice,
    )


def customer_media_message_over_http(
    base_url: str,
    content: bytes,
    mime_type: str,
    *,
    kind: str | None = None,
    caption: str | None = None,
    filename: str | None = None,
    voice: bool | None = None,
    media_id: str | None = None,
    client: httpx.Client | None = None,
) -> JsonObject:
    """``customer_media_message`` for a fake in another process, through ``POST /__media``."""
    params = {
        name: value
        for name, value in (("id", media_id), ("filename", filename))
        if value is not None
    }
    url = base_url.rstrip("/") + "/__media"
    headers = {"Content-Type": mime_type}
    if client is None:
        response = httpx.post(url, content=content, params=params, headers=headers)
    else:
        response = client.post(url, content=content, params=params, headers=headers)
    response.raise_for_status()
    held = response.json()
    return _part(
        str(held["id"]),
        mime_type,
        str(held["sha256"]),
        kind=kind,
        caption=caption,
        filename=filename,
        voice=voice,
    )


def _part(
    media_id: str,
    mime_type: str,
    sha256: str,
    *,
    kind: str | None,
    caption: str | None,
    filename: str | None,
    voice: bool | None,
) -> JsonObject:
    kind = kind or kind_of(mime_type)
    if voice is None:
        voice = kind == "audio" and essence(mime_type) == "audio/ogg"
    return webhook_media_part(
        media_id, mime_type, sha256, kind, caption=caption, filename=filename, voice=voice
    )
