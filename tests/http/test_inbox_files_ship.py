"""Every file of the web front end (``src/crm_whatsapp/web``) is in the package: a wheel
carries only what ``[tool.setuptools.package-data]`` names, and an editable install would
hide a miss. The files behind the public addresses are where those addresses say."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from crm_whatsapp.adapters.http.inbox import inbox_directory

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "crm_whatsapp"


def test_every_inbox_file_matches_a_package_data_pattern() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["crm_whatsapp"]
    files = [p for p in inbox_directory().rglob("*") if p.is_file()]
    assert inbox_directory() == PACKAGE / "web"
    present = {p.relative_to(inbox_directory()).as_posix() for p in files}
    # /inbox/, /inbox/dashboard.html, /inbox/widget.js and /inbox/examples/clientes.html are
    # public (CRM pages embed widget.js; the demo prints the example's address)
    stable = {"index.html", "dashboard.html", "widget.js", "examples/clientes.html"}
    assert stable <= present, stable - present
    assert {"i18n/es.json", "i18n/en.json", "lib/conversaciones-whatsapp.js"} <= present
    # fnmatch's * also crosses "/", so compare directory by directory as setuptools does
    missing = [
        relative
        for relative in (p.relative_to(PACKAGE).as_posix() for p in files)
        if not any(
            fnmatch(relative, pattern) and relative.count("/") == pattern.count("/")
            for pattern in patterns
        )
    ]
    assert missing == [], f"add these to package-data in pyproject.toml: {missing}"
