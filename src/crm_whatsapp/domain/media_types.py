"""What a file is, read from its first bytes, and whether WhatsApp takes it.

A file's name and the Content-Type a browser sends are the sender's claims; the content is
what a browser or Meta will act on. An HTML page named ``photo.jpg``, served back from our
origin as what it is, would run its script in an agent's session; a type Meta does not take
fails after the message was queued. So uploads are judged by content (``identify``) against
Meta's table of types and sizes (``ACCEPTED``), and only types a browser merely displays or
plays are ever served inline (``serves_inline``).

Pure: bytes in, a MIME type out; no I/O. Callers pass the first ``HEAD_BYTES`` of a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from crm_whatsapp.domain.errors import MediaTooLarge, UnsupportedMediaType
from crm_whatsapp.domain.media_containers import (
    DOCX,
    PPTX,
    XLSX,
    ebml_doctype,
    iso_bmff_type,
    matroska_codecs,
    matroska_type,
    mpeg_audio_type,
    zip_type,
)
from crm_whatsapp.domain.message import MessageKind

HEAD_BYTES = 64 * 1024
"""How much of a file ``identify`` wants to see: enough for every signature it reads."""

KB = 1024
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Accepted:
    """One row of Meta's table: the message kind a type goes as, its size limit, a name."""

    kind: MessageKind
    max_bytes: int
    label: str


_IMAGE, _AUDIO, _VIDEO = MessageKind.IMAGE, MessageKind.AUDIO, MessageKind.VIDEO
_DOCUMENT, _STICKER = MessageKind.DOCUMENT, MessageKind.STICKER

ACCEPTED: Mapping[str, Accepted] = MappingProxyType({
    "image/jpeg": Accepted(_IMAGE, 5 * MB, "JPEG"),
    "image/png": Accepted(_IMAGE, 5 * MB, "PNG"),
    "audio/aac": Accepted(_AUDIO, 16 * MB, "AAC"),
    "audio/amr": Accepted(_AUDIO, 16 * MB, "AMR"),
    "audio/mpeg": Accepted(_AUDIO, 16 * MB, "MP3"),
    "audio/mp4": Accepted(_AUDIO, 16 * MB, "M4A"),
    "audio/ogg": Accepted(_AUDIO, 16 * MB, "OGG with Opus"),
    "video/mp4": Accepted(_VIDEO, 16 * MB, "MP4"),
    "video/3gpp": Accepted(_VIDEO, 16 * MB, "3GP"),
    "text/plain": Accepted(_DOCUMENT, 100 * MB, "plain text"),
    "application/pdf": Accepted(_DOCUMENT, 100 * MB, "PDF"),
    "application/msword": Accepted(_DOCUMENT, 100 * MB, "DOC"),
    "application/vnd.ms-excel": Accepted(_DOCUMENT, 100 * MB, "XLS"),
    "application/vnd.ms-powerpoint": Accepted(_DOCUMENT, 100 * MB, "PPT"),
    DOCX: Accepted(_DOCUMENT, 100 * MB, "DOCX"),
    XLSX: Accepted(_DOCUMENT, 100 * MB, "XLSX"),
    PPTX: Accepted(_DOCUMENT, 100 * MB, "PPTX"),
    "image/webp": Accepted(_STICKER, 100 * KB, "WebP"),
})  # fmt: skip
"""Meta's accepted types (Cloud API, "Supported media types"). OGG only with Opus."""

ANIMATED_STICKER_MAX_BYTES = 500 * KB
"""An animated WebP sticker may be larger than a static one (``ACCEPTED``'s 100 KB)."""

VOICE_RECORDING = "audio/webm"
"""What browsers record voice in; with Opus it is remuxed to OGG, which Meta takes."""

_INLINE = frozenset({
    "image/jpeg", "image/png", "image/webp", "image/gif", "audio/aac", "audio/amr",
    "audio/mpeg", "audio/mp4", "audio/ogg", "audio/webm", "video/mp4", "video/3gpp",
    "video/webm",
})  # fmt: skip

