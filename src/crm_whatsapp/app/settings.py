"""The service's settings: environment variables prefixed ``CRM_WHATSAPP_`` and an optional
``.env`` file, validated at start-up so a mistake is one clear line, not a 500 later.

Secrets are ``SecretStr``: printing the settings (or a traceback holding them) shows
``**********``, never the value.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from crm_whatsapp.adapters.rate_limit import SendRates
from crm_whatsapp.adapters.sql import DEFAULT_PREFIX, DEFAULT_URL
from crm_whatsapp.adapters.whatsapp.graph_api import DEFAULT_API_VERSION, DEFAULT_BASE_URL
from crm_whatsapp.adapters.whatsapp.webhook import DEFAULT_MAX_BYTES
from crm_whatsapp.domain.pagination import MIN_CURSOR_KEY_BYTES

ENV_PREFIX = "CRM_WHATSAPP_"
REQUIRED_SECRETS = ("app_secret", "verify_token", "access_token")
MIN_API_TOKEN_LENGTH = 24
"""A static API token holds every scope forever: shorter ones are guessable."""
MIN_AGENT_SECRET_BYTES = 32
"""HS256 keys shorter than the hash's output weaken it (RFC 7518, section 3.2)."""

CommaList = Annotated[tuple[str, ...], NoDecode]
NamedColumns = Annotated[dict[str, str], NoDecode]


def parse_named_columns(items: Iterable[str]) -> dict[str, str]:
    """``["ciudad=ciudad", "plan=plan_contratado"]`` → ``{"ciudad": "ciudad", ...}``;
    a malformed item raises ``ValueError`` quoting it."""
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, column = (part.strip() for part in item.partition("="))
        if not sep or not name or not column:
            raise ValueError(f"{item.strip()!r} is not NAME=COLUMN (e.g. ciudad=ciudad)")
        pairs[name] = column
    return pairs


