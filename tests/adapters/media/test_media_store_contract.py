"""The MediaStore contract, held by every adapter: filesystem, S3 (on a real S3 server) and
memory. Whatever the use cases rely on is here once, so a fourth store only adds a case."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_kit import MediaCase, MiB, feed, put, read, read_chunks, sample, sha256_of, split

from crm_whatsapp.domain.errors import MediaChecksumMismatch, MediaNotStored, MediaTooLarge
from crm_whatsapp.domain.media import StoredObject
from crm_whatsapp.domain.ports import MediaStore

# Past S3's 5 MiB part: a multipart upload to a temporary key rather than one PUT.
LARGE = 6 * MiB + 12_345
SMALL = 5_000

BAD_KEYS = [
    "",
    "../../etc/passwd",
    "a" * 63,
    "a" * 65,
    "A" * 64,
    "g" * 64,
    "a" * 63 + "/",
    "a" * 64 + "\n",
    "aa/" + "a" * 61,
]


def test_put_then_open_gives_the_bytes_back_in_chunks(media_store: MediaStore) -> None:
    content = sample(MiB + 300_001)

    stored = put(media_store, content, chunk_size=65_537)

    assert stored == StoredObject(sha256_of(content), len(content))
    chunks = read_chunks(media_store, stored.sha256)
    assert b"".join(chunks) == content
    assert len(chunks) > 1, "open streams in chunks, never the whole file at once"


def test_a_large_file_goes_through_whole(media_store: MediaStore) -> None:
    content = sample(LARGE, seed=1)

    stored = put(media_store, content, chunk_size=256 * 1024)

    assert stored == StoredObject(sha256_of(content), LARGE)
    assert read(media_store, stored.sha256) == content


def test_an_empty_file_is_an_object_too(media_store: MediaStore) -> None:
    stored = put(media_store, b"")

    assert stored == StoredObject(sha256_of(b""), 0)
    assert asyncio.run(media_store.size(stored.sha256)) == 0
    assert read(media_store, stored.sha256) == b""


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_the_same_bytes_twice_are_one_object(media_case: MediaCase, size: int) -> None:
    content = sample(size, seed=2)

    first = put(media_case.store, content, chunk_size=70_000)
    second = put(media_case.store, content, chunk_size=1_000_000)

    assert first == second
    assert len(media_case.leftovers()) == 1, media_case.leftovers()
    assert read(media_case.store, first.sha256) == content


RANGE_SIZE = 300_000
RANGES = [
    (0, None),
    (10, None),
    (10, 20),
    (0, 1),
    (65_535, 65_537),  # across the first 64 KiB chunk
    (100_000, 200_000_000),  # the end past the size: up to the end
    (RANGE_SIZE - 1, None),
    (RANGE_SIZE - 1, RANGE_SIZE),
    (7, 7),  # empty
    (20, 10),  # empty too
    (RANGE_SIZE, None),  # from the end: empty, not an error
    (RANGE_SIZE + 10, None),
    (RANGE_SIZE, RANGE_SIZE + 5),
]


@pytest.mark.parametrize(("start", "end"), RANGES)
def test_a_range_is_the_slice_of_the_content(
    media_store: MediaStore, start: int, end: int | None
) -> None:
    content = sample(RANGE_SIZE, seed=3)
    stored = put(media_store, content)

    assert read(media_store, stored.sha256, start, end) == content[start:end]


def test_a_negative_bound_is_refused(media_store: MediaStore) -> None:
    stored = put(media_store, b"abc")

    with pytest.raises(ValueError, match="negative"):
        read(media_store, stored.sha256, -1)
    with pytest.raises(ValueError, match="negative"):
        read(media_store, stored.sha256, 0, -2)


def test_size_exists_and_delete(media_case: MediaCase) -> None:
    store = media_case.store
    content = sample(SMALL, seed=4)
    stored = put(store, content)
    assert asyncio.run(store.size(stored.sha256)) == len(content)
    assert asyncio.run(store.exists(stored.sha256))

    asyncio.run(store.delete(stored.sha256))

    assert asyncio.run(store.size(stored.sha256)) is None
    assert not asyncio.run(store.exists(stored.sha256))
    with pytest.raises(MediaNotStored):
        read(store, stored.sha256)
    assert media_case.leftovers() == []


def test_deleting_what_is_not_there_is_fine(media_store: MediaStore) -> None:
    missing = sha256_of(b"never stored")

    asyncio.run(media_store.delete(missing))
    asyncio.run(media_store.delete(missing))

    assert asyncio.run(media_store.size(missing)) is None


@pytest.mark.parametrize(("start", "end"), [(0, None), (10, 20), (5, 5), (1_000, None)])
def test_opening_what_is_not_there_raises_media_not_stored(
    media_store: MediaStore, start: int, end: int | None
) -> None:
    missing = sha256_of(b"never stored")

    with pytest.raises(MediaNotStored, match=missing):
        read(media_store, missing, start, end)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_past_the_limit_nothing_is_kept(media_case: MediaCase, size: int) -> None:
    limit = size - 1

    with pytest.raises(MediaTooLarge) as refused:
        put(media_case.store, sample(size, seed=5), chunk_size=256 * 1024, max_bytes=limit)

    assert refused.value.limit == limit
    assert media_case.leftovers() == []


def test_exactly_the_limit_is_accepted(media_store: MediaStore) -> None:
    content = sample(SMALL, seed=6)

    stored = put(media_store, content, chunk_size=999, max_bytes=len(content))

    assert stored.size == len(content)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_a_different_digest_keeps_nothing(media_case: MediaCase, size: int) -> None:
    content = sample(size, seed=7)
    announced = sha256_of(b"what Meta said it was")

    with pytest.raises(MediaChecksumMismatch) as mismatch:
        put(media_case.store, content, chunk_size=256 * 1024, expected_sha256=announced)

    assert (mismatch.value.expected, mismatch.value.actual) == (announced, sha256_of(content))
    assert media_case.leftovers() == []


def test_the_announced_digest_is_accepted_when_it_matches(media_store: MediaStore) -> None:
    content = sample(SMALL, seed=8)

    stored = put(media_store, content, expected_sha256=sha256_of(content))

    assert stored.sha256 == sha256_of(content)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_a_broken_download_keeps_nothing_and_says_so_itself(
    media_case: MediaCase, size: int
) -> None:
    broken = ConnectionResetError("the download broke")  # an OSError: not the store's fault
    chunks = feed(split(sample(size, seed=9), 256 * 1024), fail_with=broken)

    with pytest.raises(ConnectionResetError) as raised:
        asyncio.run(media_case.store.put(chunks, max_bytes=1 << 30))

    assert raised.value is broken
    assert media_case.leftovers() == []


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_is_not_a_sha256_is_refused(media_store: MediaStore, key: str) -> None:
    with pytest.raises(ValueError, match="sha256"):
        read(media_store, key)
    with pytest.raises(ValueError, match="sha256"):
        asyncio.run(media_store.size(key))
    with pytest.raises(ValueError, match="sha256"):
        asyncio.run(media_store.exists(key))
    with pytest.raises(ValueError, match="sha256"):
        asyncio.run(media_store.delete(key))


# -- any chunks, any range ------------------------------------------------------------------

chunk = st.binary(max_size=300) | st.builds(
    lambda n, b: bytes([b]) * n, st.integers(0, 150_000), st.integers(0, 255)
)


def assert_any_range_reads_the_slice(
    store: MediaStore, chunks: list[bytes], data: st.DataObject
) -> None:
    content = b"".join(chunks)
    stored = asyncio.run(store.put(feed(chunks), max_bytes=len(content)))
    assert stored == StoredObject(sha256_of(content), len(content))

    start = data.draw(st.integers(0, len(content) + 10), label="start")
    end = data.draw(st.none() | st.integers(0, len(content) + 10), label="end")
    assert read(store, stored.sha256, start, end) == content[start:end]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(chunk, max_size=8), data=st.data())
def test_any_range_of_any_chunks_reads_the_slice(
    local_media_case: MediaCase, chunks: list[bytes], data: st.DataObject
) -> None:
    assert_any_range_reads_the_slice(local_media_case.store, chunks, data)


@settings(
    max_examples=12,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(chunks=st.lists(chunk, max_size=8), data=st.data())
def test_any_range_of_any_chunks_reads_the_slice_on_s3(
    s3_media_case: MediaCase, chunks: list[bytes], data: st.DataObject
) -> None:
    assert_any_range_reads_the_slice(s3_media_case.store, chunks, data)
