"""Files through the Graph API gateway, over real loopback servers: the fake Graph API for
Meta's flow (lookup, short-lived download URL, upload, media messages), and small
stand-ins where Meta's answer itself is the point (a lookaside on another host, a
download URL that is not http, a transfer cut short)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    Failure,
    RunningFakeGraphApi,
    running_asgi_app,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiGateway, GraphApiSettings
from crm_whatsapp.adapters.whatsapp.graph_api.hidden_urls import HIDDEN_URL
from crm_whatsapp.adapters.whatsapp.graph_api.media import CHUNK_SIZE
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import RemoteMedia
from crm_whatsapp.domain.message import MessageKind

TOKEN = "EAAG-media-secret-token-31415"
BUSINESS = "106540352242922"
WA_ID = "5215512345678"
CUSTOMER = CustomerIdentity.from_wa_id(WA_ID)
CONTENT = bytes((n * 7 + n // 256) % 256 for n in range(300_000))  # several chunks

T = TypeVar("T")


@pytest.fixture(scope="module")
def server() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api(access_token=TOKEN, slow_seconds=0.6) as running:
        yield running


@pytest.fixture
def fake(server: RunningFakeGraphApi) -> RunningFakeGraphApi:
    server.state.reset()
    return server


def with_gateway(
    base_url: str,
    action: Callable[[GraphApiGateway], Awaitable[T]],
    *,
    token: str = TOKEN,
    read_timeout: float = 2.0,
) -> T:
    async def scenario() -> T:
        settings = GraphApiSettings(token, base_url=base_url, read_timeout=read_timeout)
        async with GraphApiGateway(settings) as gateway:
            return await action(gateway)

    return asyncio.run(scenario())


Downloaded = tuple[RemoteMedia, list[bytes]]


def download(media_id: str) -> Callable[[GraphApiGateway], Awaitable[Downloaded]]:
    async def action(gateway: GraphApiGateway) -> Downloaded:
        async with gateway.download_media(BUSINESS, media_id) as file:
            return file.media, [chunk async for chunk in file.chunks()]

    return action


def failed(base_url: str, action: Callable[[GraphApiGateway], Awaitable[Any]], **kw: Any):
    with pytest.raises(GatewayError) as raised:
        with_gateway(base_url, action, **kw)
    return raised.value


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def media_calls(fake: RunningFakeGraphApi) -> list[tuple[str, int]]:
    return [(call["endpoint"], call["response_status"]) for call in fake.state.media_requests()]


# -- download ----------------------------------------------------------------------------


def test_a_download_streams_the_file_byte_for_byte_with_what_meta_says_about_it(fake) -> None:
    media_id = fake.state.add_media(CONTENT, "video/mp4")

    media, chunks = with_gateway(fake.base_url, download(media_id))

    assert b"".join(chunks) == CONTENT
    assert len(chunks) > 1
    assert all(len(chunk) <= CHUNK_SIZE for chunk in chunks)
    assert media == RemoteMedia("video/mp4", hashlib.sha256(CONTENT).hexdigest(), len(CONTENT))
    assert media_calls(fake) == [("lookup", 200), ("download", 200)]
    assert {call["headers"]["authorization"] for call in fake.state.media_requests()} == {
        "Bearer ***"
    }


def test_an_expired_download_url_is_looked_up_again_and_the_download_succeeds(fake) -> None:
    media_id = fake.state.add_media(CONTENT, "image/png")
    fake.state.stale_next_download_urls()

    media, chunks = with_gateway(fake.base_url, download(media_id))

    assert b"".join(chunks) == CONTENT
    assert media.size == len(CONTENT)
    assert media_calls(fake) == [("lookup", 200), ("download", 404)] * 1 + [
        ("lookup", 200),
        ("download", 200),
    ]


def test_a_url_expired_twice_in_a_row_is_a_retryable_failure(fake) -> None:
    media_id = fake.state.add_media(CONTENT, "image/png")
    fake.state.stale_next_download_urls(2)

    error = failed(fake.base_url, download(media_id))

    assert (error.retryable, error.error_code, error.outcome_unknown) == (
        True,
        "media_url_expired",
        False,
    )
    assert media_calls(fake) == [("lookup", 200), ("download", 404)] * 2


@pytest.mark.parametrize("gone", ["expired", "unknown"])
def test_a_media_id_meta_no_longer_keeps_is_final(fake, gone: str) -> None:
    media_id = fake.state.add_media(CONTENT, "image/jpeg")
    if gone == "expired":
        fake.state.expire_media(media_id)
    else:
        media_id = "1234567890123456"

    error = failed(fake.base_url, download(media_id))

    assert (error.retryable, error.error_code) == (False, "100")
    assert "7 días" in str(error)
    assert media_calls(fake) == [("lookup", 400)]


@pytest.mark.parametrize(
    ("endpoint", "failure", "code"),
    [
        ("lookup", Failure(code=2, http_status=500), "2"),
        ("lookup", Failure(code=1, http_status=503), "1"),
        ("lookup", Failure(http_status=502, raw_body="<h1>Bad Gateway</h1>"), "http_502"),
        ("lookup", Failure(code=4, http_status=400), "4"),
        ("download", Failure(code=1, http_status=500), "http_500"),
        ("download", Failure(http_status=429, raw_body="slow down"), "http_429"),
    ],
)
def test_metas_trouble_on_lookup_or_download_is_retryable(
    fake, endpoint: str, failure: Failure, code: str
) -> None:
    media_id = fake.state.add_media(CONTENT, "image/jpeg")
    fake.state.fail_next(failure, endpoint=endpoint)

    error = failed(fake.base_url, download(media_id))

    assert (error.retryable, error.error_code, error.outcome_unknown) == (True, code, False)


def test_a_lookup_slower_than_the_timeout_is_retryable_and_not_an_unknown_outcome(fake) -> None:
    media_id = fake.state.add_media(CONTENT, "image/jpeg")
    fake.state.fail_next(Failure(slow=True), endpoint="lookup")

    error = failed(fake.base_url, download(media_id), read_timeout=0.2)

    assert (error.retryable, error.error_code, error.outcome_unknown) == (True, "timeout", False)
    wait_for(lambda: media_calls(fake) == [("lookup", 200)])  # the late answer left too


def test_a_download_forbidden_for_good_is_final(fake) -> None:
    media_id = fake.state.add_media(CONTENT, "image/jpeg")
    fake.state.fail_next(Failure(code=100, http_status=400), endpoint="download")

    error = failed(fake.base_url, download(media_id))

    assert (error.retryable, error.error_code) == (False, "http_400")


def test_the_lookup_needs_the_configured_token(fake) -> None:
    media_id = fake.state.add_media(CONTENT, "image/jpeg")

    error = failed(fake.base_url, download(media_id), token="EAAG-another-token")

    assert (error.retryable, error.error_code) == (False, "190")
    assert media_calls(fake) == [("lookup", 401)]


@pytest.mark.parametrize("media_id", ["../123", "12?x=1", "", "1 2", "a#b", "%2e%2e"])
def test_a_malformed_media_id_is_final_and_nothing_is_asked(fake, media_id: str) -> None:
    error = failed(fake.base_url, download(media_id))

    assert (error.retryable, error.error_code) == (False, "invalid_media_id")
    assert fake.state.media_requests() == []


# -- upload ------------------------------------------------------------------------------

UPLOADS = {
    "image/jpeg": MessageKind.IMAGE,
    "image/png": MessageKind.IMAGE,
    "audio/ogg": MessageKind.AUDIO,
    "audio/mpeg": MessageKind.AUDIO,
    "video/mp4": MessageKind.VIDEO,
    "application/pdf": MessageKind.DOCUMENT,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        MessageKind.DOCUMENT
    ),
    "image/webp": MessageKind.STICKER,
}


@pytest.mark.parametrize("mime_type", UPLOADS)
def test_an_upload_of_each_kind_returns_a_media_id_that_serves_the_same_bytes(
    fake, mime_type: str
) -> None:
    content = CONTENT[:20_000] + mime_type.encode()

    async def upload_then_download(gateway: GraphApiGateway) -> tuple[str, bytes]:
        media_id = await gateway.upload_media(BUSINESS, content, mime_type, "adjunto.bin")
        async with gateway.download_media(BUSINESS, media_id) as file:
            return media_id, b"".join([chunk async for chunk in file.chunks()])

    media_id, downloaded = with_gateway(fake.base_url, upload_then_download)

    assert downloaded == content
    [held] = [media for media in fake.state.media.all() if media.media_id == media_id]
    assert (held.source, held.mime_type, held.filename, held.phone_number_id) == (
        "uploaded",
        mime_type,
        "adjunto.bin",
        BUSINESS,
    )


@pytest.mark.parametrize(
    ("mime_type", "size"),
    [("image/gif", 100), ("application/zip", 100), ("image/webp", 500 * 1024 + 1)],
)
def test_an_upload_meta_refuses_is_final_with_metas_code(fake, mime_type: str, size: int) -> None:
    error = failed(fake.base_url, lambda g: g.upload_media(BUSINESS, b"x" * size, mime_type, "f"))

    assert (error.retryable, error.error_code) == (False, "131053")
    assert fake.state.media.all() == []


def test_an_upload_meta_fails_to_take_for_now_is_retryable(fake) -> None:
    fake.state.fail_next(Failure(code=2, http_status=500), endpoint="upload")

    error = failed(fake.base_url, lambda g: g.upload_media(BUSINESS, b"jpeg", "image/jpeg", "f"))

    assert (error.retryable, error.error_code) == (True, "2")


def test_an_upload_on_a_malformed_number_is_final_and_nothing_is_sent(fake) -> None:
    error = failed(fake.base_url, lambda g: g.upload_media("1/../2", b"x", "image/jpeg", "f"))

    assert (error.retryable, error.error_code) == (False, "invalid_phone_number_id")
    assert fake.state.media_requests() == []


# -- send --------------------------------------------------------------------------------

SENDS = {  # kind: (arguments given, the object Meta must receive besides the id)
    MessageKind.IMAGE: (
        {"caption": "foto", "filename": "x.jpg", "voice": True},
        {"caption": "foto"},
    ),
    MessageKind.VIDEO: ({"caption": "mira"}, {"caption": "mira"}),
    MessageKind.DOCUMENT: (
        {"caption": "tu factura", "filename": "factura.pdf"},
        {"caption": "tu factura", "filename": "factura.pdf"},
    ),
    MessageKind.AUDIO: ({"caption": "no va", "filename": "a.ogg", "voice": True}, {"voice": True}),
    MessageKind.STICKER: ({"caption": "no va", "voice": True}, {}),
}


@pytest.mark.parametrize("kind", SENDS)
def test_send_media_posts_metas_shape_for_each_kind(fake, kind: MessageKind) -> None:
    given, expected = SENDS[kind]
    media_id = fake.state.add_media(b"file", "application/octet-stream")

    wamid = with_gateway(
        fake.base_url, lambda g: g.send_media(BUSINESS, CUSTOMER, kind, media_id, **given)
    )

    [request] = fake.state.requests()
    assert request["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": kind.value,
        kind.value: {"id": media_id, **expected},
    }
    [accepted] = fake.state.accepted()
    assert (accepted.wamid, accepted.type, accepted.media_id) == (wamid, kind.value, media_id)


def test_an_audio_that_is_not_a_voice_note_carries_no_voice_field(fake) -> None:
    media_id = fake.state.add_media(b"mp3", "audio/mpeg")

    with_gateway(
        fake.base_url, lambda g: g.send_media(BUSINESS, CUSTOMER, MessageKind.AUDIO, media_id)
    )

    assert fake.state.requests()[0]["body"]["audio"] == {"id": media_id}


def test_a_media_reply_to_a_customer_known_by_bsuid_has_context_and_recipient(fake) -> None:
    media_id = fake.state.add_media(b"jpeg", "image/jpeg")
    customer = CustomerIdentity(user_id="MX.13491208655302741918")

    with_gateway(
        fake.base_url,
        lambda g: g.send_media(
            BUSINESS, customer, MessageKind.IMAGE, media_id, reply_to_wamid="wamid.in.9"
        ),
    )

    body = fake.state.requests()[0]["body"]
    assert body["recipient"] == "MX.13491208655302741918"
    assert "to" not in body
    assert body["context"] == {"message_id": "wamid.in.9"}


def test_sending_a_media_id_meta_does_not_hold_is_final(fake) -> None:
    error = failed(
        fake.base_url,
        lambda g: g.send_media(BUSINESS, CUSTOMER, MessageKind.IMAGE, "404404404"),
    )

    assert (error.retryable, error.error_code) == (False, "131053")
    assert fake.state.accepted() == []


@pytest.mark.parametrize("kind", [MessageKind.TEXT, MessageKind.LOCATION, MessageKind.TEMPLATE])
def test_a_kind_that_is_not_a_file_is_refused_before_anything_is_sent(fake, kind) -> None:
    error = failed(fake.base_url, lambda g: g.send_media(BUSINESS, CUSTOMER, kind, "123"))

    assert (error.retryable, error.error_code) == (False, "invalid_media_kind")
    assert fake.state.requests() == []


# -- secrets -----------------------------------------------------------------------------


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's, httpcore's
    return caplog


def shown(error: BaseException | None, logs: pytest.LogCaptureFixture) -> str:
    texts = [logs.text, *(record.getMessage() for record in logs.records)]
    if error is not None:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    return "\n".join(texts)


def test_neither_the_download_url_nor_the_token_shows_in_logs_or_errors(fake, logs) -> None:
    ok = fake.state.add_media(CONTENT, "image/jpeg")
    stale = fake.state.add_media(CONTENT, "image/jpeg")
    broken = fake.state.add_media(CONTENT, "image/jpeg")
    echo = f"<pre>GET {fake.base_url}/__download/x Authorization: Bearer {TOKEN}</pre>"

    with_gateway(fake.base_url, download(ok))
    fake.state.stale_next_download_urls(2)
    stale_error = failed(fake.base_url, download(stale))
    fake.state.fail_next(Failure(http_status=500, raw_body=echo), endpoint="download")
    broken_error = failed(fake.base_url, download(broken))
    fake.state.fail_next(Failure(code=1, message=f"token {TOKEN}"), endpoint="lookup")
    echoed_error = failed(fake.base_url, download(broken))

    for error in (stale_error, broken_error, echoed_error):
        text = shown(error, logs)
        assert TOKEN not in text
        assert "__download" not in text
    assert HIDDEN_URL in logs.text  # httpx logged the download requests, masked
    assert any(record.name == "crm_whatsapp.graph_api" for record in logs.records)


# -- Meta's answer itself: stand-ins on loopback -------------------------------------------


class Lookaside:
    """A stand-in Meta whose lookup points at a download URL of the test's choosing, and a
    file host on another origin that records the Authorization header it got."""

    def __init__(self) -> None:
        self.download_url = ""
        self.lookup_extra: dict[str, Any] = {}
        self.authorizations: list[tuple[str, str | None]] = []

    def meta(self) -> Starlette:
        async def lookup(request: Request) -> Response:
            return JSONResponse(
                {
                    "messaging_product": "whatsapp",
                    "url": self.download_url,
                    "mime_type": "application/pdf",
                    "id": request.path_params["media_id"],
                    **self.lookup_extra,
                }
            )

        return Starlette(routes=[Route("/{version}/{media_id}", lookup)])

    def files(self, redirect_to: str = "") -> Starlette:
        async def file(request: Request) -> Response:
            self.authorizations.append((request.url.path, request.headers.get("authorization")))
            return Response(b"%PDF-1.4 factura", media_type="application/pdf")

        async def moved(request: Request) -> Response:
            self.authorizations.append((request.url.path, request.headers.get("authorization")))
            return RedirectResponse(redirect_to + "/file", status_code=302)

        return Starlette(routes=[Route("/file", file), Route("/moved", moved)])


@pytest.fixture(scope="module")
def lookaside_servers() -> Iterator[tuple[Lookaside, str, str, str]]:
    stand_in = Lookaside()
    with (
        running_asgi_app(stand_in.meta()) as meta_url,
        running_asgi_app(stand_in.files()) as other_url,
        running_asgi_app(stand_in.files(redirect_to=other_url)) as files_url,
    ):
        yield stand_in, meta_url, files_url, other_url


@pytest.fixture
def lookaside(lookaside_servers) -> tuple[Lookaside, str, str, str]:
    """The stand-in (reset), Meta's base URL, the file host's, and a second file host's."""
    stand_in = lookaside_servers[0]
    stand_in.download_url, stand_in.lookup_extra = "", {}
    stand_in.authorizations.clear()
    return lookaside_servers