def _long_enough(value: SecretStr | None, minimum: int, why: str) -> SecretStr | None:
    """A key shorter than ``minimum`` bytes is refused, saying how to make a good one."""
    if value is not None and len(value.get_secret_value().encode()) < minimum:
        raise ValueError(
            f"must be at least {minimum} bytes{why}; make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return value


class MissingSetting(ValueError):
    """A setting the service cannot start without; the message names the variable."""

    def __init__(self, names: list[str]) -> None:
        variables = ", ".join(ENV_PREFIX + n.upper() for n in names)
        super().__init__(f"missing required setting(s): {variables}")
        self.names = names


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    database_url: SecretStr = SecretStr(DEFAULT_URL)
    table_prefix: str = DEFAULT_PREFIX
    app_secret: SecretStr | None = None
    verify_token: SecretStr | None = None
    access_token: SecretStr | None = None
    phone_number_id: str | None = None
    """The business number the CRM writes from when it starts a conversation."""
    waba_id: str | None = None
    """The WhatsApp Business Account whose template catalogue is synced; unset: no sync,
    and templates are sent unchecked."""
    template_sync_minutes: int = Field(default=60, ge=0)
    """Sync the template catalogue at start-up and then every so many minutes (0: only at
    start-up and on demand); template webhooks update it in between."""
    graph_api_url: str = DEFAULT_BASE_URL
    graph_api_version: str = DEFAULT_API_VERSION
    graph_api_timeout_seconds: float = Field(default=20.0, gt=0)
    """How long a send waits for Meta's answer; past it the outcome is unknown (retried)."""
    api_tokens: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    """Server-to-server tokens (the CRM's backend): every scope, the ``service`` actor."""
    agent_token_secret: SecretStr | None = None
    """Verifies the agent tokens (JWT, HS256) the host CRM signs for each of its users;
    at least 32 bytes. Unset: only the static API tokens are accepted."""
    agent_token_leeway_seconds: int = Field(default=30, ge=0, le=300)
    """Clock difference tolerated between the CRM that signs and this service."""
    auth_failures_per_minute: int = Field(default=20, ge=1)
    """Failed authentications one client address may make per minute; past it, 429."""
    live_streams_per_token: int = Field(default=20, ge=1)
    """Live event streams one token may hold open at once (an agent's tabs)."""
    default_region: str = "MX"
    timezone: str = "America/Mexico_City"
    bot_rules_file: Path | None = None
    clients_table: str | None = None
    clients_schema: str | None = None
    clients_id_column: str = "id"
    clients_name_column: str | None = None
    clients_phone_columns: CommaList = ()
    clients_fields: NamedColumns = Field(default_factory=dict)
    """Reply placeholders from CRM columns: ``ciudad=ciudad,plan=plan_contratado``."""
    clients_database_url: SecretStr | None = None
    outbox_in_process: bool = True
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_max_attempts: int = Field(default=6, ge=1)
    outbox_retry_seconds: float = Field(default=5.0, gt=0)
    """Wait before the first retry of a failed send, doubled for each further one."""
    outbox_lease_seconds: float = Field(default=120.0, gt=0)
    """How long a claimed reply stays hidden: after a crash it goes out again when this ends."""
    outbox_concurrency: int = Field(default=64, ge=1, le=1000)
    """Sends in flight at once per outbox worker (Meta takes about 250 ms to answer one)."""
    send_rate: str = "80"
    """Sends per second per business number: ``80`` for all, ``106540352242922=1000`` for
    one (comma-separated); shared by every worker on the database."""
    media_url: str = "crm_whatsapp_media"
    """Where our copies of media files go: a directory (relative to the working directory,
    like the SQLite default), ``file:///abs/path``, ``s3://bucket/prefix`` (with the usual
    ``AWS_*`` variables) or ``memory://``."""
    media_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    """The largest file fetched from Meta or sent by an agent (Meta's largest: 100 MB)."""
    media_fetch_attempts: int = Field(default=6, ge=1)
    media_retry_seconds: float = Field(default=10.0, gt=0)
    """Wait before fetching a file again after a failed attempt, doubled each time."""
    media_retention_days: int = Field(default=0, ge=0)
    """``crm-whatsapp media prune`` deletes files of messages older than this; 0 keeps all."""
    media_link_seconds: int = Field(default=900, ge=10, le=86400)
    """How long a signed media link in the API (``media.url``) works."""
    signing_key: SecretStr | None = None
    """Signs media links; unset, it is derived from the app secret and the API tokens, which
    every server of one deployment shares."""
    cursor_key: SecretStr | None = None
    """Signs the API's page cursors (at least 16 bytes); unset, it is derived from the
    signing key or else the app secret, which every server of one deployment shares."""
    phone_number_ids: CommaList = ()
    """Business numbers (phone number ids) this service answers for, comma-separated;
    deliveries for any other number are quarantined, not stored in the inbox. Empty: all."""
    ingest_in_process: bool = True
    """Read stored webhook deliveries in the service's process; false when only
    ``crm-whatsapp worker`` processes do (the service then only stores them)."""
    ingest_batch: int = Field(default=50, ge=1, le=5000)
    """Webhook deliveries the processor reads per transaction."""
    delivery_retention_days: int = Field(default=7, ge=0)
    """Processed raw deliveries are deleted after this many days (0 keeps them all);
    quarantined items keep their own copy."""
    migrate_on_start: bool = True
    cors_origins: CommaList = ()
    max_body_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1024)
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """``crm-whatsapp serve``: a connection's request line and headers must arrive within
    this (from connecting, or from the previous answer); a slower one is closed, so that
    half-sent requests (slowloris) cannot hold the server's connections."""
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    """``crm-whatsapp serve``: a request body must arrive within this after its headers,
    plus one second per 8 KiB received: a large upload on a slow line goes on, a body that
    trickles slower is cut."""
    max_connections: int = Field(default=1000, ge=1, le=100_000)
    """``crm-whatsapp serve``: connections (and requests in progress) one server process
    holds; past it a request is answered 503 at once."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("media_url")
    @classmethod
    def _valid_media_url(cls, value: str) -> str:
        scheme = value.strip().partition("://")[0].lower() if "://" in value else ""
        if scheme not in ("", "file", "s3", "memory"):
            raise ValueError(f"unknown scheme {scheme!r}: use file://, s3://, memory:// or a path")
        return value

    @field_validator("send_rate")
    @classmethod
    def _valid_send_rate(cls, value: str) -> str:
        SendRates.parse(value)
        return value

    def send_rates(self) -> SendRates:
        return SendRates.parse(self.send_rate)

    @field_validator("api_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value

    @field_validator("api_tokens")
    @classmethod
    def _long_tokens(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for position, token in enumerate(value, start=1):
            if len(token.get_secret_value()) < MIN_API_TOKEN_LENGTH:
                raise ValueError(
                    f"token {position} is shorter than {MIN_API_TOKEN_LENGTH} characters; "
                    "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        return value

    @field_validator("cursor_key")
    @classmethod
    def _long_cursor_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return value  # empty: derived, as when unset
        return _long_enough(value, MIN_CURSOR_KEY_BYTES, "")

    @field_validator("agent_token_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return _long_enough(value, MIN_AGENT_SECRET_BYTES, " (HS256)")

    @field_validator("clients_phone_columns", "cors_origins", "phone_number_ids", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value

    @field_validator("clients_fields", mode="before")
    @classmethod
    def _split_pairs(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_named_columns(p for p in value.split(",") if p.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if len(value) != 2 or not value.isalpha():
            raise ValueError("must be a two-letter country code such as MX, AR, CO, ES")
        return value.upper()

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        """An outbox pass stops sending at 80% of its lease; the send it starts then must
        end (at worst at the timeout) before the lease does, or another worker may claim
        the same reply and send it again."""
        if self.outbox_lease_seconds < 5 * self.graph_api_timeout_seconds:
            raise ValueError(
                "CRM_WHATSAPP_OUTBOX_LEASE_SECONDS must be at least 5 times "
                "CRM_WHATSAPP_GRAPH_API_TIMEOUT_SECONDS "
                f"({self.outbox_lease_seconds:g} < 5 × {self.graph_api_timeout_seconds:g})"
            )
        return self

    def require_secrets(self) -> None:
        """Raise ``MissingSetting`` naming every required secret that is unset or empty."""
        missing = [
            name
            for name in REQUIRED_SECRETS
            if getattr(self, name) is None or not getattr(self, name).get_secret_value().strip()
        ]
        if missing:
            raise MissingSetting(missing)

    def aws_environment(self) -> dict[str, str]:
        """The usual ``AWS_*`` variables, for an ``s3://`` media store (S3's own names, so
        a deployment configures the bucket as it would for any other S3 client)."""
        return {name: value for name, value in os.environ.items() if name.startswith("AWS_")}

    def secret(self, name: str) -> str:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else ""

    def secret_values(self) -> list[str]:
        """Every secret, so that tests (and log filters) can check none leaks."""
        values = [self.secret(n) for n in REQUIRED_SECRETS]
        values += [t.get_secret_value() for t in self.api_tokens]
        for key in (self.signing_key, self.cursor_key):
            if key is not None:
                values.append(key.get_secret_value())
        if self.agent_token_secret is not None:
            values.append(self.agent_token_secret.get_secret_value())
        aws = self.aws_environment()
        values += [aws.get(name, "") for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")]
        for url in (self.database_url, self.clients_database_url):
            if url is None:
                continue
            try:
                password = make_url(url.get_secret_value()).password
            except ArgumentError:  # not a URL: the database adapter will say so
                continue
            if password:
                values.append(str(password))
        return [v for v in values if v]
