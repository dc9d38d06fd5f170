"""The MediaStore port on S3 or any S3-compatible object storage (MinIO, R2, Ceph, ...).

For deployments with several machines, or none with a disk worth keeping: every worker
sees the same objects. Keys are ``<prefix>/ab/<sha256>``; the two-character level spreads
keys over S3's partitions and makes listing a slice cheap.

Small files (under one multipart part, 5 MiB: most photos and voice notes) are read into
memory, hashed, checked, and written with one PUT straight to their key, atomic by S3's
own guarantee. Larger ones stream: their digest is only known after the last byte, so they
go to ``<prefix>/.incoming/<uuid>`` as a multipart upload (at most a few parts in memory),
are hashed on the way, and are copied server-side to their key once checked; the temporary
object is deleted either way. A refused upload is aborted before it completes, so it leaves
no object. What a crash in the middle can leave (an incomplete multipart upload, an object
under ``.incoming/``) is never visible under a key: a bucket lifecycle rule that expires
``.incoming/`` and aborts incomplete uploads after a day cleans it up.

Error messages say which operation failed and what the server answered, never the
credentials (which obstore keeps in request signatures, not in its errors; URLs are
stripped of any user-info all the same).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from obstore.exceptions import BaseError
from obstore.store import S3Store

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

if TYPE_CHECKING:
    from obstore import GetOptions
    from obstore.store import ClientConfig, RetryConfig, S3Config

INCOMING = ".incoming"
"""Where large uploads wait for their digest, under the store's prefix."""

PART_SIZE = 5 * 1024 * 1024
"""S3's smallest multipart part: a file under it goes in one PUT."""

_STORE_ERRORS = (BaseError, OSError)


