"""The least a webhook receiver can do, as the yardstick for ``webhook_ingest.py``.

A Starlette app with one route, ``POST /webhook``: check ``X-Hub-Signature-256`` (HMAC-SHA256
of the raw body with the app secret, compared in constant time), ``json.loads`` the body,
insert one row (the message's wamid, unique, and its text) into SQLite and answer 200. No
bot, no conversation, no outbox, no client lookup: what is left is the HTTP server, the
signature, the JSON and one durable commit, which every receiver pays.

SQLite gets the durability settings of the library's ``Database``: WAL, the default
``synchronous`` (FULL unless the build says otherwise; ``GET /pragmas`` shows what it got),
a 5-second busy timeout, and ``BEGIN IMMEDIATE`` for the write. One connection, used on
the event loop itself, the least code: handing the insert to a thread (one connection
behind a lock) measured no faster here and cost 50% more CPU per request.

    CRM_WHATSAPP_APP_SECRET=... python benchmarks/reference_webhook.py --port P --database F

Served by uvicorn with one worker and the same defaults as ``crm-whatsapp serve``.
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


def open_database(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS inbound ("
        " id INTEGER PRIMARY KEY, wamid TEXT NOT NULL UNIQUE, body TEXT NOT NULL)"
    )
    return connection


def signed_by(body: bytes, header: str | None, secret: bytes) -> bool:
    if header is None or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].lower(), expected)


def create_reference_app(database: Path, app_secret: str) -> Starlette:
    connection = open_database(database)
    secret = app_secret.encode()

    async def webhook(request: Request) -> Response:
        body = await request.body()
        if not signed_by(body, request.headers.get(SIGNATURE_HEADER), secret):
            return PlainTextResponse("bad signature", status_code=401)
        try:
            message = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
            wamid, text = str(message["id"]), str(message["text"]["body"])
        except (ValueError, KeyError, IndexError, TypeError):
            return PlainTextResponse("not a text message", status_code=400)
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT INTO inbound (wamid, body) VALUES (?, ?) ON CONFLICT (wamid) DO NOTHING",
                (wamid, text),
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return PlainTextResponse("ok")

    async def pragmas(_: Request) -> Response:
        names = ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        return JSONResponse({n: connection.execute(f"PRAGMA {n}").fetchone()[0] for n in names})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            connection.close()

    async def count(_: Request) -> Response:
        return JSONResponse(connection.execute("SELECT count(*) FROM inbound").fetchone()[0])

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
    options = parser.parse_args(argv)
    secret = os.environ.get(SECRET_VARIABLE)
    if not secret:
        raise SystemExit(f"set {SECRET_VARIABLE}")
    app = create_reference_app(options.database, secret)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
