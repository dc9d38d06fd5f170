"""The MediaStore port on a local directory: the default, needing nothing but a disk.

Layout: ``root/ab/cd/<sha256>``. Two levels of two hex characters keep any directory
under a few thousand entries even with millions of files, which matters to every
filesystem's lookups and to anyone running ``ls``.

The digest is only known once the last byte has arrived, so a ``put`` writes into
``root/.incoming/`` first and renames into place when the whole file has been hashed,
checked and fsynced: a crash or a refused file never leaves a partial object under a key,
and a reader never sees one. The rename and the directory's fsync make the object durable
before ``put`` returns, because the caller records it as stored in the database next.

Customers' files are private: directories are 0700 and files 0600 whatever the process's
umask (set explicitly, not left to the umask), and a key is validated before it becomes a
path. Disk I/O runs in worker threads, batched so that a stream of small chunks does not
cost a thread hop each, and never on the event loop that serves the webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO, ParamSpec, TypeVar

from crm_whatsapp.adapters.media.keys import (
    CHUNK_SIZE,
    check_digest,
    check_range,
    is_empty_range,
    not_stored_what,
    valid_key,
)
from crm_whatsapp.domain.errors import MediaNotStored, MediaStoreUnavailable, MediaTooLarge
from crm_whatsapp.domain.media import StoredObject

INCOMING = ".incoming"
"""Where uploads wait for their digest; a leftover there after a crash is never an object."""

_WRITE_BATCH_BYTES = 1024 * 1024
"""Bytes gathered before one hop to a worker thread writes them."""

_READ_BATCH_CHUNKS = 16
"""Chunks read per hop to a worker thread (1 MiB): the most ``open`` holds at a time."""

_DIRECTORY_MODE = 0o700
_FILE_MODE = 0o600

P = ParamSpec("P")
T = TypeVar("T")


class FilesystemMediaStore:
    """Objects as files under ``root``, named by their sha256."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    @property
    def root(self) -> Path:
        return self._root

    def path_of(self, sha256: str) -> Path:
        """Where the object lives (or would): ``root/ab/cd/<sha256>``."""
        key = valid_key(sha256)
        return self._root / key[:2] / key[2:4] / key

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        incoming = await self._io("create a temporary file", _Incoming.create, self._root)
        try:
            size = 0
            batch: list[bytes] = []
            batched = 0
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(max_bytes)
                batch.append(chunk)
                batched += len(chunk)
                if batched >= _WRITE_BATCH_BYTES:
                    await self._io("write", incoming.write, batch)
                    batch, batched = [], 0
            if batch:
                await self._io("write", incoming.write, batch)
            sha256 = incoming.digest.hexdigest()
            check_digest(expected_sha256, sha256)
            await self._io("store the file", incoming.commit, self.path_of(sha256))
        except BaseException:
            # Inline, not in a thread: a cancelled put must still leave nothing behind.
            incoming.discard()
            raise
        return StoredObject(sha256, size)

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self.path_of(sha256)
        check_range(start, end)
        return self._read(sha256, path, start, end)

    async def _read(
        self, sha256: str, path: Path, start: int, end: int | None
    ) -> AsyncIterator[bytes]:
        file = await self._io("open", _open_at, path, start)
        if file is None:
            raise MediaNotStored(not_stored_what(sha256))
        try:
            if is_empty_range(start, end):
                return
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                chunks = await self._io("read", _read_batch, file, remaining)
                for chunk in chunks:
                    yield chunk
                if remaining is not None:
                    remaining -= sum(len(chunk) for chunk in chunks)
                if len(chunks) < _READ_BATCH_CHUNKS or len(chunks[-1]) < CHUNK_SIZE:
                    return
        finally:
            file.close()

    async def size(self, sha256: str) -> int | None:
        return await self._io("read the size", _size, self.path_of(sha256))

    async def exists(self, sha256: str) -> bool:
        return await self.size(sha256) is not None

    async def delete(self, sha256: str) -> None:
        await self._io("delete", _unlink, self.path_of(sha256))

    async def _io(
        self, what: str, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run blocking I/O in a worker thread; a failing disk is ``MediaStoreUnavailable``
        (not-found is each operation's own business, handled inside ``function``)."""
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            message = f"media store at {self._root} could not {what}: {reason}"
            raise MediaStoreUnavailable(message) from exc


class _Incoming:
    """One upload on its way: a private temporary file and the digest of what it holds."""

    def __init__(self, path: Path, file: BinaryIO) -> None:
        self.path = path
        self.file = file
        self.digest = hashlib.sha256()

    @classmethod
    def create(cls, root: Path) -> _Incoming:
        directory = root / INCOMING
        if not directory.is_dir():
            _private_directory(root, parents=True)
            _private_directory(directory)
        path = directory / uuid.uuid4().hex
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags, _FILE_MODE)
        try:
            os.chmod(path, _FILE_MODE)
            file = os.fdopen(descriptor, "wb")
        except BaseException:
            os.close(descriptor)
            path.unlink(missing_ok=True)
            raise
        return cls(path, file)

    def write(self, chunks: list[bytes]) -> None:
        # hashlib releases the GIL on large buffers: hashing here keeps it off the loop too
        for chunk in chunks:
            self.digest.update(chunk)
            self.file.write(chunk)

    def commit(self, final: Path) -> None:
        """Move the complete file to its key, durably; the same bytes stored before win."""
        if final.exists():
            self.discard()
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        _private_directory(final.parent.parent)
        _private_directory(final.parent)
        os.replace(self.path, final)
        _fsync_directory(final.parent)

    def discard(self) -> None:
        # The buffered file's lock makes close wait for a write still running in a thread,
        # so the descriptor cannot be reused under it.
        with contextlib.suppress(OSError, ValueError):
            self.file.close()
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def _private_directory(path: Path, *, parents: bool = False) -> None:
    """Create ``path`` as 0700; one that already exists is left as it is."""
    try:
        path.mkdir(mode=_DIRECTORY_MODE, parents=parents)
    except FileExistsError:
        return
    os.chmod(path, _DIRECTORY_MODE)


def _fsync_directory(path: Path) -> None:
    """Make a rename in ``path`` durable (POSIX; Windows cannot open a directory)."""
    if os.name == "nt":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _open_at(path: Path, start: int) -> BinaryIO | None:
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return None
    try:
        file.seek(start)
    except BaseException:
        file.close()
        raise
    return file


def _read_batch(file: BinaryIO, limit: int | None) -> list[bytes]:
    """Up to ``_READ_BATCH_CHUNKS`` chunks and ``limit`` bytes; a short chunk means EOF."""
    chunks: list[bytes] = []
    while len(chunks) < _READ_BATCH_CHUNKS and (limit is None or limit > 0):
        wanted = CHUNK_SIZE if limit is None else min(CHUNK_SIZE, limit)
        chunk = file.read(wanted)
        if not chunk:
            break
        chunks.append(chunk)
        if limit is not None:
            limit -= len(chunk)
        if len(chunk) < wanted:
            break
    return chunks


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


__all__ = ["INCOMING", "FilesystemMediaStore"]
