"""Live updates across processes: PostgreSQL LISTEN/NOTIFY between the instances.

Several instances behind a load balancer share one database; a browser's event stream is
served by one of them, the change may have happened in another. Every instance publishes
with ``NOTIFY`` (``PostgresEventPublisher``) and hears every instance, itself included,
through one ``LISTEN`` connection (``PostgresEventListener``) that feeds its
``LocalEventHub``.

Because the publishing process receives its own notifications too, in PostgreSQL mode the
app publishes ONLY through NOTIFY and delivers ONLY through the listener: publishing to the
hub as well would show every event twice.

Live updates are a convenience: the data is committed before anything is published, so a
failed NOTIFY is logged and swallowed, and events published while a listener reconnects
are lost; the listener then marks every subscriber ``Lagged`` so the inboxes refetch.

The channel is ``<table prefix>events`` (``crm_whatsapp_events``), qualified by the schema
when the tables are not in ``public`` (``tenant_a.crm_whatsapp_events``): NOTIFY channels
belong to the whole database, so two installations in one database, with different
prefixes or in different schemas (one per tenant, say), must not hear each other's events.
The schema is PostgreSQL's ``current_schema()`` through the engine, which knows the host's
``search_path``; publisher and listener ask it the same way. ``psycopg`` (the ``postgres``
extra, 3.2 or later) is imported only when a listener starts.

A NOTIFY payload must be shorter than 8000 bytes, so a large batch becomes several
payloads, in order. The JSON is ASCII-only (``ensure_ascii``), so its length in characters
is its length in bytes whatever the server's encoding. Decoding skips, with a warning, what
it cannot read, event by event: one event of an unknown type (a newer process during a
rolling deploy) costs that event, not its whole batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crm_whatsapp.adapters.events.codec import event_from_json, event_to_json
from crm_whatsapp.adapters.events.hub import LocalEventHub
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.domain.events import Event

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger("crm_whatsapp.events")

MAX_RECONNECT_DELAY = 30.0
_MAX_CHANNEL_BYTES = 63  # NAMEDATALEN - 1: LISTEN would silently truncate a longer name
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")
_CURRENT_SCHEMA = text("SELECT current_schema()")


def channel_name(prefix: str, schema: str | None) -> str:
    """``<prefix>events``, qualified by ``schema`` unless it is ``public`` (or unknown);
    a qualified name too long for PostgreSQL keeps a digest of the schema instead."""
    base = f"{prefix}events"
    if not schema or schema == "public":
        return base
    qualified = f"{schema}.{base}"
    if len(qualified.encode()) <= _MAX_CHANNEL_BYTES:
        return qualified
    return f"{hashlib.sha256(schema.encode()).hexdigest()[:16]}.{base}"


def default_channel(database: Database) -> str:
    """The channel of the installation in ``database``: its table prefix and the schema its
    engine's connections work in (asked of the server: the ``search_path`` may come from
    the URL, the engine's connect arguments, the role's settings or the host's hooks)."""
    with database.writer.connect() as connection:
        schema = connection.execute(_CURRENT_SCHEMA).scalar()
    return _checked_channel(channel_name(database.tables.prefix, str(schema or "")))


class _Channel:
    """A channel given by name, or the installation's, asked of the server on first use
    (a publisher or listener may be built while the database is still down)."""

    def __init__(self, database: Database, name: str | None) -> None:
        self._database = database
        self._name = _checked_channel(name) if name is not None else None

    def resolve(self) -> str:
        if self._name is None:
            self._name = default_channel(self._database)
        return self._name

    def describe(self) -> str:
        return self._name or channel_name(self._database.tables.prefix, None)


class PostgresEventPublisher:
    """``EventPublisher``: one NOTIFY per payload, each in its own autocommit transaction
    (PostgreSQL folds identical payloads sent in one transaction into one)."""

    def __init__(self, database: Database, channel: str | None = None) -> None:
        _require_postgresql(database)
        self._channel = _Channel(database, channel)
        self._database = database
        self._engine = database.writer.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def channel(self) -> str:
        """The channel notified (asked of the server if not known yet)."""
        return self._channel.resolve()

    def publish(self, events: Sequence[Event]) -> None:
        """Notify every listening instance; failures are logged at WARNING, never raised."""
        try:
            payloads = encode_payloads(events)
            if not payloads:
                return
            channel = self._channel.resolve()
            with self._engine.connect() as connection:
                for payload in payloads:
                    connection.execute(_NOTIFY, {"channel": channel, "payload": payload})
        except Exception as exc:
            logger.warning(
                "live update not sent on channel %s of %s: %s",
                self._channel.describe(),
                self._database.describe(),
                _summary(self._database, exc),
            )


