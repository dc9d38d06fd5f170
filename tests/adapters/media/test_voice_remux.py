"""A browser's WebM/Opus recording becomes an OGG/Opus voice note: same packets, same sound.

The WebM inputs are made by PyAV the way a recorder makes them (Opus at 48 kHz mono, also
"live": no duration, no cues). The strongest check: remuxing the WebM gives byte for byte
the OGG that FFmpeg writes when it encodes the same tone straight into OGG.
"""

from __future__ import annotations

import io

import av
import pytest
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from crm_whatsapp.adapters.media.voice_remux import opus_packet_samples, remux_webm_opus_to_ogg
from crm_whatsapp.domain.errors import MediaTooLarge, UnsupportedMediaType
from crm_whatsapp.domain.media_types import check_upload, is_ogg_opus
from crm_whatsapp.domain.message import MessageKind
from crm_whatsapp.testing import media_samples

LIMIT = 16 * 1024 * 1024


def _packets(content: bytes) -> list[tuple[int, bytes]]:
    """The audio packets of a file: (duration in 48 kHz samples, payload)."""
    with av.open(io.BytesIO(content), "r") as container:
        stream = container.streams.audio[0]
        return [
            (round((p.duration or 0) * p.time_base * 48_000), bytes(p))
            for p in container.demux(stream)
            if p.size
        ]


def _seconds(content: bytes) -> float:
    with av.open(io.BytesIO(content), "r") as container:
        assert container.duration is not None
        return container.duration / av.time_base


@pytest.mark.parametrize("live", [False, True], ids=["file", "live"])
@pytest.mark.parametrize("seconds", [0.3, 1.0, 4.0])
def test_the_opus_packets_move_into_an_ogg_unchanged(live: bool, seconds: float) -> None:
    recording = media_samples.webm_opus_voice(seconds, live=live)

    voice_note = remux_webm_opus_to_ogg(recording, max_bytes=LIMIT)

    assert voice_note.startswith(b"OggS")
    assert is_ogg_opus(voice_note)
    assert [payload for _, payload in _packets(voice_note)] == [
        payload for _, payload in _packets(recording)
    ]
    assert abs(_seconds(voice_note) - seconds) <= 0.05
    if not live:
        assert abs(_seconds(voice_note) - _seconds(recording)) <= 0.05
    assert voice_note == media_samples.ogg_opus_voice(seconds)


def test_the_voice_note_decodes_to_the_recording_s_samples() -> None:
    voice_note = remux_webm_opus_to_ogg(media_samples.webm_opus_voice(1.0), max_bytes=LIMIT)
    with av.open(io.BytesIO(voice_note), "r") as container:
        decoded = sum(frame.samples for frame in container.decode(audio=0))
    assert abs(decoded - 48_000) <= 48_000 * 0.05


def test_a_file_object_is_read_as_well_as_bytes() -> None:
    recording = media_samples.webm_opus_voice(1.0)
    assert remux_webm_opus_to_ogg(io.BytesIO(recording), max_bytes=LIMIT) == (
        remux_webm_opus_to_ogg(recording, max_bytes=LIMIT)
    )


def test_the_voice_note_is_what_whatsapp_accepts_as_audio() -> None:
    voice_note = remux_webm_opus_to_ogg(media_samples.webm_opus_voice(), max_bytes=LIMIT)
    checked = check_upload(voice_note[: 64 * 1024], len(voice_note), "nota.ogg")
    assert (checked.mime_type, checked.kind, checked.voice_remux_needed) == (
        "audio/ogg",
        MessageKind.AUDIO,
        False,
    )


def test_a_recording_cut_short_gives_the_voice_note_of_what_was_recorded() -> None:
    recording = media_samples.webm_opus_voice(1.0, live=True)
    voice_note = remux_webm_opus_to_ogg(recording[: len(recording) // 2], max_bytes=LIMIT)
    assert is_ogg_opus(voice_note)
    assert 0 < len(_packets(voice_note)) < len(_packets(recording))


def test_a_voice_note_over_the_limit_is_refused() -> None:
    recording = media_samples.webm_opus_voice(4.0)
    with pytest.raises(MediaTooLarge) as refused:
        remux_webm_opus_to_ogg(recording, max_bytes=4096)
    assert refused.value.limit == 4096


def _vorbis_webm() -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as container:
        stream = container.add_stream("vorbis", rate=48_000, layout="stereo")
        assert isinstance(stream, AudioStream)
        stream.codec_context.options = {"strict": "experimental"}
        frame = av.AudioFrame("fltp", "stereo", 48_000)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts = 48_000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def _video_only_webm() -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10)
        assert isinstance(stream, VideoStream)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(3):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([90]) * plane.buffer_size)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"not a recording at all " * 20, "could not be read"),
        (media_samples.ogg_opus_voice()[:2000], "could not be read"),  # OGG is not read
        (media_samples.webm_opus_voice()[:60], "could not be read"),
        (_vorbis_webm(), "vorbis, not Opus"),
        (_video_only_webm(), "no audio stream"),
    ],
    ids=["empty", "garbage", "ogg", "truncated", "vorbis", "video only"],
)
def test_what_is_not_a_webm_opus_recording_is_refused(content: bytes, problem: str) -> None:
    with pytest.raises(UnsupportedMediaType, match=problem):
        remux_webm_opus_to_ogg(content, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("packet", "samples"),
    [
        (bytes([0xFC, 1, 2]), 960),  # CELT 20 ms, one frame
        (bytes([0x78 | 1]), 1920),  # hybrid 20 ms, two frames
        (bytes([0x18 | 3, 3]), None),  # SILK 60 ms, three frames: over the 120 ms maximum
        (bytes([0x18 | 3, 2]), 5760),  # SILK 60 ms, two frames: the 120 ms maximum
        (bytes([0x80 | 3, 0]), None),  # no frames
        (bytes([0x83]), None),  # code 3 without its count byte
        (b"", None),
    ],
)
def test_an_opus_packet_s_length_comes_from_its_toc_byte(
    packet: bytes, samples: int | None
) -> None:
    assert opus_packet_samples(packet) == samples
