"""Why a template send is refused before it reaches Meta.

Meta answers a wrong template only after the fact (132000, 132001, 132015), when the
agent has moved on; checking against the synced catalogue turns each of those into an
answer the agent sees while the form is still open.
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_whatsapp.domain.errors import CrmWhatsAppError


class TemplateNotFound(CrmWhatsAppError, LookupError):
    """No template of that name and language in the synced catalogue (Meta: 132001)."""

    code = "template_not_found"

    def __init__(self, name: str, language: str) -> None:
        super().__init__(
            f"no template {name!r} in language {language!r} in the synced catalogue; "
            "sync it (POST /api/v1/plantillas/sincronizar) if it was just approved"
        )
        self.name = name
        self.language = language


class TemplateNotSendable(CrmWhatsAppError):
    """The template exists but Meta would refuse it: not approved, paused or disabled."""

    code = "template_not_sendable"

    def __init__(self, name: str, language: str, status: str) -> None:
        super().__init__(
            f"template {name!r} ({language}) is {status}: only APPROVED templates can be sent"
        )
        self.name = name
        self.language = language
        self.status = status


class InvalidTemplateParameters(CrmWhatsAppError, ValueError):
    """The values do not fit the template: missing, extra, or of the wrong kind.

    ``problems`` lists each one (``body: missing {{3}}``), so a form can point at them all
    at once rather than one per attempt.
    """

    code = "invalid_template_parameters"

    def __init__(self, name: str, problems: Sequence[str]) -> None:
        super().__init__(f"template {name!r}: " + "; ".join(problems))
        self.name = name
        self.problems = tuple(problems)


class MarketingOptedOut(CrmWhatsAppError):
    """The customer stopped marketing messages (``user_preferences``); Meta would not
    deliver a MARKETING template to them (131050), and sending one is against their wish."""

    code = "marketing_opt_out"

    def __init__(self, conversation_id: str, template: str) -> None:
        super().__init__(
            f"the customer of conversation {conversation_id} stopped marketing messages: "
            f"{template!r} is a MARKETING template; UTILITY and AUTHENTICATION ones still go"
        )
        self.conversation_id = conversation_id
        self.template = template


class TemplatesNotConfigured(CrmWhatsAppError):
    """Nothing to sync from: the WhatsApp Business Account id is not set."""

    code = "templates_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "the template catalogue needs the WhatsApp Business Account id: "
            "set CRM_WHATSAPP_WABA_ID"
        )


class TemplateSyncFailed(CrmWhatsAppError):
    """Meta did not give the whole catalogue; the stored one is kept as it was."""

    code = "template_sync_failed"

    def __init__(self, reason: str, retryable: bool) -> None:
        super().__init__(f"could not sync the template catalogue: {reason}")
        self.reason = reason
        self.retryable = retryable
