"""requirements/ci.lock, which CI installs with --require-hashes, keeps up with pyproject.toml.

A dependency added to pyproject.toml (or a floor raised there) without running
scripts/lock_requirements.sh fails here instead of silently going uninstalled or unaudited in CI.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "ci.lock"
REGENERATE = "run scripts/lock_requirements.sh (docs/dependencies.md)"
# What the lock is resolved for: CI's CPython 3.11 on Linux x86_64.
TARGET = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "python_version": "3.11",
    "python_full_version": "3.11.7",
    "extra": "",
}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<rest>.*)$")


def _pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    named = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(line) for line in named]


def _locked() -> dict[str, tuple[Version, list[str]]]:
    """Name -> (pinned version, its hashes), from the lock's logical lines."""
    text = LOCK.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n\s*", " ", text)
    pins: dict[str, tuple[Version, list[str]]] = {}
    for line in logical.splitlines():
        match = PIN.match(line)
        if match:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", match["rest"])
            pins[canonicalize_name(match["name"])] = (Version(match["version"]), hashes)
    return pins


def test_the_lock_pins_every_dependency_and_dev_dependency_within_its_range() -> None:
    locked = _locked()
    problems = []
    for requirement in _pyproject_requirements():
        if requirement.marker is not None and not requirement.marker.evaluate(TARGET):
            continue
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement} is not in requirements/ci.lock")
            continue
        version = locked[name][0]
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement}: the lock pins {version}")
    assert not problems, f"{REGENERATE}:\n" + "\n".join(problems)


def test_every_pin_is_exact_and_hashed() -> None:
    text = LOCK.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n\s*", " ", text)
    requirement_lines = [
        line for line in logical.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    locked = _locked()
    assert len(requirement_lines) == len(locked), "a line of the lock is not a name==version pin"
    unhashed = [name for name, (_, hashes) in locked.items() if not hashes]
    assert not unhashed, f"pins without a hash: {unhashed}"
    # pip itself is pinned, so --require-hashes never meets an unpinned dependency
    assert "pip" in locked


@pytest.mark.parametrize(
    "command",
    [
        "pip install --quiet --require-hashes -r requirements/ci.lock",
        "pip install --quiet --no-deps -e .",
        "scripts/audit_dependencies.py",
    ],
)
def test_ci_installs_from_the_lock_and_audits_it(command: str) -> None:
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
