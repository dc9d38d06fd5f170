"""crm_whatsapp: connect a business's WhatsApp number (Meta's Cloud API) to its CRM.

The names a host application needs, in one place (the way ``httpx`` exposes its client)::

    from crm_whatsapp import ClientLookup, Database, Settings, create_app

Everything else lives in its layer: ``crm_whatsapp.domain`` (the pure core),
``crm_whatsapp.adapters`` (SQL, WhatsApp, HTTP, memory...) and ``crm_whatsapp.app`` (the
composition root). The names are loaded on first use, so that importing the pure domain
(for property tests of bot rules, say) does not import Starlette or SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm_whatsapp.adapters.memory import InMemorySetup, build_in_memory
    from crm_whatsapp.adapters.sql import Database
    from crm_whatsapp.app import MissingSetting, Settings, create_app
    from crm_whatsapp.domain.conversation import Conversation
    from crm_whatsapp.domain.errors import CrmWhatsAppError
    from crm_whatsapp.domain.identity import ClientMatch, ClientRef
    from crm_whatsapp.domain.message import Message
    from crm_whatsapp.domain.phone import PhoneNumber
    from crm_whatsapp.domain.policy import BotRules, Decision, decide
    from crm_whatsapp.domain.ports import ClientLookup, Clock, MessagingGateway
    from crm_whatsapp.domain.use_cases import Dependencies

try:
    __version__ = version("crm-whatsapp")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

_WHERE = {
    "create_app": "crm_whatsapp.app",
    "Settings": "crm_whatsapp.app",
    "MissingSetting": "crm_whatsapp.app",
    "Database": "crm_whatsapp.adapters.sql",
    "build_in_memory": "crm_whatsapp.adapters.memory",
    "InMemorySetup": "crm_whatsapp.adapters.memory",
    "ClientLookup": "crm_whatsapp.domain.ports",
    "MessagingGateway": "crm_whatsapp.domain.ports",
    "Clock": "crm_whatsapp.domain.ports",
    "ClientRef": "crm_whatsapp.domain.identity",
    "ClientMatch": "crm_whatsapp.domain.identity",
    "PhoneNumber": "crm_whatsapp.domain.phone",
    "Conversation": "crm_whatsapp.domain.conversation",
    "Message": "crm_whatsapp.domain.message",
    "BotRules": "crm_whatsapp.domain.policy",
    "Decision": "crm_whatsapp.domain.policy",
    "decide": "crm_whatsapp.domain.policy",
    "Dependencies": "crm_whatsapp.domain.use_cases",
    "CrmWhatsAppError": "crm_whatsapp.domain.errors",
}

__all__ = [
    "BotRules",
    "ClientLookup",
    "ClientMatch",
    "ClientRef",
    "Clock",
    "Conversation",
    "CrmWhatsAppError",
    "Database",
    "Decision",
    "Dependencies",
    "InMemorySetup",
    "Message",
    "MessagingGateway",
    "MissingSetting",
    "PhoneNumber",
    "Settings",
    "__version__",
    "build_in_memory",
    "create_app",
    "decide",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'crm_whatsapp' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
