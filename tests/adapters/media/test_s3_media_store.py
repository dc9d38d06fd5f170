"""What only the S3 store promises: its key layout under the prefix, the configuration it
reads from the usual variables, and failures that name the operation but no secret."""

from __future__ import annotations

import asyncio
import socket

import pytest
from store_kit import S3_PREFIX, MiB, put, read, sample, sha256_of

from crm_whatsapp.adapters.media import S3MediaStore
from crm_whatsapp.domain.errors import MediaStoreUnavailable
from s3_server import S3Server

SECRET = "s3cr3t-never-in-a-message"


def test_objects_are_keyed_prefix_ab_sha256(s3_server: S3Server, s3_bucket: str) -> None:
    store = S3MediaStore.from_url(f"s3://{s3_bucket}/{S3_PREFIX}/", s3_server.environ())

    small = put(store, b"a photo")
    large = put(store, sample(6 * MiB), chunk_size=MiB)

    assert s3_server.keys(s3_bucket) == sorted(
        f"{S3_PREFIX}/{sha[:2]}/{sha}" for sha in (small.sha256, large.sha256)
    )
    assert s3_server.pending_uploads(s3_bucket) == []


def test_without_a_prefix_keys_start_at_the_bucket(s3_server: S3Server, s3_bucket: str) -> None:
    store = S3MediaStore.from_url(f"s3://{s3_bucket}", s3_server.environ())

    stored = put(store, b"a sticker")

    assert s3_server.keys(s3_bucket) == [f"{stored.sha256[:2]}/{stored.sha256}"]
    assert read(store, stored.sha256) == b"a sticker"


def test_the_specific_endpoint_variable_wins(s3_server: S3Server, s3_bucket: str) -> None:
    environ = {
        **s3_server.environ(),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_S3": s3_server.endpoint,
    }
    store = S3MediaStore.from_url(f"s3://{s3_bucket}/x", environ)

    assert put(store, b"ok").size == 2


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("s3://", "not an s3://bucket/prefix URL"),
        ("http://bucket/prefix", "not an s3://bucket/prefix URL"),
        ("s3://key:secret@bucket/prefix", "credentials go in env"),
        ("s3://bucket/prefix?region=x", "credentials go in env"),
    ],
)
def test_a_url_that_is_not_a_bucket_and_prefix_is_refused(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as refused:
        S3MediaStore.from_url(url, {})

    assert "secret" not in str(refused.value)


def test_a_plain_http_endpoint_needs_aws_allow_http() -> None:
    environ = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_REGION": "us-east-1"}

    with pytest.raises(ValueError, match="AWS_ALLOW_HTTP"):
        S3MediaStore.from_url("s3://bucket/media", environ)

    S3MediaStore.from_url("s3://bucket/media", {**environ, "AWS_ALLOW_HTTP": "true"})


def a_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_is_down_makes_the_store_unavailable_without_naming_secrets() -> None:
    environ = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": SECRET,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://user:{SECRET}@127.0.0.1:{a_closed_port()}",
        "AWS_ALLOW_HTTP": "true",
    }
    store = S3MediaStore.from_url("s3://bucket/media", environ)
    sha = sha256_of(b"x")

    failures = []
    for attempt in (
        lambda: put(store, b"x"),
        lambda: put(store, sample(6 * MiB), chunk_size=MiB),
        lambda: read(store, sha),
        lambda: read(store, sha, 10, 20),
        lambda: asyncio.run(store.size(sha)),
        lambda: asyncio.run(store.delete(sha)),
    ):
        with pytest.raises(MediaStoreUnavailable) as failed:
            attempt()
        failures.append(str(failed.value))

    assert [message.split(":")[0] for message in failures] == [
        "object storage could not store the file",
        "object storage could not upload the file",
        "object storage could not read the file",
        "object storage could not read the file",
        "object storage could not read the size",
        "object storage could not delete the file",
    ]
    assert not [message for message in failures if SECRET in message], failures


def test_a_missing_bucket_makes_the_store_unavailable(s3_server: S3Server) -> None:
    store = S3MediaStore.from_url("s3://no-such-bucket-here/media", s3_server.environ())

    with pytest.raises(MediaStoreUnavailable, match="could not store the file"):
        put(store, b"x")
