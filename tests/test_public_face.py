"""``from crm_whatsapp import …`` gives a host the names it needs, and only on use: importing
the pure domain (to property-test bot rules) loads no web framework and no database."""

from __future__ import annotations

import subprocess
import sys

import pytest

import crm_whatsapp


def test_every_public_name_resolves_to_the_object_its_layer_defines() -> None:
    from crm_whatsapp.adapters.sql import Database
    from crm_whatsapp.app import create_app
    from crm_whatsapp.domain.ports import ClientLookup

    for name in crm_whatsapp.__all__:
        assert getattr(crm_whatsapp, name) is not None, name
    assert crm_whatsapp.create_app is create_app
    assert crm_whatsapp.Database is Database
    assert crm_whatsapp.ClientLookup is ClientLookup
    assert set(dir(crm_whatsapp)) == set(crm_whatsapp.__all__)


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="create_ap"):
        _ = crm_whatsapp.create_ap  # type: ignore[attr-defined]


def test_the_version_is_the_installed_distribution_s() -> None:
    from importlib.metadata import version

    assert crm_whatsapp.__version__ == version("crm-whatsapp")


def test_importing_the_domain_loads_no_framework_or_database() -> None:
    probe = (
        "import sys, crm_whatsapp, crm_whatsapp.domain.policy, crm_whatsapp.domain.use_cases;"
        "print(sorted(m for m in ('starlette', 'sqlalchemy', 'httpx', 'pydantic', 'punq')"
        " if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
