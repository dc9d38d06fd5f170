"""A template's stored definition is read tolerantly: a row another version wrote, with
keys missing, unknown or of another shape, still reads as a template."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given

from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.sql.template_mapping import template_from_row, template_values
from crm_whatsapp.adapters.sql.unit_of_work import SqlUnitOfWork
from crm_whatsapp.domain.templates import (
    ButtonType,
    HeaderFormat,
    ParameterFormat,
    Placeholder,
    Template,
    TemplateButton,
    TemplateFilter,
    TemplateHeader,
)
from crm_whatsapp.testing import templates

T0 = datetime(2026, 3, 10, 15, tzinfo=UTC)


def row(definition: Any, **columns: Any) -> dict[str, Any]:
    return {
        "name": "aviso",
        "language": "es",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "positional",
        "meta_id": None,
        "quality": None,
        "reason": None,
        "updated_at": None,
        "definition": definition,
        **columns,
    }


@given(templates())
def test_values_read_back_as_the_same_template(template):
    assert template_from_row(template_values(template)) == template


@pytest.mark.parametrize(
    "definition", [{}, None, [], "texto"], ids=["empty", "null", "list", "str"]
)
def test_a_definition_without_anything_is_a_template_with_an_empty_body(definition):
    assert template_from_row(row(definition)) == Template("aviso", "es", "APPROVED", "UTILITY", "")


def test_missing_keys_take_their_defaults():
    definition = {
        "body": "Hola {{1}}",
        "header": {"format": "image"},
        "buttons": [{"type": "url", "url": "https://ejemplo.mx"}, {"index": 5}],
        "body_parameters": [{"name": "1"}],
    }

    assert template_from_row(row(definition)) == Template(
        "aviso",
        "es",
        "APPROVED",
        "UTILITY",
        "Hola {{1}}",
        header=TemplateHeader(HeaderFormat.IMAGE),
        buttons=(
            TemplateButton(0, ButtonType.URL, url="https://ejemplo.mx"),
            TemplateButton(5, ButtonType.OTHER),
        ),
        body_parameters=(Placeholder("1"),),
    )


def test_unknown_values_and_shapes_are_read_as_little_as_is_safe():
    definition = {
        "body": 42,
        "footer": ["no es texto"],
        "header": {"format": "hologram", "text": "¿?"},
        "buttons": [{"type": "teleport", "text": "Ir", "index": True}, "botón", None],
        "body_parameters": [{"name": 2, "example": 3}, {"example": "sin nombre"}, "x"],
        "added_by_a_newer_version": {"anything": 1},
    }

    read = template_from_row(row(definition, parameter_format="emoji"))

    assert read == Template(
        "aviso",
        "es",
        "APPROVED",
        "UTILITY",
        "",
        parameter_format=ParameterFormat.POSITIONAL,
        buttons=(TemplateButton(0, ButtonType.OTHER, "Ir"),),
        body_parameters=(Placeholder("2"),),
    )


def test_a_sparse_row_in_the_database_reads_through_the_catalogue(database: Database):
    table = database.tables.templates.templates
    with database.writer.begin() as connection:
        connection.execute(table.insert(), row({"body": "Hola"}, updated_at=T0))

    with SqlUnitOfWork(database) as uow:
        found = uow.templates.get("aviso", "es")
        listed = uow.templates.list(TemplateFilter(text="hola"))

    expected = Template("aviso", "es", "APPROVED", "UTILITY", "Hola", updated_at=T0)
    assert found == expected
    assert list(listed) == [expected]
