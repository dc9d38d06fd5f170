"""Every MediaStore adapter, built the same way for the contract tests; S3 on the test server.

``media_case`` (and ``media_store``, its store) runs a test on the filesystem, on S3 and in
memory; ``leftovers`` lists whatever the store holds, temporaries included, so that a test
can say "nothing was left behind" once for all three.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from store_kit import MediaCase, filesystem_case, memory_case, s3_case

from crm_whatsapp.domain.ports import MediaStore
from s3_server import S3Server, s3_bucket, s3_server

__all__ = ["s3_bucket", "s3_server"]  # the fixtures, for this directory's tests


def build_case(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> MediaCase:
    if name == "filesystem":
        return filesystem_case(tmp_path / "media")
    if name == "memory":
        return memory_case()
    # only S3 cases start the server: the others run wherever pytest does
    server: S3Server = request.getfixturevalue("s3_server")
    return s3_case(server, request.getfixturevalue("s3_bucket"))


@pytest.fixture(params=["filesystem", "s3", "memory"])
def media_case(request: pytest.FixtureRequest, tmp_path: Path) -> MediaCase:
    return build_case(request.param, request, tmp_path)


@pytest.fixture
def media_store(media_case: MediaCase) -> MediaStore:
    return media_case.store


@pytest.fixture(params=["filesystem", "memory"])
def local_media_case(request: pytest.FixtureRequest, tmp_path: Path) -> MediaCase:
    """The stores that cost nothing per operation, for properties with many examples."""
    return build_case(request.param, request, tmp_path)


@pytest.fixture
def s3_media_case(request: pytest.FixtureRequest, tmp_path: Path) -> MediaCase:
    return build_case("s3", request, tmp_path)
