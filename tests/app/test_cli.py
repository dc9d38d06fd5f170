"""The console script exists and explains itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crm_whatsapp import __version__
from crm_whatsapp.app.cli import main


def test_without_arguments_it_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: crm-whatsapp" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"crm-whatsapp {__version__}"


def test_the_installed_console_script_runs() -> None:
    script = str(Path(sys.executable).parent / "crm-whatsapp")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "WhatsApp" in result.stdout
