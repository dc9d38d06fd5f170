"""The HTTP adapter (Starlette): Meta's webhook, the CRM API, live events, OpenAPI.

``build_http_app(ApiContext(...))`` returns the ASGI app for ports the caller already
built; ``crm_whatsapp.app.create_app`` builds those ports from settings. ``OPERATIONS`` is
the table of every endpoint, the one contract the server enforces and the document shows.
"""

from crm_whatsapp.adapters.http.app import build_http_app
from crm_whatsapp.adapters.http.auth import BearerTokens
from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.adapters.http.operations import Operation, Param
from crm_whatsapp.adapters.http.routes import API, OPERATIONS

__all__ = [
    "API",
    "OPERATIONS",
    "ApiContext",
    "BearerTokens",
    "Operation",
    "Param",
    "build_http_app",
]
