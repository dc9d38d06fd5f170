"""Small, real media files made on the fly, for tests and the demo.

Each function returns the bytes of a file that the usual tools open (Pillow, FFmpeg through
PyAV, a PDF reader), made the same way every time: encoders run single-threaded and the
containers are written with FFmpeg's ``bitexact`` flag (no random stream serials or UIDs,
no encoder version in the tags), so a sample's sha256 is stable on one installation.

Pillow and PyAV are imported inside the functions: importing this module costs nothing,
and Pillow is a development dependency only. The PDF, HTML and SVG samples need neither.
Results are cached (``functools.lru_cache``); bytes are immutable, so sharing them is safe.
"""

from __future__ import annotations

import array
import io
import math
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from av.container import OutputContainer

Color = tuple[int, int, int]

SAMPLE_RATE = 48_000
"""Opus always runs at 48 kHz inside; the voice samples are recorded at that rate."""

_BITEXACT = {"fflags": "+bitexact"}


@lru_cache(maxsize=32)
def jpeg(width: int = 64, height: int = 48, color: Color = (220, 90, 40)) -> bytes:
    """A JPEG photo: a coloured field with a lighter disc in the middle."""
    return _pillow_image("JPEG", width, height, color, quality=85)


@lru_cache(maxsize=32)
def png(width: int = 64, height: int = 48, color: Color = (40, 120, 220)) -> bytes:
    """A PNG picture: a coloured field with a lighter disc in the middle."""
    return _pillow_image("PNG", width, height, color)


@lru_cache(maxsize=8)
def webp_sticker(
    size: int = 512, color: Color = (250, 200, 30), *, animated: bool = False
) -> bytes:
    """A WebP sticker, ``size`` square (WhatsApp's stickers are 512x512).

    ``animated=True`` gives two frames that swap colours; Pillow writes the VP8X header
    with the animation flag and an ANIM chunk, as any animated WebP has.
    """
    from PIL import Image, ImageDraw  # noqa: PLC0415 - Pillow is for tests only

    frames = []
    for fill, disc in ((color, _lighter(color)), (_lighter(color), color)):
        image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.ellipse((size // 8, size // 8, size - size // 8, size - size // 8), fill=fill)
        draw.ellipse((size // 3, size // 3, size - size // 3, size - size // 3), fill=disc)
        frames.append(image)
    out = io.BytesIO()
    if animated:
        frames[0].save(
            out,
            "WEBP",
            save_all=True,
            append_images=frames[1:],
            duration=400,
            loop=0,
            lossless=True,
        )
    else:
        frames[0].save(out, "WEBP", lossless=True)
    return out.getvalue()


@lru_cache(maxsize=8)
def ogg_opus_voice(seconds: float = 1.0) -> bytes:
    """A voice note as WhatsApp sends and accepts it: Opus in OGG, 48 kHz mono (a tone)."""
    return _opus_tone("ogg", seconds)


@lru_cache(maxsize=8)
def webm_opus_voice(seconds: float = 1.0, *, live: bool = False) -> bytes:
    """A voice note as Chromium's MediaRecorder records it: Opus in WebM, 48 kHz mono.

    ``live=True`` writes it the way a recorder streams it: no duration and no cues (the
    muxer cannot seek back to fill them in).
    """
    return _opus_tone("webm", seconds, live=live)


@lru_cache(maxsize=4)
def mp4_video(seconds: float = 1.0, width: int = 64, height: int = 48) -> bytes:
    """A silent H.264 video in MP4 at 10 frames a second: a grey level that rises."""
    import av  # noqa: PLC0415 - importing the samples stays cheap

    fps = 10
    out = io.BytesIO()
    container: OutputContainer
    with av.open(out, "w", format="mp4", options=_BITEXACT) as container:
        stream = container.add_stream(
            "libx264", rate=fps, options={"preset": "ultrafast", "threads": "1"}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        count = max(1, round(seconds * fps))
        for index in range(count):
            frame = av.VideoFrame(width, height, "yuv420p")
            luma = 40 + (170 * index) // max(1, count - 1)
            for plane, value in zip(frame.planes, (luma, 110, 150), strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


@lru_cache(maxsize=8)
def pdf(text: str = "Cotización") -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, written by hand (a few hundred bytes).

    The cross-reference table holds each object's byte offset, as readers expect; the
    text is encoded in WinAnsi (Windows-1252), so Spanish accents show; characters
    outside it become "?".
    """
    content = b"BT /F1 24 Tf 72 760 Td (" + _pdf_string(text) + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    # The second line's high bytes tell tools the file is binary (PDF 1.7, 7.5.2).
    document = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        document += b"%010d 00000 n \n" % offset
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(document)


@lru_cache(maxsize=1)
def html_page() -> bytes:
    """An HTML page with a script: what must never be sent or served as if it were media."""
    return (
        b'<!DOCTYPE html>\n<html lang="es"><head><meta charset="utf-8">'
        b"<title>Cotizaci\xc3\xb3n</title></head>\n<body><p>Hola</p>"
        b"<script>document.title = 'script ran';</script></body></html>\n"
    )


@lru_cache(maxsize=1)
def svg_image() -> bytes:
    """An SVG picture with a script: an image by name, a document that runs code by nature."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">'
        b'<rect width="64" height="48" fill="#dc5a28"/>'
        b"<script>document.title = 'script ran';</script></svg>\n"
    )


def _lighter(color: Color) -> Color:
    red, green, blue = color
    return ((red + 255) // 2, (green + 255) // 2, (blue + 255) // 2)


def _pillow_image(
    format_name: str, width: int, height: int, color: Color, **save_options: int
) -> bytes:
    from PIL import Image, ImageDraw  # noqa: PLC0415 - Pillow is for tests only

    image = Image.new("RGB", (width, height), color)
    inset = min(width, height) // 4
    ImageDraw.Draw(image).ellipse(
        (inset, inset, width - 1 - inset, height - 1 - inset), fill=_lighter(color)
    )
    out = io.BytesIO()
    image.save(out, format_name, **save_options)
    return out.getvalue()


def _opus_tone(format_name: str, seconds: float, *, live: bool = False) -> bytes:
    """A 440 Hz tone at a third of full scale, encoded with libopus at 24 kbit/s."""
    import av  # noqa: PLC0415 - importing the samples stays cheap

    count = max(1, round(seconds * SAMPLE_RATE))
    step = 2 * math.pi * 440 / SAMPLE_RATE
    samples = array.array("h", (round(10_000 * math.sin(step * n)) for n in range(count)))
    options = dict(_BITEXACT, live="1") if live else _BITEXACT
    out = io.BytesIO()
    container: OutputContainer
    with av.open(out, "w", format=format_name, options=options) as container:
        stream = container.add_stream("libopus", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = 24_000
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = SAMPLE_RATE
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def _pdf_string(text: str) -> bytes:
    """``text`` as the inside of a PDF literal string: WinAnsi bytes, escaped, ASCII only."""
    out = bytearray()
    for byte in text.encode("cp1252", errors="replace"):
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 0x20 <= byte < 0x7F:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out)
