"""The service with a template catalogue, for the browser tests of templates: the real app
(``create_app``, the demo's settings and CRM table, SQLite) under uvicorn on loopback in
this process, and the fake Graph API beside it, also on loopback, holding the demo's
Spanish catalogue (``DEMO_TEMPLATES``). The service syncs that catalogue at start-up
(``CRM_WHATSAPP_WABA_ID``), sends through the fake, and the fake posts the status webhooks
back, signed; a test reads what "Meta" received from ``fake.state.requests()``.
"""

from __future__ import annotations

import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from browser_kit import APP_SECRET, ServiceClient, new_wa_id, prepared_demo_settings
from pydantic import SecretStr
from widget_kit import AGENT_SECRET

from crm_whatsapp.adapters.whatsapp.fake_graph_api.options import DEFAULT_WABA_ID
from crm_whatsapp.adapters.whatsapp.fake_graph_api.runner import (
    LOOPBACK,
    RunningFakeGraphApi,
    running_asgi_app,
    running_fake_graph_api,
)
from crm_whatsapp.app.asgi import create_app
from crm_whatsapp.app.demo_data import DEMO_DISPLAY_NUMBER, DEMO_PHONE_NUMBER_ID
from polling import processed_over_http, wait_until

TEMPLATES = "api/v1/plantillas"


def _free_port() -> int:
    """A loopback port nobody listens on now: the fake needs the service's webhook address
    before the service can start (the fake's own address goes into its settings)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class TemplateService(ServiceClient):
    fake: RunningFakeGraphApi

    def new_customer(self, text: str, name: str = "Plantillas", ago: int = 0) -> tuple[str, str]:
        """A customer who wrote ``ago`` seconds ago: (wa_id, conversation id)."""
        wa_id = new_wa_id()
        self.customer_writes(wa_id, text, profile_name=name, timestamp=int(time.time()) - ago)
        return wa_id, self.conversation_of(wa_id)["id"]

    def stops_marketing(self, wa_id: str) -> None:
        """Meta's ``user_preferences`` webhook: the customer stopped marketing messages."""
        preference = {
            "wa_id": wa_id,
            "detail": "User requested to stop marketing messages",
            "category": "marketing_messages",
            "value": "stop",
            "timestamp": int(time.time()),
        }
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DEMO_DISPLAY_NUMBER,
                "phone_number_id": DEMO_PHONE_NUMBER_ID,
            },
            "contacts": [{"wa_id": wa_id, "profile": {"name": "Plantillas"}}],
            "user_preferences": [preference],
        }
        self.post_signed(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [{"field": "user_preferences", "value": value}],
                    }
                ],
            }
        )

    def template_sent_to(self, wa_id: str, name: str) -> dict[str, Any]:
        """The template message "Meta" received for ``wa_id`` (waits for the outbox)."""

        def sent() -> dict[str, Any] | None:
            for request in reversed(self.fake.state.requests()):
                body = request.get("body") or {}
                if not isinstance(body, dict) or body.get("type") != "template":
                    continue
                if body.get("to") == wa_id and body["template"]["name"] == name:
                    return body
            return None

        return wait_until(sent, timeout=20, what=f"the template {name} sent to {wa_id}")

    def set_template_status(self, name: str, language: str, status: str) -> None:
        """Meta changes a template's status (and posts its webhook to the service)."""
        answer = httpx.post(
            f"{self.fake.base_url}/__templates/{name}/{language}/status",
            json={"status": status},
            timeout=30,
        )
        answer.raise_for_status()
        processed_over_http(self.http)


RULES = """
[[rules]]
name = "catalogo"
keywords = ["catalogo 2027"]
template = { name = "catalogo_2027", language = "es" }
"""
"""A rule whose template Meta does not have: each sync names it."""


@contextmanager
def running_template_service() -> Iterator[TemplateService]:
    """The service and its fake Graph API, the catalogue synced, until the block ends."""
    with tempfile.TemporaryDirectory(prefix="crm-whatsapp-templates-browser-") as folder:
        port = _free_port()
        service_url = f"http://{LOOPBACK}:{port}"
        with running_fake_graph_api(
            status_webhook_url=f"{service_url}/webhook", app_secret=APP_SECRET
        ) as fake:
            rules = Path(folder) / "reglas.toml"
            rules.write_text(RULES, encoding="utf-8")
            settings = prepared_demo_settings(
                Path(folder),
                fake.base_url,
                bot_rules_file=rules,
                waba_id=DEFAULT_WABA_ID,
                phone_number_id=DEMO_PHONE_NUMBER_ID,
                agent_token_secret=SecretStr(AGENT_SECRET),
            )
            app = create_app(settings)
            with running_asgi_app(app, port=port) as base_url:
                service = TemplateService(base_url, fake)
                try:
                    wait_until(
                        lambda: service.http.get(TEMPLATES).json().get("synced_at"),
                        timeout=30,
                        what="the catalogue synced at start-up",
                    )
                    yield service
                finally:
                    service.close()
