"""Print the service's OpenAPI document (``/openapi.json``) as JSON, for the front end's types.

    python scripts/openapi_document.py > src/crm_whatsapp/web/lib/openapi.json

``npm run api-types`` runs this, then openapi-typescript on the result; both files are
committed, and ``tests/http/test_web_api_types.py`` fails when either is stale.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from starlette.testclient import TestClient

from crm_whatsapp import Settings, create_app


def served_document(folder: Path) -> dict[str, Any]:
    """``GET /openapi.json`` of an app on a throwaway SQLite file (the document does not
    depend on the data or the secrets, only on the operations the service has)."""
    secret = SecretStr("openapi-document-secret-0a1b2c")
    settings = Settings(
        app_secret=secret,
        verify_token=secret,
        access_token=secret,
        api_tokens=(secret,),
        database_url=SecretStr(f"sqlite:///{folder / 'openapi.db'}"),
    )
    response = TestClient(create_app(settings)).get("/openapi.json")
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        document = served_document(Path(folder))
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
