"""Constants and helpers shared by the HTTP tests (fixtures live in conftest.py)."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (
    StatusContext,
    customer_message_webhook_body,
    customer_text_webhook_body,
    status_webhook_body,
)
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from crm_whatsapp.app import Settings
from polling import processed, wait_until

APP_SECRET = "test-app-secret-1f2e9a"
VERIFY_TOKEN = "verify-token-7c01"
ACCESS_TOKEN = "EAAG-test-access-token-93b1d0"
API_TOKEN = "crm-api-token-5d4c77-e81f0a2b"
BUSINESS_NUMBER_ID = "106540352242922"
API = "/api/v1/conversaciones-whatsapp"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}

_wamids = itertools.count(1)


def make_settings(database_url: str, graph_api_url: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "access_token": ACCESS_TOKEN,
        "api_tokens": API_TOKEN,
        "graph_api_url": graph_api_url,
        "outbox_poll_seconds": 0.05,
        "timezone": "America/Mexico_City",
    }
    values.update(changes)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def rules_file(folder: Path, rules: str) -> Path:
    """The bot rules (TOML) as the file ``bot_rules_file`` names."""
    path = folder / "reglas.toml"
    path.write_text(rules, encoding="utf-8")
    return path


def text_webhook(
    wa_id: str, text: str, *, wamid: str | None = None, name: str | None = None
) -> bytes:
    """A signed-ready body of one customer text, sent now; unique wamid unless given."""
    return text_webhook_at(wa_id, text, datetime.now(UTC), wamid=wamid, name=name)


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)}


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    http: httpx.Client
    app: Any = None
    """The Starlette app behind ``base_url``: ``post_webhook`` waits for its processor."""

    def post_webhook(
        self, body: bytes, secret: str = APP_SECRET, *, wait: bool = True
    ) -> httpx.Response:
        """POST a signed body; with ``wait``, return once the processor has read it (the
        200 only says it is stored)."""
        answer = self.http.post("/webhook", content=body, headers=signed(body, secret))
        if wait and answer.status_code == 200 and self.app is not None:
            processed(self.app)
        return answer


wait_for = wait_until  # the name these suites grew up with


# -- additions for the endpoint, error, live-event and OpenAPI suites ----------------------

SECRETS = (APP_SECRET, ACCESS_TOKEN, VERIFY_TOKEN, API_TOKEN)
"""What no answer of the service may ever contain."""


def text_webhook_at(
    wa_id: str, text: str, at: datetime, *, wamid: str | None = None, name: str | None = None
) -> bytes:
    """Like ``text_webhook``, with WhatsApp's timestamp ``at`` (whole seconds) instead of now."""
    body = customer_text_webhook_body(
        wa_id=wa_id,
        text=text,
        wamid=wamid or f"wamid.test.{next(_wamids)}.{time.monotonic_ns()}",
        timestamp=int(at.timestamp()),
        phone_number_id=BUSINESS_NUMBER_ID,
        profile_name=name,
    )
    return json.dumps(body, ensure_ascii=False).encode()


def status_webhook(wamid: str, recipient: str, status: str) -> bytes:
    """The body Meta posts when one of our messages is ``sent``/``delivered``/``read``."""
    now = int(time.time())
    context = StatusContext(
        wamid=wamid,
        phone_number_id=BUSINESS_NUMBER_ID,
        recipient_field="to",
        recipient=recipient,
        is_template=False,
        conversation_id="conv-1",
        sent_at=now,
    )
    body = status_webhook_body(
        context,
        status,
        now,
        business_account_id="102290129340398",
        display_phone_number="15550783881",
    )
    return json.dumps(body).encode()


def leaked_secrets(response: httpx.Response) -> list[str]:
    """The secrets found in a response's body or headers (read first if streamed)."""
    response.read()
    text = response.content.decode("utf-8", "replace") + repr(response.headers.multi_items())
    return [secret for secret in SECRETS if secret in text]


def media_webhook(wa_id: str, part: dict[str, Any], *, wamid: str | None = None) -> bytes:
    """A customer's media message (``part`` as ``customer_media_message`` makes it), now."""
    body = customer_message_webhook_body(
        wa_id=wa_id,
        part=part,
        wamid=wamid or f"wamid.test.{next(_wamids)}.{time.monotonic_ns()}",
        timestamp=int(time.time()),
        phone_number_id=BUSINESS_NUMBER_ID,
    )
    return json.dumps(body, ensure_ascii=False).encode()
