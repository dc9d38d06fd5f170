"""Files through the Graph API: upload one to send, download a customer's.

Meta's flow:

* ``POST /{version}/{phone-number-id}/media`` (multipart: ``file``, ``type``,
  ``messaging_product``) answers ``{"id": "<media id>"}``; a message then names the file
  by that id.
* ``GET /{version}/{media-id}`` answers what the file is (``mime_type``, ``sha256`` in
  hex, ``file_size``) and a download ``url`` valid for about five minutes, often on
  another host (Meta's lookaside). ``GET <url>`` with the same bearer token gives the
  bytes; an expired URL answers 401, 403, 404 or 410, and is looked up again once.
* A customer's media id works for 7 days after the message; then Meta answers code 100
  (subcode 33, "Object with ID ... does not exist"): final, not retryable.

Secrets: the token goes in the ``Authorization`` header and nowhere else; the download
URL is a bearer credential of its own for five minutes, so it is never logged, stored,
returned or put in an error; httpx's own log line for the request is masked
(``hidden_urls``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any

import httpx

from crm_whatsapp.adapters.whatsapp.graph_api.errors import (
    DOWNLOAD,
    LOOKUP,
    UPLOAD,
    classify_graph_error,
    media_lookup_error,
    media_transfer_error,
    scrubbed,
)
from crm_whatsapp.adapters.whatsapp.graph_api.hidden_urls import hiding_urls
from crm_whatsapp.adapters.whatsapp.graph_api.settings import GraphApiSettings
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.media import RemoteMedia, normalized_sha256
from crm_whatsapp.domain.message import MessageKind

logger = logging.getLogger("crm_whatsapp.graph_api")

CHUNK_SIZE = 64 * 1024
"""Bytes per chunk of a download: a file never sits whole in memory."""

EXPIRED_URL_STATUSES = frozenset({401, 403, 404, 410})
"""How a download URL past its five minutes answers: look the media id up again."""

CAPTIONED_KINDS = frozenset({MessageKind.IMAGE, MessageKind.VIDEO, MessageKind.DOCUMENT})
"""Meta takes a caption with these; audio and stickers have none."""


Lease = Callable[[], AbstractContextManager[httpx.AsyncClient]]
"""Lends one of the gateway's clients (the least busy pool) for the length of a ``with``."""


def media_message_content(
    kind: MessageKind,
    media_id: str,
    *,
    caption: str | None = None,
    filename: str | None = None,
    voice: bool = False,
) -> dict[str, Any]:
    """The object a media message carries under its type: ``{"id": ...}`` and, where Meta
    takes them, ``caption`` (image, video, document), ``filename`` (document) and
    ``voice`` (audio: an OGG/Opus voice note). What a kind does not take is left out."""
    if not kind.is_media:
        raise GatewayError(
            f"{kind.value!r} no es un tipo de archivo que WhatsApp pueda enviar.",
            retryable=False,
            error_code="invalid_media_kind",
        )
    if not media_id:
        raise GatewayError(
            "Falta el identificador del archivo en WhatsApp.",
            retryable=False,
            error_code="invalid_media_id",
        )
    content: dict[str, Any] = {"id": media_id}
    if caption and kind in CAPTIONED_KINDS:
        content["caption"] = caption
    if filename and kind is MessageKind.DOCUMENT:
        content["filename"] = filename
    if voice and kind is MessageKind.AUDIO:
        content["voice"] = True
    return content


def lookup_answer(answer: object) -> tuple[RemoteMedia, str] | None:
    """What Meta's answer to ``GET /{media-id}`` says: the file, and its download URL;
    None if the answer has no URL. ``file_size`` comes as a number or as a string."""
    if not isinstance(answer, dict):
        return None
    url = answer.get("url")
    if not isinstance(url, str) or not url:
        return None
    mime_type = answer.get("mime_type")
    sha256 = answer.get("sha256")
    media = RemoteMedia(
        mime_type=mime_type if isinstance(mime_type, str) and mime_type else None,
        sha256=normalized_sha256(sha256) if isinstance(sha256, str) else None,
        size=_size(answer.get("file_size")),
    )
    return media, url


