"""The CRM's backend behind ``src/crm_whatsapp/web/examples/ficha_cliente.html``: it mints
the WhatsApp widget's token, per page view, for the signed-in user and that page's client.

What a CRM does for the widget (docs/inbox.md, "The client widget"; docs/agents.md):

- When it renders a client's page, it signs an agent token (a JWT, HS256, with the secret
  it shares with the service, ``CRM_WHATSAPP_AGENT_TOKEN_SECRET``) for the user who is
  signed in, confined to that client (``client_id``), with the scopes ``read reply``, for
  an hour, and writes it into the widget's ``token`` attribute. Any script on the page can
  read that token, so it opens this client's conversations and nothing else, and not for
  long. The service's static API token never reaches a browser.
- ``GET /crm/token-whatsapp?client_id=...`` (the widget's ``token-url``) answers a fresh
  token after checking the user's session (a cookie, as for any page of the CRM) and that
  they may see that client: the widget calls it before its token expires, after a 401,
  and when the page opens another client.

Try it against the demo (from the repository's root, two terminals with the same secret):

    export CRM_WHATSAPP_AGENT_TOKEN_SECRET=$(openssl rand -base64 48)
    CRM_WHATSAPP_CORS_ORIGINS=http://127.0.0.1:8001 crm-whatsapp demo --port 8000
    python -m examples.crm_ficha_cliente --port 8001 --service http://127.0.0.1:8000

then open http://127.0.0.1:8001/ficha_cliente.html. ``tests/browser/test_widget_cross_origin.py``
runs this very backend. Only the standard library and PyJWT: the same few lines work in
any web framework.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt

PAGES = Path(__file__).resolve().parents[1] / "src" / "crm_whatsapp" / "web" / "examples"
PAGE = "ficha_cliente.html"
STATIC = {"ficha_cliente.css": "text/css", "ficha_cliente.js": "text/javascript"}
TOKEN_PATH = "/crm/token-whatsapp"
SERVICE_IN_PAGE = "http://127.0.0.1:8000"  # the page's widget.js address, as written
TOKEN_IN_PAGE = "{{ token_whatsapp }}"  # where the page's template takes the token
FIRST_CLIENT = "1"  # the client the page opens with
SESSION_COOKIE = "crm_sesion"


def agent_token(secret: str, sub: str, name: str, client_id: str, *, seconds: float = 3600) -> str:
    """An agent token for one user on one client's page: docs/agents.md, in Python."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "name": name,
        "scope": "read reply",
        "client_id": client_id,
        "iat": now,
        "exp": now + max(1, int(seconds)),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


@dataclass(frozen=True)
class User:
    id: str
    name: str
    clients: frozenset[str]
    """The clients this user may open in the CRM: the only ones it mints tokens for."""


DEMO_USER = User("42", "Ana López", frozenset({"1", "2", "3"}))


@dataclass
class CrmBackend:
    """The CRM's side: its sessions, and the tokens it mints for them."""

    service_url: str
    secret: str
    lifetime_seconds: float = 3600
    user: User = DEMO_USER
    sessions: dict[str, User] = field(default_factory=dict)
    minted: list[str] = field(default_factory=list)
    """The client ids of the tokens minted so far (page views and renewals)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if len(self.secret.encode()) < 32:
            raise ValueError("CRM_WHATSAPP_AGENT_TOKEN_SECRET must be at least 32 bytes")

    def sign_in(self) -> str:
        """A new session for the demo's user (a real CRM has its sign-in form)."""
        session = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[session] = self.user
        return session

    def sign_out_everyone(self) -> None:
        with self.lock:
            self.sessions.clear()

    def user_of(self, cookie_header: str | None) -> User | None:
        cookie = SimpleCookie(cookie_header or "")
        morsel = cookie.get(SESSION_COOKIE)
        with self.lock:
            return self.sessions.get(morsel.value) if morsel else None

    def token_for(self, user: User, client_id: str) -> str:
        token = agent_token(
            self.secret, user.id, user.name, client_id, seconds=self.lifetime_seconds
        )
        with self.lock:
            self.minted.append(client_id)
        return token

    def page(self, user: User) -> str:
        """ficha_cliente.html as this CRM renders it for ``user``: the service's address,
        and a token for this page view (escaped like any value written into HTML)."""
        template = (PAGES / PAGE).read_text(encoding="utf-8")
        token = self.token_for(user, FIRST_CLIENT)
        return template.replace(SERVICE_IN_PAGE, self.service_url.rstrip("/")).replace(
            TOKEN_IN_PAGE, html.escape(token, quote=True)
        )


class _Handler(BaseHTTPRequestHandler):
    backend: CrmBackend  # set on the class made for each server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path in ("/", f"/{PAGE}"):
            self._page()
        elif url.path == TOKEN_PATH:
            self._token(parse_qs(url.query).get("client_id", [""])[0])
        elif url.path.lstrip("/") in STATIC:
            name = url.path.lstrip("/")
            self._send(HTTPStatus.OK, STATIC[name], (PAGES / name).read_bytes())
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")

    def _page(self) -> None:
        user = self.backend.user_of(self.headers.get("Cookie"))
        headers = {}
        if user is None:  # the stand-in for the CRM's sign-in: sign the demo's user in
            session = self.backend.sign_in()
            user = self.backend.user
            headers["Set-Cookie"] = f"{SESSION_COOKIE}={session}; HttpOnly; SameSite=Lax; Path=/"
        body = self.backend.page(user).encode()
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", body, headers)

    def _token(self, client_id: str) -> None:
        user = self.backend.user_of(self.headers.get("Cookie"))
        if user is None:
            self._json(HTTPStatus.UNAUTHORIZED, {"error": "sign in to the CRM again"})
        elif client_id not in user.clients:
            self._json(HTTPStatus.FORBIDDEN, {"error": "not one of your clients"})
        else:
            self._json(HTTPStatus.OK, {"token": self.backend.token_for(user, client_id)})

    def _json(self, status: HTTPStatus, body: dict[str, str]) -> None:
        self._send(status, "application/json", json.dumps(body).encode())

    def _send(
        self,
        status: HTTPStatus,
        content_type: str,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # pages and answers that hold a token are never cached, nor are they CORS-readable
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the requests are the browser's


@contextmanager
def running_crm(backend: CrmBackend, port: int = 0) -> Iterator[tuple[CrmBackend, str]]:
    """The CRM on 127.0.0.1 in a thread: the backend and the server's origin."""
    handler = type("CrmHandler", (_Handler,), {"backend": backend})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield backend, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--service", default=SERVICE_IN_PAGE, help="the crm_whatsapp service")
    args = parser.parse_args()
    secret = os.environ.get("CRM_WHATSAPP_AGENT_TOKEN_SECRET")
    if not secret:
        raise SystemExit("set CRM_WHATSAPP_AGENT_TOKEN_SECRET (the service's, the same value)")
    with running_crm(CrmBackend(args.service, secret), args.port) as (_, origin):
        print(f"CRM: {origin}/{PAGE} (Ctrl+C para salir)", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
