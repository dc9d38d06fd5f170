"""``crm-whatsapp clients reindex`` / ``refresh`` against a CRM table in a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from crm_whatsapp.adapters.sql import CrmClientTable, SqlClientLookup
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.app.cli import main
from crm_whatsapp.domain.phone import PhoneNumber

TABLE = [
    "--table",
    "clientes",
    "--name-column",
    "nombre",
    "--phone-column",
    "telefono",
    "--phone-column",
    "celular",
    "--field",
    "ciudad=ciudad",
    "--region",
    "MX",
]


@pytest.fixture
def crm(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert main(["db", "upgrade", "--url", url]) == 0
    database = Database(url)
    with database.writer.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE clientes (id INTEGER PRIMARY KEY, nombre TEXT, telefono TEXT, "
                "celular TEXT, ciudad TEXT)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO clientes VALUES (1, 'Ana López', '55 1234 5678', NULL, 'CDMX'), "
                "(2, 'José Pérez', 'no tiene', '+52 1 33 1111 2222', 'GDL')"
            )
        )
    database.dispose()
    return url


def lookup(url: str, wa_id: str) -> list[str]:
    database = Database(url)
    try:
        clients = SqlClientLookup(
            database,
            CrmClientTable(
                table="clientes",
                name_column="nombre",
                phone_columns=("telefono", "celular"),
                default_region="MX",
            ),
        )
        return [c.name for c in clients.by_phone(PhoneNumber.from_wa_id(wa_id)).candidates]
    finally:
        database.dispose()


def test_reindex_builds_the_index_shows_progress_and_reports_unparseable_numbers(
    crm: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clients", "reindex", "--url", crm, *TABLE]) == 0

    out, err = capsys.readouterr()
    assert "read 2 clients" in out
    assert "no tiene" in out
    assert "100.0% 2/2" in err
    assert lookup(crm, "5215512345678") == ["Ana López"]
    assert lookup(crm, "5213311112222") == ["José Pérez"]


def test_refresh_reindexes_one_client_after_the_crm_changed_it(
    crm: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clients", "reindex", "--url", crm, *TABLE]) == 0
    database = Database(crm)
    with database.writer.begin() as connection:
        connection.execute(text("UPDATE clientes SET telefono = '55 9999 0000' WHERE id = 1"))
    database.dispose()

    assert main(["clients", "refresh", "--url", crm, *TABLE, "1"]) == 0

    assert "cliente 1: 1 números indexados" in capsys.readouterr().out
    assert lookup(crm, "5215512345678") == []
    assert lookup(crm, "5215599990000") == ["Ana López"]


def test_a_missing_column_is_named(crm: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["clients", "reindex", "--url", crm, *TABLE, "--phone-column", "movil"]

    assert main(args) == 2

    assert "movil" in capsys.readouterr().err


def test_a_malformed_field_option_is_explained(
    crm: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clients", "reindex", "--url", crm, *TABLE, "--field", "ciudad"]) == 2

    assert "NOMBRE=COLUMNA" in capsys.readouterr().err


def test_reindex_takes_the_table_from_the_services_settings(
    crm: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "DATABASE_URL": crm,
        "CLIENTS_TABLE": "clientes",
        "CLIENTS_NAME_COLUMN": "nombre",
        "CLIENTS_PHONE_COLUMNS": "telefono, celular",
        "DEFAULT_REGION": "MX",
    }.items():
        monkeypatch.setenv(f"CRM_WHATSAPP_{name}", value)

    assert main(["clients", "reindex"]) == 0

    assert "read 2 clients" in capsys.readouterr().out
    assert lookup(crm, "5213311112222") == ["José Pérez"]


def test_reindex_without_a_table_says_which_options_are_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("CRM_WHATSAPP_CLIENTS_TABLE", raising=False)
    url = f"sqlite:///{tmp_path / 'x.db'}"

    assert main(["clients", "reindex", "--url", url, "--name-column", "nombre"]) == 2

    err = capsys.readouterr().err
    assert "--table" in err
    assert "CRM_WHATSAPP_CLIENTS_TABLE" in err


def test_reindex_reads_the_crm_from_its_own_database_like_the_service(
    crm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``clients`` ignored CRM_WHATSAPP_CLIENTS_DATABASE_URL and looked for the CRM
    table in the library's database, where ``serve`` never would."""
    library = f"sqlite:///{tmp_path / 'library.db'}"
    assert main(["db", "upgrade", "--url", library]) == 0
    monkeypatch.setenv("CRM_WHATSAPP_CLIENTS_DATABASE_URL", crm)

    assert main(["clients", "reindex", "--url", library, *TABLE]) == 0

    assert "read 2 clients" in capsys.readouterr().out


def test_reindex_reads_national_numbers_in_the_services_default_region(
    crm: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: without --region the index had no country (the service's default, MX, did not
    apply), so "55 1234 5678" was unreadable and the service found nobody for it."""
    monkeypatch.delenv("CRM_WHATSAPP_DEFAULT_REGION", raising=False)
    without_region = [a for a in TABLE if a not in ("--region", "MX")]

    assert main(["clients", "reindex", "--url", crm, *without_region]) == 0

    assert "no tiene" in capsys.readouterr().out
    assert lookup(crm, "5215512345678") == ["Ana López"]


def test_schema_and_fields_come_from_the_settings_the_service_uses(
    crm: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_WHATSAPP_CLIENTS_SCHEMA", "main")  # SQLite's own schema name
    monkeypatch.setenv("CRM_WHATSAPP_CLIENTS_FIELDS", "ciudad=ciudad,sin_columna=no_existe")

    assert main(["clients", "reindex", "--url", crm, *TABLE[:-4], "--region", "MX"]) == 2

    assert "no_existe" in capsys.readouterr().err


def test_a_malformed_fields_setting_is_one_line_naming_the_variable(
    crm: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_WHATSAPP_CLIENTS_FIELDS", "ciudad")

    assert main(["clients", "reindex", "--url", crm, *TABLE[:-4]]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("crm-whatsapp clients: CRM_WHATSAPP_CLIENTS_FIELDS:")
    assert "NAME=COLUMN" in err
