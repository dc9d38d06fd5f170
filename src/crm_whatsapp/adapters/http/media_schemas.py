"""A message's file as the API shows it: its state, and a link a browser can use."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from crm_whatsapp.adapters.http.media_links import MEDIA_PATH, MediaLinks
from crm_whatsapp.domain.media import MediaStatus
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.use_cases.media_fetch import meta_expiry


class MediaOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["pending", "stored", "failed", "pruned"] = Field(
        description="pending: being fetched from Meta; stored: ours to serve; failed: see "
        "error; pruned: deleted by the retention policy"
    )
    url: str | None = Field(
        description="the bytes, once stored: a short-lived signed link that needs no token "
        "(for <img>, <audio>, downloads); the API token works on it too"
    )
    mime_type: str | None
    size: int | None
    sha256: str | None
    filename: str | None
    caption: str | None
    voice: bool = Field(description="a voice note (OGG/Opus)")
    error: str | None = Field(description="why the last fetch failed")
    attempts: int
    retry_url: str | None = Field(
        description="POST here (with the token) to fetch a failed file again, while Meta "
        "still keeps it (7 days)"
    )


def media_out(m: Message, links: MediaLinks | None, now: datetime | None) -> MediaOut:
    media = m.media
    assert media is not None
    url = None
    if media.is_stored:
        url = links.url_for(m.id, now) if links and now else f"{MEDIA_PATH}/{quote(m.id, safe='')}"
    can_retry = (
        media.status is MediaStatus.FAILED
        and m.is_inbound
        and now is not None
        and now < meta_expiry(m)
    )
    return MediaOut(
        status=media.status.value,
        url=url,
        mime_type=media.mime_type,
        size=media.size,
        sha256=media.sha256,
        filename=media.filename,
        caption=m.text,
        voice=media.voice,
        error=media.error,
        attempts=media.attempts,
        retry_url=f"{MEDIA_PATH}/{quote(m.id, safe='')}/reintentar" if can_retry else None,
    )
