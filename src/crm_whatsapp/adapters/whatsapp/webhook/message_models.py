"""One customer message of a webhook, of any type, including types Meta adds after us.

A message of a type we know must carry the object of that type (``"type": "image"`` with an
``image`` object); a message of a type we do not know is valid as long as it has an id, a
timestamp and a sender, and becomes an ``unsupported`` message with its raw JSON, so that an
agent still sees that the customer wrote something.
"""

from __future__ import annotations

from pydantic import Field, JsonValue, model_validator

from crm_whatsapp.adapters.whatsapp.webhook.base import (
    MetaError,
    NonEmptyStr,
    UnixTimestamp,
    UserIdStr,
    WaIdStr,
    WamidRefStr,
    WamidStr,
    WebhookModel,
)


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
