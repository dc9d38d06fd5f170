"""DESIGN.md, Style 1: the domain imports the standard library and phonenumbers only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import crm_whatsapp.domain

DOMAIN = Path(crm_whatsapp.domain.__file__).parent
ALLOWED_THIRD_PARTY = {"phonenumbers"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _imported_top_level_modules(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported_modules(path)}


def test_the_domain_imports_only_the_standard_library_phonenumbers_and_itself() -> None:
    offenders = {}
    for path in DOMAIN.rglob("*.py"):
        foreign = {
            name
            for name in _imported_top_level_modules(path)
            if name not in sys.stdlib_module_names
            and name not in ALLOWED_THIRD_PARTY
            and name != "crm_whatsapp"
        }
        if foreign:
            offenders[str(path.relative_to(DOMAIN))] = sorted(foreign)
    assert offenders == {}


def test_the_domain_never_imports_adapters_or_the_app() -> None:
    outward = ("crm_whatsapp.adapters", "crm_whatsapp.app", "crm_whatsapp.testing")
    offenders = [
        str(path.relative_to(DOMAIN))
        for path in DOMAIN.rglob("*.py")
        if any(name.startswith(outward) for name in _imported_modules(path))
    ]
    assert offenders == []


def test_the_import_scan_would_catch_an_infrastructure_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import sqlalchemy\nfrom httpx import AsyncClient\n", encoding="utf-8")
    assert _imported_top_level_modules(module) == {"sqlalchemy", "httpx"}