class PostgresEventListener:
    """A daemon thread that LISTENs on a dedicated connection and delivers to ``hub``.

    ``ready`` is set while LISTEN is active. A lost connection is logged and reopened after
    ``reconnect_delay`` seconds, doubling up to 30, until ``stop()``.
    """

    def __init__(
        self,
        database: Database,
        hub: LocalEventHub,
        channel: str | None = None,
        reconnect_delay: float = 1.0,
        *,
        poll_interval: float = 0.25,
        connect_timeout: int = 10,
    ) -> None:
        _require_postgresql(database)
        if reconnect_delay <= 0:
            raise ValueError(f"reconnect_delay must be positive, not {reconnect_delay}")
        self._channel = _Channel(database, channel)
        self.ready = threading.Event()
        self._database = database
        self._hub = hub
        self._reconnect_delay = reconnect_delay
        self._poll_interval = poll_interval
        self._connect_timeout = connect_timeout
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._backend_pid: int | None = None

    @property
    def channel(self) -> str:
        """The channel listened to (asked of the server if not known yet)."""
        return self._channel.resolve()

    @property
    def backend_pid(self) -> int | None:
        """The server process of the current LISTEN connection, if any (for operators)."""
        return self._backend_pid

    def start(self) -> None:
        """Start listening in the background; wait on ``ready`` to know LISTEN is active."""
        if self._thread is not None:
            raise RuntimeError("this listener was already started")
        try:
            import psycopg  # noqa: F401, PLC0415
        except ImportError as exc:
            raise ImportError(
                "PostgresEventListener needs psycopg: pip install 'crm-whatsapp[postgres]'"
            ) from exc
        self._thread = threading.Thread(
            target=self._run, name=f"crm-whatsapp-listen-{self._channel.describe()}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening; returns within about ``timeout`` seconds."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.ready.clear()

    def _run(self) -> None:
        import psycopg  # noqa: PLC0415

        delay = self._reconnect_delay
        listened_before = False
        while not self._stopping.is_set():
            try:
                channel = self._channel.resolve()
                with self._connect() as connection:
                    self._listen(connection, channel)
                    if listened_before:
                        logger.info("listening again on channel %s", self._channel.describe())
                        self._hub.mark_lagged()
                    listened_before = True
                    delay = self._reconnect_delay
                    self._receive(connection, channel)
            except Exception as exc:
                self.ready.clear()
                self._backend_pid = None
                if self._stopping.is_set():
                    break
                if isinstance(exc, (psycopg.Error, DBAPIError)):  # the server, not us
                    logger.warning(
                        "live updates: no LISTEN connection to %s (%s); reconnecting in %.1f s",
                        self._database.describe(),
                        _summary(self._database, exc),
                        delay,
                    )
                else:
                    logger.exception("the event listener failed; restarting in %.1f s", delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY)
        self.ready.clear()
        self._backend_pid = None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """A connection of its own, made as the engine makes its connections (the host's
        connect arguments: SSL files, a password, the application name…)."""
        import psycopg  # noqa: PLC0415

        url = self._database.url.set(drivername="postgresql")
        arguments = {
            "connect_timeout": self._connect_timeout,
            **self._database.engine_options.get("connect_args", {}),
            "autocommit": True,
        }
        return psycopg.connect(url.render_as_string(hide_password=False), **arguments)

    def _listen(self, connection: psycopg.Connection[tuple[object, ...]], channel: str) -> None:
        from psycopg import sql  # noqa: PLC0415

        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        self._backend_pid = connection.info.backend_pid
        self.ready.set()

    def _receive(self, connection: psycopg.Connection[tuple[object, ...]], channel: str) -> None:
        # A short timeout, so the loop sees stop() promptly.
        while not self._stopping.is_set():
            for notification in connection.notifies(timeout=self._poll_interval):
                if notification.channel != channel:
                    continue
                events = decode_payload(notification.payload)
                if events:
                    self._hub.deliver(events)


def _require_postgresql(database: Database) -> None:
    if not database.is_postgresql:
        raise ValueError(
            f"LISTEN/NOTIFY needs PostgreSQL, not {database.dialect}; "
            "with one process use LocalEventHub as the publisher"
        )


def _checked_channel(channel: str) -> str:
    size = len(channel.encode())
    if not 0 < size <= _MAX_CHANNEL_BYTES:
        raise ValueError(f"a channel name needs 1 to {_MAX_CHANNEL_BYTES} bytes: {channel!r}")
    return channel


def _summary(database: Database, exc: BaseException) -> str:
    """The error's first line, with the URL's password masked just in case."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    summary = f"{type(original).__name__}: {lines[0] if lines else ''}"
    password = database.url.password
    return summary.replace(str(password), "***") if password else summary


MAX_PAYLOAD_BYTES = 7999
"""PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (default build)."""


def encode_payloads(events: Sequence[Event], max_bytes: int = MAX_PAYLOAD_BYTES) -> list[str]:
    """The events as few JSON arrays as fit in ``max_bytes`` each, in order; an event too
    large for a payload of its own is logged and left out."""
    payloads: list[str] = []
    items: list[str] = []
    size = 2  # the brackets
    for event in events:
        item = json.dumps(event_to_json(event), separators=(",", ":"))
        if len(item) + 2 > max_bytes:
            logger.warning(
                "a %s event of %d bytes does not fit in a NOTIFY payload; not sent",
                type(event).__name__,
                len(item),
            )
            continue
        if items and size + 1 + len(item) > max_bytes:
            payloads.append(_array(items))
            items, size = [], 2
        size += len(item) + (1 if items else 0)
        items.append(item)
    if items:
        payloads.append(_array(items))
    return payloads


def decode_payload(payload: str) -> list[Event]:
    """The events of one payload; whatever cannot be read is logged and skipped."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        logger.warning("ignoring a NOTIFY payload that is not JSON: %s", exc)
        return []
    if not isinstance(data, list):
        logger.warning("ignoring a NOTIFY payload that is not a JSON array of events")
        return []
    events: list[Event] = []
    for item in data:
        if not isinstance(item, Mapping):
            logger.warning("ignoring an event that is not a JSON object: %.200r", item)
            continue
        try:
            events.append(event_from_json(item))
        except ValueError as exc:
            logger.warning("ignoring an event that cannot be read: %s", exc)
    return events


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"
