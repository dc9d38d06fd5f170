"""``crm-whatsapp demo``: the whole product on a laptop, with nothing to configure.

One process runs the real service on SQLite in a temporary folder, the fake Graph API (which
answers like Meta and posts signed status webhooks back), a CRM ``clientes`` table of demo
clients, two weeks of history, and a stream of simulated customers writing in. Settings
given in the environment still apply where they make sense (``CRM_WHATSAPP_APP_SECRET``,
rules file, timezone...), so a real signed webhook can be posted to the demo too.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import signal
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import httpx
from pydantic import SecretStr
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from crm_whatsapp.adapters.http.agent_tokens import MAX_LIFETIME, AgentTokens
from crm_whatsapp.adapters.memory import FixedClock, InMemoryMessagingGateway
from crm_whatsapp.adapters.sql import ClientPhoneIndex, Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api.options import DEFAULT_WABA_ID
from crm_whatsapp.adapters.whatsapp.fake_graph_api.runner import (
    base_url_of,
    listening_socket,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from crm_whatsapp.app.container import build_container, close_owned
from crm_whatsapp.app.demo_canned import seed_canned_responses
from crm_whatsapp.app.demo_data import (
    DEMO_PHONE_NUMBER_ID,
    HANDOFF_TEXT,
    OPT_OUT_TEXT,
    DemoClient,
    customer_message,
    demo_clients,
    message_webhook_body,
    unknown_customers,
)
from crm_whatsapp.app.demo_files import CustomerFiles, held_by_fake
from crm_whatsapp.app.demo_history import Customer, HistoryReport, write_history
from crm_whatsapp.app.demo_team import DEMO_AGENT
from crm_whatsapp.app.settings import Settings
from crm_whatsapp.domain.access import ALL_SCOPES
from crm_whatsapp.domain.ports import Clock, MessagingGateway
from crm_whatsapp.domain.use_cases import Dependencies

logger = logging.getLogger("crm_whatsapp.demo")

CLIENTS_TABLE = "clientes"
DEMO_ACCESS_TOKEN = "demo-access-token"  # only ever shown to the fake Graph API
DEMO_VERIFY_TOKEN = "demo-verify-token"
_STREAM_KINDS = ("text",) * 9 + ("image", "document", "audio", "location")


@dataclass(frozen=True, slots=True)
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    history_days: int = 14
    stream_seconds: tuple[float, float] = (2.0, 6.0)  # pause between simulated messages
    stream: bool = True
    seed: int = 2026


def demo_settings(base: Settings, folder: Path, token: str, graph_api_url: str) -> Settings:
    """The environment's settings, with the demo's database, fake Graph API and CRM table,
    and a secret for agent tokens (``CRM_WHATSAPP_AGENT_TOKEN_SECRET``, else a random one for
    this run: the tokens the demo prints die with it).

    ``model_copy(update=...)`` does not validate, so every value has its settings type.
    """
    return base.model_copy(
        update={
            "database_url": SecretStr(f"sqlite:///{folder / 'crm_whatsapp_demo.db'}"),
            "media_url": str(folder / "media"),
            "graph_api_url": graph_api_url,
            "access_token": base.access_token or SecretStr(DEMO_ACCESS_TOKEN),
            "app_secret": base.app_secret or SecretStr(secrets.token_urlsafe(24)),
            "verify_token": base.verify_token or SecretStr(DEMO_VERIFY_TOKEN),
            "api_tokens": (SecretStr(token),),
            "agent_token_secret": base.agent_token_secret or SecretStr(secrets.token_urlsafe(48)),
            "clients_table": CLIENTS_TABLE,
            "clients_schema": None,
            "clients_id_column": "id",
            "clients_name_column": "nombre",
            "clients_phone_columns": ("telefono", "movil"),
            "clients_fields": {},
            "clients_database_url": None,
            "outbox_in_process": True,
            "migrate_on_start": True,
            # the fake's Spanish catalogue, synced at start-up: templates checked as for real
            "waba_id": base.waba_id or DEFAULT_WABA_ID,
            "phone_number_id": base.phone_number_id or DEMO_PHONE_NUMBER_ID,
        }
    )


def create_clients_table(database: Database, clients: list[DemoClient]) -> None:
    """The demo CRM's own table, as a CRM would have it (``demo_settings`` describes it)."""
    metadata = MetaData()
    table = Table(
        CLIENTS_TABLE,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("nombre", String(200), nullable=False),
        Column("telefono", String(40)),
        Column("movil", String(40)),
        Column("email", String(200)),
    )
    with database.writer.begin() as connection:
        metadata.create_all(connection)
        connection.execute(
            insert(table),
            [
                {"id": c.id, "nombre": c.name, "telefono": c.phone, "movil": c.mobile,
                 "email": c.email}
                for c in clients
            ],
        )  # fmt: skip


