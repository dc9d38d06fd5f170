"""The MediaStore port in a dict: for tests, examples and library users without a disk.

It keeps the contract the other stores keep (content addressing, the limit, the checksum,
nothing left behind on failure, ``open`` in chunks), so code tested against it behaves the
same on the filesystem or S3. It holds every object in memory: not for production.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Mapping

from crm_whatsapp.adapters.media.keys import (
    CHUNK_SIZE,
    check_digest,
    check_range,
    is_empty_range,
    not_stored_what,
    valid_key,
)
from crm_whatsapp.domain.errors import MediaNotStored, MediaTooLarge
from crm_whatsapp.domain.media import StoredObject


class InMemoryMediaStore:
    """Objects by sha256, in a dict."""

    def __init__(self, chunk_size: int = CHUNK_SIZE) -> None:
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive: {chunk_size}")
        self._objects: dict[str, bytes] = {}
        self._chunk_size = chunk_size

    @property
    def objects(self) -> Mapping[str, bytes]:
        """A copy of what is stored, by sha256: tests check that nothing was left behind."""
        return dict(self._objects)

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        digest = hashlib.sha256()
        received = bytearray()
        async for chunk in chunks:
            if len(received) + len(chunk) > max_bytes:
                raise MediaTooLarge(max_bytes)
            digest.update(chunk)
            received += chunk
        sha256 = digest.hexdigest()
        check_digest(expected_sha256, sha256)
        self._objects.setdefault(sha256, bytes(received))
        return StoredObject(sha256, len(received))

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        valid_key(sha256)
        check_range(start, end)
        return self._read(sha256, start, end)

    async def _read(self, sha256: str, start: int, end: int | None) -> AsyncIterator[bytes]:
        content = self._objects.get(sha256)
        if content is None:
            raise MediaNotStored(not_stored_what(sha256))
        if is_empty_range(start, end):
            return
        stop = len(content) if end is None else min(end, len(content))
        view = memoryview(content)
        for offset in range(start, stop, self._chunk_size):
            yield bytes(view[offset : min(offset + self._chunk_size, stop)])

    async def size(self, sha256: str) -> int | None:
        content = self._objects.get(valid_key(sha256))
        return None if content is None else len(content)

    async def exists(self, sha256: str) -> bool:
        return valid_key(sha256) in self._objects

    async def delete(self, sha256: str) -> None:
        self._objects.pop(valid_key(sha256), None)


__all__ = ["InMemoryMediaStore"]
