"""The library guide's examples run as written and print what the guide says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def test_the_library_guide_examples_run_and_print_what_the_guide_says() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 3
    namespace: dict[str, object] = {"__name__": "library_guide"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in blocks:
            exec(compile(block, str(GUIDE), "exec"), namespace)
    assert printed.getvalue().splitlines() == [
        "outside_service_window",
        "2 ['seguimiento']",
        "Íñigo",
    ]
    for line in printed.getvalue().splitlines():
        assert f"`{line}`" in text


def _examples_with_output(path: Path) -> list[tuple[str, str]]:
    """Each ```python block followed by "Output:" and a ```text block."""
    text = path.read_text(encoding="utf-8")
    # A block's code never crosses a fence: a python block without output is skipped.
    pattern = r"```python\n((?:(?!```).)*?)```\n\nOutput:\n\n```text\n(.*?)```"
    return re.findall(pattern, text, re.DOTALL)


@pytest.mark.parametrize("name", ["sql.md", "whatsapp.md", "service.md", "media.md"])
def test_the_adapter_guides_examples_print_what_the_guides_say(name: str) -> None:
    path = GUIDE.parent / name
    examples = _examples_with_output(path)
    assert examples, f"{name} has no example with its output"
    for code, expected in examples:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, str(path), "exec"), {"__name__": name})
        assert printed.getvalue() == expected


def test_every_file_the_architecture_guide_names_exists() -> None:
    """The traced webhook names files; a move that forgets the guide fails here."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:app|adapters|domain|web)/[\w/.-]+\.(?:py|js))`", text))
    named |= set(re.findall(r"\*\*`((?:app|adapters|domain)/[\w/.-]+\.py)`\*\*", text))
    assert len(named) >= 15
    package = root / "src" / "crm_whatsapp"
    missing = sorted(n for n in named if not (package / n).exists())
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"
