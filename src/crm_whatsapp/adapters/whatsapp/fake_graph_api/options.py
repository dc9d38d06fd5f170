"""How the fake behaves: ``FakeGraphApiOptions``, read by the state and the routes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STATUS_SEQUENCE = ("sent", "delivered", "read")

MEDIA_ENDPOINTS = ("lookup", "download", "upload")
"""Where a failure can be injected besides ``messages``: ``GET /{version}/{media-id}``,
``GET /__download/...`` and ``POST /{version}/{phone-number-id}/media``."""

TEMPLATES_ENDPOINT = "templates"
"""``GET /{version}/{waba-id}/message_templates``, where a failure can be injected too."""

INJECTABLE_ENDPOINTS = (*MEDIA_ENDPOINTS, TEMPLATES_ENDPOINT)

DEFAULT_WABA_ID = "102290129340398"
"""The WhatsApp Business Account of every business number unless said otherwise: the id
templates are listed under and every webhook's ``entry[].id``, numeric as Meta's are."""

SEVEN_DAYS = 7 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class FakeGraphApiOptions:
    """How the fake behaves.

    ``fail_rate`` of the message requests fail, each as one of: HTTP 500 (Graph code 1 or
    2), HTTP 429 (code 130429), or an answer delayed by ``slow_seconds`` (longer than a
    client's read timeout): the delayed message counts as accepted, as Meta may well have
    sent it, so it is recorded and gets status webhooks. ``seed`` makes the sequence of
    failures reproducible.

    With ``status_webhook_url`` and ``app_secret``, every accepted message gets signed
    ``sent``, ``delivered`` and ``read`` webhooks, each after the matching delay of
    ``status_delays``. With ``access_token``, any other bearer token is refused as Meta
    refuses an expired one (401, code 190).

    Meta's pace: every messages request is answered ``latency_seconds`` after it arrived,
    give or take up to ``jitter_seconds`` (drawn uniformly, seeded by ``seed``), without
    holding up any other request. With ``send_rate``, each business number (the
    ``phone_number_id`` of the path) may send that many messages a second, with a burst of
    one second's worth; a send past it is answered 130429 as Meta answers throughput
    exceeded (read receipts are not messages: they neither spend nor wait for the rate).
    Both are off by default, so that tests stay fast.

    Files: a media id's lookup hands out a download URL valid for
    ``media_url_lifetime_seconds`` (Meta: about 5 minutes); the media id itself works for
    ``media_id_lifetime_seconds`` after the fake got the file (Meta: 7 days for a
    customer's file), then it answers code 100 as Meta does.

    Templates: every business number belongs to the WhatsApp Business Account ``waba_id``
    unless ``phone_number_wabas`` maps it to another (its status webhooks carry that id as
    ``entry[].id``, as Meta's do); a template send is checked against
    its WABA's catalogue, which starts as ``templates`` (None: the Spanish demo catalogue,
    ``DEMO_TEMPLATES``; ``()``: none), in Meta's JSON shape.
    """

    fail_rate: float = 0.0
    seed: int | None = None
    slow_seconds: float = 30.0
    status_webhook_url: str | None = None
    app_secret: str | None = field(default=None, repr=False)
    status_delays: tuple[float, float, float] = (0.05, 0.1, 0.1)
    access_token: str | None = field(default=None, repr=False)
    display_phone_number: str = "15550783881"
    latency_seconds: float = 0.0
    jitter_seconds: float = 0.0
    send_rate: float | None = None
    media_url_lifetime_seconds: float = 300.0
    media_id_lifetime_seconds: float = SEVEN_DAYS
    waba_id: str = DEFAULT_WABA_ID
    phone_number_wabas: Mapping[str, str] = field(default_factory=dict, hash=False)
    templates: tuple[Mapping[str, Any], ...] | None = field(default=None, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("fail_rate must be between 0 and 1")
        if self.slow_seconds < 0 or any(delay < 0 for delay in self.status_delays):
            raise ValueError("delays must not be negative")
        if len(self.status_delays) != len(STATUS_SEQUENCE):
            raise ValueError("status_delays needs one delay per status: sent, delivered, read")
        if self.status_webhook_url is not None and not self.app_secret:
            raise ValueError("status webhooks need the app secret to sign them")
        if self.latency_seconds < 0 or self.jitter_seconds < 0:
            raise ValueError("latency and jitter must not be negative")
        if self.jitter_seconds > self.latency_seconds:
            raise ValueError("jitter must not exceed the latency")
        if self.send_rate is not None and self.send_rate <= 0:
            raise ValueError("send_rate must be positive (None: no limit)")
        if not (self.media_url_lifetime_seconds > 0 and self.media_id_lifetime_seconds > 0):
            raise ValueError("media lifetimes must be positive")
        if not self.waba_id or not all(self.phone_number_wabas.values()):
            raise ValueError("a WABA id must not be empty")

    def __repr__(self) -> str:
        return (
            f"FakeGraphApiOptions(fail_rate={self.fail_rate!r}, seed={self.seed!r}, "
            f"slow_seconds={self.slow_seconds!r}, "
            f"status_webhook_url={self.status_webhook_url!r}, "
            f"app_secret={'***' if self.app_secret else None!r}, "
            f"status_delays={self.status_delays!r}, "
            f"access_token={'***' if self.access_token else None!r}, "
            f"latency_seconds={self.latency_seconds!r}, "
            f"jitter_seconds={self.jitter_seconds!r}, send_rate={self.send_rate!r}, "
            f"media_url_lifetime_seconds={self.media_url_lifetime_seconds!r}, "
            f"media_id_lifetime_seconds={self.media_id_lifetime_seconds!r}, "
            f"waba_id={self.waba_id!r}, phone_number_wabas={dict(self.phone_number_wabas)!r})"
        )
