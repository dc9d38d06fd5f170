"""The front end's types come from the service's own OpenAPI document, and are not stale.

``src/crm_whatsapp/web/lib/openapi.json`` is a committed snapshot of ``/openapi.json`` and
``api-types.d.ts`` is what openapi-typescript makes from it; the JSDoc of every module (and
a host CRM's TypeScript) is checked against those types. When an endpoint changes, one
command regenerates both: ``npm run api-types``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "src" / "crm_whatsapp" / "web" / "lib"
SNAPSHOT = LIB / "openapi.json"
TYPES = LIB / "api-types.d.ts"
GENERATOR = ROOT / "node_modules" / ".bin" / "openapi-typescript"
# a field with a default may be left out of a request body: optional, as in the API
OPTIONS = ("--default-non-nullable", "false")
REGENERATE = "run `npm run api-types` at the repository's root and commit the two files"


def served_document(folder: Path) -> dict[str, Any]:
    """What ``scripts/openapi_document.py`` prints: the app's ``/openapi.json``."""
    spec = importlib.util.spec_from_file_location(
        "openapi_document", ROOT / "scripts" / "openapi_document.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    document: dict[str, Any] = module.served_document(folder)
    return document


def test_the_committed_snapshot_is_the_document_the_service_serves(tmp_path: Path) -> None:
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert committed == served_document(tmp_path), f"{SNAPSHOT.name} is stale: {REGENERATE}"


def test_the_committed_types_are_what_openapi_typescript_makes_of_the_snapshot(
    tmp_path: Path,
) -> None:
    node = shutil.which("node")
    if node is None or not GENERATOR.exists():
        message = f"node or {GENERATOR.relative_to(ROOT)} is missing (run npm ci)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    made = tmp_path / "api-types.d.ts"
    subprocess.run(
        [node, str(GENERATOR), str(SNAPSHOT), *OPTIONS, "--output", str(made)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert made.read_text(encoding="utf-8") == TYPES.read_text(encoding="utf-8"), (
        f"{TYPES.name} is not what openapi-typescript makes of {SNAPSHOT.name}: {REGENERATE}"
    )


def test_the_typed_client_calls_every_path_of_the_document_but_metas_webhook() -> None:
    """``lib/conversaciones-whatsapp.js`` and the feature clients beside it
    (``lib/*-api.js``: templates, canned responses) name each path as the document does
    (tsc checks each against the generated ``paths``): a new endpoint fails here until a
    client has it."""
    modules = [LIB / "conversaciones-whatsapp.js", *sorted(LIB.glob("*-api.js"))]
    client = "\n".join(m.read_text(encoding="utf-8") for m in modules)
    paths = json.loads(SNAPSHOT.read_text(encoding="utf-8"))["paths"]
    missing = [path for path in paths if path != "/webhook" and f"'{path}'" not in client]
    assert missing == [], f"conversaciones-whatsapp.js has no method for {missing}"
