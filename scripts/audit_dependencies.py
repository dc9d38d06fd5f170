"""pip-audit over requirements/ci.lock: fails on a known vulnerability that has a fix.

    python scripts/audit_dependencies.py [--lock requirements/ci.lock] [--ignore-vuln ID ...]
                                         [--require-every-package]

Exit 1 when a pinned release has a known vulnerability with a fixed release (raise the pin with
``scripts/lock_requirements.sh --upgrade-package NAME``, and the floor in pyproject.toml if it
admits the vulnerable release); a vulnerability with no fix yet is printed and does not fail.

pip-audit asks the package index for each pinned release's own record (``…/NAME/VERSION/json``),
which carries that release's vulnerabilities. When that record is not served (some mirrors and
caches answer 404), pip-audit skips the package and still prints "No known vulnerabilities
found". Here the project's record (``…/NAME/json``) is asked instead: it carries the
vulnerabilities of the project's latest release, so it audits a pin exactly when the lock pins
that release. A package neither record covers is listed as not audited; with
``--require-every-package`` that fails the run (exit 2).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version
from pip_audit import __version__ as pip_audit_version
from pip_audit._audit import Auditor
from pip_audit._dependency_source import RequirementSource
from pip_audit._service import PyPIService
from pip_audit._service.interface import Dependency, VulnerabilityResult

ROOT = Path(__file__).resolve().parents[1]
RELEASE_RECORD = re.compile(r"(?P<project>.+)/(?P<version>[^/]+)/json")
NOT_FOUND = 404
OK = 200


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


@dataclass
class ProjectRecordFallback:
    """Wraps pip-audit's HTTP session: a release record's 404 is retried on the project's record.

    The project's record answers for the release only when that release is the project's latest;
    otherwise the 404 stands and pip-audit skips the package, as it would have.
    """

    session: Any
    from_project_record: set[str] = field(default_factory=set)
    # package -> (pinned release, the project's latest release), for those left unaudited
    latest_instead: dict[str, tuple[str, str]] = field(default_factory=dict)

    def get(self, url: str, **kwargs: Any) -> Any:
        response = self.session.get(url=url, **kwargs)
        match = RELEASE_RECORD.fullmatch(url)
        if response.status_code != NOT_FOUND or match is None:
            return response
        project = self.session.get(url=f"{match['project']}/json", **kwargs)
        if project.status_code != OK:
            return response
        name = match["project"].rsplit("/", 1)[-1]
        latest = str(project.json().get("info", {}).get("version", ""))
        if not _same_version(latest, match["version"]):
            self.latest_instead[name] = (match["version"], latest)
            return response
        self.from_project_record.add(name)
        return project

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


@dataclass
class Report:
    audited: list[str] = field(default_factory=list)
    fixable: list[tuple[Dependency, VulnerabilityResult]] = field(default_factory=list)
    unfixable: list[tuple[Dependency, VulnerabilityResult]] = field(default_factory=list)
    skipped: list[tuple[Dependency, str]] = field(default_factory=list)


def classify(
    results: list[tuple[Dependency, list[VulnerabilityResult]]], ignored: set[str]
) -> Report:
    report = Report()
    for dependency, vulnerabilities in results:
        if dependency.is_skipped():
            report.skipped.append((dependency, str(getattr(dependency, "skip_reason", ""))))
            continue
        report.audited.append(dependency.canonical_name)
        seen: set[str] = set()
        for vulnerability in vulnerabilities:
            # the index may list one vulnerability under two records that pip-audit names alike
            if vulnerability.has_any_id(ignored) or vulnerability.id in seen:
                continue
            seen.add(vulnerability.id)
            bucket = report.fixable if vulnerability.fix_versions else report.unfixable
            bucket.append((dependency, vulnerability))
    return report


def _line(dependency: Dependency, vulnerability: VulnerabilityResult) -> str:
    version = getattr(dependency, "version", "?")
    aliases = ", ".join(sorted(vulnerability.aliases))
    fixes = ", ".join(str(v) for v in vulnerability.fix_versions) or "no fix yet"
    return (
        f"  {dependency.canonical_name}=={version}  {vulnerability.id}"
        f"{f' ({aliases})' if aliases else ''}  fixed in: {fixes}\n"
        f"      {vulnerability.description[:160]}"
    )


def render(report: Report, fallback: ProjectRecordFallback) -> str:
    lines = []
    if report.fixable:
        lines.append("known vulnerabilities WITH a fix (these fail the run):")
        lines += [_line(d, v) for d, v in report.fixable]
    if report.unfixable:
        lines.append("known vulnerabilities with no fix yet (reported, not failing):")
        lines += [_line(d, v) for d, v in report.unfixable]
    from_project = len(fallback.from_project_record)
    lines.append(
        f"audited {len(report.audited)} pinned packages: "
        f"{len(report.audited) - from_project} from their release's record, "
        f"{from_project} from their project's record (the lock pins the latest release)"
    )
    if report.skipped:
        lines.append(
            f"NOT audited: {len(report.skipped)} packages (their release's record is not served "
            "and the lock does not pin their latest release):"
        )
        for dependency, reason in report.skipped:
            pins = fallback.latest_instead.get(dependency.canonical_name)
            why = f"pinned {pins[0]}, latest {pins[1]}" if pins else reason
            lines.append(f"  {dependency.name}: {why}")
    lines.append(
        f"{len(report.fixable)} with a fix, {len(report.unfixable)} without a fix "
        f"(pip-audit {pip_audit_version})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements" / "ci.lock")
    parser.add_argument("--ignore-vuln", action="append", default=[], metavar="ID")
    parser.add_argument("--require-every-package", action="store_true")
    parser.add_argument("--timeout", type=int, default=30)
    args = parser.parse_args(argv)

    service = PyPIService(timeout=args.timeout)
    fallback = ProjectRecordFallback(service.session)
    service.session = fallback
    source = RequirementSource([args.lock], require_hashes=True, disable_pip=True)
    results = list(Auditor(service).audit(source))
    report = classify(results, set(args.ignore_vuln))
    print(render(report, fallback))
    if report.fixable:
        return 1
    if report.skipped and args.require_every_package:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