_OLE_BY_EXTENSION = {
    "xls": "application/vnd.ms-excel", "xlt": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint", "pps": "application/vnd.ms-powerpoint",
    "pot": "application/vnd.ms-powerpoint",
}  # fmt: skip
_PREFIXES = (
    (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"),
    (b"#!AMR-WB\n", "audio/amr-wb"), (b"#!AMR\n", "audio/amr"), (b"fLaC", "audio/flac"),
    (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"), (b"{\\rtf", "application/rtf"),
)  # fmt: skip
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_BMP_HEADERS = (12, 40, 52, 56, 108, 124)
"""A BMP's DIB header sizes: "BM" alone is too common a start for text."""
_HTML_TAGS = (
    "!doctype html", "html", "head", "body", "script", "iframe", "h1", "div", "font",
    "table", "a", "style", "title", "b", "br", "p", "meta", "link", "img",
)  # fmt: skip
_XML_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)", re.DOTALL)
_ROOT_TAG = re.compile(rb"\s*<([a-z_][\w.:-]*)")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def identify(head: bytes, filename: str | None = None) -> str | None:
    """The MIME type of a file, from its first bytes (``HEAD_BYTES`` of them, or all).

    ``filename`` only picks among Word, Excel and PowerPoint's old (OLE2) formats, which
    share one container. Types WhatsApp refuses are named too (GIF, HTML, SVG, ZIP...), so
    the refusal can say what the file is. None: empty, or nothing recognisable.
    """
    if not head:
        return None
    return _binary(head, filename) or _markup(head) or ("text/plain" if _is_text(head) else None)


def is_ogg_opus(head: bytes) -> bool:
    """An OGG file whose first page opens an Opus stream ("OpusHead"): Meta's voice notes."""
    if not head.startswith(b"OggS") or len(head) < 27:
        return False
    start = 27 + head[26]
    return head[start : start + 8] == b"OpusHead"


def is_animated_webp(head: bytes) -> bool:
    """A WebP with the VP8X header's animation flag or an ANIM chunk: the larger sticker."""
    if not (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        return False
    if head[12:16] == b"VP8X" and len(head) > 20 and head[20] & 0x02:
        return True
    at = 12
    while at + 8 <= len(head):
        if head[at : at + 4] in (b"ANIM", b"ANMF"):
            return True
        at += 8 + _le32(head, at + 4) + (_le32(head, at + 4) & 1)
    return False


def is_webm_opus(head: bytes) -> bool:
    """A WebM with audio only, all of it Opus: what browsers record voice notes as."""
    codecs = matroska_codecs(head)
    return ebml_doctype(head) == "webm" and bool(codecs) and codecs == {"A_OPUS"}


@dataclass(frozen=True, slots=True)
class UploadCheck:
    """An upload WhatsApp will take: its type by content, and the kind it goes as.

    ``voice_remux_needed``: a browser's WebM/Opus recording, to be remuxed to OGG/Opus
    before it is sent (``sent_mime_type`` is then ``audio/ogg``).
    """

    mime_type: str
    kind: MessageKind
    voice_remux_needed: bool = False

    @property
    def sent_mime_type(self) -> str:
        return "audio/ogg" if self.voice_remux_needed else self.mime_type


def outgoing_kind(mime: str, *, as_document: bool = False) -> MessageKind:
    """The kind of message a file of this type goes as; ``as_document``: as a file."""
    base = _base(mime)
    if base != VOICE_RECORDING and base not in ACCEPTED:
        raise UnsupportedMediaType(base, _not_accepted(base, None))
    if as_document:
        return MessageKind.DOCUMENT
    return MessageKind.AUDIO if base == VOICE_RECORDING else ACCEPTED[base].kind


def check_upload(
    head: bytes, size: int, filename: str | None, *, as_document: bool = False
) -> UploadCheck:
    """Whether WhatsApp takes this file, by its content and size, and as what.

    Raises ``UnsupportedMediaType`` (the type is named, with what WhatsApp accepts) or
    ``MediaTooLarge`` (with the limit of the kind the file would go as). ``as_document``
    sends any accepted type as a file; it does not make HTML, SVG or the unknown sendable.
    """
    if size <= 0 or not head:
        raise UnsupportedMediaType(None, "the file is empty")
    mime = identify(head, filename)
    if mime == "audio/ogg" and not is_ogg_opus(head):
        problem = "but not Opus: WhatsApp accepts OGG audio only with the Opus codec"
        raise UnsupportedMediaType(mime, f"{_named(mime, filename)} {problem}")
    remux = mime == VOICE_RECORDING
    if remux and not is_webm_opus(head):
        problem = "but not Opus: a WebM recording is accepted only with Opus (made into OGG)"
        raise UnsupportedMediaType(mime, f"{_named(mime, filename)} {problem}")
    if mime is None or not (remux or mime in ACCEPTED):
        raise UnsupportedMediaType(mime, _not_accepted(mime, filename))
    kind = outgoing_kind(mime, as_document=as_document)
    limit, what = _limit(kind, head)
    if size > limit:
        raise MediaTooLarge(limit, f"this {what} ({mime}; WhatsApp's limit is {_size(limit)})")
    return UploadCheck(mime, kind, voice_remux_needed=remux)


def serves_inline(mime: str) -> bool:
    """Whether we may serve this type for the browser to show (else: as an attachment).

    Only pictures, sound and video a browser merely displays or plays; never HTML, SVG or
    XML (they run scripts in our origin), nor PDF or anything unknown.
    """
    return _base(mime) in _INLINE


def accepted_summary() -> str:
    """What WhatsApp takes, in one sentence, from ``ACCEPTED``."""
    parts = []
    for kind, noun in (
        (_IMAGE, "images"), (_AUDIO, "audio"), (_VIDEO, "video"), (_DOCUMENT, "documents"),
        (_STICKER, "stickers"),
    ):  # fmt: skip
        rows = [row for row in ACCEPTED.values() if row.kind is kind]
        labels = ", ".join(row.label for row in rows)
        parts.append(f"{noun} ({labels}) up to {_size(rows[0].max_bytes)}")
    return "; ".join(parts) + f" ({_size(ANIMATED_STICKER_MAX_BYTES)} if animated)"


def _limit(kind: MessageKind, head: bytes) -> tuple[int, str]:
    if kind is _STICKER and is_animated_webp(head):
        return ANIMATED_STICKER_MAX_BYTES, "animated sticker"
    noun = {_IMAGE: "image", _AUDIO: "audio file", _VIDEO: "video", _STICKER: "sticker"}
    limit = next(row.max_bytes for row in ACCEPTED.values() if row.kind is kind)
    return limit, noun.get(kind, "document")


def _named(mime: str | None, filename: str | None) -> str:
    name = f"{filename!r}" if filename else "the file"
    return f"{name} is {mime} by its content" if mime else f"{name} has a type we cannot tell"


def _not_accepted(mime: str | None, filename: str | None) -> str:
    hint = {
        "image/gif": " (send it as an MP4 video)",
        "text/html": " (web pages are never sent)",
        "image/svg+xml": " (SVG can carry scripts; send a PNG)",
    }.get(mime or "", "")
    head = _named(mime, filename) + (", which WhatsApp does not accept" if mime else "")
    return f"{head}{hint}. WhatsApp accepts {accepted_summary()}"


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit % MB == 0 else f"{limit // KB} KB"


def _base(mime: str) -> str:
    return mime.split(";", 1)[0].strip().lower()


def _le32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _binary(head: bytes, filename: str | None) -> str | None:
    for prefix, mime in _PREFIXES:
        if head.startswith(prefix):
            return mime
    if head.startswith(b"RIFF") and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head.startswith(b"OggS"):
        start = 27 + head[26] if len(head) > 26 else 0
        return "video/ogg" if head[start : start + 7] == b"\x80theora" else "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return matroska_type(head)
    if head[4:8] == b"ftyp":
        return iso_bmff_type(head)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return zip_type(head)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        extension = (filename or "").rpartition(".")[2].lower()
        return _OLE_BY_EXTENSION.get(extension, "application/msword")
    if head.startswith(b"BM") and head[6:10] == bytes(4) and _le32(head, 14) in _BMP_HEADERS:
        return "image/bmp"
    return mpeg_audio_type(head)


def _markup(head: bytes) -> str | None:
    """HTML, SVG or XML by the first tag after a BOM, whitespace and any XML prolog.

    HTML is named by the tags browsers sniff as HTML (WHATWG MIME Sniffing), so that
    nothing a browser would render as a page passes as text.
    """
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\n\r\f")[:4096].lower()
    if not text.startswith(b"<"):
        return None
    for tag in _HTML_TAGS:
        if re.match(b"<" + tag.encode() + rb"[\s>/]", text):
            return "text/html"
    at, comment = 0, text.startswith(b"<!--")
    while prolog := _XML_PROLOG.match(text, at):
        if prolog.group().lstrip().startswith(b"<!doctype html"):
            return "text/html"
        at = prolog.end()
    root = _ROOT_TAG.match(text, at)
    name = root.group(1).rpartition(b":")[2].decode() if root else None
    if name == "svg" or (name is None and b"<svg" in text):
        return "image/svg+xml"
    if name in _HTML_TAGS or (comment and name is None):
        return "text/html"
    return "application/xml" if text.startswith(b"<?xml") else None


def _is_text(head: bytes) -> bool:
    """UTF-8 (a sequence cut by the head's end is fine), no NUL, ≤ 1% control characters."""
    body = head.removeprefix(b"\xef\xbb\xbf")
    if not body or b"\x00" in body:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data" or error.start < len(body) - 3:
            return False
        text = body[: error.start].decode("utf-8")
    return len(_CONTROL.findall(text)) <= len(text) // 100