class S3MediaStore:
    """Objects in a bucket, under the prefix of the given obstore ``S3Store``.

    ``part_size`` and ``max_concurrency`` bound what an upload holds in memory: about
    ``part_size * (max_concurrency + 1)`` bytes however large the file."""

    def __init__(
        self, store: S3Store, *, part_size: int = PART_SIZE, max_concurrency: int = 2
    ) -> None:
        if part_size < PART_SIZE:
            raise ValueError(f"S3 multipart parts are at least {PART_SIZE} bytes")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be positive: {max_concurrency}")
        self._store = store
        self._part_size = part_size
        self._max_concurrency = max_concurrency

    @classmethod
    def from_url(cls, url: str, environ: Mapping[str, str] | None = None) -> S3MediaStore:
        """``s3://bucket/prefix``, configured by the usual variables in ``environ`` (the
        service passes those its settings read): ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
        ``AWS_SESSION_TOKEN``, ``AWS_REGION`` or ``AWS_DEFAULT_REGION``,
        ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` (S3-compatible servers), and
        ``AWS_ALLOW_HTTP=true`` to allow a plain-HTTP endpoint (a server on loopback).

        Values found here override what obstore reads from the process environment by
        itself; what is absent here, obstore may still find there (instance roles too)."""
        bucket, prefix = _bucket_and_prefix(url)
        env = environ or {}
        config: S3Config = {}
        if value := _first(env, "AWS_ACCESS_KEY_ID"):
            config["access_key_id"] = value
        if value := _first(env, "AWS_SECRET_ACCESS_KEY"):
            config["secret_access_key"] = value
        if value := _first(env, "AWS_SESSION_TOKEN"):
            config["session_token"] = value
        if value := _first(env, "AWS_REGION", "AWS_DEFAULT_REGION"):
            config["region"] = value
        endpoint = _first(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
        allow_http = (_first(env, "AWS_ALLOW_HTTP") or "").lower() in {"1", "true", "yes"}
        if endpoint:
            if endpoint.lower().startswith("http://") and not allow_http:
                raise ValueError(
                    f"the S3 endpoint {_scrubbed(endpoint)} is plain HTTP: "
                    "set AWS_ALLOW_HTTP=true to allow it (a server on loopback)"
                )
            config["endpoint"] = endpoint
        client_options: ClientConfig = {
            "allow_http": allow_http,
            "connect_timeout": timedelta(seconds=5),
            # the whole request, body included: a large video served to a slow reader
            # streams for minutes (obstore's default of 30 s would cut it)
            "timeout": timedelta(hours=1),
        }
        # obstore retries for up to 3 minutes by default; a fetch job retries later anyway
        retry_config: RetryConfig = {"max_retries": 3, "retry_timeout": timedelta(seconds=30)}
        store = S3Store(
            bucket,
            prefix=prefix or None,
            config=config,
            client_options=client_options,
            retry_config=retry_config,
        )
        return cls(store)

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        digest = hashlib.sha256()
        size = 0

        async def counted() -> AsyncIterator[bytes]:
            nonlocal size
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(max_bytes)
                digest.update(chunk)
                yield chunk

        stream = counted()
        head, ended = await _take(stream, self._part_size)
        if ended:
            sha256 = digest.hexdigest()
            check_digest(expected_sha256, sha256)
            try:
                await self._store.put_async(_key(sha256), b"".join(head))
            except _STORE_ERRORS as exc:
                raise _unavailable("store the file", exc) from None
            return StoredObject(sha256, size)
        temporary = f"{INCOMING}/{uuid.uuid4().hex}"
        try:
            await self._upload(temporary, _chain(head, stream))
            sha256 = digest.hexdigest()
            check_digest(expected_sha256, sha256)
            try:
                await self._store.copy_async(temporary, _key(sha256))
            except _STORE_ERRORS as exc:
                raise _unavailable("store the file", exc) from None
        finally:
            await self._discard(temporary)
        return StoredObject(sha256, size)

    async def _upload(self, temporary: str, chunks: AsyncIterator[bytes]) -> None:
        """A multipart upload, aborted if ``chunks`` fails (too large, a broken download)."""
        failure: list[BaseException] = []

        async def watched() -> AsyncIterator[bytes]:
            try:
                async for chunk in chunks:
                    yield chunk
            except BaseException as exc:
                failure.append(exc)
                raise

        try:
            await self._store.put_async(
                temporary,
                watched(),
                chunk_size=self._part_size,
                max_concurrency=self._max_concurrency,
            )
        except BaseException as exc:
            if failure:  # the source's own error, whatever obstore made of it
                raise failure[0] from None
            if isinstance(exc, _STORE_ERRORS):
                raise _unavailable("upload the file", exc) from None
            raise

    async def _discard(self, key: str) -> None:
        """Best effort: a leftover under ``.incoming/`` is never an object, and the
        caller's error matters more than this one."""
        with contextlib.suppress(*_STORE_ERRORS):
            await self._store.delete_async(key)

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        key = _key(sha256)
        check_range(start, end)
        return self._read(sha256, key, start, end)

    async def _read(
        self, sha256: str, key: str, start: int, end: int | None
    ) -> AsyncIterator[bytes]:
        if is_empty_range(start, end):
            # S3 refuses an empty range; the answer is empty if the object exists
            if await self.size(sha256) is None:
                raise MediaNotStored(not_stored_what(sha256))
            return
        options: GetOptions = {}
        if end is not None:
            options["range"] = (start, end)
        elif start:
            options["range"] = {"offset": start}
        try:
            result = await self._store.get_async(key, options=options)
        except FileNotFoundError:
            raise MediaNotStored(not_stored_what(sha256)) from None
        except _STORE_ERRORS as exc:
            failure = _unavailable("read the file", exc)
            if "range" not in options:
                raise failure from None
            # 416 for a range that starts at or past the end: empty, like a slice
            try:
                size = await self.size(sha256)
            except MediaStoreUnavailable:
                raise failure from None
            if size is None:
                raise MediaNotStored(not_stored_what(sha256)) from None
            if start >= size:
                return
            raise failure from None
        stream = result.stream(min_chunk_size=CHUNK_SIZE)
        while True:
            try:
                chunk = await anext(stream)
            except StopAsyncIteration:
                return
            except _STORE_ERRORS as exc:
                raise _unavailable("read the file", exc) from None
            yield chunk

    async def size(self, sha256: str) -> int | None:
        key = _key(sha256)
        try:
            meta = await self._store.head_async(key)
        except FileNotFoundError:
            return None
        except _STORE_ERRORS as exc:
            raise _unavailable("read the size", exc) from None
        return meta["size"]

    async def exists(self, sha256: str) -> bool:
        return await self.size(sha256) is not None

    async def delete(self, sha256: str) -> None:
        key = _key(sha256)
        try:
            await self._store.delete_async(key)
        except FileNotFoundError:
            return
        except _STORE_ERRORS as exc:
            raise _unavailable("delete the file", exc) from None


def _key(sha256: str) -> str:
    key = valid_key(sha256)
    return f"{key[:2]}/{key}"


async def _take(stream: AsyncIterator[bytes], limit: int) -> tuple[list[bytes], bool]:
    """The first chunks, until ``limit`` bytes or the end; and whether the end came."""
    head: list[bytes] = []
    taken = 0
    while taken < limit:
        try:
            chunk = await anext(stream)
        except StopAsyncIteration:
            return head, True
        head.append(chunk)
        taken += len(chunk)
    return head, False


async def _chain(head: list[bytes], rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    while head:
        yield head.pop(0)  # released as it goes: the upload holds its own copy
    async for chunk in rest:
        yield chunk


def _bucket_and_prefix(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3://bucket/prefix URL: {_scrubbed(url)}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError("an s3:// URL names a bucket and a prefix only; credentials go in env")
    return parts.netloc, parts.path.strip("/")


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if value := env.get(name, "").strip():
            return value
    return None


_USER_INFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")


def _scrubbed(text: str) -> str:
    return _USER_INFO.sub(r"\g<scheme>", text)


def _unavailable(what: str, exc: BaseException) -> MediaStoreUnavailable:
    """The failure, in one line: obstore's own message goes on with a debug dump."""
    lines = str(exc).strip().splitlines()
    detail = _scrubbed(lines[0] if lines else type(exc).__name__)[:300]
    return MediaStoreUnavailable(f"object storage could not {what}: {detail}")


__all__ = ["INCOMING", "PART_SIZE", "S3MediaStore"]
