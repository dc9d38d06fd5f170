"""The ports of files: a download from Meta on its way, and our store of copies."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol

from crm_whatsapp.domain.media import RemoteMedia, StoredObject


class MediaDownload(Protocol):
    """A file on its way from Meta: what Meta says it is, and its bytes as they arrive."""

    @property
    def media(self) -> RemoteMedia: ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The bytes, in chunks; GatewayError if the transfer breaks."""
        ...


class MediaStore(Protocol):
    """Our copies of media files, addressed by their content's sha256 (lower-case hex).

    Content addressing makes ``put`` idempotent: the same bytes twice are one object, and a
    retried fetch never leaves a second copy. Failures of the store itself raise
    ``MediaStoreUnavailable``."""

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        """Keep the bytes; returns their digest and size. Past ``max_bytes`` it raises
        ``MediaTooLarge``, and with a different digest ``MediaChecksumMismatch``: either way
        nothing is left behind, not even a partial object."""
        ...

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes from ``start`` up to ``end`` (exclusive; None: to the end), streamed in
        chunks, never the whole file in memory. ``MediaNotStored`` if there is no such
        object (raised when iteration starts)."""
        ...

    async def size(self, sha256: str) -> int | None:
        """The object's size in bytes; None if it is not stored."""
        ...

    async def exists(self, sha256: str) -> bool:
        """Whether the object is stored."""
        ...

    async def delete(self, sha256: str) -> None:
        """Remove the object; removing one that is not there is not an error."""
        ...
