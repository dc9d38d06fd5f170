"""The ``MessagingGateway`` that really sends: Meta's WhatsApp Cloud API over httpx.

Every send is one ``POST {base_url}/{api_version}/{phone_number_id}/messages`` with the
access token as a bearer token; files go up and come down through ``media``. Failures
become ``GatewayError`` (see ``errors``); nothing else escapes, so the outbox only ever
deals with our own error type.

The token is a secret that can send as the business: it is added to each request's
headers and nowhere else, it is not in ``repr``, and any text that ends up in an error or
a log line is scrubbed of it in case Meta (or a proxy) ever echoes it back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from crm_whatsapp.adapters.whatsapp.graph_api.errors import (
    classify_graph_error,
    classify_transport_error,
    scrubbed,
    unreadable_success,
)
from crm_whatsapp.adapters.whatsapp.graph_api.interactive import interactive_message_content
from crm_whatsapp.adapters.whatsapp.graph_api.media import (
    GraphMedia,
    GraphMediaDownload,
    media_message_content,
)
from crm_whatsapp.adapters.whatsapp.graph_api.settings import GraphApiSettings
from crm_whatsapp.adapters.whatsapp.graph_api.template_catalog import GraphTemplates
from crm_whatsapp.adapters.whatsapp.graph_api.template_components import template_object
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.message import MessageKind, TemplateMessage
from crm_whatsapp.domain.template_ports import FetchedCatalogue

if TYPE_CHECKING:
    from crm_whatsapp.domain.ports import MessagingGateway

logger = logging.getLogger("crm_whatsapp.graph_api")


class GraphApiGateway:
    """Sends text, templates, files and read receipts through the Graph API, and
    uploads and downloads files.

    Pass ``client`` to share a connection pool (or to inject a transport in tests); the
    gateway then leaves closing it to the caller. Without one, the gateway owns a client
    sized by the settings; use it as ``async with GraphApiGateway(settings) as gateway``
    or call ``aclose()``.
    """

    def __init__(self, settings: GraphApiSettings, client: httpx.AsyncClient | None = None):
        self._settings = settings
        self._timeout = httpx.Timeout(
            settings.read_timeout,
            connect=settings.connect_timeout,
            pool=settings.connect_timeout,
        )
        self._owns_client = client is None
        self._clients = [client] if client is not None else _sharded_pool(settings, self._timeout)
        self._busy = [0] * len(self._clients)  # requests under way on each client
        self._media = GraphMedia(settings, self._leased, self._timeout)
        self._templates = GraphTemplates(settings, self._leased, self._timeout)

    def __repr__(self) -> str:
        return (
            f"GraphApiGateway(base_url={self._settings.base_url!r}, "
            f"api_version={self._settings.api_version!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool, if this gateway created it."""
        if self._owns_client:
            for client in self._clients:
                await client.aclose()

    async def send_text(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        text: str,
        *,
        reply_to_wamid: str | None = None,
        preview_url: bool = False,
    ) -> str:
        body: dict[str, Any] = {
            **_recipient(to),
            "type": "text",
            "text": {"body": text, "preview_url": preview_url},
        }
        if reply_to_wamid:
            body["context"] = {"message_id": reply_to_wamid}
        return await self._send_message(business_number_id, body, "text")

    async def send_template(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        template: TemplateMessage,
        *,
        header_media_id: str | None = None,
        header_filename: str | None = None,
    ) -> str:
        try:
            content = template_object(
                template, header_media_id=header_media_id, header_filename=header_filename
            )
        except ValueError as exc:
            raise GatewayError(str(exc), retryable=False) from None
        body = {**_recipient(to), "type": "template", "template": content}
        return await self._send_message(business_number_id, body, f"template {template.name}")

    async def send_interactive(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        content: InteractiveContent,
        *,
        reply_to_wamid: str | None = None,
    ) -> str:
        body: dict[str, Any] = {
            **_recipient(to),
            "type": "interactive",
            "interactive": interactive_message_content(content),
        }
        if reply_to_wamid:
            body["context"] = {"message_id": reply_to_wamid}
        return await self._send_message(business_number_id, body, f"interactive {content.kind}")

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
        content = media_message_content(
            kind, media_id, caption=caption, filename=filename, voice=voice
        )
        body: dict[str, Any] = {**_recipient(to), "type": kind.value, kind.value: content}
        if reply_to_wamid:
            body["context"] = {"message_id": reply_to_wamid}
        return await self._send_message(business_number_id, body, f"{kind.value} {media_id}")

    async def upload_media(
        self, business_number_id: str, content: bytes, mime_type: str, filename: str
    ) -> str:
        return await self._media.upload(business_number_id, content, mime_type, filename)

    def download_media(
        self, business_number_id: str, media_id: str
    ) -> AbstractAsyncContextManager[GraphMediaDownload]:
        return self._media.download(business_number_id, media_id)

    async def fetch_templates(self, waba_id: str) -> FetchedCatalogue:
        """The account's whole template catalogue (the ``TemplateSource`` port)."""
        return await self._templates.fetch_templates(waba_id)

    async def mark_read(self, business_number_id: str, wamid: str) -> None:
        body = {"status": "read", "message_id": wamid}
        await self._post(business_number_id, body, "read receipt")
        logger.debug("marked %s as read on %s", wamid, business_number_id)

    async def _send_message(self, business_number_id: str, body: dict[str, Any], what: str) -> str:
        status_code, answer = await self._post(business_number_id, body, what)
        wamid = _wamid(answer)
        if wamid is None:
            error = self._scrubbed(unreadable_success(status_code, answer))
            logger.warning("%s on %s: %s", what, business_number_id, error)
            raise error
        logger.info("sent %s on %s as %s", what, business_number_id, wamid)
        return wamid

    async def _post(
        self, business_number_id: str, body: dict[str, Any], what: str
    ) -> tuple[int, object]:
        """POST the body; returns the status and decoded answer of a 2xx, else raises."""
        try:
            url = self._settings.messages_url(business_number_id)
        except ValueError:
            raise GatewayError(
                f"El identificador del número de WhatsApp no es válido: {business_number_id!r}.",
                retryable=False,
                error_code="invalid_phone_number_id",
            ) from None
        payload = {"messaging_product": "whatsapp", **body}  # first, as in Meta's examples
        try:
            shard = self._busy.index(min(self._busy))  # the least busy pool
            self._busy[shard] += 1
            try:
                response = await self._clients[shard].post(
                    url,
                    json=payload,
                    headers={"Authorization": f"Bearer {self._settings.access_token}"},
                    timeout=self._timeout,
                )
            finally:
                self._busy[shard] -= 1
        except httpx.TransportError as exc:
            error = self._scrubbed(classify_transport_error(exc))
            logger.warning(
                "%s on %s failed before an answer (%s, outcome_unknown=%s): %s",
                what,
                business_number_id,
                type(exc).__name__,
                error.outcome_unknown,
                error,
            )
            raise error from None
        answer = _decoded(response)
        if response.is_success:
            return response.status_code, answer
        error = self._scrubbed(classify_graph_error(response.status_code, answer))
        logger.warning(
            "%s on %s refused (HTTP %s, code %s, retryable=%s): %s",
            what,
            business_number_id,
            response.status_code,
            error.error_code,
            error.retryable,
            error,
        )
        raise error

    @contextmanager
    def _leased(self) -> Iterator[httpx.AsyncClient]:
        """The least busy client, counted busy until the ``with`` ends (a download holds
        its client while the bytes stream)."""
        shard = self._busy.index(min(self._busy))
        self._busy[shard] += 1
        try:
            yield self._clients[shard]
        finally:
            self._busy[shard] -= 1

    def _scrubbed(self, error: GatewayError) -> GatewayError:
        """The same error with the access token removed from its text, should Meta, a
        proxy or an exception message ever have echoed it."""
        return scrubbed(error, self._settings.access_token)


