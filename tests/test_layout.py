"""The package's shape: no import cycles, no module too long to hold one concept.

A cycle means two modules are one concept split in two, or that one of them reaches into
the other's business; the import graph counts every import, also those under
``TYPE_CHECKING`` and those deferred into a function body, because deferring an import
hides a cycle from the interpreter but not from the reader.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import crm_whatsapp

PACKAGE = Path(crm_whatsapp.__file__).parent
MAX_LINES = 400


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package's ``__init__``)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(module: str, path: Path, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports, wherever in the file the import is."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            for alias in node.names:
                # ``from pkg import sub`` imports the submodule; ``from pkg import name``
                # needs the package's __init__.
                submodule = f"{source}.{alias.name}"
                imported.add(submodule if submodule in known else source)
    return (imported & known) - {module}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, is_pkg, known) for name, (path, is_pkg) in modules.items()}


def test_the_import_graph_has_no_cycle() -> None:
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as error:
        cycle = " -> ".join(error.args[1])
        raise AssertionError(f"import cycle: {cycle}") from None


def test_the_graph_counts_imports_under_type_checking_and_in_functions(tmp_path: Path) -> None:
    module = tmp_path / "database.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from pkg.schema import Tables\n"
        "def migrate():\n"
        "    from pkg.migrations import runner\n"
        "    from . import search\n",
        encoding="utf-8",
    )
    known = {"pkg", "pkg.database", "pkg.schema", "pkg.migrations", "pkg.migrations.runner"}
    known |= {"pkg.search"}
    found = _imports("pkg.database", module, is_package=False, known=known)
    assert found == {"pkg.schema", "pkg.migrations.runner", "pkg.search"}


def test_no_module_is_longer_than_one_concept_needs() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): lines
        for path, _ in _modules().values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"modules over {MAX_LINES} lines: {too_long}"
