"""Meta's WhatsApp Cloud API (the Graph API ``/messages`` endpoint) as a MessagingGateway."""

from crm_whatsapp.adapters.whatsapp.graph_api.errors import (
    GRAPH_ERROR_CODES,
    GraphErrorKind,
    classify_graph_error,
    classify_transport_error,
)
from crm_whatsapp.adapters.whatsapp.graph_api.gateway import GraphApiGateway
from crm_whatsapp.adapters.whatsapp.graph_api.settings import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    GraphApiSettings,
)

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "GRAPH_ERROR_CODES",
    "GraphApiGateway",
    "GraphApiSettings",
    "GraphErrorKind",
    "classify_graph_error",
    "classify_transport_error",
]
