"""The fake's files: media ids as Meta keeps them, its upload rules, and the short-lived
signed download URLs it hands out.

Meta's behaviour imitated:

* a media id answers ``GET /{version}/{media-id}`` with the file's type, hex sha256, size
  and a download URL valid for about five minutes (``media_url_lifetime_seconds``);
* a media id itself lives for a while (a customer's: 7 days after the message;
  ``media_id_lifetime_seconds``, counted from when the fake got the file); then the
  lookup answers HTTP 400, code 100, subcode 33 ("Object with ID ... does not exist");
* an upload must be one of the types WhatsApp accepts, within its kind's size limit,
  else HTTP 400, code 131053 ("Media upload error").

The registry is thread-safe: the server's loop writes while a test adds files or reads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import JsonObject

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class MediaRule:
    """A kind of file WhatsApp sends: the types it takes and how large they may be."""

    kind: str
    mime_types: frozenset[str]
    max_bytes: int


MEDIA_RULES: tuple[MediaRule, ...] = (
    MediaRule("image", frozenset({"image/jpeg", "image/png"}), 5 * MB),
    MediaRule(
        "audio",
        frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
        16 * MB,
    ),
    MediaRule("video", frozenset({"video/mp4", "video/3gpp"}), 16 * MB),
    MediaRule(
        "document",
        frozenset(
            {
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.ms-excel",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            }
        ),
        100 * MB,
    ),
    MediaRule("sticker", frozenset({"image/webp"}), 500 * 1024),
)
"""Meta's supported media types and limits (audio/ogg: OGG with the Opus codec only)."""

MEDIA_KINDS = frozenset(rule.kind for rule in MEDIA_RULES)

MEDIA_UPLOAD_ERROR = 131053
OBJECT_MISSING_SUBCODE = 33


def essence(mime_type: str) -> str:
    """``type/subtype`` in lower case, without parameters (``; codecs=opus``)."""
    return mime_type.split(";", 1)[0].strip().lower()


def upload_rule(mime_type: str) -> MediaRule | None:
    """The rule an upload of this type falls under; None if WhatsApp refuses the type."""
    plain = essence(mime_type)
    return next((rule for rule in MEDIA_RULES if plain in rule.mime_types), None)


def kind_of(mime_type: str) -> str:
    """The message type a customer's file of this type arrives as (a type WhatsApp does
    not list arrives as a document, as customers can send any file)."""
    rule = upload_rule(mime_type)
    return rule.kind if rule is not None else "document"


@dataclass(frozen=True, slots=True)
class FakeMedia:
    """One file the fake holds under a media id."""

    media_id: str
    mime_type: str
    sha256: str
    """Lower-case hex, as the lookup answers it."""
    file_size: int
    content: bytes = field(repr=False)
    source: str
    """``added`` (a customer's, through ``add_media`` or ``POST /__media``) or ``uploaded``."""
    added_at: float
    """``time.monotonic()`` when the fake got it: the media id's lifetime counts from it."""
    filename: str | None = None
    phone_number_id: str | None = None
    expired: bool = False

    def summary(self) -> JsonObject:
        """What ``GET /__media`` shows (no content)."""
        return {
            "id": self.media_id,
            "mime_type": self.mime_type,
            "sha256": self.sha256,
            "file_size": self.file_size,
            "source": self.source,
            "filename": self.filename,
            "phone_number_id": self.phone_number_id,
            "expired": self.expired,
        }