def demo_customers(seed: int) -> tuple[list[DemoClient], list[Customer]]:
    """The CRM's clients, and everyone who writes: most clients (with the WhatsApp profile
    name they chose, not the CRM's) and some people the CRM does not know."""
    clients = demo_clients(seed=seed)
    rng = random.Random(seed)
    writers = [
        Customer(c.wa_id, c.name.split()[0] if rng.random() < 0.7 else None)
        for c in clients  # those with only a landline write from a number the CRM lacks
    ]
    writers += [Customer(wa_id, name) for wa_id, name in unknown_customers()]
    return clients, writers


def prepare_demo_database(settings: Settings, options: DemoOptions) -> HistoryReport:
    """Tables, the CRM's clients and our phone index over them, and the history, written
    before the service starts (replies recorded as sent, at a fixed time)."""
    now = datetime.now(UTC)
    clock = FixedClock(now)
    container = build_container(
        settings, {Clock: clock, MessagingGateway: InMemoryMessagingGateway()}
    )
    try:
        database: Database = container.resolve(Database)
        database.migrate()
        clients, customers = demo_customers(options.seed)
        create_clients_table(database, clients)
        index: ClientPhoneIndex = container.resolve(ClientPhoneIndex)
        index.rebuild()
        deps: Dependencies = container.resolve(Dependencies)
        seed_canned_responses(deps)
        return write_history(
            deps,
            clock,
            customers,
            now=now,
            days=options.history_days,
            timezone=settings.timezone,
            seed=options.seed,
        )
    finally:
        close_owned(container)


class MessageStream:
    """Simulated customers writing to the running service, as Meta would deliver them.

    Most messages come from known clients, some from strangers; now and then one asks for
    a person or opts out, and some send a location, or a photo, a PDF or a voice note that
    ``files`` holds where the service fetches it (without ``files``, a text instead).
    """

    def __init__(
        self,
        webhook_url: str,
        app_secret: str,
        customers: list[Customer],
        pause: tuple[float, float],
        seed: int,
        *,
        files: CustomerFiles | None = None,
    ) -> None:
        self._url = webhook_url
        self._files = files
        self._secret = app_secret
        self._customers = customers
        self._pause = pause
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-customers", daemon=True)
        self.sent = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the stream if it runs (``demo --no-stream`` never starts it)."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=5)

    def next_body(self) -> bytes:
        rng = self._rng
        customer = rng.choice(self._customers)
        roll = rng.random()
        if roll < 0.04:
            part: dict[str, object] = {"type": "text", "text": {"body": OPT_OUT_TEXT}}
        elif roll < 0.12:
            part = {"type": "text", "text": {"body": HANDOFF_TEXT}}
        else:
            part = customer_message(rng.choice(_STREAM_KINDS), rng, self._files)
        body = message_webhook_body(
            wa_id=customer.wa_id,
            profile_name=customer.profile_name,
            wamid=f"wamid.demo.live.{secrets.token_hex(8)}",
            timestamp=int(datetime.now(UTC).timestamp()),
            part=part,
        )
        return json.dumps(body).encode()

    def _run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self._stop.wait(self._rng.uniform(*self._pause)):
                body = self.next_body()
                headers = {SIGNATURE_HEADER: sign(body, self._secret)}
                headers["Content-Type"] = "application/json"
                try:
                    http.post(self._url, content=body, headers=headers)
                    self.sent += 1
                except httpx.HTTPError as exc:  # the server is stopping or restarting
                    logger.debug("demo stream: %s", exc)


