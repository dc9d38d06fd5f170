"""A MessagingGateway that records what it would have sent, and fails when told to."""

from __future__ import annotations

import hashlib
import itertools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.media import RemoteMedia, normalized_sha256
from crm_whatsapp.domain.message import MessageKind, TemplateMessage

if TYPE_CHECKING:
    from crm_whatsapp.domain.ports import MessagingGateway

MEDIA_CHUNK_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One message accepted: text, a template, a file (``kind`` and ``media_id``), or
    reply buttons or a list (``interactive``)."""

    business_number_id: str
    to: CustomerIdentity
    wamid: str
    text: str | None = None
    template: TemplateMessage | None = None
    reply_to_wamid: str | None = None
    kind: MessageKind | None = None
    """Set for files only (image, audio, video, document, sticker)."""
    media_id: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool = False
    interactive: InteractiveContent | None = None
    """Reply buttons or a list (``send_interactive``)."""


@dataclass(frozen=True, slots=True)
class UploadedMedia:
    """A file given to ``upload_media``, and the media id it got."""

    business_number_id: str
    media_id: str
    content: bytes
    mime_type: str
    filename: str


@dataclass(frozen=True, slots=True)
class _StoredMedia:
    content: bytes
    media: RemoteMedia
    expired: bool = False


class InMemoryMediaDownload:
    """A ``MediaDownload`` of bytes held in memory, served in chunks like a real one."""

    def __init__(self, media: RemoteMedia, content: bytes, chunk_size: int) -> None:
        self._media = media
        self._content = content
        self._chunk_size = chunk_size

    @property
    def media(self) -> RemoteMedia:
        return self._media

    async def chunks(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._content), self._chunk_size):
            yield self._content[start : start + self._chunk_size]


class InMemoryMessagingGateway:
    """Test double for the Graph API: ``sent`` lists every accepted message in order.

    ``fail_next(error, times)`` queues errors that the next sends (any kind),
    read receipts and downloads raise, before any succeeds; ``read_receipts`` lists the
    wamids marked as read. ``before_send``, if given, is awaited with each message before
    it is accepted: it may take its time (Meta's latency, a hang) or raise a
    ``GatewayError`` (a throttle for one customer), which is how tests script the Graph
    API's behaviour per send without a subclass.

    Files: ``add_media`` gives a customer's file a media id (``expire_media`` makes Meta
    forget it, as after 7 days), ``download_media`` serves it; ``upload_media`` keeps what
    it is given in ``uploads`` (downloadable too); ``downloads`` lists the media ids
    downloaded. ``fail_next_upload`` queues errors for uploads alone.
    """

    def __init__(
        self,
        wamid_prefix: str = "wamid.fake.",
        *,
        before_send: Callable[[SentMessage], Awaitable[None]] | None = None,
        media_chunk_size: int = MEDIA_CHUNK_SIZE,
    ) -> None:
        if media_chunk_size < 1:
            raise ValueError("media_chunk_size must be at least 1")
        self.sent: list[SentMessage] = []
        self._before_send = before_send
        self.read_receipts: list[str] = []
        self.uploads: list[UploadedMedia] = []
        self.downloads: list[str] = []
        self._failures: deque[GatewayError] = deque()
        self._upload_failures: deque[GatewayError] = deque()
        self._numbers = itertools.count(1)
        self._media_numbers = itertools.count(1)
        self._prefix = wamid_prefix
        self._media: dict[str, _StoredMedia] = {}
        self._chunk_size = media_chunk_size

    def fail_next(self, error: GatewayError, times: int = 1) -> None:
        self._failures.extend([error] * times)

    def fail_next_upload(self, error: GatewayError, times: int = 1) -> None:
        self._upload_failures.extend([error] * times)

    # -- files Meta holds ------------------------------------------------------------------

    def add_media(
        self, media_id: str, content: bytes, mime_type: str, *, sha256: str | None = None
    ) -> RemoteMedia:
        """Make ``media_id`` downloadable (a customer's file). ``sha256`` is what Meta will
        announce (default: the content's real digest; give another to simulate a corrupt
        transfer). Returns what a download will say about the file."""
        digest = hashlib.sha256(content).hexdigest() if sha256 is None else sha256
        media = RemoteMedia(mime_type, normalized_sha256(digest) or digest, len(content))
        self._media[media_id] = _StoredMedia(content, media)
        return media

    def expire_media(self, media_id: str) -> None:
        """Meta no longer knows ``media_id`` (7 days after the message)."""
        stored = self._media.get(media_id)
        if stored is not None:
            self._media[media_id] = replace(stored, expired=True)

    @asynccontextmanager
    async def download_media(
        self, business_number_id: str, media_id: str
    ) -> AsyncIterator[InMemoryMediaDownload]:
        self._raise_queued_failure()
        stored = self._media.get(media_id)
        if stored is None or stored.expired:
            raise GatewayError(
                f"Unsupported get request. Object with ID '{media_id}' does not exist "
                "(código 100, HTTP 400).",
                retryable=False,
                error_code="100",
            )
        self.downloads.append(media_id)
        yield InMemoryMediaDownload(stored.media, stored.content, self._chunk_size)

    async def upload_media(
        self, business_number_id: str, content: bytes, mime_type: str, filename: str
    ) -> str:
        if self._upload_failures:
            raise self._upload_failures.popleft()
        media_id = f"media.fake.{next(self._media_numbers)}"
        self.add_media(media_id, content, mime_type)
        self.uploads.append(
            UploadedMedia(business_number_id, media_id, content, mime_type, filename)
        )
        return media_id

    # -- messages ----------------------------------------------------------------------------

    async def send_text(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        text: str,
        *,
        reply_to_wamid: str | None = None,
        preview_url: bool = False,
    ) -> str:
        message = SentMessage(business_number_id, to, "", text=text, reply_to_wamid=reply_to_wamid)
        return await self._send(message)

    async def send_template(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        template: TemplateMessage,
        *,
        header_media_id: str | None = None,
        header_filename: str | None = None,
    ) -> str:
        media_header = template.header is not None and template.header.kind.is_media
        if media_header and header_media_id is None:
            raise GatewayError("a media header needs its file uploaded first", retryable=False)
        sent = SentMessage(business_number_id, to, "", template=template, media_id=header_media_id)
        return await self._send(sent)

    async def send_interactive(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        content: InteractiveContent,
        *,
        reply_to_wamid: str | None = None,
    ) -> str:
        message = SentMessage(
            business_number_id, to, "", reply_to_wamid=reply_to_wamid, interactive=content
        )
        return await self._send(message)

    async def send_media(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        kind: MessageKind,
        media_id: str,
        *,
        caption: str | None = None,
        filename: str | None = None,
        voice: bool = False,
        reply_to_wamid: str | None = None,
    ) -> str:
        if not kind.is_media:
            raise GatewayError(
                f"{kind.value!r} no es un tipo de archivo que WhatsApp pueda enviar.",
                retryable=False,
                error_code="invalid_media_kind",
            )
        message = SentMessage(
            business_number_id,
            to,
            "",
            reply_to_wamid=reply_to_wamid,
            kind=kind,
            media_id=media_id,
            caption=caption,
            filename=filename,
            voice=voice,
        )
        return await self._send(message)

    async def mark_read(self, business_number_id: str, wamid: str) -> None:
        self._raise_queued_failure()
        self.read_receipts.append(wamid)

    async def _send(self, message: SentMessage) -> str:
        if self._before_send is not None:
            await self._before_send(message)
        return self._accept(message)

    def _accept(self, message: SentMessage) -> str:
        self._raise_queued_failure()
        wamid = f"{self._prefix}{next(self._numbers)}"
        self.sent.append(replace(message, wamid=wamid))
        return wamid

    def _raise_queued_failure(self) -> None:
        if self._failures:
            raise self._failures.popleft()


if TYPE_CHECKING:

    def _implements_the_port(gateway: InMemoryMessagingGateway) -> MessagingGateway:
        """mypy proves here that the double fits the port (ports are not inherited)."""
        return gateway
