"""A browser's voice recording (WebM/Opus) made into a WhatsApp voice note (OGG/Opus).

Chromium's ``MediaRecorder`` records voice as Opus inside WebM; Meta takes voice notes only
as Opus inside OGG. The sound is the same codec in both, so the packets are copied from one
container to the other, not decoded and encoded again: no loss of quality, and it takes
milliseconds for a minute of speech. PyAV (FFmpeg's libraries, shipped in its wheels) reads
the WebM and writes the OGG.

The OGG's timestamps are counted from the Opus packets themselves (each packet's first byte
says how many samples it holds), not copied from the WebM: a recorder's live WebM may have
no block durations and has millisecond timestamps, while an OGG page's granule position
must be the exact number of samples so far.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from fractions import Fraction
from typing import BinaryIO

import av
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.packet import Packet

from crm_whatsapp.domain.errors import MediaTooLarge, UnsupportedMediaType

OPUS_RATE = 48_000
"""Opus timestamps count samples at 48 kHz, whatever the rate the recording was made at."""

_RECORDING = "audio/webm"
_OGG_OPTIONS = {"fflags": "+bitexact"}
"""No random stream serial and no encoder tag: the same recording gives the same file (and
the same sha256, the media store's key)."""


def remux_webm_opus_to_ogg(source: bytes | BinaryIO, *, max_bytes: int) -> bytes:
    """The OGG/Opus voice note holding the Opus packets of a WebM recording, unchanged.

    Raises ``UnsupportedMediaType`` when the input is not a WebM/Matroska file with an Opus
    audio stream (or cannot be read), and ``MediaTooLarge`` as soon as the OGG grows past
    ``max_bytes``. Only the first audio stream is copied; anything else is left out.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        if not source:
            raise UnsupportedMediaType(None, "the recording is empty")
        source = io.BytesIO(source)
    output = io.BytesIO()
    try:
        # The format is named, not probed: only FFmpeg's Matroska demuxer reads the input.
        with av.open(source, "r", format="matroska") as recording:
            if not recording.streams.audio:
                raise UnsupportedMediaType(_RECORDING, "the recording has no audio stream")
            audio = recording.streams.audio[0]
            codec = audio.codec_context.name
            if codec != "opus":
                problem = f"the recording's audio is {codec}, not Opus (voice notes are Opus)"
                raise UnsupportedMediaType(_RECORDING, problem)
            with av.open(output, "w", format="ogg", options=_OGG_OPTIONS) as ogg:
                copy = ogg.add_stream_from_template(audio)
                copied = _copy_packets(recording.demux(audio), ogg, copy, output, max_bytes)
            if not copied:
                raise UnsupportedMediaType(_RECORDING, "the recording has no sound in it")
    except av.FFmpegError as error:
        problem = f"the recording could not be read: {error}"
        raise UnsupportedMediaType(_RECORDING, problem) from error
    if output.tell() > max_bytes:
        raise MediaTooLarge(max_bytes, "the voice note")
    return output.getvalue()


def _copy_packets(
    packets: Iterable[Packet[AudioStream]],
    ogg: OutputContainer,
    copy: AudioStream,
    output: io.BytesIO,
    max_bytes: int,
) -> int:
    """Mux each Opus packet into the OGG with sample-exact timestamps; how many were copied.

    The OGG muxer writes a page's granule position as pts + duration + the stream's pre-skip,
    so the first packet starts at minus the pre-skip (the WebM says the same, rounded to its
    millisecond: -7 ms for 312 samples) and each next one where the previous one's samples
    end. The last packet's trailing padding (WebM's DiscardPadding) shortens its duration,
    so the voice note ends where the recording did.
    """
    pre_skip = _pre_skip(copy)
    start: int | None = None
    copied = 0
    for packet in packets:
        if packet.size == 0:  # the demuxer's end-of-stream marker
            continue
        samples = opus_packet_samples(bytes(packet)) or _samples(packet.duration, packet)
        if start is None:
            start = _samples(packet.pts, packet)
            if abs(start + pre_skip) <= OPUS_RATE // 1000:
                start = -pre_skip
        packet.stream = copy
        packet.time_base = Fraction(1, OPUS_RATE)
        packet.pts = packet.dts = start
        packet.duration = max(1, samples - _trailing_padding(packet))
        ogg.mux_one(packet)
        start += samples
        copied += 1
        if output.tell() > max_bytes:
            raise MediaTooLarge(max_bytes, "the voice note")
    return copied


def _pre_skip(stream: AudioStream) -> int:
    """The samples the decoder drops at the start, from the OpusHead (RFC 7845, 5.1)."""
    head = bytes(stream.codec_context.extradata or b"")
    return int.from_bytes(head[10:12], "little") if head.startswith(b"OpusHead") else 0


def _trailing_padding(packet: Packet[AudioStream]) -> int:
    """Samples to drop at the packet's end (FFmpeg's skip_samples: start u32, end u32)."""
    if not packet.has_sidedata("skip_samples"):
        return 0
    return int.from_bytes(bytes(packet.get_sidedata("skip_samples"))[4:8], "little")


def _samples(value: int | None, packet: Packet[AudioStream]) -> int:
    return round((value or 0) * packet.time_base * OPUS_RATE)


def opus_packet_samples(packet: bytes) -> int | None:
    """How many 48 kHz samples an Opus packet decodes to, from its TOC byte (RFC 6716, 3.1).

    None for an empty or malformed packet (more than 120 ms is not a valid Opus packet).
    """
    if not packet:
        return None
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config & 1]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config & 3]
    code = toc & 3
    if code == 3:
        if len(packet) < 2:
            return None
        count = packet[1] & 0x3F
    else:
        count = 1 if code == 0 else 2
    total = frame * count
    return total if 0 < total <= 5760 else None
