"""How to reach Meta's Graph API: token, address, version, timeouts, pool size."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v26.0"
"""Graph API v26.0 (released 29 July 2026) is the newest version in Meta's Graph API
changelog; Meta keeps each version available for about two years, so pinning one keeps the
request and error shapes stable until we choose to upgrade."""


@dataclass(frozen=True, slots=True)
class GraphApiSettings:
    """Settings of the Graph API gateway.

    The access token is a long-lived secret (a system user token can send as the business
    for months): it is excluded from ``repr`` so that it never reaches a log line or a
    traceback through an object that happened to be printed.

    ``connect_timeout`` bounds the TCP/TLS connection (nothing was sent yet, so a timeout
    there is safe to retry); ``read_timeout`` bounds waiting for Meta's answer (a timeout
    there leaves the outcome unknown). ``max_connections`` caps the pool so a burst of
    queued replies cannot open hundreds of sockets to Meta; the service sizes it to the
    outbox's sends in flight (``CRM_WHATSAPP_OUTBOX_CONCURRENCY``), as a smaller pool would
    queue them in the pool instead.
    """

    access_token: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_connections: int = 10

    def __post_init__(self) -> None:
        if not self.access_token or self.access_token != self.access_token.strip():
            raise ValueError("access_token must be a non-empty token without surrounding spaces")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http:// or https:// address")
        if not self.api_version or "/" in self.api_version:
            raise ValueError("api_version must be a single path segment such as 'v26.0'")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")

    def __repr__(self) -> str:
        return (
            f"GraphApiSettings(access_token='***', base_url={self.base_url!r}, "
            f"api_version={self.api_version!r}, connect_timeout={self.connect_timeout!r}, "
            f"read_timeout={self.read_timeout!r}, max_connections={self.max_connections!r})"
        )

    def messages_url(self, phone_number_id: str) -> str:
        """``POST`` address of the messages endpoint of one business phone number."""
        return f"{self._version_url()}/{_segment(phone_number_id, 'phone_number_id')}/messages"

    def media_upload_url(self, phone_number_id: str) -> str:
        """``POST`` address (multipart) that uploads a file for one business phone number."""
        return f"{self._version_url()}/{_segment(phone_number_id, 'phone_number_id')}/media"

    def media_url(self, media_id: str) -> str:
        """``GET`` address of a media id: Meta answers its type, digest, size and a
        short-lived download URL."""
        return f"{self._version_url()}/{_segment(media_id, 'media_id')}"

    def templates_url(self, waba_id: str) -> str:
        """``GET`` address of a WhatsApp Business Account's template catalogue (paged)."""
        return f"{self._version_url()}/{_segment(waba_id, 'waba_id')}/message_templates"

    def _version_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/{self.api_version}"


def _segment(value: str, name: str) -> str:
    """``value`` if it is one plain path segment: no slash, query, fragment, escape or
    space could make it address anything but the object it names."""
    if (
        not value
        or value in (".", "..")
        or not value.isprintable()
        or any(character in value for character in _NOT_IN_A_SEGMENT)
    ):
        raise ValueError(f"{name} must be a single path segment")
    return value


_NOT_IN_A_SEGMENT = frozenset("/?#%\\ ")
