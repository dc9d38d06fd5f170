"""Driving a MediaStore from synchronous tests: each adapter built for the contract, chunks
fed in, bytes read back."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from crm_whatsapp.adapters.media import FilesystemMediaStore, InMemoryMediaStore, S3MediaStore
from crm_whatsapp.domain.media import StoredObject
from crm_whatsapp.domain.ports import MediaStore
from s3_server import S3Server

MiB = 1024 * 1024
NO_LIMIT = 1 << 40
S3_PREFIX = "tenant-1/media"


def sample(size: int, seed: int = 0) -> bytes:
    """``size`` pseudo-random bytes: no period, so a range off by any offset shows."""
    return random.Random(seed).randbytes(size)


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def split(content: bytes, chunk_size: int) -> list[bytes]:
    return [content[i : i + chunk_size] for i in range(0, len(content), chunk_size)]


async def feed(
    chunks: Iterable[bytes], fail_with: BaseException | None = None
) -> AsyncIterator[bytes]:
    """The chunks as a download would give them; then ``fail_with``, if given."""
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk
    if fail_with is not None:
        raise fail_with


def put(
    store: MediaStore,
    content: bytes,
    *,
    chunk_size: int = 100_000,
    max_bytes: int = NO_LIMIT,
    expected_sha256: str | None = None,
) -> StoredObject:
    return asyncio.run(
        store.put(
            feed(split(content, chunk_size)),
            max_bytes=max_bytes,
            expected_sha256=expected_sha256,
        )
    )


async def collect(chunks: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in chunks]


def read_chunks(
    store: MediaStore, sha256: str, start: int = 0, end: int | None = None
) -> list[bytes]:
    return asyncio.run(collect(store.open(sha256, start, end)))


def read(store: MediaStore, sha256: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(read_chunks(store, sha256, start, end))


@dataclass(frozen=True)
class MediaCase:
    name: str
    store: MediaStore
    leftovers: Callable[[], list[str]]
    """Every file or object the store holds (temporaries and pending uploads too)."""


def filesystem_case(root: Path) -> MediaCase:
    def leftovers() -> list[str]:
        if not root.exists():
            return []
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())

    return MediaCase("filesystem", FilesystemMediaStore(root), leftovers)


def memory_case() -> MediaCase:
    store = InMemoryMediaStore()
    return MediaCase("memory", store, lambda: sorted(store.objects))


def s3_case(server: S3Server, bucket: str) -> MediaCase:
    store = S3MediaStore.from_url(f"s3://{bucket}/{S3_PREFIX}", server.environ())

    def leftovers() -> list[str]:
        pending = [f"pending upload: {key}" for key in server.pending_uploads(bucket)]
        return server.keys(bucket) + pending

    return MediaCase("s3", store, leftovers)
