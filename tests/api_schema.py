"""The service's OpenAPI document and the schemathesis set-up both API suites run on.

``tests/http/test_openapi.py`` (SQLite, every endpoint) and
``tests/reliability/test_hostile_api.py`` (PostgreSQL, auth and header checks added) differ
only in their example counts and extra checks; the document, the token and the exclusion of
the endless event stream are shared here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import schemathesis
from starlette.testclient import TestClient

from crm_whatsapp.adapters.http import API, ApiContext, BearerTokens, build_http_app
from crm_whatsapp.adapters.http.auth import Authenticator
from crm_whatsapp.adapters.memory import build_in_memory

EVENTS = f"{API}/eventos"
BASE_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


def the_document() -> dict[str, Any]:
    """``/openapi.json`` as the app serves it (the document does not depend on the data)."""
    memory = build_in_memory()
    services = ApiContext(memory.deps, memory.queries, Authenticator(BearerTokens(())), "", "")
    document: dict[str, Any] = TestClient(build_http_app(services)).get("/openapi.json").json()
    return document


def api_schema(authorization: str, max_examples: int, extra_checks: Sequence[str] = ()) -> Any:
    """Every operation but the live events, whose stream never ends and would hold each
    example until its timeout (``tests/http/test_live_events.py`` covers it)."""
    checks: dict[str, Any] = {"enabled": False}
    checks.update({name: {"enabled": True} for name in (*BASE_CHECKS, *extra_checks)})
    config = schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": authorization},
            "generation": {"mode": "all", "max-examples": max_examples, "deterministic": True},
            "checks": checks,
        }
    )
    return schemathesis.openapi.from_dict(the_document(), config=config).exclude(path=EVENTS)
