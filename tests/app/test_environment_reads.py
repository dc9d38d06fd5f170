"""Only the settings read the environment: every other module gets its configuration from
``Settings``, so what ``serve`` does and what a command does can never disagree."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
ALLOWED = {SRC / "crm_whatsapp" / "app" / "settings.py"}
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> list[int]:
    """Lines of ``os.environ``/``os.getenv``/... and ``from os import environ``/...."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in ENVIRONMENT for alias in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_the_scanner_sees_every_way_of_reading_the_environment() -> None:
    source = "\n".join(
        (
            "import os",
            "from os import getenv",
            "os.environ['A']",
            "os.getenv('B')",
            "os.environ.get('C')",
        )
    )
    assert environment_reads(source) == [2, 3, 4, 5]


def test_nothing_outside_the_settings_reads_the_environment() -> None:
    found = [
        f"{path.relative_to(SRC)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if path not in ALLOWED
        for line in environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert found == []