class GraphMediaDownload:
    """A customer's file on its way: what Meta said about it, and the bytes as they come."""

    __slots__ = ("_media", "_response", "_secrets")

    def __init__(
        self, media: RemoteMedia, response: httpx.Response, secrets: tuple[str, ...]
    ) -> None:
        self._media = media
        self._response = response
        self._secrets = secrets

    def __repr__(self) -> str:
        return f"GraphMediaDownload(media={self._media!r})"

    @property
    def media(self) -> RemoteMedia:
        return self._media

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes(CHUNK_SIZE):
                yield chunk
        except httpx.TransportError as exc:
            raise scrubbed(media_transfer_error(exc, DOWNLOAD), *self._secrets) from None
        except httpx.DecodingError:
            raise GatewayError(
                "WhatsApp envió el archivo con una codificación ilegible; se reintentará.",
                retryable=True,
                error_code="download_decoding_error",
            ) from None


class GraphMedia:
    """Upload and download on behalf of ``GraphApiGateway`` (which sends the messages)."""

    def __init__(self, settings: GraphApiSettings, lease: Lease, timeout: httpx.Timeout) -> None:
        self._settings = settings
        self._lease = lease
        self._timeout = timeout

    async def upload(
        self, business_number_id: str, content: bytes, mime_type: str, filename: str
    ) -> str:
        try:
            url = self._settings.media_upload_url(business_number_id)
        except ValueError:
            raise _invalid_phone_number_id(business_number_id) from None
        what = f"upload of {len(content)} bytes ({mime_type})"
        with self._lease() as client:
            try:
                response = await client.post(
                    url,
                    data={"messaging_product": "whatsapp", "type": mime_type},
                    files={"file": (filename or "file", content, mime_type)},
                    headers=self._authorization(),
                    timeout=self._timeout,
                )
            except httpx.TransportError as exc:
                raise self._logged(
                    media_transfer_error(exc, UPLOAD), what, business_number_id
                ) from None
        answer = _decoded(response)
        if not response.is_success:
            raise self._logged(
                classify_graph_error(response.status_code, answer), what, business_number_id
            )
        media_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(media_id, str) or not media_id:
            error = GatewayError(
                "WhatsApp recibió el archivo pero no devolvió su identificador "
                f"(HTTP {response.status_code}); se reintentará.",
                retryable=True,
                error_code="missing_media_id",
            )
            raise self._logged(error, what, business_number_id)
        logger.info("uploaded %s on %s as media %s", what, business_number_id, media_id)
        return media_id

    @asynccontextmanager
    async def download(
        self, business_number_id: str, media_id: str
    ) -> AsyncIterator[GraphMediaDownload]:
        try:
            lookup_url = self._settings.media_url(media_id)
        except ValueError:
            raise GatewayError(
                f"El identificador del archivo de WhatsApp no es válido: {media_id!r}.",
                retryable=False,
                error_code="invalid_media_id",
            ) from None
        what = f"media {media_id}"
        with self._lease() as client:
            response: httpx.Response | None = None
            for _ in range(2):  # a URL expired before the download started: once more
                media, download_url = await self._lookup(
                    client, lookup_url, what, business_number_id
                )
                response = await self._open(client, download_url, what, business_number_id)
                if response is not None:
                    break
                logger.info(
                    "the download URL of %s on %s had expired; looking it up again",
                    what,
                    business_number_id,
                )
            if response is None:
                error = GatewayError(
                    "El enlace de descarga que dio WhatsApp venció antes de usarse, dos veces "
                    "seguidas; se reintentará.",
                    retryable=True,
                    error_code="media_url_expired",
                )
                raise self._logged(error, what, business_number_id)
            if media.size is None:
                media = RemoteMedia(media.mime_type, media.sha256, _size_header(response))
            if media.mime_type is None:
                media = RemoteMedia(_content_type(response), media.sha256, media.size)
            secrets = (self._settings.access_token, download_url)
            try:
                logger.debug("downloading %s on %s", what, business_number_id)
                yield GraphMediaDownload(media, response, secrets)
            finally:
                await response.aclose()

    async def _lookup(
        self, client: httpx.AsyncClient, lookup_url: str, what: str, business_number_id: str
    ) -> tuple[RemoteMedia, str]:
        try:
            response = await client.get(
                lookup_url, headers=self._authorization(), timeout=self._timeout
            )
        except httpx.TransportError as exc:
            raise self._logged(
                media_transfer_error(exc, LOOKUP), what, business_number_id
            ) from None
        answer = _decoded(response)
        if not response.is_success:
            raise self._logged(
                media_lookup_error(response.status_code, answer), what, business_number_id
            )
        found = lookup_answer(answer)
        if found is None:
            error = GatewayError(
                "WhatsApp no devolvió el enlace de descarga del archivo "
                f"(HTTP {response.status_code}); se reintentará.",
                retryable=True,
                error_code="missing_media_url",
            )
            raise self._logged(error, what, business_number_id)
        return found

    async def _open(
        self, client: httpx.AsyncClient, download_url: str, what: str, business_number_id: str
    ) -> httpx.Response | None:
        """The download's response, its body still to be read; None for an expired URL."""
        secrets = (download_url,)
        try:
            target = httpx.URL(download_url)
        except httpx.InvalidURL:
            target = None
        if target is None or target.scheme not in ("http", "https") or not target.host:
            error = GatewayError(
                "WhatsApp dio un enlace de descarga que no es una dirección http(s); no se usó.",
                retryable=False,
                error_code="invalid_media_url",
            )
            raise self._logged(error, what, business_number_id)
        # Meta wants the bearer token on its download URL, whatever host that is; httpx
        # drops the header by itself if a redirect leads to another origin.
        request = client.build_request(
            "GET", target, headers=self._authorization(), timeout=self._timeout
        )
        try:
            with hiding_urls(download_url):
                response = await client.send(request, stream=True, follow_redirects=True)
        except httpx.TransportError as exc:
            error = media_transfer_error(exc, DOWNLOAD)
            raise self._logged(error, what, business_number_id, secrets) from None
        except httpx.TooManyRedirects:
            error = GatewayError(
                "El enlace de descarga de WhatsApp redirige sin fin; se reintentará.",
                retryable=True,
                error_code="too_many_redirects",
            )
            raise self._logged(error, what, business_number_id, secrets) from None
        if response.is_success:
            return response
        await response.aclose()
        if response.status_code in EXPIRED_URL_STATUSES:
            return None
        retryable = response.status_code >= 500 or response.status_code == 429
        error = GatewayError(
            f"WhatsApp no entregó el archivo (HTTP {response.status_code})"
            + ("; se reintentará." if retryable else "."),
            retryable=retryable,
            error_code=f"http_{response.status_code}",
        )
        raise self._logged(error, what, business_number_id, secrets)

    def _authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._settings.access_token}"}

    def _logged(
        self,
        error: GatewayError,
        what: str,
        business_number_id: str,
        secrets: tuple[str, ...] = (),
    ) -> GatewayError:
        error = scrubbed(error, self._settings.access_token, *secrets)
        logger.warning(
            "%s on %s failed (code %s, retryable=%s): %s",
            what,
            business_number_id,
            error.error_code,
            error.retryable,
            error,
        )
        return error


def _invalid_phone_number_id(business_number_id: str) -> GatewayError:
    return GatewayError(
        f"El identificador del número de WhatsApp no es válido: {business_number_id!r}.",
        retryable=False,
        error_code="invalid_phone_number_id",
    )


def _decoded(response: httpx.Response) -> object:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def _size(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _size_header(response: httpx.Response) -> int | None:
    return _size(response.headers.get("content-length"))


def _content_type(response: httpx.Response) -> str | None:
    value = response.headers.get("content-type", "").strip()
    return value or None
