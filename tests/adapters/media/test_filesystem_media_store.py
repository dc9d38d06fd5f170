"""What only the filesystem store promises: its layout, private modes whatever the umask,
bounded memory on 50 MB files, and nothing left behind when a put is cancelled."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import sys
import tracemalloc
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from pathlib import Path

import pytest
from store_kit import MiB, collect, put, read, sample, sha256_of

from crm_whatsapp.adapters.media import FilesystemMediaStore
from crm_whatsapp.adapters.media.filesystem import INCOMING
from crm_whatsapp.domain.errors import MediaNotStored, MediaStoreUnavailable

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and /proc")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "data" / "media"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_an_object_lives_at_ab_cd_sha256(root: Path) -> None:
    store = FilesystemMediaStore(root)

    stored = put(store, b"a voice note")

    sha = stored.sha256
    assert store.path_of(sha) == root / sha[:2] / sha[2:4] / sha
    assert (root / sha[:2] / sha[2:4] / sha).read_bytes() == b"a voice note"
    assert list((root / INCOMING).iterdir()) == []


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o000], indirect=True, ids=["022", "000"])
def test_directories_are_0700_and_files_0600_whatever_the_umask(root: Path, umask: int) -> None:
    store = FilesystemMediaStore(root)

    stored = put(store, sample(3 * MiB), chunk_size=MiB)

    path = store.path_of(stored.sha256)
    assert mode(path) == 0o600
    for directory in (root, root / INCOMING, path.parent, path.parent.parent):
        assert mode(directory) == 0o700, directory


@posix_only
def test_an_existing_root_keeps_its_mode(tmp_path: Path) -> None:
    """The data directory may be shared with other files; only what the store creates is
    made private."""
    tmp_path.chmod(0o750)

    put(FilesystemMediaStore(tmp_path), b"x")

    assert mode(tmp_path) == 0o750


BLOCK = sample(MiB, seed=11)
CHUNK = 256 * 1024


def fifty_megabytes() -> Iterator[bytes]:
    """200 chunks of 256 KiB, each from a different place of one block."""
    for i in range(200):
        offset = (i * 7919) % (len(BLOCK) - CHUNK)
        yield BLOCK[offset : offset + CHUNK]


async def feed_fifty_megabytes() -> AsyncIterator[bytes]:
    for chunk in fifty_megabytes():
        yield chunk


def test_50_mb_go_in_and_out_in_a_few_mb_of_memory(root: Path) -> None:
    store = FilesystemMediaStore(root)
    expected = hashlib.sha256()
    for chunk in fifty_megabytes():
        expected.update(chunk)

    async def scenario() -> tuple[int, int, str]:
        tracemalloc.start()
        try:
            stored = await store.put(feed_fifty_megabytes(), max_bytes=50 * MiB)
            _, put_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            digest = hashlib.sha256()
            async for chunk in store.open(stored.sha256):
                digest.update(chunk)
            _, open_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert stored.size == 50 * MiB
        return put_peak, open_peak, digest.hexdigest()

    put_peak, open_peak, read_digest = asyncio.run(scenario())

    assert read_digest == expected.hexdigest()
    assert put_peak < 5 * MiB, f"put held {put_peak / MiB:.1f} MiB"
    assert open_peak < 5 * MiB, f"open held {open_peak / MiB:.1f} MiB"


def test_a_cancelled_put_leaves_nothing(root: Path) -> None:
    store = FilesystemMediaStore(root)
    arrived = asyncio.Event()

    async def stalls_after_3_mb() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield sample(MiB)
        arrived.set()
        await asyncio.Event().wait()  # the download hangs
        yield b"never"

    async def scenario() -> None:
        task = asyncio.create_task(store.put(stalls_after_3_mb(), max_bytes=1 << 30))
        await arrived.wait()
        assert len(list((root / INCOMING).iterdir())) == 1  # it was under way
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())

    assert list((root / INCOMING).iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc")
def test_a_reader_that_stops_early_closes_the_file(root: Path) -> None:
    store = FilesystemMediaStore(root)
    stored = put(store, sample(2 * MiB))

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    async def scenario() -> int:
        before = open_files()
        chunks = store.open(stored.sha256)
        assert isinstance(chunks, AsyncGenerator)
        await anext(chunks)
        assert open_files() == before + 1
        await chunks.aclose()
        return open_files() - before

    assert asyncio.run(scenario()) == 0


def test_a_root_that_is_not_a_directory_makes_the_store_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.write_bytes(b"not a directory")
    store = FilesystemMediaStore(root)
    sha = sha256_of(b"x")

    with pytest.raises(MediaStoreUnavailable, match="could not create a temporary file"):
        put(store, b"x")
    with pytest.raises(MediaStoreUnavailable, match="could not read the size"):
        asyncio.run(store.size(sha))
    with pytest.raises(MediaStoreUnavailable, match="could not open"):
        read(store, sha)


def test_a_leftover_of_a_crash_is_never_an_object(root: Path) -> None:
    """A temporary file that a killed process left holds bytes, but no key reaches it."""
    store = FilesystemMediaStore(root)
    put(store, b"first")
    leftover = root / INCOMING / sha256_of(b"partial")
    leftover.write_bytes(b"part")

    assert not asyncio.run(store.exists(sha256_of(b"partial")))
    with pytest.raises(MediaNotStored):
        asyncio.run(collect(store.open(sha256_of(b"partial"))))
