"""Reading container headers: Matroska/WebM, ISO-BMFF (MP4), ZIP, MPEG audio and ADTS.

Each function reads only the first bytes of a file (what ``media_types.identify`` gets)
and never raises on any input: a short or garbled head is "not this format", not an error.
Pure: no I/O.
"""

from __future__ import annotations

import re

DOCX, XLSX, PPTX = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_MKV_CODEC = re.compile(rb"\x86[\x82-\x9f][AVS]_")


def matroska_type(head: bytes) -> str | None:
    """WebM/Matroska: the EBML DocType names the flavour; the CodecIDs say what it holds.

    The codec ids are found by pattern (element 0x86, a short size, ``A_``/``V_``/``S_``)
    instead of walking the tree: a recorder's live file has sizes marked unknown.
    """
    doctype = ebml_doctype(head)
    if doctype not in ("webm", "matroska"):
        return None
    codecs = matroska_codecs(head)
    video = not codecs or any(codec.startswith("V_") for codec in codecs)
    if doctype == "webm":
        return "video/webm" if video else "audio/webm"
    return "video/x-matroska" if video else "audio/x-matroska"


def ebml_doctype(head: bytes) -> str | None:
    found = re.search(rb"\x42\x82([\x81-\x9f])", head[:64])
    if not found:
        return None
    start = found.end()
    value = head[start : start + (found.group(1)[0] & 0x7F)]
    return value.rstrip(b"\x00").decode("ascii", errors="replace")


def matroska_codecs(head: bytes) -> set[str]:
    codecs = set()
    for found in _MKV_CODEC.finditer(head):
        start = found.start() + 2
        value = head[start : start + (head[found.start() + 1] & 0x7F)]
        if re.fullmatch(rb"[AVS]_[A-Z0-9_/.]+", value):
            codecs.add(value.decode("ascii"))
    return codecs


def iso_bmff_type(head: bytes) -> str:
    """MP4 and relatives, by the ``ftyp`` box's major brand (and compatible ones)."""
    major = head[8:12]
    end = min(len(head), max(16, int.from_bytes(head[:4], "big")))
    brands = {major, *(head[at : at + 4] for at in range(16, end - 3, 4))}
    if major in _HEIF_BRANDS or major in (b"avif", b"avis"):
        return "image/avif" if brands & {b"avif", b"avis"} else "image/heic"
    if major == b"qt  ":
        return "video/quicktime"
    if major.startswith(b"3g2"):
        return "video/3gpp2"
    if major.startswith(b"3g"):
        return "video/3gpp"
    return "audio/mp4" if major in (b"M4A ", b"M4B ") else "video/mp4"


def zip_type(head: bytes) -> str:
    """OOXML is a ZIP whose entries live under ``word/``, ``xl/`` or ``ppt/``.

    Each local file header (``PK\\3\\4``) names its entry at offset 30; the first few
    entries are within the head in every Office file, so reading those names is enough.
    """
    names = []
    at = head.find(b"PK\x03\x04")
    while at != -1 and at + 30 <= len(head):
        length = int.from_bytes(head[at + 26 : at + 28], "little")
        names.append(head[at + 30 : at + 30 + length])
        at = head.find(b"PK\x03\x04", at + 30)
    for prefix, mime in ((b"word/", DOCX), (b"ppt/", PPTX), (b"xl/", XLSX)):
        if any(name.startswith(prefix) for name in names):
            return mime
    opendocument = re.match(
        rb"PK\x03\x04.{26}mimetype(application/vnd\.oasis\.[\w.-]+)", head, re.DOTALL
    )
    return opendocument.group(1).decode() if opendocument else "application/zip"


_MPEG_KBPS = {
    (3, 3): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (3, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (3, 1): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 3): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
"""kbit/s by (MPEG-1: 3, MPEG-2/2.5: 2; layer bits: 3 = I, 2 = II, 1 = III), index 1-14."""
_MPEG_HZ = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mpeg_audio_type(head: bytes) -> str | None:
    """MP3 (an ID3 tag, or MPEG audio frames) or AAC in ADTS frames.

    A frame sync alone is 11 bits, common by chance: the header's fields must be valid, the
    frame must end within the head, and the next frame must start where this one ends.
    """
    at = 0
    if head.startswith(b"ID3") and len(head) >= 10:
        size = 0
        for byte in head[6:10]:
            size = size << 7 | (byte & 0x7F)
        at = 10 + size + (10 if head[5] & 0x10 else 0)
        if at + 4 > len(head):
            return "audio/mpeg"
    first = _frame(head, at)
    if first is None or at + first[1] > len(head):
        return "audio/mpeg" if at else None
    mime, end = first[0], at + first[1]
    following = _frame(head, end)
    if end + 7 <= len(head) and (following is None or following[0] != mime):
        return "audio/mpeg" if at else None
    return mime


def _frame(head: bytes, at: int) -> tuple[str, int] | None:
    """The type and length of the MPEG audio or ADTS frame starting at ``at``, if valid."""
    if at + 7 > len(head) or head[at] != 0xFF or head[at + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = head[at + 1], head[at + 2]
    if b1 & 0xF6 == 0xF0:  # ADTS: 12-bit sync, layer 0
        length = (head[at + 3] & 3) << 11 | head[at + 4] << 3 | head[at + 5] >> 5
        return ("audio/aac", length) if (b2 >> 2) & 0xF < 13 and length >= 7 else None
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if version == 1 or layer == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    kbps = _MPEG_KBPS[(3, layer) if version == 3 else (2, 3 if layer == 3 else 2)]
    bits_per_second = kbps[bitrate_index - 1] * 1000
    rate, padding = _MPEG_HZ[version][rate_index], (b2 >> 1) & 1
    if layer == 3:
        return "audio/mpeg", (12 * bits_per_second // rate + padding) * 4
    per_frame = 72 if layer == 1 and version != 3 else 144
    return "audio/mpeg", per_frame * bits_per_second // rate + padding
