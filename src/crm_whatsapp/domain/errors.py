"""The one error tree of crm_whatsapp.

Adapters translate library errors (SQLAlchemy, httpx, pydantic) into these, and the HTTP
layer maps them to JSON responses in one place, so callers only ever catch our types.
"""

from __future__ import annotations

from datetime import datetime


class CrmWhatsAppError(Exception):
    """Base of every error this library raises on purpose."""

    code = "crm_whatsapp_error"


class InvalidPhoneNumber(CrmWhatsAppError, ValueError):
    """Text that cannot be read as a phone number."""

    code = "invalid_phone_number"

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"not a phone number: {text!r} ({reason})")
        self.text = text
        self.reason = reason


class InvalidBotRules(CrmWhatsAppError, ValueError):
    """A bot rules configuration that cannot work (bad regex, empty keyword, ...)."""

    code = "invalid_bot_rules"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"bot rules: {field}: {problem}")
        self.field = field
        self.problem = problem


class InvalidCustomerIdentity(CrmWhatsAppError, ValueError):
    """A customer with neither a WhatsApp id nor a business-scoped user id."""

    code = "invalid_customer_identity"


class InvalidCursor(CrmWhatsAppError, ValueError):
    """A pagination cursor that this library did not produce, or that was altered."""

    code = "invalid_cursor"

    def __init__(self, parameter: str = "cursor") -> None:
        super().__init__(f"{parameter}: unknown or altered pagination cursor")
        self.parameter = parameter


class InvalidQueryParameter(CrmWhatsAppError, ValueError):
    """A query parameter out of range or of the wrong form (page size, dates, timezone)."""

    code = "invalid_query_parameter"

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter
        self.problem = problem


class ConversationNotFound(CrmWhatsAppError, LookupError):
    code = "conversation_not_found"

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"no conversation with id {conversation_id!r}")
        self.conversation_id = conversation_id


class MessageNotFound(CrmWhatsAppError, LookupError):
    code = "message_not_found"

    def __init__(self, message_id: str) -> None:
        super().__init__(f"no message with id {message_id!r}")
        self.message_id = message_id


class ActivityNotFound(CrmWhatsAppError, LookupError):
    code = "activity_not_found"

    def __init__(self, activity_id: str) -> None:
        super().__init__(f"activity {activity_id!r} not found")
        self.activity_id = activity_id


class ClientNotFound(CrmWhatsAppError, LookupError):
    code = "client_not_found"

    def __init__(self, client_id: str) -> None:
        super().__init__(f"no CRM client with id {client_id!r}")
        self.client_id = client_id


class OutsideServiceWindow(CrmWhatsAppError):
    """Free-form text after the 24-hour customer service window: only a template may go out."""

    code = "outside_service_window"

    def __init__(self, conversation_id: str, window_closed_at: datetime | None) -> None:
        when = (
            f"it closed at {window_closed_at.isoformat()}"
            if window_closed_at is not None
            else "the customer has never written"
        )
        super().__init__(
            "free-form text is only allowed within 24 hours of the customer's last message "
            f"({when}); send an approved template instead"
        )
        self.conversation_id = conversation_id
        self.window_closed_at = window_closed_at


class CustomerOptedOut(CrmWhatsAppError):
    """The customer asked not to be written to (opt-out keyword)."""

    code = "customer_opted_out"

    def __init__(self, conversation_id: str) -> None:
        super().__init__("the customer opted out of messages; they must write an opt-in keyword")
        self.conversation_id = conversation_id


class GatewayError(CrmWhatsAppError):
    """Sending through WhatsApp failed; ``retryable`` says whether trying again can help.

    ``outcome_unknown`` is set when the request may have reached Meta (a timeout after the
    body was sent): a retry can then deliver the message twice.
    """

    code = "gateway_error"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        error_code: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.error_code = error_code
        self.outcome_unknown = outcome_unknown


class StorageUnavailable(CrmWhatsAppError):
    """The database is down or locked; the webhook answers 503 so that Meta retries."""

    code = "storage_unavailable"


class ClientLookupUnavailable(CrmWhatsAppError):
    """The CRM's client table could not be read."""

    code = "client_lookup_unavailable"


class InvalidStateTransition(CrmWhatsAppError):
    """A change the life cycle forbids (an inbound message processed twice)."""

    code = "invalid_state_transition"


class InvalidActor(CrmWhatsAppError, ValueError):
    """Who is acting is not said well enough to record it (an empty name, an unknown
    scope, an agent without an id)."""

    code = "invalid_actor"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class InvalidNote(CrmWhatsAppError, ValueError):
    """A private note that cannot be stored (empty, too long)."""

    code = "invalid_note"

    def __init__(self, problem: str) -> None:
        super().__init__(f"text: {problem}")
        self.field = "text"
        self.problem = problem


class InvalidOutboundMessage(CrmWhatsAppError, ValueError):
    """An agent reply that WhatsApp would refuse (empty, too long, text and template both)."""

    code = "invalid_outbound_message"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class MediaTooLarge(CrmWhatsAppError, ValueError):
    """A file over the limit: Meta's for its kind, or ``CRM_WHATSAPP_MEDIA_MAX_BYTES``."""

    code = "media_too_large"

    def __init__(self, limit: int, what: str = "the file") -> None:
        super().__init__(f"{what} is larger than {limit} bytes")
        self.limit = limit


class UnsupportedMediaType(CrmWhatsAppError, ValueError):
    """A file whose content is not a type WhatsApp accepts (checked by content, not name)."""

    code = "unsupported_media_type"

    def __init__(self, detected: str | None, problem: str) -> None:
        super().__init__(problem)
        self.detected = detected


class MediaChecksumMismatch(CrmWhatsAppError):
    """The bytes downloaded are not the file Meta announced: nothing is kept."""

    code = "media_checksum_mismatch"

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"sha256 of the download is {actual}, Meta announced {expected}")
        self.expected = expected
        self.actual = actual


class MediaNotStored(CrmWhatsAppError, LookupError):
    """No copy of this file in the media store (not fetched yet, failed, or pruned)."""

    code = "media_not_stored"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not in the media store")


class MediaStoreUnavailable(CrmWhatsAppError):
    """The media store (disk or object storage) could not be read or written."""

    code = "media_store_unavailable"


class InvalidCannedResponse(CrmWhatsAppError, ValueError):
    """A canned response that cannot be stored: a shortcut of the wrong form, a title or a
    text of the wrong length."""

    code = "invalid_canned_response"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownPlaceholders(InvalidCannedResponse):
    """A canned response quoting placeholders nothing fills (a typo, a CRM column not
    configured): refused when it is saved, not discovered by a customer."""

    code = "unknown_placeholders"

    def __init__(self, names: list[str], known: list[str]) -> None:
        quoted = ", ".join("{" + name + "}" for name in names)
        offered = ", ".join("{" + name + "}" for name in known)
        super().__init__("text", f"unknown placeholders {quoted} (known: {offered})")
        self.names = names


class CannedResponseNotFound(CrmWhatsAppError, LookupError):
    code = "canned_response_not_found"

    def __init__(self, what: str) -> None:
        super().__init__(f"no canned response {what}")
        self.what = what


class DuplicateShortcut(CrmWhatsAppError):
    """Another canned response has this shortcut (ignoring case and accents)."""

    code = "duplicate_shortcut"

    def __init__(self, shortcut: str) -> None:
        super().__init__(f"shortcut /{shortcut}: another canned response already has it")
        self.shortcut = shortcut
