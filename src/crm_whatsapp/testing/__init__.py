"""Testing kit for library users: Hypothesis strategies for customers, phone numbers,
messages, conversations in any state, bot rules and WhatsApp templates. Needs the
``testing`` extra (``pip install 'crm-whatsapp[testing]'``).
"""

try:
    import hypothesis  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError(
        "crm_whatsapp.testing needs Hypothesis: pip install 'crm-whatsapp[testing]'"
    ) from missing

from crm_whatsapp.testing.builders import text_from
from crm_whatsapp.testing.phones import (
    DEFAULT_REGIONS,
    FormattedPhone,
    formatted_phone_numbers,
    phone_numbers,
    wa_ids,
)
from crm_whatsapp.testing.strategies import (
    BUSINESS_NUMBER_ID,
    NOW,
    bot_rules,
    business_hours,
    clients,
    conversations,
    customer_identities,
    inbound_messages,
    incoming_messages,
    keyword_rules,
    message_texts,
    moments,
    templates,
    user_ids,
)

__all__ = [
    "BUSINESS_NUMBER_ID",
    "DEFAULT_REGIONS",
    "NOW",
    "FormattedPhone",
    "bot_rules",
    "business_hours",
    "clients",
    "conversations",
    "customer_identities",
    "formatted_phone_numbers",
    "inbound_messages",
    "incoming_messages",
    "keyword_rules",
    "message_texts",
    "moments",
    "phone_numbers",
    "templates",
    "text_from",
    "user_ids",
    "wa_ids",
]
