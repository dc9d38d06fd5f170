"""The demo service as the browser tests meet it: ``crm-whatsapp demo`` in a real process.

The tests drive real Chromium against the real service with the demo's data (history, CRM
clients, the fake Graph API that posts status webhooks back), and add what each test needs
by posting signed webhooks as Meta would, from a number no other test uses. The kits that
run the app in this process instead (to script or read the Graph API it talks to) start from
``prepared_demo_settings``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from crm_whatsapp.app import Settings
from crm_whatsapp.app.demo import DemoOptions, demo_settings, prepare_demo_database
from crm_whatsapp.app.demo_data import message_webhook_body
from polling import processed_over_http, wait_until

API_TOKEN = "browser-test-token-4c1d-a9e2"
APP_SECRET = "browser-test-app-secret-9e7a"
API = "api/v1/conversaciones-whatsapp"
CHROMIUM = os.environ.get("CRM_WHATSAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
_numbers = itertools.count(1)
T = TypeVar("T")


def prepared_demo_settings(folder: Path, graph_api_url: str, **overrides: Any) -> Settings:
    """The demo's settings (its database in ``folder``, the test's token and app secret,
    Meta at ``graph_api_url``), with a quick outbox, quiet logs and ``overrides``; the
    database made (the demo's CRM clients, no history) for ``create_app`` to serve.

    ``model_copy`` does not validate: each override must already have its settings type.
    """
    base = Settings(_env_file=None, app_secret=APP_SECRET)  # type: ignore[call-arg]
    settings = demo_settings(base, folder, API_TOKEN, graph_api_url)
    settings = settings.model_copy(
        update={"outbox_poll_seconds": 0.2, "log_level": "WARNING", **overrides}
    )
    # in a thread of its own: it runs an event loop, and Playwright's runs in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(
            prepare_demo_database, settings, DemoOptions(history_days=0, stream=False)
        ).result()
    return settings


def new_wa_id() -> str:
    """A Mexican mobile no other test (and no demo customer) writes from."""
    return f"52177{os.getpid() % 1000:03d}{next(_numbers):05d}"


@dataclass
class ServiceClient:
    """A running service as a browser test drives it over HTTP: the API with a token, and
    webhooks signed as Meta signs them, each read by the service before the call returns (so
    the page can be asserted on at once). The demo and the in-process services share it."""

    base_url: str
    token: str = field(default=API_TOKEN, kw_only=True)
    http: httpx.Client = field(init=False, repr=False)
    _ids: itertools.count[int] = field(
        init=False, repr=False, default_factory=lambda: itertools.count(1)
    )

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.base_url + "/",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    @property
    def inbox_url(self) -> str:
        return f"{self.base_url}/inbox/"

    def next_id(self, prefix: str = "wamid.browser") -> str:
        """An id no other in this service has (Meta never repeats a wamid or a media id)."""
        return f"{prefix}.{os.getpid()}.{next(self._ids)}"

    def api(self, path: str = "", **params: Any) -> Any:
        """GET on the conversations API; the JSON body (fails on a non-200)."""
        answer = self.http.get(f"{API}{path}", params=params)
        answer.raise_for_status()
        return answer.json()

    def post_signed(self, body: Mapping[str, Any], secret: str = APP_SECRET) -> httpx.Response:
        """POST a signed body and wait until the service has read it (its 200 only says
        the body is stored)."""
        raw = json.dumps(body).encode()
        answer = self.http.post(
            "webhook",
            content=raw,
            headers={SIGNATURE_HEADER: sign(raw, secret), "Content-Type": "application/json"},
        )
        answer.raise_for_status()
        processed_over_http(self.http)
        return answer

    def customer_writes(
        self,
        wa_id: str,
        part: Mapping[str, Any] | str,
        *,
        profile_name: str | None = None,
        timestamp: int | None = None,
    ) -> str:
        """A customer's message through the webhook; its wamid."""
        if isinstance(part, str):
            part = {"type": "text", "text": {"body": part}}
        wamid = self.next_id()
        self.post_signed(
            message_webhook_body(
                wa_id=wa_id,
                profile_name=profile_name,
                wamid=wamid,
                timestamp=timestamp or int(time.time()),
                part=part,
            )
        )
        return wamid

    def conversation_of(self, wa_id: str) -> dict[str, Any]:
        """The one conversation of ``wa_id``, once the service has it."""

        def found() -> dict[str, Any] | None:
            items: list[dict[str, Any]] = self.api(f"/numero/{wa_id}")["items"]
            assert len(items) <= 1, items
            return items[0] if items else None

        return wait_until(found, what=f"the conversation of {wa_id}")

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.api(f"/{conversation_id}/mensajes", limit=200)["items"]
        return items

    def close(self) -> None:
        self.http.close()


@dataclass
class DemoService(ServiceClient):
    """``crm-whatsapp demo`` running in a process of its own."""

    process: subprocess.Popen[str]
    banner: str = ""

    post_webhook = ServiceClient.post_signed  # a body of the test's own making

    def stop(self) -> str:
        self.close()
        self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out


def start_demo(
    tmp_path: Path, *extra_args: str, timeout: float = 60, env: Mapping[str, str] | None = None
) -> DemoService:
    """Start the demo on a free port and wait for its banner (printed once it can serve);
    ``env`` adds ``CRM_WHATSAPP_*`` settings, which the demo honours."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    environment["CRM_WHATSAPP_APP_SECRET"] = APP_SECRET
    environment["CRM_WHATSAPP_LOG_LEVEL"] = "WARNING"
    environment.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "crm_whatsapp.app.cli", "demo", "--port", "0",
         "--token", API_TOKEN, *extra_args],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ctrl+C"):
            break
    banner = "".join(lines)
    found = re.search(r"Bandeja:\s+(http://[\d.:]+)/inbox/", banner)
    if found is None:
        process.kill()
        rest = process.communicate()[0]
        raise RuntimeError(f"the demo did not start:\n{banner}{rest}")
    demo = DemoService(base_url=found.group(1), process=process, banner=banner)
    wait_until(lambda: demo.http.get("ready").status_code == 200, timeout=30)
    return demo
