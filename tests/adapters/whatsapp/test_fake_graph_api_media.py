"""The fake Graph API holds files as Meta does: a media id is looked up for a short-lived
download URL behind the bearer token, uploads are held to WhatsApp's types and sizes, a
media id expires, and a media message must name a file the fake holds."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    MEDIA_RULES,
    Failure,
    RunningFakeGraphApi,
    customer_media_message,
    customer_media_message_over_http,
    customer_message_webhook_body,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.webhook import parse_webhook
from crm_whatsapp.domain.media import normalized_sha256
from crm_whatsapp.domain.message import MessageKind

TOKEN = "EAAG-fake-media-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BUSINESS = "106540352242922"
VERSION = "v26.0"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
WA_ID = "5215512345678"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api(access_token=TOKEN, slow_seconds=0.0) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def fake(server: RunningFakeGraphApi) -> RunningFakeGraphApi:
    server.state.reset()
    return server


def lookup(http: httpx.Client, fake: RunningFakeGraphApi, media_id: str, headers=AUTH):
    return http.get(f"{fake.base_url}/{VERSION}/{media_id}", headers=headers)


def upload(
    http: httpx.Client,
    fake: RunningFakeGraphApi,
    content: bytes,
    mime_type: str,
    *,
    fields: dict[str, str] | None = None,
    filename: str = "archivo",
) -> httpx.Response:
    data = {"messaging_product": "whatsapp", "type": mime_type} if fields is None else fields
    return http.post(
        f"{fake.base_url}/{VERSION}/{BUSINESS}/media",
        data=data,
        files={"file": (filename, content, mime_type)},
        headers=AUTH,
    )


def send(http: httpx.Client, fake: RunningFakeGraphApi, kind: str, media: dict[str, Any]):
    body = {"messaging_product": "whatsapp", "to": WA_ID, "type": kind, kind: media}
    return http.post(f"{fake.base_url}/{VERSION}/{BUSINESS}/messages", json=body, headers=AUTH)


def graph_error(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["fbtrace_id"]
    return error


# -- lookup and download -----------------------------------------------------------------


def test_a_lookup_answers_metas_fields_and_a_url_that_serves_the_bytes(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")

    answer = lookup(http, fake, media_id)

    assert answer.status_code == 200
    found = answer.json()
    assert found == {
        "messaging_product": "whatsapp",
        "url": found["url"],
        "mime_type": "image/jpeg",
        "sha256": hashlib.sha256(JPEG).hexdigest(),
        "file_size": len(JPEG),
        "id": media_id,
    }
    assert found["url"].startswith(f"{fake.base_url}/__download/")
    download = http.get(found["url"], headers=AUTH)
    assert download.status_code == 200
    assert download.content == JPEG
    assert download.headers["content-type"] == "image/jpeg"


def test_lookup_and_download_both_need_the_bearer_token(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")
    url = lookup(http, fake, media_id).json()["url"]

    graph_error(lookup(http, fake, media_id, headers={}), 401, 190)
    graph_error(lookup(http, fake, media_id, headers={"Authorization": "Bearer other"}), 401, 190)
    graph_error(http.get(url), 401, 190)
    graph_error(http.get(url, headers={"Authorization": "Bearer other"}), 401, 190)
    assert http.get(url, headers=AUTH).content == JPEG


def test_a_tampered_download_token_is_not_found(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")
    url = lookup(http, fake, media_id).json()["url"]

    forged = url[:-2] + ("11" if url.endswith("00") else "00")
    assert http.get(forged, headers=AUTH).status_code == 404
    assert http.get(f"{fake.base_url}/__download/nonsense", headers=AUTH).status_code == 404


def test_a_stale_url_is_not_found_and_the_next_lookup_gives_a_fresh_one(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")
    fake.state.stale_next_download_urls()

    stale = lookup(http, fake, media_id).json()["url"]
    fresh = lookup(http, fake, media_id).json()["url"]

    assert http.get(stale, headers=AUTH).status_code == 404
    assert http.get(fresh, headers=AUTH).content == JPEG


def test_an_unknown_or_expired_media_id_answers_metas_code_100(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")
    url = lookup(http, fake, media_id).json()["url"]
    assert fake.state.expire_media(media_id)

    for missing in (media_id, "1234567890123456"):
        error = graph_error(lookup(http, fake, missing), 400, 100)
        assert error["error_subcode"] == 33
        assert error["type"] == "GraphMethodException"
        assert f"Object with ID '{missing}' does not exist" in error["message"]
    assert http.get(url, headers=AUTH).status_code == 404  # the file is gone with its id


def test_urls_and_media_ids_expire_after_their_configured_lifetimes(http) -> None:
    with running_fake_graph_api(
        media_url_lifetime_seconds=0.3, media_id_lifetime_seconds=0.8
    ) as fake:
        media_id = fake.state.add_media(JPEG, "image/jpeg")
        url = lookup(http, fake, media_id).json()["url"]
        assert http.get(url, headers=AUTH).status_code == 200

        time.sleep(0.4)
        assert http.get(url, headers=AUTH).status_code == 404
        assert lookup(http, fake, media_id).status_code == 200

        time.sleep(0.5)
        assert graph_error(lookup(http, fake, media_id), 400, 100)["error_subcode"] == 33


def test_at_metas_pace_lookups_and_uploads_take_the_latency_of_a_send(http) -> None:
    with running_fake_graph_api(access_token=TOKEN, latency_seconds=0.3) as fake:
        media_id = fake.state.add_media(JPEG, "image/jpeg")
        started = time.monotonic()
        assert lookup(http, fake, media_id).status_code == 200
        looked_up = time.monotonic()
        assert upload(http, fake, JPEG, "image/jpeg").status_code == 200
        uploaded = time.monotonic()
    assert looked_up - started >= 0.3
    assert uploaded - looked_up >= 0.3


def test_failures_can_be_injected_on_each_media_endpoint(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")
    control = http.post(
        f"{fake.base_url}/__fail_next",
        json={"endpoint": "lookup", "code": 2, "http_status": 503},
    )
    assert control.status_code == 200
    fake.state.fail_next(
        Failure(http_status=502, raw_body="<h1>bad gateway</h1>"), endpoint="download"
    )

    graph_error(lookup(http, fake, media_id), 503, 2)
    url = lookup(http, fake, media_id).json()["url"]
    assert http.get(url, headers=AUTH).status_code == 502
    assert http.get(url, headers=AUTH).content == JPEG
    assert [
        (request["endpoint"], request["response_status"]) for request in fake.state.media_requests()
    ] == [("lookup", 503), ("lookup", 200), ("download", 502), ("download", 200)]


def test_media_requests_hide_the_token_and_the_download_path(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")
    url = lookup(http, fake, media_id).json()["url"]
    http.get(url, headers=AUTH)

    recorded = http.get(f"{fake.base_url}/__media_requests").text
    assert TOKEN not in recorded
    assert url.rsplit("/", 1)[1] not in recorded
    assert [request["path"] for request in json.loads(recorded)] == [
        f"/{VERSION}/{media_id}",
        "/__download/***",
    ]


def test_unknown_failure_endpoints_are_refused(fake, http) -> None:
    response = http.post(f"{fake.base_url}/__fail_next", json={"endpoint": "nope", "code": 1})
    assert response.status_code == 400
    with pytest.raises(ValueError, match="endpoint"):
        fake.state.fail_next(Failure(code=1), endpoint="nope")


# -- the test control: a customer's file -------------------------------------------------


def test_post_media_holds_a_customers_file_under_a_chosen_or_new_id(fake, http) -> None:
    chosen = http.post(
        f"{fake.base_url}/__media",
        params={"id": "777000111", "filename": "nota.pdf"},
        content=b"%PDF-1.4 nota",
        headers={"Content-Type": "application/pdf"},
    )
    new = http.post(
        f"{fake.base_url}/__media", content=JPEG, headers={"Content-Type": "image/jpeg"}
    )

    assert chosen.json() == {
        "id": "777000111",
        "mime_type": "application/pdf",
        "sha256": hashlib.sha256(b"%PDF-1.4 nota").hexdigest(),
        "file_size": 13,
    }
    assert new.json()["id"].isdigit()
    assert len(new.json()["id"]) == 16
    listed = {media["id"]: media for media in http.get(f"{fake.base_url}/__media").json()}
    assert listed["777000111"]["filename"] == "nota.pdf"
    assert listed[new.json()["id"]]["source"] == "added"
    assert "content" not in listed["777000111"]


CUSTOMER_FILES = {  # mime type: (options, kind, the fields the file's object gets)
    "image/jpeg": ({"caption": "Así llegó"}, "image", {"caption": "Así llegó"}),
    "audio/ogg; codecs=opus": ({}, "audio", {"voice": True}),
    "audio/mpeg": ({}, "audio", {"voice": False}),
    "video/mp4": ({"caption": "mira"}, "video", {"caption": "mira"}),
    "application/pdf": (
        {"filename": "factura.pdf", "caption": "la factura"},
        "document",
        {"filename": "factura.pdf", "caption": "la factura"},
    ),
    "image/webp": ({}, "sticker", {"animated": False}),
    "application/zip": ({"filename": "fotos.zip"}, "document", {"filename": "fotos.zip"}),
}


@pytest.mark.parametrize("mime_type", CUSTOMER_FILES)
def test_a_customers_media_message_names_a_file_the_service_can_download(
    fake, http, mime_type: str
) -> None:
    options, kind, expected = CUSTOMER_FILES[mime_type]
    content = b"customer file " + mime_type.encode()

    part = customer_media_message(fake.state, content, mime_type, **options)

    assert part["type"] == kind
    media = part[kind]
    assert media == {
        "id": media["id"],
        "mime_type": mime_type,
        "sha256": media["sha256"],
        **expected,
    }
    assert normalized_sha256(media["sha256"]) == hashlib.sha256(content).hexdigest()
    found = lookup(http, fake, media["id"]).json()
    assert http.get(found["url"], headers=AUTH).content == content
    body = customer_message_webhook_body(
        wa_id=WA_ID, part=part, wamid="wamid.IN1", timestamp=1773156602, phone_number_id=BUSINESS
    )
    (message,) = parse_webhook(json.dumps(body).encode()).messages
    assert message.kind is MessageKind(kind)
    assert message.media_id == media["id"]


def test_a_customers_media_message_over_http_registers_through_post_media(fake, http) -> None:
    part = customer_media_message_over_http(
        fake.base_url, JPEG, "image/jpeg", caption="foto", media_id="4242", client=http
    )

    assert part["image"]["id"] == "4242"
    assert part["image"]["caption"] == "foto"
    assert normalized_sha256(part["image"]["sha256"]) == hashlib.sha256(JPEG).hexdigest()
    assert lookup(http, fake, "4242").json()["file_size"] == len(JPEG)


# -- upload ------------------------------------------------------------------------------

ACCEPTED = [(rule.kind, mime) for rule in MEDIA_RULES for mime in sorted(rule.mime_types)]


@pytest.mark.parametrize(("kind", "mime_type"), ACCEPTED)
def test_every_type_whatsapp_accepts_uploads_and_can_be_looked_up(
    fake, http, kind: str, mime_type: str
) -> None:
    content = f"{kind} {mime_type}".encode()

    response = upload(http, fake, content, mime_type, filename="f.bin")

    assert response.status_code == 200, response.text
    media_id = response.json()["id"]
    assert response.json() == {"id": media_id}
    found = lookup(http, fake, media_id).json()
    assert (found["mime_type"], found["file_size"]) == (mime_type, len(content))
    assert http.get(found["url"], headers=AUTH).content == content
    [held] = http.get(f"{fake.base_url}/__media").json()
    assert (held["source"], held["phone_number_id"], held["filename"]) == (
        "uploaded",
        BUSINESS,
        "f.bin",
    )


@pytest.mark.parametrize("mime_type", ["image/gif", "application/zip", "video/quicktime"])
def test_a_type_whatsapp_refuses_is_a_media_upload_error(fake, http, mime_type: str) -> None:
    error = graph_error(upload(http, fake, b"data", mime_type), 400, 131053)

    assert error["message"] == "(#131053) Media upload error"
    assert mime_type in error["error_data"]["details"]
    assert http.get(f"{fake.base_url}/__media").json() == []


@pytest.mark.parametrize(
    ("mime_type", "limit"),
    [("image/png", 5 * 1024 * 1024), ("image/webp", 500 * 1024)],
)
def test_each_kind_has_its_size_limit(fake, http, mime_type: str, limit: int) -> None:
    assert upload(http, fake, b"x" * limit, mime_type).status_code == 200

    error = graph_error(upload(http, fake, b"x" * (limit + 1), mime_type), 400, 131053)
    assert str(limit) in error["error_data"]["details"]


def test_an_upload_needs_messaging_product_type_and_file(fake, http) -> None:
    no_product = upload(http, fake, JPEG, "image/jpeg", fields={"type": "image/jpeg"})
    no_type = upload(http, fake, JPEG, "image/jpeg", fields={"messaging_product": "whatsapp"})
    no_file = http.post(
        f"{fake.base_url}/{VERSION}/{BUSINESS}/media",
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        headers=AUTH,
    )
    no_token = http.post(
        f"{fake.base_url}/{VERSION}/{BUSINESS}/media",
        files={"file": ("a.jpg", JPEG, "image/jpeg")},
    )

    assert "messaging_product" in graph_error(no_product, 400, 100)["message"]
    assert "type" in graph_error(no_type, 400, 100)["message"]
    assert "file" in graph_error(no_file, 400, 100)["message"]
    graph_error(no_token, 401, 190)
    graph_error(upload(http, fake, b"", "image/jpeg"), 400, 131053)


# -- sending a file ----------------------------------------------------------------------


def test_a_media_message_by_id_is_accepted_and_recorded_with_its_fields(fake, http) -> None:
    media_id = fake.state.add_media(b"%PDF-1.4", "application/pdf")

    response = send(
        http, fake, "document", {"id": media_id, "caption": "tu factura", "filename": "f.pdf"}
    )

    assert response.status_code == 200, response.text
    [accepted] = fake.state.accepted()
    assert accepted.wamid == response.json()["messages"][0]["id"]
    assert (accepted.type, accepted.media_id, accepted.caption, accepted.filename) == (
        "document",
        media_id,
        "tu factura",
        "f.pdf",
    )
    [shown] = http.get(f"{fake.base_url}/__accepted").json()
    assert shown["media_id"] == media_id
    assert shown["body"]["document"]["filename"] == "f.pdf"


def test_a_voice_note_is_recorded_as_one(fake, http) -> None:
    media_id = fake.state.add_media(b"OggS", "audio/ogg")

    assert send(http, fake, "audio", {"id": media_id, "voice": True}).status_code == 200

    [accepted] = fake.state.accepted()
    assert (accepted.type, accepted.voice, accepted.caption) == ("audio", True, None)


def test_a_media_message_naming_an_unknown_or_expired_id_is_refused(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")
    fake.state.expire_media(media_id)

    for missing in (media_id, "999"):
        error = graph_error(send(http, fake, "image", {"id": missing}), 400, 131053)
        assert missing in error["error_data"]["details"]
    assert fake.state.accepted() == []


@pytest.mark.parametrize(
    ("kind", "media"),
    [
        ("audio", {"caption": "no"}),
        ("sticker", {"caption": "no"}),
        ("image", {"filename": "a.jpg"}),
        ("video", {"voice": True}),
        ("audio", {"voice": "yes"}),
        ("image", {"link": "https://example.org/a.jpg"}),  # both id and link
    ],
)
def test_fields_a_kind_does_not_take_are_refused(fake, http, kind, media) -> None:
    media_id = fake.state.add_media(b"file", "image/jpeg")

    graph_error(send(http, fake, kind, {"id": media_id, **media}), 400, 100)
    assert fake.state.accepted() == []


def test_a_media_message_by_link_is_accepted_without_a_held_file(fake, http) -> None:
    response = send(http, fake, "image", {"link": "https://example.org/a.jpg", "caption": "c"})

    assert response.status_code == 200
    assert fake.state.accepted()[0].media_id is None


def test_reset_forgets_files_and_media_failures(fake, http) -> None:
    media_id = fake.state.add_media(JPEG, "image/jpeg")
    fake.state.fail_next(Failure(code=1), endpoint="lookup")

    fake.state.reset()

    graph_error(lookup(http, fake, media_id), 400, 100)
    assert fake.state.media_requests()[-1]["endpoint"] == "lookup"


def test_media_lifetimes_must_be_positive() -> None:
    from crm_whatsapp.adapters.whatsapp.fake_graph_api import FakeGraphApiOptions

    with pytest.raises(ValueError, match="lifetimes"):
        FakeGraphApiOptions(media_url_lifetime_seconds=0)
    with pytest.raises(ValueError, match="lifetimes"):
        FakeGraphApiOptions(media_id_lifetime_seconds=-1)
    assert "media_url_lifetime_seconds=300.0" in repr(FakeGraphApiOptions())
