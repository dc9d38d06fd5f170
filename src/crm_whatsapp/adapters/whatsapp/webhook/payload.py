"""The webhook body as Meta writes it: pydantic models, lenient about new fields, strict
about the ones we read.

Meta adds fields to webhooks all the time (BSUIDs in 2026, usernames, group ids); a field we
do not know is ignored, never an error, and it is still kept in ``IncomingMessage.raw``. A
field we read must have the documented type, otherwise the body is refused as a whole.

Everything is a list: one POST may carry several entries (WhatsApp Business Accounts),
each with several changes, each with several messages and statuses. Reading only the first
of each, as many libraries do, silently loses customers' messages under load, when Meta
batches the most.

A message of a type we know must carry the object of that type (``"type": "image"`` with an
``image`` object); a message of a type we do not know is valid as long as it has an id, a
timestamp and a sender, and becomes an ``unsupported`` message with its raw JSON, so that an
agent still sees that the customer wrote something.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    model_validator,
)

_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
_LATEST = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


class WebhookModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


def _from_unix_seconds(value: object) -> datetime:
    """Meta writes timestamps as strings of unix seconds ("1749416383"); integers also pass.

    Anything else (a float, an ISO date, a bool) is refused rather than guessed at: a wrong
    time would put the message in the wrong place of the conversation and of the 24-hour
    service window.
    """
    if isinstance(value, bool):
        raise ValueError("expected unix seconds, got a boolean")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and _UNIX_SECONDS.fullmatch(value):
        seconds = int(value)
    else:
        raise ValueError("expected unix seconds as a string of digits")
    if not 0 <= seconds <= _LATEST:
        raise ValueError("unix seconds out of range")
    return datetime.fromtimestamp(seconds, UTC)


UnixTimestamp = Annotated[datetime, BeforeValidator(_from_unix_seconds)]
"""A UTC-aware datetime read from Meta's unix-seconds timestamp."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]

# Ids are bounded by the columns that store them: PostgreSQL refuses a longer value with an
# error, after the body's earlier messages were stored, and again on every retry. Meta's own
# ids are far shorter (a wamid is about 60 characters, a phone number id 15 digits).
WamidStr = Annotated[str, StringConstraints(min_length=1, max_length=255)]
"""A message id (``wamid``) or a media id."""
WamidRefStr = Annotated[str, StringConstraints(max_length=255)]
"""A reference to a message: the one a reply answers."""
WaIdStr = Annotated[str, StringConstraints(max_length=32)]
UserIdStr = Annotated[str, StringConstraints(max_length=128)]
"""A business-scoped user id (BSUID), or a status's recipient id."""
BusinessNumberIdStr = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ErrorCode = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
"""Meta's error codes are small integers; the stored failure code is at most 64 characters."""


class MetaErrorData(WebhookModel):
    details: str | None = None


class MetaError(WebhookModel):
    """An error as Meta reports it in a webhook (on a value, a message or a status)."""

    code: ErrorCode
    title: str | None = None
    message: str | None = None
    error_data: MetaErrorData | None = None
    href: str | None = None

    @property
    def details(self) -> str | None:
        return self.error_data.details if self.error_data else None

    def describe(self) -> str:
        """The most telling words Meta gave.

        ``title`` and ``message`` are often the same short phrase ("Re-engagement message")
        and ``error_data.details`` is the explanation; both are kept when they differ.
        """
        headline = self.message or self.title or ""
        explanation = self.details or ""
        if headline and explanation and explanation != headline:
            return f"{headline}: {explanation}"
        return headline or explanation or f"error {self.code}"

    def as_details(self) -> dict[str, object]:
        """JSON-compatible form for ``details`` and problems (absent fields left out)."""
        described = {
            "code": self.code,
            "title": self.title,
            "message": self.message,
            "details": self.details,
            "href": self.href,
        }
        return {key: value for key, value in described.items() if value is not None}


class TextPart(WebhookModel):
    body: str


class MediaPart(WebhookModel):
    """Image, audio, video, document or sticker: the same shape with a few optional flags."""

    id: WamidStr
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool | None = None
    """Audio only: a voice note recorded in WhatsApp rather than an audio file."""
    animated: bool | None = None
    """Sticker only."""


class LocationPart(WebhookModel):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class ReplyPart(WebhookModel):
    """The button or list row the customer chose, as we defined it when sending."""

    id: str
    title: str
    description: str | None = None


class FlowReplyPart(WebhookModel):
    """A completed WhatsApp Flow (``nfm_reply``): the answers are a JSON string."""

    response_json: str
    body: str | None = None
    name: str | None = None


class InteractivePart(WebhookModel):
    type: str
    button_reply: ReplyPart | None = None
    list_reply: ReplyPart | None = None
    nfm_reply: FlowReplyPart | None = None

    @model_validator(mode="after")
    def _reply_present(self) -> InteractivePart:
        if self.type in _INTERACTIVE_REPLIES and getattr(self, self.type) is None:
            raise ValueError(f"interactive type is {self.type!r} but there is no such object")
        return self


_INTERACTIVE_REPLIES = frozenset({"button_reply", "list_reply", "nfm_reply"})


class ButtonPart(WebhookModel):
    """A quick-reply button of a template: ``text`` is its label, ``payload`` ours."""

    text: str
    payload: str | None = None


