"""The template catalogue's storage: the in-memory reference, SQLite and PostgreSQL keep,
list and forget templates alike, and it is part of the unit of work (rolled back with it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

T0 = datetime(2026, 3, 10, 15, 0, 0, 123456, tzinfo=UTC)

ORDER_READY = Template(
    name="pedido_listo",
    language="es_MX",
    status="APPROVED",
    category="UTILITY",
    body="Hola {{nombre}}, tu pedido {{pedido}} está listo 🙂",
    parameter_format=ParameterFormat.NAMED,
    header=TemplateHeader(HeaderFormat.TEXT, "Pedido de {{nombre}}", Placeholder("nombre", "Ana")),
    footer="Responde BAJA para no recibir más mensajes",
    buttons=(
        TemplateButton(
            0,
            ButtonType.URL,
            "Ver pedido",
            url="https://tienda.mx/pedido/{{1}}",
            parameter=Placeholder("1", "A-123"),
        ),
        TemplateButton(1, ButtonType.COPY_CODE, parameter=Placeholder("code", "DESC10")),
        TemplateButton(2, ButtonType.QUICK_REPLY, "Gracias"),
        TemplateButton(3, ButtonType.PHONE_NUMBER, "Llamar", phone_number="+5215512345678"),
    ),
    body_parameters=(Placeholder("nombre", "Ana"), Placeholder("pedido", None)),
    meta_id="1234567890123456",
    quality="GREEN",
    updated_at=T0,
)

INVOICE = Template(
    name="factura",
    language="es",
    status="PAUSED",
    category="UTILITY",
    body="Tu factura {{1}} por {{2}}",
    header=TemplateHeader(HeaderFormat.DOCUMENT),
    buttons=(TemplateButton(0, ButtonType.OTHER, "Flujo"),),
    body_parameters=(Placeholder("1", "F-1"), Placeholder("2", "$100")),
    reason="Calidad baja",
    updated_at=T0.astimezone(timezone(timedelta(hours=-6))),
)


def plain(name: str, language: str = "es", **fields: object) -> Template:
    base = Template(name, language, "APPROVED", "MARKETING", f"Texto de {name}")
    return replace(base, **fields)


def save(setup, *saved: Template) -> None:
    with setup.deps.unit_of_work() as uow:
        for template in saved:
            uow.templates.save(template)
        uow.commit()


def get(setup, name: str, language: str) -> Template | None:
    with setup.deps.unit_of_work() as uow:
        return uow.templates.get(name, language)


def listed(setup, where: TemplateFilter | None = None) -> list[tuple[str, str]]:
    with setup.deps.unit_of_work() as uow:
        return [t.key for t in uow.templates.list(where or TemplateFilter())]


# -- save and read back ------------------------------------------------------------------


@pytest.mark.parametrize("template", [ORDER_READY, INVOICE], ids=["named-rich", "media-header"])
def test_a_template_reads_back_with_every_field(backend, template):
    setup = backend(now=T0)

    save(setup, template)

    assert get(setup, template.name, template.language) == template
    assert get(setup, template.name, "en_US") is None
    assert get(setup, "otra", template.language) is None


def test_every_header_format_reads_back(backend):
    setup = backend(now=T0)
    saved = [
        plain(
            f"cabecera_{f.value}",
            header=TemplateHeader(f, "Título" if f is HeaderFormat.TEXT else None),
        )
        for f in HeaderFormat
    ]

    save(setup, *saved)

    assert [get(setup, t.name, t.language) for t in saved] == saved


def test_saving_the_same_name_and_language_replaces_it(backend):
    setup = backend(now=T0)
    save(setup, ORDER_READY)
    changed = replace(
        ORDER_READY.with_status("DISABLED", "Infringe políticas", T0 + timedelta(hours=1)),
        header=None,
        footer=None,
        buttons=(),
        meta_id=None,
        quality=None,
    )

    save(setup, changed)

    assert get(setup, ORDER_READY.name, ORDER_READY.language) == changed
    assert listed(setup) == [ORDER_READY.key]


def test_another_language_is_another_template(backend):
    setup = backend(now=T0)
    english = replace(ORDER_READY, language="en_US", body="Hi {{nombre}}")

    save(setup, ORDER_READY, english)

    assert get(setup, "pedido_listo", "es_MX") == ORDER_READY
    assert get(setup, "pedido_listo", "en_US") == english


def test_remove_forgets_only_that_language_and_nothing_is_no_error(backend):
    setup = backend(now=T0)
    english = replace(ORDER_READY, language="en_US")
    save(setup, ORDER_READY, english, INVOICE)

    with setup.deps.unit_of_work() as uow:
        uow.templates.remove("pedido_listo", "es_MX")
        uow.templates.remove("pedido_listo", "es_MX")
        uow.templates.remove("nunca_existio", "es")
        uow.commit()

    assert get(setup, "pedido_listo", "es_MX") is None
    assert listed(setup) == [INVOICE.key, english.key]


# -- listing -----------------------------------------------------------------------------

CATALOGUE = [
    plain("zeta", "es", body="Oferta de verano"),
    plain("alta", "pt_BR", status="PENDING", category="UTILITY", body="Seu pedido chegou"),
    plain("alta", "es", status="REJECTED", body="Tu PEDIDO llegó"),
    plain("alta", "en_US", body="Your order arrived"),
    plain("Beta", "es", category="AUTHENTICATION", body="Tu código es {{1}}"),
    plain("beta", "es", status="PAUSED", category="UTILITY", body="Cita mañana"),
    plain("recordatorio_cita", "es_MX", body="Tu cita es mañana a las {{1}}"),
]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (
            TemplateFilter(),
            [
                "Beta/es",
                "alta/en_US",
                "alta/es",
                "alta/pt_BR",
                "beta/es",
                "recordatorio_cita/es_MX",
                "zeta/es",
            ],
        ),
        (
            TemplateFilter(status="APPROVED"),
            ["Beta/es", "alta/en_US", "recordatorio_cita/es_MX", "zeta/es"],
        ),
        (TemplateFilter(status="paused"), ["beta/es"]),
        (TemplateFilter(language="es"), ["Beta/es", "alta/es", "beta/es", "zeta/es"]),
        (TemplateFilter(language="es_MX"), ["recordatorio_cita/es_MX"]),
        (TemplateFilter(category="utility"), ["alta/pt_BR", "beta/es"]),
        (TemplateFilter(text="pedido"), ["alta/es", "alta/pt_BR"]),
        (TemplateFilter(text="CITA mañana"), ["beta/es", "recordatorio_cita/es_MX"]),
        (TemplateFilter(text="alta"), ["alta/en_US", "alta/es", "alta/pt_BR"]),
        (
            TemplateFilter(text="  "),
            [
                "Beta/es",
                "alta/en_US",
                "alta/es",
                "alta/pt_BR",
                "beta/es",
                "recordatorio_cita/es_MX",
                "zeta/es",
            ],
        ),
        (TemplateFilter(status="APPROVED", language="es"), ["Beta/es", "zeta/es"]),
        (TemplateFilter(language="es", category="UTILITY"), ["beta/es"]),
        (TemplateFilter(status="APPROVED", text="cita"), ["recordatorio_cita/es_MX"]),
        (
            TemplateFilter(status="APPROVED", language="es", category="MARKETING", text="oferta"),
            ["zeta/es"],
        ),
        (TemplateFilter(status="DISABLED"), []),
        (TemplateFilter(language="fr", text="pedido"), []),
    ],
)
def test_list_filters_and_orders_by_name_then_language(backend, where, expected):
    setup = backend(now=T0)
    save(setup, *CATALOGUE)

    assert [f"{name}/{language}" for name, language in listed(setup, where)] == expected


def test_an_empty_catalogue_lists_nothing(backend):
    setup = backend(now=T0)

    assert listed(setup) == []


# -- the sync marker ---------------------------------------------------------------------


def test_synced_at_is_none_until_marked_then_the_last_mark(backend):
    setup = backend(now=T0)
    with setup.deps.unit_of_work() as uow:
        assert uow.templates.synced_at() is None

    for at in (T0, T0 + timedelta(minutes=5)):
        with setup.deps.unit_of_work() as uow:
            uow.templates.mark_synced(at)
            uow.commit()

    with setup.deps.unit_of_work() as uow:
        assert uow.templates.synced_at() == T0 + timedelta(minutes=5)


# -- part of the unit of work ------------------------------------------------------------


def test_leaving_without_commit_takes_back_saves_removals_and_the_mark(backend):
    setup = backend(now=T0)
    save(setup, INVOICE)

    with setup.deps.unit_of_work() as uow:
        uow.templates.save(ORDER_READY)
        uow.templates.save(replace(INVOICE, status="APPROVED", reason=None))
        uow.templates.remove(INVOICE.name, INVOICE.language)
        uow.templates.mark_synced(T0)
        assert uow.templates.get(ORDER_READY.name, ORDER_READY.language) == ORDER_READY

    assert get(setup, ORDER_READY.name, ORDER_READY.language) is None
    assert get(setup, INVOICE.name, INVOICE.language) == INVOICE
    with setup.deps.unit_of_work() as uow:
        assert uow.templates.synced_at() is None


def change_and_fail(uow) -> None:
    uow.templates.save(ORDER_READY)
    uow.templates.remove(INVOICE.name, INVOICE.language)
    raise RuntimeError("falla a medias")


def test_a_failed_savepoint_takes_back_only_its_own_changes(backend):
    setup = backend(now=T0)

    with setup.deps.unit_of_work() as uow:
        uow.templates.save(INVOICE)
        with pytest.raises(RuntimeError), uow.savepoint():
            change_and_fail(uow)
        uow.commit()

    assert listed(setup) == [INVOICE.key]


# -- any template ------------------------------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(templates(), max_size=5, unique_by=lambda t: t.key))
def test_any_template_reads_back_exactly(backend, catalogue):
    setup = backend(now=T0)

    save(setup, *catalogue)

    assert [get(setup, t.name, t.language) for t in catalogue] == catalogue
    with setup.deps.unit_of_work() as uow:
        assert list(uow.templates.list(TemplateFilter())) == sorted(catalogue, key=lambda t: t.key)
