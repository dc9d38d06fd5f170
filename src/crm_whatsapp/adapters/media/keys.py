"""What every MediaStore adapter checks the same way: the key, the byte range, the digest.

A key reaches the store from a URL (``/media/<sha256>``) as often as from our own database,
so each adapter validates it before building a path or an object name from it: only 64
lower-case hex characters, which can hold no ``/``, no ``..`` and no prefix of another
layout. Ranges follow Python's slicing on non-negative indexes, so that an HTTP ``Range``
past the end is an empty answer rather than a storage error.
"""

from __future__ import annotations

import re

from crm_whatsapp.domain.errors import MediaChecksumMismatch

CHUNK_SIZE = 64 * 1024
"""How many bytes ``open`` yields at a time: small enough to keep a slow reader's share of
memory small, large enough that the per-chunk overhead does not show."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def valid_key(sha256: str) -> str:
    """The key itself; ``ValueError`` for anything but a lower-case hex sha256."""
    if not isinstance(sha256, str) or _SHA256_HEX.fullmatch(sha256) is None:
        raise ValueError(f"not a lower-case hex sha256: {sha256!r:.80}")
    return sha256


def check_range(start: int, end: int | None) -> None:
    """``ValueError`` for a negative bound; an ``end`` before ``start`` is an empty range."""
    if start < 0:
        raise ValueError(f"start must not be negative: {start}")
    if end is not None and end < 0:
        raise ValueError(f"end must not be negative: {end}")


def is_empty_range(start: int, end: int | None) -> bool:
    """Whether the range holds no byte whatever the object's size."""
    return end is not None and end <= start


def check_digest(expected_sha256: str | None, actual: str) -> None:
    """``MediaChecksumMismatch`` unless the digest is the one announced (if any was).

    Meta's digests are normalised to lower-case hex before they get here; comparing
    case-insensitively costs nothing and spares a caller that forgot."""
    if expected_sha256 is not None and expected_sha256.lower() != actual:
        raise MediaChecksumMismatch(expected_sha256, actual)


def not_stored_what(sha256: str) -> str:
    """How ``MediaNotStored`` names the object."""
    return f"the object {sha256}"
