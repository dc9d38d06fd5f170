"""The sample files are real: each is identified as its type by content and opens with the
tool that reads it (Pillow, PyAV); the PDF's cross-reference table points at its objects.
The demo's committed files are samples too, small enough to ship in the package."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image

import crm_whatsapp.app
from crm_whatsapp.domain.media_types import identify, is_animated_webp, is_ogg_opus
from crm_whatsapp.testing import media_samples

DEMO_MEDIA = Path(crm_whatsapp.app.__file__).parent / "demo_media"


@pytest.mark.parametrize(
    ("make", "mime", "size", "frames"),
    [
        (media_samples.jpeg, "image/jpeg", (64, 48), 1),
        (lambda: media_samples.png(10, 7, (0, 0, 0)), "image/png", (10, 7), 1),
        (media_samples.webp_sticker, "image/webp", (512, 512), 1),
        (lambda: media_samples.webp_sticker(animated=True), "image/webp", (512, 512), 2),
    ],
    ids=["jpeg", "png", "sticker", "animated sticker"],
)
def test_the_pictures_open_with_pillow(
    make: Callable[[], bytes], mime: str, size: tuple[int, int], frames: int
) -> None:
    content = make()
    assert identify(content) == mime
    with Image.open(io.BytesIO(content)) as image:
        image.load()
        assert image.get_format_mimetype() == mime
        assert image.size == size
        assert getattr(image, "n_frames", 1) == frames
    assert is_animated_webp(content) == (frames > 1)


@pytest.mark.parametrize(
    ("make", "mime", "codec", "seconds"),
    [
        (media_samples.ogg_opus_voice, "audio/ogg", "opus", 1.0),
        (lambda: media_samples.ogg_opus_voice(2.5), "audio/ogg", "opus", 2.5),
        (media_samples.webm_opus_voice, "audio/webm", "opus", 1.0),
        (media_samples.mp4_video, "video/mp4", "h264", 1.0),
    ],
    ids=["ogg", "ogg 2.5 s", "webm", "mp4"],
)
def test_the_recordings_open_with_pyav(
    make: Callable[[], bytes], mime: str, codec: str, seconds: float
) -> None:
    content = make()
    assert identify(content) == mime
    with av.open(io.BytesIO(content), "r") as container:
        stream = container.streams[0]
        assert stream.codec_context.name == codec
        assert container.duration is not None
        assert abs(container.duration / av.time_base - seconds) <= 0.05
        decoded = list(container.decode(stream))
    assert decoded
    first = decoded[0]
    if isinstance(first, av.AudioFrame):
        assert (first.sample_rate, first.layout.nb_channels) == (48_000, 1)
    else:
        assert isinstance(first, av.VideoFrame)
        assert len(decoded) == 10
        assert (first.width, first.height) == (64, 48)


def test_the_pdf_cross_reference_table_points_at_each_object() -> None:
    content = media_samples.pdf("Cotización (v2)")
    assert identify(content) == "application/pdf"
    assert content.endswith(b"%%EOF\n")
    xref_at = int(re.search(rb"startxref\n(\d+)\n", content).group(1))  # type: ignore[union-attr]
    assert content[xref_at:].startswith(b"xref\n0 6\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", content[xref_at:])
    assert len(entries) == 5
    for number, offset in enumerate(entries, start=1):
        assert content[int(offset) :].startswith(b"%d 0 obj\n" % number)
    stream = re.search(rb"<< /Length (\d+) >>\nstream\n(.*?)\nendstream", content, re.DOTALL)
    assert stream is not None
    assert len(stream.group(2)) == int(stream.group(1))
    assert b"(Cotizaci\\363n \\(v2\\)) Tj" in stream.group(2)


def test_the_markup_samples_are_what_must_be_refused() -> None:
    assert identify(media_samples.html_page()) == "text/html"
    assert identify(media_samples.svg_image()) == "image/svg+xml"
    assert b"<script>" in media_samples.html_page()
    assert b"<script>" in media_samples.svg_image()


@pytest.mark.parametrize(
    "make",
    [media_samples.jpeg, media_samples.webp_sticker, media_samples.ogg_opus_voice,
     media_samples.webm_opus_voice, media_samples.mp4_video, media_samples.pdf],
    ids=["jpeg", "webp", "ogg", "webm", "mp4", "pdf"],
)  # fmt: skip
def test_a_sample_is_the_same_bytes_every_time(make: Callable[[], bytes]) -> None:
    first = make()
    make.cache_clear()  # type: ignore[attr-defined]
    assert make() == first


def test_importing_the_samples_loads_neither_pillow_nor_pyav() -> None:
    probe = (
        "import sys, crm_whatsapp.testing.media_samples;"
        "print(sorted(m for m in ('PIL', 'av') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_the_demo_s_files_are_a_small_photo_and_a_short_voice_note() -> None:
    photo = (DEMO_MEDIA / "photo.jpg").read_bytes()
    voice = (DEMO_MEDIA / "voice.ogg").read_bytes()
    assert identify(photo) == "image/jpeg"
    assert len(photo) < 10 * 1024
    assert identify(voice) == "audio/ogg"
    assert is_ogg_opus(voice)
    assert len(voice) < 20 * 1024
    with av.open(io.BytesIO(voice), "r") as container:
        assert container.duration is not None
        assert abs(container.duration / av.time_base - 2.0) <= 0.05
    assert (DEMO_MEDIA / "README.md").read_text(encoding="utf-8").count("\n") == 1