class ReactionPart(WebhookModel):
    """An emoji on one of our messages; no emoji (or an empty one) means it was removed."""

    message_id: NonEmptyStr
    emoji: str | None = None


class ProductItem(WebhookModel):
    product_retailer_id: str
    quantity: int | None = None
    item_price: float | None = None
    currency: str | None = None


class OrderPart(WebhookModel):
    catalog_id: str | None = None
    text: str | None = None
    product_items: tuple[ProductItem, ...] = ()


class SystemPart(WebhookModel):
    """The customer changed number (or business-scoped id).

    Older webhooks say ``customer_changed_number`` with ``new_wa_id``; current ones say
    ``user_changed_number`` with the new number in ``wa_id``, and ``user_changed_user_id``
    with the new and previous business-scoped ids.
    """

    body: str | None = None
    type: str | None = None
    wa_id: str | None = None
    new_wa_id: str | None = None
    customer: str | None = None
    identity: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    previous_user_id: str | None = None
    previous_parent_user_id: str | None = None


class ContextPart(WebhookModel):
    """What the message answers or that it was forwarded; Meta sends either or both."""

    id: WamidRefStr | None = None
    from_: str | None = Field(default=None, alias="from")
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None
    referred_product: dict[str, JsonValue] | None = None


class ReferralPart(WebhookModel):
    """The ad or post a Click-to-WhatsApp customer came from (on their first message)."""

    source_url: str | None = None
    source_id: str | None = None
    source_type: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None
    welcome_message: dict[str, JsonValue] | None = None


class WebhookMessage(WebhookModel):
    """A message object of ``value.messages``.

    ``from`` is the customer's wa_id; since 2026 it may be absent for customers with a
    username, and ``from_user_id`` (their business-scoped id) is there instead.
    """

    id: WamidStr
    timestamp: UnixTimestamp
    type: NonEmptyStr
    from_: WaIdStr | None = Field(default=None, alias="from")
    from_user_id: UserIdStr | None = None
    context: ContextPart | None = None
    referral: ReferralPart | None = None
    errors: tuple[MetaError, ...] = ()
    text: TextPart | None = None
    image: MediaPart | None = None
    audio: MediaPart | None = None
    video: MediaPart | None = None
    document: MediaPart | None = None
    sticker: MediaPart | None = None
    location: LocationPart | None = None
    contacts: list[dict[str, JsonValue]] | None = None
    interactive: InteractivePart | None = None
    button: ButtonPart | None = None
    reaction: ReactionPart | None = None
    order: OrderPart | None = None
    system: SystemPart | None = None
    unsupported: dict[str, JsonValue] | None = None

    @model_validator(mode="after")
    def _complete(self) -> WebhookMessage:
        if not self.from_ and not self.from_user_id:
            raise ValueError("no sender: neither 'from' nor 'from_user_id'")
        if self.type in TYPES_WITH_OBJECT and getattr(self, self.type) is None:
            raise ValueError(f"type is {self.type!r} but there is no {self.type!r} object")
        return self


TYPES_WITH_OBJECT = frozenset(
    {
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "reaction",
        "order",
        "system",
    }
)
"""Message types we understand; each needs the object of the same name."""


class WebhookStatus(WebhookModel):
    """A status object of ``value.statuses``.

    ``status`` stays a plain string: Meta added ``played`` in 2026 and may add more, and an
    unknown status is reported as a problem rather than refusing the whole body. Billing
    data (``conversation``, ``pricing``) changes shape with Meta's pricing models, so it is
    only required to be a JSON object and is kept as received.
    """

    id: WamidStr
    status: NonEmptyStr
    timestamp: UnixTimestamp
    recipient_id: UserIdStr | None = None
    recipient_user_id: str | None = None
    recipient_parent_user_id: str | None = None
    conversation: dict[str, JsonValue] | None = None
    pricing: dict[str, JsonValue] | None = None
    biz_opaque_callback_data: str | None = None
    errors: tuple[MetaError, ...] = ()


WHATSAPP_BUSINESS_ACCOUNT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"


class Change(WebhookModel):
    """One change; its ``value`` is only read when ``field`` is ``messages``.

    Other fields (template status, account updates, quality ratings) have their own shapes,
    which we neither need nor want to refuse a body for.
    """

    field: str
    value: JsonValue = None


class Entry(WebhookModel):
    id: str | None = None
    changes: tuple[Change, ...]


class Envelope(WebhookModel):
    object: Literal["whatsapp_business_account"]
    entry: tuple[Entry, ...]


class Metadata(WebhookModel):
    phone_number_id: BusinessNumberIdStr
    display_phone_number: str | None = None


class Profile(WebhookModel):
    name: str | None = None
    username: str | None = None


class Contact(WebhookModel):
    """Who sent the messages of a value: profile name, wa_id and business-scoped user id."""

    profile: Profile | None = None
    wa_id: WaIdStr | None = None
    user_id: UserIdStr | None = None
    parent_user_id: str | None = None


class MessagesValue(WebhookModel):
    """The value of a ``messages`` change: one business number's messages and statuses."""

    metadata: Metadata
    contacts: tuple[Contact, ...] = ()
    messages: tuple[WebhookMessage, ...] = ()
    statuses: tuple[WebhookStatus, ...] = ()
    errors: tuple[MetaError, ...] = ()
