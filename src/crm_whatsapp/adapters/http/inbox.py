"""The web inbox: the static ES modules, CSS and JSON of ``crm_whatsapp/web`` served at
``/inbox``, no build step.

The pages hold no data and no secret: the token lives in the browser's sessionStorage and
every request goes to the API. The files are shipped inside the package, so ``pip install``
is all a deployment needs. A strict Content-Security-Policy backs up the pages' own rule of
rendering every customer-supplied string as text: even a bug there cannot run a script.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INBOX_PATH = "/inbox"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


def inbox_directory() -> Path:
    """Where the inbox's files are, inside the installed package: ``crm_whatsapp/web``."""
    return Path(str(files("crm_whatsapp") / "web"))


class _SecurityHeaders:
    """Adds the CSP to HTML pages and nosniff to everything the inbox serves.

    ``widget.js`` is meant to be loaded by a CRM's own pages from another origin, so
    JavaScript, CSS and the translations (JSON the widget fetches) get a permissive CORS
    header; they carry no data, only code and fixed texts.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                content_type = dict(headers).get(b"content-type", b"")
                headers.extend(_HEADERS)
                if content_type.startswith(b"text/html"):
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                elif content_type.startswith(
                    (
                        b"text/javascript",
                        b"application/javascript",
                        b"text/css",
                        b"application/json",
                    )
                ):
                    headers.append((b"access-control-allow-origin", b"*"))
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, with_headers)


async def _to_inbox(request: Request) -> Response:
    return RedirectResponse(request.scope.get("root_path", "") + INBOX_PATH + "/", status_code=308)


def inbox_routes() -> list[BaseRoute]:
    """``/inbox/`` (the pages) and a redirect from ``/`` and ``/inbox`` without the slash."""
    static = StaticFiles(directory=inbox_directory(), html=True, check_dir=False)
    return [
        Route("/", _to_inbox, methods=["GET"], include_in_schema=False),
        Route(INBOX_PATH, _to_inbox, methods=["GET"], include_in_schema=False),
        Mount(INBOX_PATH, app=_SecurityHeaders(static), name="inbox"),
    ]
