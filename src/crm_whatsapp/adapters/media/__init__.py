"""The MediaStore port: our copies of media files, addressed by their sha256.

A directory (``FilesystemMediaStore``) is the default and needs nothing else; S3 or an
S3-compatible server (``S3MediaStore``) is for deployments whose workers share no disk;
``InMemoryMediaStore`` is for tests. ``media_store_from_url`` picks one from the single
setting a deployment writes, so that switching stores is a configuration change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crm_whatsapp.adapters.media.filesystem import FilesystemMediaStore
from crm_whatsapp.adapters.media.memory import InMemoryMediaStore
from crm_whatsapp.adapters.media.s3 import S3MediaStore
from crm_whatsapp.domain.ports import MediaStore

DEFAULT_DIRECTORY = "media"
"""Where files go under the data directory when no URL is given."""


def media_store_from_url(
    url: str, data_dir: Path, environ: Mapping[str, str] | None = None
) -> MediaStore:
    """The store a URL names.

    - ``file:///absolute/path`` or a bare path: a directory; a relative path (and an empty
      URL, which means ``media``) is taken relative to ``data_dir``;
    - ``s3://bucket/prefix``: S3, configured by the usual ``AWS_*`` variables of
      ``environ`` (what the settings read), see ``S3MediaStore.from_url``;
    - ``memory://``: in memory, gone when the process ends (tests, demos).

    Any other scheme is a ``ValueError`` naming it: a typo must not quietly become a
    directory called ``s4:``.
    """
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        return S3MediaStore.from_url(text, environ)
    if scheme == "memory":
        return InMemoryMediaStore()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"a file:// URL names a local path, not a host: {parts.netloc}")
        return FilesystemMediaStore(Path(unquote(parts.path)))
    if scheme and not _is_windows_drive(text):
        raise ValueError(
            f"unknown media store scheme {scheme!r}: use file://, s3://, memory:// or a path"
        )
    path = Path(text or DEFAULT_DIRECTORY).expanduser()
    return FilesystemMediaStore(path if path.is_absolute() else data_dir / path)


def _is_windows_drive(text: str) -> bool:
    """``C:\\media`` parses as scheme ``c``; a one-letter scheme is a drive."""
    return len(text) >= 2 and text[0].isalpha() and text[1] == ":"


__all__ = [
    "DEFAULT_DIRECTORY",
    "FilesystemMediaStore",
    "InMemoryMediaStore",
    "S3MediaStore",
    "media_store_from_url",
]
