"""Media end to end over loopback: the service, the fake Graph API as Meta holds files, and
the media store. A customer's file is fetched as soon as its message is stored, verified,
and served back byte for byte with safe headers (even once Meta has forgotten it); an
agent's file is checked by content before anything is kept or sent."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from http_service_kit import (
    API,
    AUTH,
    LiveServer,
    make_settings,
    media_webhook,
    text_webhook,
)

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi
from crm_whatsapp.adapters.whatsapp.fake_graph_api.customer_media import customer_media_message
from crm_whatsapp.app import Settings
from crm_whatsapp.testing import media_samples
from polling import wait_until

ANA = "5215512345678"


@pytest.fixture
def settings(service_database: Database, fake_graph: RunningFakeGraphApi) -> Settings:
    """Two quick attempts per file, so that a failure settles within a test."""
    return make_settings(
        service_database.url.render_as_string(hide_password=False),
        fake_graph.base_url,
        media_fetch_attempts=2,
        media_retry_seconds=0.2,
    )


def _conversation(server: LiveServer, wa_id: str = ANA) -> str:
    found = wait_until(
        lambda: server.http.get(API, headers=AUTH).json()["items"], what="a conversation"
    )
    return str(found[0]["id"])


def _messages(server: LiveServer, conversation_id: str) -> list[dict[str, Any]]:
    answer = server.http.get(f"{API}/{conversation_id}/mensajes", headers=AUTH)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _post(server: LiveServer, body: bytes) -> None:
    """Meta delivers ``body``; returns once the processor has stored its message."""
    answer = server.post_webhook(body)
    assert answer.status_code == 200, answer.text


def _settled_media(server: LiveServer, wamid: str) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        for conversation in server.http.get(API, headers=AUTH).json()["items"]:
            for message in _messages(server, conversation["id"]):
                media = message.get("media")
                if message["wamid"] == wamid and media and media["status"] != "pending":
                    return message
        return None

    return wait_until(settled, timeout=20, what=f"the file of {wamid} fetched or failed")


CUSTOMER_FILES = [
    pytest.param("image", media_samples.jpeg, "image/jpeg", "inline", id="image"),
    pytest.param("audio", media_samples.ogg_opus_voice, "audio/ogg", "inline", id="voice"),
    pytest.param("video", media_samples.mp4_video, "video/mp4", "inline", id="video"),
    pytest.param("document", media_samples.pdf, "application/pdf", "attachment", id="pdf"),
    pytest.param("sticker", media_samples.webp_sticker, "image/webp", "inline", id="sticker"),
]


@pytest.mark.parametrize(("kind", "make", "mime", "disposition"), CUSTOMER_FILES)
def test_a_customers_file_is_fetched_verified_and_served_back_byte_for_byte(
    live_server: LiveServer,
    fake_graph: RunningFakeGraphApi,
    *,
    kind: str,
    make: Any,
    mime: str,
    disposition: str,
) -> None:
    content: bytes = make()
    part = customer_media_message(
        fake_graph.state, content, mime, kind=kind, caption="mira" if kind == "image" else None
    )
    wamid = f"wamid.media.{kind}"
    _post(live_server, media_webhook(ANA, part, wamid=wamid))
    message = _settled_media(live_server, wamid)
    media = message["media"]
    assert media["status"] == "stored", media
    assert media["sha256"] == hashlib.sha256(content).hexdigest()
    assert media["size"] == len(content)
    assert media["mime_type"] == mime
    fake_graph.state.media.expire(part[kind]["id"])  # Meta forgets it: ours stays

    served = live_server.http.get(media["url"])  # the signed link, no token
    assert served.status_code == 200, served.text
    assert served.content == content
    assert served.headers["content-type"].startswith(mime)
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "sandbox"
    assert served.headers["content-disposition"].startswith(disposition + ";")
    with_token = live_server.http.get(media["url"].split("?")[0], headers=AUTH)
    assert with_token.content == content


def test_a_file_whose_sha256_is_not_the_one_meta_announced_fails_and_can_be_retried(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    part = customer_media_message(fake_graph.state, media_samples.jpeg(), "image/jpeg")
    part["image"]["sha256"] = hashlib.sha256(b"another file").hexdigest()
    _post(live_server, media_webhook(ANA, part, wamid="wamid.media.corrupt"))
    message = _settled_media(live_server, "wamid.media.corrupt")
    media = message["media"]
    assert media["status"] == "failed"
    assert "sha256" in media["error"]
    assert media["url"] is None
    assert media["retry_url"] is not None
    retried = live_server.http.post(media["retry_url"], headers=AUTH)
    assert retried.status_code == 202, retried.text
    assert retried.json()["media"]["status"] == "pending"
    assert retried.json()["media"]["attempts"] == 0
    again = _settled_media(live_server, "wamid.media.corrupt")["media"]
    assert again["status"] == "failed"  # the same wrong file, fetched twice more
    assert again["attempts"] == 2


def test_a_media_id_meta_no_longer_knows_fails_with_the_reason(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    part = customer_media_message(fake_graph.state, media_samples.pdf(), "application/pdf")
    fake_graph.state.media.expire(part["document"]["id"])
    _post(live_server, media_webhook(ANA, part, wamid="wamid.media.gone"))
    media = _settled_media(live_server, "wamid.media.gone")["media"]
    assert media["status"] == "failed"
    assert media["error"].startswith("Meta:")
    assert media["attempts"] == 1  # a final answer: no retry wasted on it


def test_an_expired_download_url_is_looked_up_again(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    content = media_samples.png()
    part = customer_media_message(fake_graph.state, content, "image/png")
    fake_graph.state.media.stale_next_urls(1)
    _post(live_server, media_webhook(ANA, part, wamid="wamid.media.stale"))
    media = _settled_media(live_server, "wamid.media.stale")["media"]
    assert media["status"] == "stored", media
    assert media["attempts"] == 1
    assert live_server.http.get(media["url"]).content == content


HOSTILE_NAME = '../../"evil"\r\nSet-Cookie: a=b;.pdf'


def test_an_html_file_and_a_hostile_filename_are_served_as_harmless_attachments(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    page = media_samples.html_page()
    part = customer_media_message(
        fake_graph.state, page, "text/html", kind="document", filename=HOSTILE_NAME
    )
    _post(live_server, media_webhook(ANA, part, wamid="wamid.media.html"))
    media = _settled_media(live_server, "wamid.media.html")["media"]
    served = live_server.http.get(media["url"])
    assert served.content == page
    disposition = served.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert '"evil"' not in disposition
    assert "/" not in disposition.split("filename*")[0]
    assert "set-cookie" not in {name.lower() for name in served.headers}
    assert served.headers["content-security-policy"] == "sandbox"
    assert served.headers["x-content-type-options"] == "nosniff"


def test_ranges_let_a_player_seek(live_server: LiveServer, fake_graph: RunningFakeGraphApi) -> None:
    content = media_samples.ogg_opus_voice(seconds=2.0)
    part = customer_media_message(fake_graph.state, content, "audio/ogg")
    _post(live_server, media_webhook(ANA, part, wamid="wamid.media.range"))
    url = _settled_media(live_server, "wamid.media.range")["media"]["url"]
    middle = live_server.http.get(url, headers={"Range": "bytes=100-199"})
    assert middle.status_code == 206
    assert middle.content == content[100:200]
    assert middle.headers["content-range"] == f"bytes 100-199/{len(content)}"
    tail = live_server.http.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == content[-10:]
    beyond = live_server.http.get(url, headers={"Range": f"bytes={len(content)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(content)}"


def test_a_media_link_needs_a_valid_signature_or_the_token(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    part = customer_media_message(fake_graph.state, media_samples.jpeg(), "image/jpeg")
    _post(live_server, media_webhook(ANA, part, wamid="wamid.media.link"))
    url = _settled_media(live_server, "wamid.media.link")["media"]["url"]
    path, _, query = url.partition("?")
    assert live_server.http.get(path).status_code == 401
    forged = query.replace(query[-6:], "000000")
    assert live_server.http.get(f"{path}?{forged}").status_code == 403
    expired = "expira=1000&firma=" + "0" * 64
    assert live_server.http.get(f"{path}?{expired}").status_code == 403
    other = _messages(live_server, _conversation(live_server))
    texts = [m for m in other if m["media"] is None]
    if texts:  # a signature is for one file only
        other_path = f"/api/v1/medios/{texts[0]['id']}"
        assert live_server.http.get(f"{other_path}?{query}").status_code == 403


# -- agents send files --------------------------------------------------------------------

AGENT_FILES = [
    pytest.param(media_samples.jpeg, "foto.jpg", "image", "image/jpeg", {}, id="jpeg"),
    pytest.param(media_samples.png, "captura.png", "image", "image/png", {}, id="png"),
    pytest.param(media_samples.pdf, "cotizacion.pdf", "document", "application/pdf", {}, id="pdf"),
    pytest.param(media_samples.mp4_video, "video.mp4", "video", "video/mp4", {}, id="mp4"),
    pytest.param(media_samples.webp_sticker, "s.webp", "sticker", "image/webp", {}, id="sticker"),
    pytest.param(
        media_samples.ogg_opus_voice, "nota.ogg", "audio", "audio/ogg", {"voice": "true"}, id="ogg"
    ),
    pytest.param(
        media_samples.webm_opus_voice,
        "grabacion.webm",
        "audio",
        "audio/ogg",
        {"voice": "true"},
        id="webm-voice",
    ),
]


@pytest.fixture
def open_conversation(live_server: LiveServer) -> str:
    _post(live_server, text_webhook(ANA, "Hola, ¿me mandas la cotización?"))
    return _conversation(live_server)


@pytest.mark.parametrize(("make", "filename", "kind", "mime", "fields"), AGENT_FILES)
def test_an_agent_sends_each_kind_whatsapp_accepts(
    live_server: LiveServer,
    fake_graph: RunningFakeGraphApi,
    *,
    open_conversation: str,
    make: Any,
    filename: str,
    kind: str,
    mime: str,
    fields: dict[str, str],
) -> None:
    content: bytes = make()
    caption = {"caption": "Aquí está"} if kind in ("image", "document", "video") else {}
    answer = live_server.http.post(
        f"{API}/{open_conversation}/mensajes",
        headers=AUTH,
        data={"agent": "Laura", **caption, **fields},
        files={"file": (filename, content, "application/octet-stream")},
    )
    assert answer.status_code == 201, answer.text
    message = answer.json()
    assert message["kind"] == kind
    assert message["media"]["status"] == "stored"
    assert message["media"]["mime_type"] == mime
    assert message["author"] == {"kind": "agent", "name": "Laura"}

    sent = wait_until(
        lambda: [r for r in fake_graph.state.requests() if r["body"].get("type") == kind],
        timeout=15,
        what=f"the {kind} sent to Meta",
    )
    payload = sent[-1]["body"][kind]
    held = fake_graph.state.media.get(payload["id"])
    assert held is not None
    stored = live_server.http.get(message["media"]["url"]).content
    assert held.content == stored
    if mime == "audio/ogg":
        assert stored.startswith(b"OggS")
        assert payload.get("voice") is True
    else:
        assert stored == content
    if kind == "document":
        assert payload["filename"] == filename
    if caption:
        assert payload["caption"] == "Aquí está"


REFUSED = [
    pytest.param(media_samples.html_page, "pagina.html", 415, id="html"),
    pytest.param(media_samples.svg_image, "logo.png", 415, id="svg-named-png"),
    pytest.param(lambda: b"MZ\x90\x00" + bytes(2000), "programa.pdf", 415, id="exe-named-pdf"),
    pytest.param(lambda: b"", "vacio.jpg", 415, id="empty"),
    pytest.param(
        lambda: media_samples.jpeg() + bytes(5 * 1024 * 1024), "enorme.jpg", 413, id="big-image"
    ),
]


@pytest.mark.parametrize(("make", "filename", "status"), REFUSED)
def test_a_file_whatsapp_refuses_gets_a_clear_error_and_nothing_is_kept_or_sent(
    live_server: LiveServer,
    fake_graph: RunningFakeGraphApi,
    *,
    settings: Settings,
    open_conversation: str,
    make: Any,
    filename: str,
    status: int,
) -> None:
    before = [m["id"] for m in _messages(live_server, open_conversation)]
    answer = live_server.http.post(
        f"{API}/{open_conversation}/mensajes",
        headers=AUTH,
        data={"agent": "Laura"},
        files={"file": (filename, make(), "image/jpeg")},
    )
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] in ("unsupported_media_type", "media_too_large", "payload_too_large")
    assert error["message"]
    assert [m["id"] for m in _messages(live_server, open_conversation)] == before
    assert [m for m in fake_graph.state.media.all() if m.origin == "uploaded"] == []
    kept = [p for p in Path(settings.media_url).rglob("*") if p.is_file()]
    assert kept == []
