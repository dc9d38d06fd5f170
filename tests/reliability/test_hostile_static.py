"""The inbox's static files: no request path, however encoded, reaches a file outside their
directory, and what is served carries the headers that keep a browser from running what it
should not.

Requests are written byte for byte over a socket: HTTP clients remove ``../`` from a URL
before sending it, which would hide the very paths under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_kit import build_app, fake_graph, raw_exchange, status_of

from crm_whatsapp.adapters.http.inbox import INBOX_PATH, inbox_directory
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi, running_asgi_app

__all__ = ["fake_graph"]  # a fixture, used by name

SOURCE = Path(__file__).resolve().parents[2] / "src" / "crm_whatsapp" / "adapters" / "http"

TRAVERSALS = [
    "/inbox/../pyproject.toml",
    "/inbox/../../../../../../pyproject.toml",
    "/inbox/../../../../../../../../etc/passwd",
    "/inbox/../../inbox.py",
    "/inbox/../../../http/app.py",
    "/inbox/%2e%2e/%2e%2e/inbox.py",
    "/inbox/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/pyproject.toml",
    "/inbox/..%2f..%2finbox.py",
    "/inbox/..%2F..%2F..%2F..%2F..%2F..%2Fpyproject.toml",
    "/inbox/%2e%2e%2f%2e%2e%2finbox.py",
    "/inbox/%252e%252e/%252e%252e/inbox.py",
    "/inbox/%252e%252e%252f%252e%252e%252finbox.py",
    "/inbox/..%252f..%252finbox.py",
    "/inbox/.%2e/.%2e/inbox.py",
    "/inbox/....//....//inbox.py",
    "/inbox/..;/..;/inbox.py",
    "/inbox/%c0%ae%c0%ae/%c0%ae%c0%ae/inbox.py",
    "/inbox/%e0%80%ae%e0%80%ae/inbox.py",
    "/inbox/..\\..\\inbox.py",
    "/inbox/..%5c..%5cinbox.py",
    "/inbox/%5c..%5c..%5cinbox.py",
    "/inbox//etc/passwd",
    "/inbox/%2fetc%2fpasswd",
    "/inbox/%2F%2Fetc/passwd",
    "/inbox/C:%5cWindows%5cwin.ini",
    "/inbox/file:///etc/passwd",
    "/inbox/%00",
    "/inbox/api.js%00.py",
    "/inbox/%00../../inbox.py",
    "/inbox/..%00/..%00/inbox.py",
    "/inbox/examples/../../../inbox.py",
    "/inbox/.",
    "/inbox/..",
    "/inbox/...",
    "/inbox/.git/config",
    "/inbox/~root",
    "/inbox/" + "a" * 5000,
    "/inbox/" + "../" * 300 + "etc/passwd",
    "/inbox/%ff%fe",
    "http://127.0.0.1/inbox/../../inbox.py",
    "/static/inbox/../../inbox.py",
    "/inbox%2f..%2f..%2fpyproject.toml",
]


@pytest.fixture
def static_server(tmp_path: Path, fake_graph: RunningFakeGraphApi) -> Iterator[str]:
    """The whole service (static files are one of its routes) under uvicorn; its URL."""
    database = Database(f"sqlite:///{tmp_path / 'crm_whatsapp.db'}")
    try:
        with running_asgi_app(build_app(database, fake_graph)) as base_url:
            yield base_url
    finally:
        database.dispose()


def served_files() -> dict[str, bytes]:
    """Every file under the inbox directory, by its path relative to it."""
    root = inbox_directory()
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def get(base_url: str, target: str) -> tuple[int, dict[str, str], bytes]:
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answer = raw_exchange(base_url, request.encode("latin-1"))
    head, _, body = answer.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status_of(answer), headers, body


def test_no_path_reaches_a_file_outside_the_inbox_directory(
    static_server: str, subtests: pytest.Subtests
) -> None:
    inside = set(served_files().values())
    assert inside, f"{inbox_directory()} is empty: the inbox ships no files"
    outside = [
        (SOURCE / "inbox.py").read_bytes(),
        (SOURCE / "app.py").read_bytes(),
        (SOURCE.parents[3] / "pyproject.toml").read_bytes(),
    ]
    for target in TRAVERSALS:
        with subtests.test(target[:80]):
            status, headers, body = get(static_server, target)
            assert status < 500, body[:200]
            if status == 200:
                assert body in inside, "served something that is not an inbox file"
            if 300 <= status < 400:
                assert (
                    headers["location"]
                    .split("//", 1)[-1]
                    .startswith(("127.0.0.1/inbox/", "127.0.0.1:"))
                ), headers["location"]
            for secret_file in outside:
                assert secret_file[:200] not in body
            assert b"root:x:0:0" not in body


def test_every_inbox_file_is_served_with_nosniff(
    static_server: str, subtests: pytest.Subtests
) -> None:
    files = served_files()
    assert files, f"{inbox_directory()} is empty: nothing to check the headers of"
    for name, content in files.items():
        with subtests.test(name):
            status, headers, body = get(static_server, f"{INBOX_PATH}/{name}")
            assert status == 200
            assert body == content
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"


def test_inbox_pages_carry_a_strict_content_security_policy(
    static_server: str, subtests: pytest.Subtests
) -> None:
    """Every HTML file (the index once it exists) and the directory's own address."""
    pages = [name for name in served_files() if name.endswith(".html")]
    if "index.html" in pages:
        pages.append("")  # /inbox/ serves the index
    for name in pages:
        with subtests.test(name or "/inbox/"):
            status, headers, _ = get(static_server, f"{INBOX_PATH}/{name}")
            assert status == 200
            policy = headers["content-security-policy"]
            directives = dict(d.strip().partition(" ")[::2] for d in policy.split(";"))
            assert directives["script-src"] == "'self'"
            assert directives["object-src"] == "'none'"
            assert "frame-ancestors" in directives
            assert "unsafe-inline" not in directives.get("script-src", "")
            assert "unsafe-eval" not in policy
            assert headers["x-content-type-options"] == "nosniff"