def test_the_token_goes_to_the_download_host_meta_names_and_a_string_size_is_read(
    lookaside,
) -> None:
    stand_in, meta_url, files_url, _ = lookaside
    stand_in.download_url = f"{files_url}/file?mid=1&hash=abc"
    digest = hashlib.sha256(b"%PDF-1.4 factura").digest()
    stand_in.lookup_extra = {"sha256": base64.b64encode(digest).decode(), "file_size": "16"}

    media, chunks = with_gateway(meta_url, download("5550001"))

    assert b"".join(chunks) == b"%PDF-1.4 factura"
    assert media == RemoteMedia("application/pdf", digest.hex(), 16)
    assert stand_in.authorizations == [("/file", f"Bearer {TOKEN}")]


def test_without_a_size_from_meta_the_content_length_is_used(lookaside) -> None:
    stand_in, meta_url, files_url, _ = lookaside
    stand_in.download_url = f"{files_url}/file"

    media, _ = with_gateway(meta_url, download("5550001"))

    assert (media.size, media.sha256) == (16, None)


def test_a_redirect_to_another_origin_does_not_carry_the_token(lookaside) -> None:
    stand_in, meta_url, files_url, _ = lookaside
    stand_in.download_url = f"{files_url}/moved"

    _, chunks = with_gateway(meta_url, download("5550001"))

    assert b"".join(chunks) == b"%PDF-1.4 factura"
    assert stand_in.authorizations == [("/moved", f"Bearer {TOKEN}"), ("/file", None)]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/file",
        "javascript:alert(1)",
        "//127.0.0.1/file",
        "http:///file",
        "http://[::1/file",
    ],
)
def test_a_download_url_that_is_not_http_is_refused_unused(lookaside, logs, url: str) -> None:
    stand_in, meta_url, _, _ = lookaside
    stand_in.download_url = url

    error = failed(meta_url, download("5550001"))

    assert (error.retryable, error.error_code) == (False, "invalid_media_url")
    assert stand_in.authorizations == []
    assert url not in shown(error, logs)


def test_a_transfer_cut_short_is_a_retryable_gateway_error(logs) -> None:
    async def cut_short(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"100000"), (b"content-type", b"video/mp4")],
            }
        )
        await send({"type": "http.response.body", "body": b"x" * 1000, "more_body": True})
        raise RuntimeError("the file host went away")

    stand_in = Lookaside()
    with (
        running_asgi_app(stand_in.meta()) as meta_url,
        running_asgi_app(cut_short) as files_url,
    ):
        stand_in.download_url = f"{files_url}/file"
        error = failed(meta_url, download("5550001"))

    assert (error.retryable, error.outcome_unknown) == (True, False)
    assert error.error_code == "connection_lost"
    assert files_url not in shown(error, logs).replace(meta_url, "")
