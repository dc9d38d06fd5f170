"""An S3 protocol server for tests: the one ``CRM_WHATSAPP_TEST_S3_ENDPOINT`` names, else
moto's, started in this process on a free loopback port.

``.ci/run`` starts moto's server and sets the variable. Without either (moto not installed,
the named server down) the S3 cases skip locally, with the reason; under ``CI=true`` they
fail instead, so a green CI always means the S3 adapter ran against a server. Each test
gets a bucket of its own, emptied and removed afterwards. The credentials are dummies,
handed to the store explicitly: ``os.environ`` is never changed.

Importable from every test directory (``tests/`` is on ``sys.path``); a ``conftest.py``
that wants the fixtures imports ``s3_server`` and ``s3_bucket`` from here.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import httpx
import pytest

ENDPOINT_VARIABLE = "CRM_WHATSAPP_TEST_S3_ENDPOINT"
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
START_TIMEOUT = 30.0


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under ``CI=true`` fail, so that CI cannot go green without S3."""
    if os.environ.get("CI"):
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason=reason)  # S3 server missing locally; CI=true fails above


@dataclass(frozen=True)
class S3Server:
    """A running S3 server and the dummy credentials it accepts."""

    endpoint: str

    def environ(self) -> dict[str, str]:
        """The variables ``S3MediaStore.from_url`` reads, pointing at this server."""
        return {
            **CREDENTIALS,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
        }

    def client(self) -> Any:
        """A boto3 client (moto's dependency): obstore cannot create or list buckets'
        pending multipart uploads, which the tests need."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}),
        )

    def create_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:24]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every object in the bucket, whatever its prefix."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def pending_uploads(self, bucket: str) -> list[str]:
        """Multipart uploads begun and neither completed nor aborted."""
        answer = self.client().list_multipart_uploads(Bucket=bucket)
        return sorted(upload["Key"] for upload in answer.get("Uploads", []))

    def remove_bucket(self, bucket: str) -> None:
        client = self.client()
        for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            client.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        for key in self.keys(bucket):
            client.delete_object(Bucket=bucket, Key=key)
        client.delete_bucket(Bucket=bucket)


def _answers(endpoint: str) -> str | None:
    """None if an HTTP server answers at ``endpoint``, else why not."""
    try:
        httpx.get(endpoint, timeout=5.0)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _start_moto() -> tuple[Any, str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable(f"S3 tests need {ENDPOINT_VARIABLE} or moto[server] installed ({exc})")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    # start() waits for the server without a timeout; a server that died would hang us
    starter = threading.Thread(target=server.start, daemon=True)
    starter.start()
    starter.join(START_TIMEOUT)
    if starter.is_alive():
        unavailable(f"moto's S3 server did not start within {START_TIMEOUT:g} s")
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """The test S3 server, for the whole session; skip (fail under CI) if there is none."""
    endpoint = os.environ.get(ENDPOINT_VARIABLE, "").strip()
    moto = None
    if endpoint:
        where = f"the S3 server at {ENDPOINT_VARIABLE}={endpoint}"
    else:
        moto, endpoint = _start_moto()
        where = f"moto's S3 server at {endpoint}"
    try:
        if problem := _answers(endpoint):
            unavailable(f"{where} does not answer: {problem}")
        yield S3Server(endpoint.rstrip("/"))
    finally:
        if moto is not None:
            moto.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[str]:
    """A fresh, empty bucket, removed with whatever is left in it after the test."""
    bucket = s3_server.create_bucket()
    try:
        yield bucket
    finally:
        s3_server.remove_bucket(bucket)
