"""A message's file: what Meta said about it, our own copy, and where fetching it stands.

Meta keeps a customer's file for 7 days after the message; after that the media id is
refused and the file is gone. So every inbound media message gets a ``MediaFile`` in state
``pending`` when it is stored, a job fetches the bytes into our ``MediaStore`` as soon as
it can, and the state becomes ``stored`` (our copy, addressed by its sha256) or, after the
attempts run out or Meta refuses for good, ``failed`` with the reason. Retention may later
delete our copy: ``pruned``. An agent's upload is ``stored`` from the start.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

META_MEDIA_LIFETIME = timedelta(days=7)
"""How long Meta keeps a customer's media id valid, counted from the message."""


class MediaStatus(enum.Enum):
    PENDING = "pending"
    STORED = "stored"
    FAILED = "failed"
    PRUNED = "pruned"


@dataclass(frozen=True, slots=True)
class MediaFile:
    """The file of one message.

    ``sha256`` (lower-case hex) is our copy's digest and its key in the ``MediaStore``;
    ``announced_sha256`` is the digest Meta gave in the webhook, which the copy must match.
    ``mime_type`` is the type we serve: Meta's for inbound, the sniffed one for uploads.
    ``attempts`` and ``next_attempt_at`` schedule the fetch job; ``error`` says why the
    last attempt failed (and, once ``failed``, why we gave up).
    """

    status: MediaStatus = MediaStatus.PENDING
    mime_type: str | None = None
    sha256: str | None = None
    size: int | None = None
    filename: str | None = None
    announced_sha256: str | None = None
    voice: bool = False
    attempts: int = 0
    next_attempt_at: datetime | None = None
    error: str | None = None
    stored_at: datetime | None = None

    @classmethod
    def awaiting_fetch(
        cls,
        now: datetime,
        *,
        mime_type: str | None = None,
        filename: str | None = None,
        announced_sha256: str | None = None,
        voice: bool = False,
    ) -> MediaFile:
        return cls(
            MediaStatus.PENDING,
            mime_type=mime_type_or_none(mime_type),
            filename=filename,
            announced_sha256=normalized_sha256(announced_sha256),
            voice=voice,
            next_attempt_at=now,
        )

    @classmethod
    def uploaded(
        cls,
        stored: StoredObject,
        mime_type: str,
        now: datetime,
        *,
        filename: str | None = None,
        voice: bool = False,
    ) -> MediaFile:
        return cls(
            MediaStatus.STORED,
            mime_type=mime_type,
            sha256=stored.sha256,
            size=stored.size,
            filename=filename,
            voice=voice,
            stored_at=now,
        )

    @property
    def is_stored(self) -> bool:
        return self.status is MediaStatus.STORED and self.sha256 is not None

    def claimed(self, now: datetime, lease: timedelta) -> MediaFile:
        """One more attempt starts; if its worker dies, the lease ends and it is due again."""
        return replace(self, attempts=self.attempts + 1, next_attempt_at=now + lease)

    def stored(self, stored: StoredObject, mime_type: str | None, now: datetime) -> MediaFile:
        return replace(
            self,
            status=MediaStatus.STORED,
            sha256=stored.sha256,
            size=stored.size,
            mime_type=mime_type_or_none(mime_type) or self.mime_type,
            next_attempt_at=None,
            error=None,
            stored_at=now,
        )

    def retry_at(self, when: datetime, error: str) -> MediaFile:
        return replace(self, status=MediaStatus.PENDING, next_attempt_at=when, error=error)

    def gave_up(self, error: str) -> MediaFile:
        return replace(self, status=MediaStatus.FAILED, next_attempt_at=None, error=error)

    def fetch_again(self, now: datetime) -> MediaFile:
        """A person asked to try again: a fresh set of attempts, starting now."""
        return replace(
            self, status=MediaStatus.PENDING, attempts=0, next_attempt_at=now, error=None
        )

    def pruned(self) -> MediaFile:
        return replace(self, status=MediaStatus.PRUNED, next_attempt_at=None)


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What a ``MediaStore`` kept: the content's sha256 (lower-case hex, its key) and size."""

    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class MediaUsage:
    """One stored object as retention sees it: how many messages from before the cutoff
    keep it (their files would be pruned), and whether a message since keeps it too (then
    the object stays)."""

    sha256: str
    old_messages: int
    kept_by_newer: bool


@dataclass(frozen=True, slots=True)
class RemoteMedia:
    """What Meta says about a media id: the type, and the digest and size when it gives them."""

    mime_type: str | None
    sha256: str | None = None
    size: int | None = None


_MIME_TYPE = re.compile(r"[A-Za-z0-9][\w!#$&^.+-]{0,63}/[A-Za-z0-9][\w!#$&^.+-]{0,126}")


def mime_type_or_none(value: str | None) -> str | None:
    """A media type as we keep and serve it (``type/subtype``, lower case, no parameters);
    None for anything else a webhook may carry (a signed body can hold any string, and a
    file is never refused for it: Meta's lookup says the type again)."""
    if not value:
        return None
    base = value.split(";", 1)[0].strip().lower()
    return base if _MIME_TYPE.fullmatch(base) else None


def normalized_sha256(value: str | None) -> str | None:
    """Lower-case hex, whichever way it came: the media endpoint answers hex, webhooks have
    carried base64 of the same 32 bytes. Anything else is not a digest we can check: None."""
    if not value:
        return None
    text = value.strip()
    if len(text) == 64:
        try:
            bytes.fromhex(text)
        except ValueError:
            return None
        return text.lower()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None
