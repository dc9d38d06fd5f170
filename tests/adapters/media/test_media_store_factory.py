"""One setting picks the store: a path, a file:// URL, s3://bucket/prefix or memory://."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_whatsapp.adapters.media import (
    FilesystemMediaStore,
    InMemoryMediaStore,
    S3MediaStore,
    media_store_from_url,
)

DATA_DIR = Path("/srv/crm-whatsapp")


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("", DATA_DIR / "media"),
        ("  ", DATA_DIR / "media"),
        ("files", DATA_DIR / "files"),
        ("./var/media", DATA_DIR / "var" / "media"),
        ("/var/lib/media", Path("/var/lib/media")),
        ("file:///var/lib/media", Path("/var/lib/media")),
        ("file://localhost/var/lib/media", Path("/var/lib/media")),
        ("file:///var/lib/my%20media", Path("/var/lib/my media")),
    ],
)
def test_a_path_or_a_file_url_is_a_directory(url: str, root: Path) -> None:
    store = media_store_from_url(url, DATA_DIR)

    assert isinstance(store, FilesystemMediaStore)
    assert store.root == root


def test_memory_is_in_memory() -> None:
    assert isinstance(media_store_from_url("memory://", DATA_DIR), InMemoryMediaStore)


def test_s3_is_s3_configured_by_the_environment_given() -> None:
    environ = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }

    store = media_store_from_url("s3://bucket/crm/media", DATA_DIR, environ)

    assert isinstance(store, S3MediaStore)


@pytest.mark.parametrize("url", ["ftp://host/media", "s4://bucket", "gs://bucket/media"])
def test_an_unknown_scheme_is_refused_by_name(url: str) -> None:
    scheme = url.split(":", 1)[0]

    with pytest.raises(ValueError, match=f"unknown media store scheme '{scheme}'"):
        media_store_from_url(url, DATA_DIR)


def test_a_file_url_with_a_host_is_refused() -> None:
    with pytest.raises(ValueError, match="not a host"):
        media_store_from_url("file://nas/media", DATA_DIR)