def new_token() -> str:
    return secrets.token_urlsafe(18)


def demo_agent_token(settings: Settings) -> str:
    """A token for the demo's agent, as the host CRM would sign it for one of its users:
    every scope, valid as long as an agent token may be (the demo's secret dies with it)."""
    tokens = AgentTokens(settings.secret("agent_token_secret").encode())
    return tokens.mint(
        DEMO_AGENT.id or "", DEMO_AGENT.name, scopes=ALL_SCOPES, lifetime=MAX_LIFETIME
    )


def run_demo(options: DemoOptions, announce: Callable[[str], None] | None = None) -> None:
    """Serve the demo in the foreground until Ctrl+C; the temporary folder goes with it."""
    import uvicorn  # noqa: PLC0415 - only the serving commands need the server

    from crm_whatsapp.app.asgi import create_app  # noqa: PLC0415
    from crm_whatsapp.app.graceful import GracefulServer  # noqa: PLC0415

    token = options.token or new_token()
    base = Settings()
    app_secret_given = base.app_secret is not None
    with tempfile.TemporaryDirectory(prefix="crm-whatsapp-demo-") as folder:
        sock = listening_socket(options.host, options.port)
        base_url = base_url_of(sock)
        settings = demo_settings(base, Path(folder), token, _NOT_YET)
        history = prepare_demo_database(settings, options)
        with running_fake_graph_api(
            status_webhook_url=f"{base_url}/webhook",
            app_secret=settings.secret("app_secret"),
            access_token=settings.secret("access_token"),
            seed=options.seed,
        ) as fake:
            settings = settings.model_copy(update={"graph_api_url": fake.base_url})
            app = create_app(settings)
            server = GracefulServer(
                uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
            )
            stream = MessageStream(
                f"{base_url}/webhook",
                settings.secret("app_secret"),
                demo_customers(options.seed)[1],
                options.stream_seconds,
                options.seed,
                files=held_by_fake(fake.state),
            )
            agent_token = demo_agent_token(settings)
            banner = _banner(
                base_url, (token, agent_token), Path(folder), history, app_secret_given
            )
            if announce is None:
                print(banner, flush=True)  # flushed: a script reading the pipe waits for it
            else:
                announce(banner)
            if options.stream:
                stream.start()
            previous = signal.signal(signal.SIGTERM, _interrupt)
            try:
                server.run(sockets=[sock])
            except KeyboardInterrupt:
                pass  # Ctrl+C or SIGTERM, after uvicorn's own graceful shutdown
            finally:
                signal.signal(signal.SIGTERM, previous)
                stream.stop()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """uvicorn re-raises the signal that stopped it; by default SIGTERM would then end the
    process on the spot and the temporary folder would stay behind."""
    raise KeyboardInterrupt


_NOT_YET = "http://127.0.0.1:9"  # the fake Graph API's address is known once it runs


def _banner(
    base_url: str,
    tokens: tuple[str, str],
    folder: Path,
    history: HistoryReport,
    app_secret_given: bool,
) -> str:
    token, agent_token = tokens
    signing = (
        "firmados con CRM_WHATSAPP_APP_SECRET"
        if app_secret_given
        else "define CRM_WHATSAPP_APP_SECRET para firmar los tuyos"
    )
    return "\n".join(
        (
            "crm_whatsapp demo",
            f"  Bandeja:  {base_url}/inbox/#token={token}",
            f"  Token:    {token} (de servicio)",
            f"  Agente:   {DEMO_AGENT.name} ({DEMO_AGENT.id}), permisos read reply manage:",
            f"            {base_url}/inbox/#token={agent_token}",
            f"  Panel:    {base_url}/inbox/dashboard.html",
            f"  Widget:   {base_url}/inbox/examples/clientes.html (ficha de cliente de un CRM)",
            f"  API:      {base_url}/openapi.json",
            f"  Webhook:  {base_url}/webhook ({signing})",
            f"  Datos:    {folder} (se borra al salir)",
            f"  Historia: {history.conversations} conversaciones, "
            f"{history.customer_messages} mensajes de clientes, "
            f"{history.outbound_messages} respuestas",
            "Ctrl+C para salir.",
        )
    )
