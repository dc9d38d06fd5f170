"""axe-core for the browser tests: where its script is, and running it on a page.

axe-core is a pinned dev dependency in ``package.json``: ``.ci/run`` installs it with
``npm ci`` and sets ``CRM_WHATSAPP_AXE_JS``; locally it runs ``npm ci`` on first use. Under
``CI=true`` a missing axe-core fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def load_axe_source() -> str:
    """axe-core's script; skips (fails under CI) when it cannot be had."""
    path = Path(os.environ.get("CRM_WHATSAPP_AXE_JS", AXE_JS))
    if not path.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=ROOT, check=False, timeout=300
        )
    if not path.exists():
        message = f"axe-core not found at {path} (run npm ci at the repository's root)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path.read_text(encoding="utf-8")


def axe_violations(page: Any, axe_source: str) -> list[str]:
    """WCAG 2.1 A and AA violations on the page as it is now, one line each."""
    page.evaluate(axe_source)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]