class MediaRegistry:
    """Media ids, their files, and the download URLs handed out for them."""

    def __init__(
        self,
        url_lifetime: float,
        id_lifetime: float,
        *,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url_lifetime = url_lifetime
        self.id_lifetime = id_lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._media: dict[str, FakeMedia] = {}
        self._rng = random.Random(seed)
        self._key = secrets.token_bytes(32)
        self._stale_urls = 0
        self._requests: list[JsonObject] = []

    def add(
        self,
        content: bytes,
        mime_type: str,
        *,
        media_id: str | None = None,
        source: str = "added",
        filename: str | None = None,
        phone_number_id: str | None = None,
    ) -> FakeMedia:
        """Keep a file under ``media_id`` (default: a new id of Meta's form, 16 digits);
        the same id given again replaces the file and starts its lifetime afresh."""
        if not mime_type:
            raise ValueError("a file needs its mime type")
        if media_id is not None and (not media_id or "/" in media_id):
            raise ValueError("media_id must be a single path segment")
        with self._lock:
            if media_id is None:
                media_id = self._new_id()
            media = FakeMedia(
                media_id=media_id,
                mime_type=mime_type,
                sha256=hashlib.sha256(content).hexdigest(),
                file_size=len(content),
                content=content,
                source=source,
                added_at=self._clock(),
                filename=filename,
                phone_number_id=phone_number_id,
            )
            self._media[media_id] = media
        return media

    def get(self, media_id: str) -> FakeMedia | None:
        """The file, unless the id is unknown or past its lifetime."""
        with self._lock:
            media = self._media.get(media_id)
        if media is None or media.expired or self._clock() - media.added_at >= self.id_lifetime:
            return None
        return media

    def expire(self, media_id: str) -> bool:
        """Make Meta forget the id now, as after its lifetime; False if it is unknown."""
        with self._lock:
            media = self._media.get(media_id)
            if media is None:
                return False
            self._media[media_id] = replace(media, expired=True)
            return True

    def all(self) -> list[FakeMedia]:
        with self._lock:
            return list(self._media.values())

    def clear(self) -> None:
        with self._lock:
            self._media.clear()
            self._stale_urls = 0
            self._requests.clear()

    # -- download URLs -------------------------------------------------------------------

    def stale_next_urls(self, times: int = 1) -> None:
        """The next ``times`` download URLs handed out have already expired (a client that
        took too long between the lookup and the download)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._stale_urls += times

    def download_token(self, media_id: str) -> str:
        """A signed token naming the file and when its URL stops working."""
        with self._lock:
            stale = self._stale_urls > 0
            if stale:
                self._stale_urls -= 1
        now = self._clock()
        expires = now - 1.0 if stale else now + self.url_lifetime
        payload = f"{media_id}:{expires!r}".encode()
        return _b64(payload) + "." + self._signature(payload)

    def resolve(self, token: str) -> FakeMedia | None:
        """The file a download token names, if the token is genuine, its URL has not
        expired and the media id still works; else None (the fake answers 404)."""
        encoded, _, signature = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(signature, self._signature(payload)):
            return None
        media_id, _, expires = payload.decode("utf-8", "replace").rpartition(":")
        try:
            if self._clock() >= float(expires):
                return None
        except ValueError:
            return None
        return self.get(media_id)

    # -- what was asked ------------------------------------------------------------------

    def record(self, request: JsonObject) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[JsonObject]:
        with self._lock:
            return [dict(request) for request in self._requests]

    def _signature(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()[:32]

    def _new_id(self) -> str:
        while True:
            media_id = str(self._rng.randrange(10**15, 10**16))
            if media_id not in self._media:
                return media_id


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- Meta's answers --------------------------------------------------------------------


def lookup_body(media: FakeMedia, url: str) -> JsonObject:
    """Meta's answer to ``GET /{version}/{media-id}``."""
    return {
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.file_size,
        "id": media.media_id,
    }


def object_missing_body(object_id: str, trace_id: str) -> JsonObject:
    """Graph's answer (HTTP 400) for an id it does not know, or no longer keeps."""
    return {
        "error": {
            "message": (
                f"Unsupported get request. Object with ID '{object_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this "
                "operation. Please read the Graph API documentation at "
                "https://developers.facebook.com/docs/graph-api"
            ),
            "type": "GraphMethodException",
            "code": 100,
            "error_subcode": OBJECT_MISSING_SUBCODE,
            "fbtrace_id": trace_id,
        }
    }


def upload_problem(mime_type: str, size: int) -> str | None:
    """Why Meta would refuse an upload of this type and size (the ``details`` of its
    131053 answer), or None if it takes it."""
    rule = upload_rule(mime_type)
    if rule is None:
        accepted = ", ".join(sorted(t for r in MEDIA_RULES for t in r.mime_types))
        return f"Unsupported file type {essence(mime_type)!r}. Please use one of {accepted}."
    if size == 0:
        return "The uploaded file is empty."
    if size > rule.max_bytes:
        return (
            f"File of {size} bytes is too large: the limit for {rule.kind} "
            f"({essence(mime_type)}) is {rule.max_bytes} bytes."
        )
    return None


def send_problem(registry: MediaRegistry, message_type: str, content: JsonObject) -> str | None:
    """Why Meta would refuse to send a media message naming this file by id, or None."""
    media_id = content.get("id")
    if not isinstance(media_id, str):
        return None  # sent by link: nothing of ours to check
    if registry.get(media_id) is None:
        return f"Media id {media_id} for the {message_type} does not exist or has expired."
    return None


def webhook_media_part(
    media_id: str,
    mime_type: str,
    sha256: str,
    kind: str,
    *,
    caption: str | None = None,
    filename: str | None = None,
    voice: bool = False,
) -> JsonObject:
    """The ``type``-specific part of the message object Meta posts for a customer's file,
    e.g. ``{"type": "image", "image": {"id", "mime_type", "sha256", "caption"}}``.

    ``sha256`` is the hex digest; webhooks have carried it as base64 of the digest (the
    lookup answers hex), and so does the fake, so that a receiver reads both forms."""
    if kind not in MEDIA_KINDS:
        raise ValueError(f"kind must be one of {sorted(MEDIA_KINDS)}")
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    content: JsonObject = {"mime_type": mime_type, "sha256": digest, "id": media_id}
    if caption and kind in ("image", "video", "document"):
        content["caption"] = caption
    if kind == "document":
        content["filename"] = filename or "archivo"
    if kind == "audio":
        content["voice"] = voice
    if kind == "sticker":
        content["animated"] = False
    return {"type": kind, kind: content}
