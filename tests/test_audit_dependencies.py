"""scripts/audit_dependencies.py, CI's pip-audit step, against a fake package index.

The index's answers are made here; no network. A vulnerability with a fix fails the run, one
without a fix is reported, and a pin whose release record is not served is audited from the
project's record only when it is the project's latest release.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from pip_audit._service import PyPIService

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit_dependencies.py"
HASH = "0" * 64


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


audit = _load_script()


def _response(url: str, status: int, body: object = None) -> requests.Response:
    response = requests.Response()
    response.url = url
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b""
    return response


class FakeIndex:
    """Serves project records; release records only when ``serves_releases``."""

    def __init__(self, projects: dict[str, tuple[str, list[dict[str, object]]]]) -> None:
        self.projects = projects
        self.serves_releases = False
        self.asked: list[str] = []

    def get(self, url: str, **_: object) -> requests.Response:
        self.asked.append(url)
        match = re.search(r"/pypi/(?P<name>[^/]+)/(?:(?P<version>[^/]+)/)?json$", url)
        assert match is not None, url
        if match["name"] not in self.projects:
            return _response(url, 404)
        latest, vulnerabilities = self.projects[match["name"]]
        version = match["version"]
        if version is not None and not self.serves_releases:
            return _response(url, 404)
        if version is not None and version != latest:
            return _response(url, 200, {"info": {"version": version}, "vulnerabilities": []})
        return _response(
            url, 200, {"info": {"version": latest}, "vulnerabilities": vulnerabilities}
        )


def _vulnerability(ident: str, fixed_in: list[str]) -> dict[str, object]:
    return {
        "id": ident,
        "aliases": [f"CVE-2099-{ident[-4:]}"],
        "fixed_in": fixed_in,
        "summary": f"{ident} summary",
        "withdrawn": None,
    }


def _run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    index: FakeIndex,
    pins: list[str],
    *flags: str,
) -> tuple[int, str]:
    lock = tmp_path / "ci.lock"
    lock.write_text("".join(f"{pin} --hash=sha256:{HASH}\n" for pin in pins), encoding="utf-8")

    def service(**kwargs: Any) -> PyPIService:
        made = PyPIService(**kwargs)
        made.session = index
        return made

    monkeypatch.setattr(audit, "PyPIService", service)
    status = audit.main(["--lock", str(lock), *flags])
    return status, capsys.readouterr().out


def test_a_vulnerability_with_a_fix_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index = FakeIndex({"widget": ("1.0", [_vulnerability("PYSEC-2099-0001", ["1.1"])])})
    status, out = _run(tmp_path, monkeypatch, capsys, index, ["widget==1.0"])
    assert status == 1
    assert "widget==1.0  PYSEC-2099-0001 (CVE-2099-0001)  fixed in: 1.1" in out
    assert "1 with a fix, 0 without a fix" in out


def test_a_vulnerability_without_a_fix_is_reported_and_does_not_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index = FakeIndex({"widget": ("1.0", [_vulnerability("PYSEC-2099-0002", [])])})
    status, out = _run(tmp_path, monkeypatch, capsys, index, ["widget==1.0"])
    assert status == 0
    assert "PYSEC-2099-0002 (CVE-2099-0002)  fixed in: no fix yet" in out
    assert "0 with a fix, 1 without a fix" in out


def test_an_ignored_vulnerability_does_not_fail_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index = FakeIndex({"widget": ("1.0", [_vulnerability("PYSEC-2099-0003", ["1.1"])])})
    flags = ("--ignore-vuln", "CVE-2099-0003")
    status, out = _run(tmp_path, monkeypatch, capsys, index, ["widget==1.0"], *flags)
    assert status == 0
    assert "0 with a fix, 0 without a fix" in out


def test_an_older_pin_is_not_audited_from_the_latest_release_s_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index = FakeIndex({"widget": ("2.0", [_vulnerability("PYSEC-2099-0004", ["2.1"])])})
    status, out = _run(tmp_path, monkeypatch, capsys, index, ["widget==1.0"])
    assert status == 0
    assert "NOT audited: 1 packages" in out
    assert "widget: pinned 1.0, latest 2.0" in out
    assert "PYSEC-2099-0004" not in out
    strict = _run(tmp_path, monkeypatch, capsys, index, ["widget==1.0"], "--require-every-package")
    assert strict[0] == 2


def test_a_served_release_record_is_used_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    index = FakeIndex({"widget": ("1.0", [_vulnerability("PYSEC-2099-0005", ["1.1"])])})
    index.serves_releases = True
    status, out = _run(tmp_path, monkeypatch, capsys, index, ["widget==1.0"])
    assert status == 1
    assert "audited 1 pinned packages: 1 from their release's record, 0 from" in out
    assert [url.rsplit("/", 3)[-3:] for url in index.asked] == [["widget", "1.0", "json"]]
