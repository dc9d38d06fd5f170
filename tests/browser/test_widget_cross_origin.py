"""The widget on a CRM page of another origin: the way a CRM really embeds it.

The CRM's page comes from its own server (here a plain file server on another port) and
loads ``widget.js`` from the service, which must then allow that origin in
``CRM_WHATSAPP_CORS_ORIGINS`` for the API calls.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from browser_kit import API_TOKEN, start_demo

CRM_PAGE = """<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Ficha de cliente · Mi CRM</title>
<script type="module" src="{service}/inbox/widget.js"></script></head>
<body><main><h1>Cliente 1</h1>
<crm-whatsapp-conversations client-id="1" api-base="{service}/" token="{token}">
</crm-whatsapp-conversations></main></body></html>
"""


@pytest.fixture
def crm_server(tmp_path: Path) -> Iterator[tuple[ThreadingHTTPServer, Path]]:
    folder = tmp_path / "crm"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, folder
    server.shutdown()
    server.server_close()


def test_a_crm_page_on_another_origin_shows_its_clients_conversations(
    page: Any, crm_server: tuple[ThreadingHTTPServer, Path], tmp_path: Path
) -> None:
    server, folder = crm_server
    crm_origin = f"http://127.0.0.1:{server.server_address[1]}"
    demo = start_demo(tmp_path, "--no-stream", env={"CRM_WHATSAPP_CORS_ORIGINS": crm_origin})
    try:
        expected = {c["id"] for c in demo.api("/cliente/1")["items"]}
        assert expected, "demo client 1 has a conversation"
        page_text = CRM_PAGE.format(service=demo.base_url, token=API_TOKEN)
        (folder / "cliente.html").write_text(page_text, encoding="utf-8")
        page.goto(f"{crm_origin}/cliente.html")
        rows = page.locator("crm-whatsapp-conversations [data-conversation-id]")
        rows.first.wait_for()
        shown = {rows.nth(i).get_attribute("data-conversation-id") for i in range(rows.count())}
        assert shown == expected
        rows.first.click()
        page.locator("crm-whatsapp-conversations [data-message-id]").first.wait_for()
    finally:
        demo.stop()
