"""The HTTP adapter (Starlette): Meta's webhook, the CRM API, live events, OpenAPI.

``build_http_app(ApiContext(...))`` returns the ASGI app for ports the caller already
built; ``crm_whatsapp.app.create_app`` builds those ports from settings.
"""

from crm_whatsapp.adapters.http.app import API, build_http_app, operations
from crm_whatsapp.adapters.http.auth import BearerTokens
from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.adapters.http.webhook import StoredBatch, store_batch

__all__ = [
    "API",
    "ApiContext",
    "BearerTokens",
    "StoredBatch",
    "build_http_app",
    "operations",
    "store_batch",
]
