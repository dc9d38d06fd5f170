"""The demo customers' files: a photo, a voice note and a PDF shipped with the package.

A media message names a media id that Meta must hold, or the service's fetch fails. So
before the demo posts a customer's photo, voice note or PDF, the file goes where the
service will fetch it from, and the message names that media id with the file's sha256:

- ``held_by_fake(state)``: the fake Graph API running in this process (``crm-whatsapp
  demo``'s live customers);
- ``held_by_fake_at(url)``: a fake Graph API in another process (``crm-whatsapp
  simulate --attach``), through its ``POST /__media``;
- ``held_by_gateway(gateway)``: the in-memory gateway that stands in for Meta while the
  demo's history is written, which the history's fetch then downloads from.

The files are package data (``demo_media/``), read with ``importlib.resources``, so a
plain install has them.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

import httpx

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway
from crm_whatsapp.adapters.whatsapp.fake_graph_api.customer_media import (
    customer_media_message,
    customer_media_message_over_http,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.media import webhook_media_part
from crm_whatsapp.adapters.whatsapp.fake_graph_api.state import FakeGraphApiState


@dataclass(frozen=True, slots=True)
class DemoFile:
    """One of the committed files: its name in ``demo_media/``, its type as WhatsApp
    announces it, and the message type it arrives as."""

    name: str
    mime_type: str
    kind: str
    voice: bool = False

    def content(self) -> bytes:
        return _read(self.name)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content()).hexdigest()


PHOTO = DemoFile("photo.jpg", "image/jpeg", "image")
VOICE_NOTE = DemoFile("voice.ogg", "audio/ogg; codecs=opus", "audio", voice=True)
QUOTE = DemoFile("cotizacion.pdf", "application/pdf", "document")
FILE_OF_KIND = {file.kind: file for file in (PHOTO, VOICE_NOTE, QUOTE)}
"""The file a demo customer sends for each media message type."""


@functools.cache
def _read(name: str) -> bytes:
    return (resources.files("crm_whatsapp.app") / "demo_media" / name).read_bytes()


class CustomerFiles(Protocol):
    """Hold a customer's file where the service will fetch it; the webhook message part
    naming it (``{"type": "image", "image": {"id", "mime_type", "sha256", ...}}``)."""

    def __call__(
        self, file: DemoFile, *, caption: str | None = None, filename: str | None = None
    ) -> dict[str, Any]: ...


def held_by_fake(state: FakeGraphApiState) -> CustomerFiles:
    """The fake Graph API of this process holds the files."""

    def hold(
        file: DemoFile, *, caption: str | None = None, filename: str | None = None
    ) -> dict[str, Any]:
        return customer_media_message(
            state,
            file.content(),
            file.mime_type,
            kind=file.kind,
            caption=caption,
            filename=filename,
            voice=file.voice,
        )

    return hold


def held_by_fake_at(base_url: str, client: httpx.Client | None = None) -> CustomerFiles:
    """A fake Graph API in another process holds the files (``POST /__media``); a server
    that is not the fake answers that with an error, raised as ``httpx.HTTPStatusError``."""

    def hold(
        file: DemoFile, *, caption: str | None = None, filename: str | None = None
    ) -> dict[str, Any]:
        return customer_media_message_over_http(
            base_url,
            file.content(),
            file.mime_type,
            kind=file.kind,
            caption=caption,
            filename=filename,
            voice=file.voice,
            client=client,
        )

    return hold


def held_by_gateway(
    gateway: InMemoryMessagingGateway, first_media_id: int = 10**15
) -> CustomerFiles:
    """The in-memory gateway holds the files, under media ids counted from
    ``first_media_id`` (16 digits, as Meta's; the same ids every run)."""
    ids = itertools.count(first_media_id)

    def hold(
        file: DemoFile, *, caption: str | None = None, filename: str | None = None
    ) -> dict[str, Any]:
        media_id = str(next(ids))
        gateway.add_media(media_id, file.content(), file.mime_type)
        return webhook_media_part(
            media_id,
            file.mime_type,
            file.sha256,
            file.kind,
            caption=caption,
            filename=filename,
            voice=file.voice,
        )

    return hold
