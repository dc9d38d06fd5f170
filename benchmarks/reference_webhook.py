"""The least a webhook receiver can do, as the yardstick for ``webhook_ingest.py``.

A Starlette app with one route, ``POST /webhook``: check ``X-Hub-Signature-256`` (HMAC-SHA256
of the raw body with the app secret, compared in constant time), ``json.loads`` the body
(it must be a WhatsApp envelope: an object with ``entry``; messages, statuses or anything
else inside), insert one row holding the raw body into SQLite and answer 200 with the row's
id. No parsing of the items, no conversation, no bot, no outbox: what is left is the HTTP
server, the signature, the JSON and one commit, which every receiver pays.

SQLite in WAL mode with ``--synchronous NORMAL`` (a commit is durable across a crash of the
process, not of the machine: no fsync per commit) or ``FULL`` (an fsync per commit, what
a 200 promises in the service). One connection in autocommit mode, used on the event loop
itself: each insert is its own transaction, no group commit. ``GET /pragmas`` shows the
settings it got, ``GET /count`` the rows stored.

    CRM_WHATSAPP_APP_SECRET=... python benchmarks/reference_webhook.py --port P \\
        --database F [--synchronous NORMAL|FULL]

Served by uvicorn with one worker and the same defaults as ``crm-whatsapp serve`` (httptools
and uvloop when installed).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

SECRET_VARIABLE = "CRM_WHATSAPP_APP_SECRET"
SIGNATURE_HEADER = "x-hub-signature-256"
BUSY_TIMEOUT_MS = 5000
"""The library's ``Database`` default."""
SYNCHRONOUS = ("NORMAL", "FULL")


def open_database(path: Path, synchronous: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, body BLOB NOT NULL)"
    )
    return connection


def signed_by(body: bytes, header: str | None, secret: bytes) -> bool:
    if header is None or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].lower(), expected)


def create_reference_app(database: Path, app_secret: str, synchronous: str = "FULL") -> Starlette:
    connection = open_database(database, synchronous)
    secret = app_secret.encode()

    async def webhook(request: Request) -> Response:
        body = await request.body()
        if not signed_by(body, request.headers.get(SIGNATURE_HEADER), secret):
            return PlainTextResponse("bad signature", status_code=401)
        try:
            envelope = json.loads(body)
        except ValueError:
            return PlainTextResponse("not JSON", status_code=400)
        if not isinstance(envelope, dict) or "entry" not in envelope:
            return PlainTextResponse("not a WhatsApp webhook", status_code=400)
        cursor = connection.execute("INSERT INTO deliveries (body) VALUES (?)", (body,))
        return JSONResponse({"received": True, "delivery_id": cursor.lastrowid})

    async def pragmas(_: Request) -> Response:
        names = ("journal_mode", "synchronous", "busy_timeout")
        return JSONResponse({n: connection.execute(f"PRAGMA {n}").fetchone()[0] for n in names})

    async def count(_: Request) -> Response:
        return JSONResponse(connection.execute("SELECT count(*) FROM deliveries").fetchone()[0])

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            connection.close()

    return Starlette(
        routes=[
            Route("/webhook", webhook, methods=["POST"]),
            Route("/pragmas", pragmas, methods=["GET"]),
            Route("/count", count, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument(
        "--synchronous",
        type=str.upper,
        choices=SYNCHRONOUS,
        default="FULL",
        help="SQLite's synchronous setting (FULL: an fsync per commit)",
    )
    options = parser.parse_args(argv)
    secret = os.environ.get(SECRET_VARIABLE)
    if not secret:
        raise SystemExit(f"set {SECRET_VARIABLE}")
    app = create_reference_app(options.database, secret, options.synchronous)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
