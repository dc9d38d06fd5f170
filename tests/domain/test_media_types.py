"""What a file is by content, and Meta's table: real files identified, disguises refused,
limits exact to the byte, and ``identify`` total on any input."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import av
import pytest
from av.audio.stream import AudioStream
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.errors import MediaTooLarge, UnsupportedMediaType
from crm_whatsapp.domain.media_types import (
    ACCEPTED,
    ANIMATED_STICKER_MAX_BYTES,
    KB,
    MB,
    check_upload,
    identify,
    is_animated_webp,
    is_ogg_opus,
    is_webm_opus,
    outgoing_kind,
    serves_inline,
)
from crm_whatsapp.domain.message import MessageKind
from crm_whatsapp.testing import media_samples

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
INLINE = {
    "image/jpeg", "image/png", "image/webp", "image/gif", "audio/aac", "audio/amr",
    "audio/mpeg", "audio/mp4", "audio/ogg", "audio/webm", "video/mp4", "video/3gpp",
    "video/webm",
}  # fmt: skip


def _audio(codec: str, container: str, rate: int, seconds: float = 0.5) -> bytes:
    """Half a second of silence encoded by PyAV: a real file of that codec and format."""
    layout = "stereo" if codec == "vorbis" else "mono"  # FFmpeg's own Vorbis encoder: stereo
    out = io.BytesIO()
    with av.open(out, "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout=layout)
        assert isinstance(stream, AudioStream)
        stream.codec_context.options = {"strict": "experimental"}
        count = round(rate * seconds)
        frame = av.AudioFrame(stream.codec_context.format.name, layout, count)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts = rate, 0
        output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return out.getvalue()


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name in names:
            archive.writestr(name, "<x/>" * 50)
    return out.getvalue()


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return (len(body) + 4).to_bytes(4, "big") + body + b"\x00\x00\x00\x08free"


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)

SAMPLES: list[tuple[str, Callable[[], bytes], str]] = [
    ("jpeg", media_samples.jpeg, "image/jpeg"),
    ("png", media_samples.png, "image/png"),
    ("webp sticker", media_samples.webp_sticker, "image/webp"),
    ("animated webp", lambda: media_samples.webp_sticker(animated=True), "image/webp"),
    ("ogg opus", media_samples.ogg_opus_voice, "audio/ogg"),
    ("webm opus", media_samples.webm_opus_voice, "audio/webm"),
    ("live webm opus", lambda: media_samples.webm_opus_voice(live=True), "audio/webm"),
    ("mp4", media_samples.mp4_video, "video/mp4"),
    ("pdf", media_samples.pdf, "application/pdf"),
    ("html", media_samples.html_page, "text/html"),
    ("svg", media_samples.svg_image, "image/svg+xml"),
    ("mp3", lambda: _audio("libmp3lame", "mp3", 44100), "audio/mpeg"),
    ("aac adts", lambda: _audio("aac", "adts", 44100), "audio/aac"),
    ("m4a", lambda: _audio("aac", "ipod", 44100), "audio/mp4"),
    ("3gp", lambda: _audio("aac", "3gp", 16000), "video/3gpp"),
    ("amr", lambda: _audio("libopencore_amrnb", "amr", 8000), "audio/amr"),
    ("quicktime", lambda: _audio("aac", "mov", 44100), "video/quicktime"),
    ("ogg vorbis", lambda: _audio("vorbis", "ogg", 44100), "audio/ogg"),
    ("webm vorbis", lambda: _audio("vorbis", "webm", 44100), "audio/webm"),
    ("docx", lambda: _zip("_rels/.rels", "word/document.xml"), DOCX),
    ("xlsx", lambda: _zip("_rels/.rels", "xl/workbook.xml"), XLSX),
    ("pptx", lambda: _zip("_rels/.rels", "ppt/presentation.xml"), PPTX),
    ("zip", lambda: _zip("notes.txt"), "application/zip"),
    ("gif", lambda: b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(20), "image/gif"),
    ("heic", lambda: _ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
    ("text", "Hola, ¿cuánto cuesta?\r\n\tGracias".encode, "text/plain"),
    ("xml", lambda: b'<?xml version="1.0"?>\n<factura numero="7"/>', "application/xml"),
]


@pytest.mark.parametrize(("make", "expected"), [(m, e) for _, m, e in SAMPLES],
                         ids=[name for name, _, _ in SAMPLES])  # fmt: skip
def test_each_real_file_is_identified_by_its_content(
    make: Callable[[], bytes], expected: str
) -> None:
    content = make()
    assert identify(content[: 64 * 1024]) == expected
    assert identify(content, "misleading.pdf" if expected != "application/pdf" else "x.jpg") == (
        expected
    )


def test_the_opus_and_animation_helpers_tell_the_variants_apart() -> None:
    assert is_ogg_opus(media_samples.ogg_opus_voice())
    assert not is_ogg_opus(_audio("vorbis", "ogg", 44100))
    assert not is_ogg_opus(media_samples.webm_opus_voice())  # OpusHead, but not in an OGG
    assert is_webm_opus(media_samples.webm_opus_voice(live=True))
    assert not is_webm_opus(_audio("vorbis", "webm", 44100))
    assert is_animated_webp(media_samples.webp_sticker(animated=True))
    assert not is_animated_webp(media_samples.webp_sticker())


@pytest.mark.parametrize(
    ("filename", "expected"),
    [("hoja.xls", "application/vnd.ms-excel"), ("DECK.PPT", "application/vnd.ms-powerpoint"),
     ("carta.doc", "application/msword"), (None, "application/msword"),
     ("raro.bin", "application/msword")],
)  # fmt: skip
def test_an_old_office_file_is_named_by_its_extension(filename: str | None, expected: str) -> None:
    assert identify(OLE2, filename) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"", None),
        (bytes(range(256)) * 4, None),
        ("¡Hola!".encode("utf-16"), None),
        (b"texto\x00con nulo", None),
        (b"\x1b\x01\x02\x03\x04 mostly control", None),
        ("precio: 10 €".encode()[:-1], "text/plain"),  # the head cut the euro sign short
        ("precio: 10 €".encode()[:-2] + b"!", None),  # a broken sequence in the middle
        (b"\xef\xbb\xbfcon BOM", "text/plain"),
        (b"<3 te quiero", "text/plain"),
        (b"BM but a text", "text/plain"),
        (b"\xff\xfb\x90\x64" + bytes(3), None),  # one MP3 header, no frame behind it
        (b"ID3\x04\x00\x00\x00\x00\x00\x10" + bytes(16), "audio/mpeg"),
        (b"#!AMR-WB\n" + bytes(8), "audio/amr-wb"),
        (_ftyp(b"M4B "), "audio/mp4"),
        (_ftyp(b"3g2a"), "video/3gpp2"),
        (_ftyp(b"isom", b"iso2", b"avc1"), "video/mp4"),
        (_ftyp(b"avif", b"mif1"), "image/avif"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
    ],
)
def test_edge_cases_of_identification(head: bytes, expected: str | None) -> None:
    assert identify(head) == expected


@pytest.mark.parametrize(
    ("content", "filename", "detected"),
    [
        (media_samples.html_page(), "foto.jpg", "text/html"),
        (media_samples.svg_image(), "logo.png", "image/svg+xml"),
        (b"\xef\xbb\xbf  \r\n<!DOCTYPE HTML><p>hola", "precios.txt", "text/html"),
        (b"\n\n   <ScRiPt>fetch('/api')</script>", "notas.txt", "text/html"),
        (b"<!-- hola --><iframe src=x>", "nota.txt", "text/html"),
        (b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "x"><html/>', "a.pdf", "text/html"),
        (b"<?xml version='1.0'?><!-- Illustrator --><svg:svg xmlns:svg='x'/>", "a.jpg",
         "image/svg+xml"),
        (b"<svg onload=alert(1)>", "sticker.webp", "image/svg+xml"),
        (b"GIF89a<script>alert(1)</script>", "a.jpg", "image/gif"),
        (b'<?xml version="1.0"?><rss/>', "feed.txt", "application/xml"),
        (_zip("payload.exe"), "informe.docx", "application/zip"),
        (bytes(range(256)), "foto.jpg", None),
    ],
)  # fmt: skip
@pytest.mark.parametrize("as_document", [False, True])
def test_a_disguised_or_foreign_file_is_refused_naming_what_it_is(
    content: bytes, filename: str, detected: str | None, as_document: bool
) -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        check_upload(content, len(content), filename, as_document=as_document)
    assert refused.value.detected == detected
    message = str(refused.value)
    assert repr(filename) in message
    assert (detected or "cannot tell") in message
    assert "WhatsApp accepts images (JPEG, PNG) up to 5 MB" in message


def test_ogg_or_webm_without_opus_is_refused_saying_so() -> None:
    for content, mime in ((_audio("vorbis", "ogg", 44100), "audio/ogg"),
                          (_audio("vorbis", "webm", 44100), "audio/webm")):  # fmt: skip
        with pytest.raises(UnsupportedMediaType, match="not Opus") as refused:
            check_upload(content, len(content), "nota.ogg")
        assert refused.value.detected == mime


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(UnsupportedMediaType, match="empty"):
        check_upload(b"", 0, "vacio.txt")


LIMITS: list[tuple[str, Callable[[], bytes], bool, str, MessageKind, int]] = [
    ("jpeg", media_samples.jpeg, False, "image/jpeg", MessageKind.IMAGE, 5 * MB),
    ("png", media_samples.png, False, "image/png", MessageKind.IMAGE, 5 * MB),
    ("png as document", media_samples.png, True, "image/png", MessageKind.DOCUMENT, 100 * MB),
    ("ogg", media_samples.ogg_opus_voice, False, "audio/ogg", MessageKind.AUDIO, 16 * MB),
    ("mp3", lambda: _audio("libmp3lame", "mp3", 44100), False, "audio/mpeg",
     MessageKind.AUDIO, 16 * MB),
    ("webm voice", media_samples.webm_opus_voice, False, "audio/webm", MessageKind.AUDIO,
     16 * MB),
    ("mp4", media_samples.mp4_video, False, "video/mp4", MessageKind.VIDEO, 16 * MB),
    ("3gp", lambda: _ftyp(b"3gp4"), False, "video/3gpp", MessageKind.VIDEO, 16 * MB),
    ("pdf", media_samples.pdf, False, "application/pdf", MessageKind.DOCUMENT, 100 * MB),
    ("text", lambda: b"hola", False, "text/plain", MessageKind.DOCUMENT, 100 * MB),
    ("xlsx", lambda: _zip("xl/workbook.xml"), False, XLSX, MessageKind.DOCUMENT, 100 * MB),
    ("xls", lambda: OLE2, False, "application/msword", MessageKind.DOCUMENT, 100 * MB),
    ("sticker", media_samples.webp_sticker, False, "image/webp", MessageKind.STICKER, 100 * KB),
    ("animated sticker", lambda: media_samples.webp_sticker(animated=True), False,
     "image/webp", MessageKind.STICKER, 500 * KB),
]  # fmt: skip


@pytest.mark.parametrize(("make", "as_document", "mime", "kind", "limit"),
                         [row[1:] for row in LIMITS], ids=[row[0] for row in LIMITS])  # fmt: skip
def test_each_kind_takes_exactly_its_limit_and_not_one_byte_more(
    make: Callable[[], bytes], as_document: bool, mime: str, kind: MessageKind, limit: int
) -> None:
    head = make()
    accepted = check_upload(head, limit, "f", as_document=as_document)
    assert (accepted.mime_type, accepted.kind) == (mime, kind)
    assert accepted.voice_remux_needed == (mime == "audio/webm")
    assert accepted.sent_mime_type == ("audio/ogg" if mime == "audio/webm" else mime)
    with pytest.raises(MediaTooLarge) as refused:
        check_upload(head, limit + 1, "f", as_document=as_document)
    assert refused.value.limit == limit
    assert mime in str(refused.value)


def test_the_table_is_meta_s() -> None:
    kinds = {mime: row.kind for mime, row in ACCEPTED.items()}
    assert {m for m, k in kinds.items() if k is MessageKind.IMAGE} == {"image/jpeg", "image/png"}
    assert {m for m, k in kinds.items() if k is MessageKind.STICKER} == {"image/webp"}
    assert len([k for k in kinds.values() if k is MessageKind.DOCUMENT]) == 8
    assert ANIMATED_STICKER_MAX_BYTES == 500 * 1024
    assert {row.max_bytes for row in ACCEPTED.values()} == {5 * MB, 16 * MB, 100 * MB, 100 * KB}


def test_outgoing_kind_by_type() -> None:
    assert outgoing_kind("image/png") is MessageKind.IMAGE
    assert outgoing_kind("Audio/OGG; codecs=opus") is MessageKind.AUDIO
    assert outgoing_kind("audio/webm") is MessageKind.AUDIO
    assert outgoing_kind("image/webp") is MessageKind.STICKER
    assert outgoing_kind("video/mp4", as_document=True) is MessageKind.DOCUMENT
    with pytest.raises(UnsupportedMediaType, match="image/gif"):
        outgoing_kind("image/gif", as_document=True)


def test_only_displayable_media_is_served_inline() -> None:
    for mime in INLINE:
        assert serves_inline(mime)
    assert serves_inline("IMAGE/PNG; charset=binary")
    for mime in ("text/html", "image/svg+xml", "application/xml", "application/pdf",
                 "text/plain", "application/octet-stream", "image/png, text/html", ""):  # fmt: skip
        assert not serves_inline(mime)


@given(st.binary(max_size=600), st.none() | st.text(max_size=40))
def test_identify_never_raises_on_any_bytes(content: bytes, filename: str | None) -> None:
    mime = identify(content, filename)
    assert mime is None or "/" in mime


MAGICS = [
    b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBPVP8X", b"OggS\x00\x02", b"\x1a\x45\xdf\xa3",
    b"\x00\x00\x00\x18ftyp", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"ID3",
    b"\xff\xfb", b"\xff\xf1", b"BM", b"<?xml", b"<!--", b"\xef\xbb\xbf",
]  # fmt: skip


@given(st.sampled_from(MAGICS), st.binary(max_size=400), st.none() | st.text(max_size=20))
def test_identify_never_raises_behind_any_signature(
    magic: bytes, rest: bytes, filename: str | None
) -> None:
    identify(magic + rest, filename)
    is_animated_webp(magic + rest)
    is_ogg_opus(magic + rest)
    is_webm_opus(magic + rest)


NEAR_MISSES = st.builds(
    lambda before, mime, after: before + mime + after,
    st.text(max_size=3), st.sampled_from(sorted(INLINE)), st.text(max_size=8),
)  # fmt: skip


@given(st.text(max_size=60) | NEAR_MISSES)
def test_nothing_outside_the_allowlist_is_served_inline(mime: str) -> None:
    if mime.split(";", 1)[0].strip().lower() not in INLINE:
        assert not serves_inline(mime)
