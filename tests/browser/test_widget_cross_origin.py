"""The widget on a CRM page of another origin: the way a CRM really embeds it.

The CRM's page is ``src/crm_whatsapp/web/examples/ficha_cliente.html`` (with its own CSS and
script), served from its own server (a plain file server on another port) with the demo's
address and token written in, as its comment tells a reader to do. It loads ``widget.js``
from the service, which must then allow that origin in ``CRM_WHATSAPP_CORS_ORIGINS`` for the
API calls; the widget's texts (JSON) come from the service too, with a CORS header of their own.
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

from polling import wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "crm_whatsapp" / "web" / "examples"
EXAMPLE = EXAMPLES / "ficha_cliente.html"
EXAMPLE_SERVICE = "http://127.0.0.1:8000"
EXAMPLE_TOKEN = 'token="demo"'


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
        example = EXAMPLE.read_text(encoding="utf-8")
        assert EXAMPLE_SERVICE in example
        assert EXAMPLE_TOKEN in example
        page_text = example.replace(EXAMPLE_SERVICE, demo.base_url).replace(
            EXAMPLE_TOKEN, f'token="{API_TOKEN}"'
        )
        (folder / "ficha_cliente.html").write_text(page_text, encoding="utf-8")
        for companion in ("ficha_cliente.css", "ficha_cliente.js"):
            (folder / companion).write_bytes((EXAMPLES / companion).read_bytes())
        page.goto(f"{crm_origin}/ficha_cliente.html")
        rows = page.locator("crm-whatsapp-conversations [data-conversation-id]")

        def shown() -> set[str | None]:
            return {rows.nth(i).get_attribute("data-conversation-id") for i in range(rows.count())}

        for client_id in ("1", "3", "2"):
            expected = {c["id"] for c in demo.api(f"/cliente/{client_id}")["items"]}
            assert expected, f"demo client {client_id} has a conversation"
            page.locator(f"nav button[data-client-id='{client_id}']").click()
            wait_until(lambda expected=expected: shown() == expected, 10)
        rows.first.click()
        page.locator("crm-whatsapp-conversations [data-message-id]").first.wait_for()
    finally:
        demo.stop()
