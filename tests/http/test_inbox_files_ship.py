"""Every file of the web inbox is in the package: a wheel carries only what
``[tool.setuptools.package-data]`` names, and an editable install would hide a miss."""

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
    assert any(p.name == "index.html" for p in files)
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