CONNECTIONS_PER_CLIENT = 4
"""httpcore looks at every connection of a pool for every request it places (is each one
idle, expired, readable?), so one pool of 64 connections cost the outbox more CPU than
the sends themselves (a quarter of a worker's time, measured with 64 sends in flight).
Pools of 4, each request on the least busy one, keep that scan short."""


def _sharded_pool(settings: GraphApiSettings, timeout: httpx.Timeout) -> list[httpx.AsyncClient]:
    """``max_connections`` split over clients of ``CONNECTIONS_PER_CLIENT`` each."""
    shards = -(-settings.max_connections // CONNECTIONS_PER_CLIENT)
    per_client = -(-settings.max_connections // shards)
    limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
    return [httpx.AsyncClient(timeout=timeout, limits=limits) for _ in range(shards)]


def _recipient(to: CustomerIdentity) -> dict[str, str]:
    """Who receives the message.

    A phone-number WhatsApp id goes in ``to``. A customer known only by the business-scoped
    user id (BSUID, Meta's 2026 usernames) goes in ``recipient``, the field Meta added for
    BSUIDs; when both are known ``to`` alone is sent, as Meta recommends phone numbers
    where possible (``to`` would win anyway).
    """
    if to.wa_id:
        return {"recipient_type": "individual", "to": to.wa_id}
    if to.user_id:
        return {"recipient_type": "individual", "recipient": to.user_id}
    raise GatewayError(  # CustomerIdentity forbids this; kept for a hand-built instance.
        "El cliente no tiene ni número de WhatsApp ni identificador de usuario.",
        retryable=False,
        error_code="no_recipient",
    )


def _decoded(response: httpx.Response) -> object:
    """The JSON answer, or its text when it is not JSON (a proxy's HTML page)."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def _wamid(answer: object) -> str | None:
    if not isinstance(answer, dict):
        return None
    messages = answer.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
        return None
    wamid = messages[0].get("id")
    return wamid if isinstance(wamid, str) and wamid else None


if TYPE_CHECKING:

    def _implements_the_port(gateway: GraphApiGateway) -> MessagingGateway:
        """mypy proves here that the gateway fits the port (ports are not inherited)."""
        return gateway
