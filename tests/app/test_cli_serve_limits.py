"""``crm-whatsapp serve`` bounds every connection: a request's head and body must arrive in
time, and one process holds at most ``CRM_WHATSAPP_MAX_CONNECTIONS``. A real server process,
raw sockets over loopback, short timeouts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from crm_whatsapp.app.server_limits import MAX_HEAD_BYTES

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 2.0
MAX_CONNECTIONS = 8
CLI = [sys.executable, "-m", "crm_whatsapp.app.cli"]
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Server:
    port: int
    process: subprocess.Popen[str]

    def connect(self) -> socket.socket:
        sock = socket.create_connection((LOOPBACK, self.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("serve-limits")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    env |= {
        "CRM_WHATSAPP_APP_SECRET": "limits-app-secret-4b1e",
        "CRM_WHATSAPP_VERIFY_TOKEN": "limits-verify-token-70",
        "CRM_WHATSAPP_ACCESS_TOKEN": "EAAG-limits-access-token-2c",
        "CRM_WHATSAPP_API_TOKENS": "limits-api-token-0123456789abcdef",
        "CRM_WHATSAPP_DATABASE_URL": f"sqlite:///{folder / 'limits.db'}",
        "CRM_WHATSAPP_GRAPH_API_URL": "http://127.0.0.1:9",
        "CRM_WHATSAPP_LOG_LEVEL": "WARNING",
        "CRM_WHATSAPP_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "CRM_WHATSAPP_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "CRM_WHATSAPP_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    port = _free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited early: {process.communicate()[1]}")
            try:
                if httpx.get(f"http://{LOOPBACK}:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the server did not become healthy in time")
            time.sleep(0.1)
        yield Server(port, process)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def seconds_until_closed(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """Read until the server closes the connection (EOF or reset); how long that took and
    what it sent. Fails if it is still open after ``limit`` seconds."""
    started = time.monotonic()
    received = b""
    sock.settimeout(limit)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {limit:g} s")
    finally:
        sock.close()
    return time.monotonic() - started, received


def test_half_a_request_line_is_cut_off_in_time(server: Server) -> None:
    """Attack: slowloris. Connections that send part of a request and then nothing would
    each hold a place in the server forever; a few hundred fill it."""
    sock = server.connect()
    sock.sendall(b"GET /heal")

    elapsed, answer = seconds_until_closed(sock, limit=3 * HEADER_TIMEOUT)

    assert elapsed < 3 * HEADER_TIMEOUT
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_never_asks_is_closed_in_time(server: Server) -> None:
    """Attack: connections opened and left silent, holding places the same way."""
    elapsed, answer = seconds_until_closed(server.connect(), limit=3 * HEADER_TIMEOUT)

    assert elapsed < 3 * HEADER_TIMEOUT
    assert answer == b""


def test_headers_sent_a_line_at_a_time_get_no_more_time_than_the_whole_head(
    server: Server,
) -> None:
    """Attack: slowloris proper. Each header line arrives long before any per-read timeout
    would fire, but the head as a whole never ends."""
    sock = server.connect()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    lines = (f"X-Slow-{number}: 1\r\n".encode() for number in range(1000))

    elapsed = seconds_until_cut(sock, lines, every=0.2, limit=6 * HEADER_TIMEOUT)

    assert elapsed < 3 * HEADER_TIMEOUT


def test_a_body_sent_one_byte_a_second_is_cut(server: Server) -> None:
    """Attack: a slow POST (R.U.D.Y.): a complete head, then a body that trickles in a byte
    a second, which would hold the connection and the request's task for minutes."""
    sock = server.connect()
    sock.sendall(
        b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 120\r\n\r\n{"
    )

    elapsed = seconds_until_cut(sock, (b" " for _ in range(119)), every=1.0, limit=20)

    assert elapsed < 3 * BODY_TIMEOUT


def seconds_until_cut(
    sock: socket.socket, pieces: Iterator[bytes], *, every: float, limit: float
) -> float:
    """Send one piece every ``every`` seconds until the server closes the connection; how
    long it took. Fails if it is still open after ``limit`` seconds."""
    started = time.monotonic()
    try:
        for piece in pieces:
            time.sleep(every)
            if _closed_by_server(sock):
                return time.monotonic() - started
            try:
                sock.sendall(piece)
            except OSError:  # reset: the server closed it under us
                return time.monotonic() - started
            if time.monotonic() - started > limit:
                break
    finally:
        sock.close()
    pytest.fail(f"the connection was still taking data after {limit:g} s")


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed the connection (what it sent before is dropped)."""
    sock.setblocking(False)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


def test_a_head_larger_than_the_limit_is_refused(server: Server) -> None:
    """Attack: a head that keeps growing within the timeout, filling the server's memory
    (the parser keeps an unfinished header whole)."""
    sock = server.connect()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
    started = time.monotonic()
    try:
        for _ in range(4 * MAX_HEAD_BYTES // 8192):
            sock.sendall(b"a" * 8192)
    except OSError:  # refused while sending: the answer may be lost with the reset
        sock.close()
        assert time.monotonic() - started < HEADER_TIMEOUT  # the size, not the clock
        return
    _, answer = seconds_until_closed(sock, limit=3 * HEADER_TIMEOUT)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_ordinary_requests_are_not_hurried(server: Server) -> None:
    """A client that pauses briefly inside its head and body, then asks again on the same
    kept-alive connection, is served every time."""
    with httpx.Client(base_url=f"http://{LOOPBACK}:{server.port}") as client:
        for _ in range(3):
            assert client.get("/health").status_code == 200
            time.sleep(HEADER_TIMEOUT / 2)
    sock = server.connect()
    sock.sendall(b"GET /hea")
    time.sleep(HEADER_TIMEOUT / 2)
    sock.sendall(b"lth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    _, answer = seconds_until_closed(sock, limit=10)
    assert answer.startswith(b"HTTP/1.1 200 ")
    sock = server.connect()
    sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n")
    sock.sendall(b"Connection: close\r\n\r\n{")
    time.sleep(BODY_TIMEOUT / 2)
    sock.sendall(b"}")
    _, answer = seconds_until_closed(sock, limit=10)
    assert answer.startswith(b"HTTP/1.1 401 ")  # unsigned: refused, but answered


def test_past_the_connection_limit_a_request_is_answered_503(server: Server) -> None:
    """Attack: more connections than the process can serve. Past the limit a request gets
    503 at once (the client, or its load balancer, tries elsewhere) instead of a queue
    that grows without bound."""
    held = [server.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        sock = server.connect()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        _, answer = seconds_until_closed(sock, limit=10)
        assert answer.startswith(b"HTTP/1.1 503 ")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert httpx.get(f"http://{LOOPBACK}:{server.port}/health", timeout=5).status_code == 200
