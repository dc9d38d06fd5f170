"""The README's library example runs exactly as written and prints what the README says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _block_after(heading: str, language: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match, f"no ```{language} block after {heading!r}"
    return match.group(1)


def test_the_library_example_prints_the_documented_output() -> None:
    code = _block_after("## A known client writes", "python")
    expected = _block_after("Output:", "text")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    assert printed.getvalue() == expected


def test_the_wired_example_runs_on_sqlite_and_the_fake_graph_api() -> None:
    heading = "## Wired for real"
    code = _block_after(heading, "python")
    section = README.read_text(encoding="utf-8").split(heading, 1)[1]
    expected = re.search(r"Output:\n\n```text\n(.*?)```", section, re.DOTALL)
    assert expected
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {"__name__": "readme_wired_example"})
    assert printed.getvalue() == expected.group(1)


def test_the_phone_number_example_is_true() -> None:
    code = _block_after("## Phone numbers", "python")
    namespace: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), namespace)
    for line in code.splitlines():
        if "# True" in line:
            assert eval(line.split("#")[0], namespace) is True
