"""Canned responses' storage: the in-memory reference, SQLite and PostgreSQL keep, refuse
and find them alike, inside the unit of work (rolled back with it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_whatsapp.domain.access import Actor
from crm_whatsapp.domain.canned_responses import CannedResponse, SearchTerms, shortcut_key
from crm_whatsapp.domain.errors import CannedResponseNotFound, DuplicateShortcut

T0 = datetime(2026, 3, 10, 15, 0, 0, 123456, tzinfo=UTC)


def response(
    response_id: str,
    shortcut: str,
    text: str = "Hola {nombre}, ¿en qué te ayudo?",
    *,
    title: str = "",
    actor: Actor | None = None,
    at: datetime = T0,
) -> CannedResponse:
    return CannedResponse(
        response_id, shortcut, title, text, at, at, actor or Actor.agent("laura", "Laura Gómez")
    )


def add(setup, *responses: CannedResponse) -> None:
    with setup.deps.unit_of_work() as uow:
        for item in responses:
            uow.canned_responses.add(item)
        uow.commit()


def stored(setup) -> list[CannedResponse]:
    with setup.deps.unit_of_work() as uow:
        return list(uow.canned_responses.search("", 1000))


def update_and_fail(uow, changed: CannedResponse) -> None:
    uow.canned_responses.update(changed)
    raise RuntimeError("the use case failed after the change")


def search(setup, query: str, limit: int = 100) -> list[str]:
    with setup.deps.unit_of_work() as uow:
        return [r.shortcut for r in uow.canned_responses.search(query, limit)]


@pytest.mark.parametrize(
    "actor",
    [
        Actor.agent("agent-7", "Ana López"),
        Actor.service(),
        Actor.service(on_behalf_of="Luis Pérez"),
        Actor.system(),
    ],
    ids=["agent", "service", "service-for-someone", "system"],
)
def test_a_response_reads_back_with_every_field(backend, actor):
    setup = backend(now=T0)
    written = CannedResponse(
        "r-1",
        "pago_pendiente",
        "Pago pendiente 💳",
        'Hola {nombre}, tu pago de "{plan}" sigue pendiente.\nGracias {{1}} {',
        T0,
        T0 + timedelta(minutes=5),
        actor,
    )
    add(setup, written)

    with setup.deps.unit_of_work() as uow:
        found = uow.canned_responses.get("r-1")
        by_shortcut = uow.canned_responses.by_shortcut("PAGO_PENDIENTE")
    assert found == written
    assert by_shortcut == written
    assert found.created_by == actor
    assert found.updated_at.utcoffset() == timedelta(0)


def test_a_moment_in_another_timezone_is_the_same_instant(backend):
    setup = backend(now=T0)
    add(setup, response("r-1", "saludo", at=T0.astimezone(timezone(timedelta(hours=-6)))))

    assert stored(setup)[0].created_at == T0


@pytest.mark.parametrize("taken", ["envío", "ENVIO", "Envío", "envio"])
def test_a_shortcut_is_taken_whatever_its_case_and_accents(backend, taken):
    setup = backend(now=T0)
    add(setup, response("r-1", "envío"))

    with pytest.raises(DuplicateShortcut), setup.deps.unit_of_work() as uow:
        uow.canned_responses.add(response("r-2", taken.lower()))

    assert [r.id for r in stored(setup)] == ["r-1"]
    with setup.deps.unit_of_work() as uow:
        assert uow.canned_responses.by_shortcut(taken).id == "r-1"


def test_a_refused_add_leaves_the_unit_of_work_usable(backend):
    setup = backend(now=T0)
    add(setup, response("r-1", "saludo"))

    with setup.deps.unit_of_work() as uow:
        with pytest.raises(DuplicateShortcut):
            uow.canned_responses.add(response("r-2", "saludo"))
        uow.canned_responses.add(response("r-3", "despedida"))
        uow.commit()

    assert [r.id for r in stored(setup)] == ["r-3", "r-1"]


def test_an_update_moves_the_shortcut_and_frees_the_old_one(backend):
    setup = backend(now=T0)
    add(setup, response("r-1", "saludo"), response("r-2", "horario"))
    later = T0 + timedelta(hours=1)

    with setup.deps.unit_of_work() as uow:
        saludo = uow.canned_responses.get("r-1")
        uow.canned_responses.update(saludo.changed(later, shortcut="bienvenida"))
        uow.commit()
    add(setup, response("r-3", "saludo"))

    with setup.deps.unit_of_work() as uow:
        assert uow.canned_responses.get("r-1").shortcut == "bienvenida"
        assert uow.canned_responses.get("r-1").updated_at == later
        assert uow.canned_responses.by_shortcut("saludo").id == "r-3"
        with pytest.raises(DuplicateShortcut):
            uow.canned_responses.update(
                uow.canned_responses.get("r-2").changed(later, shortcut="Saludo")
            )
        # its own shortcut, written again, is not a duplicate
        uow.canned_responses.update(uow.canned_responses.get("r-2").changed(later, title="Horario"))
        uow.commit()
    assert {r.id: r.title for r in stored(setup)}["r-2"] == "Horario"


def test_unknown_ids_are_not_found(backend):
    setup = backend(now=T0)
    with setup.deps.unit_of_work() as uow:
        with pytest.raises(CannedResponseNotFound):
            uow.canned_responses.get("nope")
        with pytest.raises(CannedResponseNotFound):
            uow.canned_responses.update(response("nope", "saludo"))
        with pytest.raises(CannedResponseNotFound):
            uow.canned_responses.delete("nope")
        assert uow.canned_responses.by_shortcut("saludo") is None


def test_a_deleted_response_is_gone_and_its_shortcut_free(backend):
    setup = backend(now=T0)
    add(setup, response("r-1", "saludo"), response("r-2", "horario"))

    with setup.deps.unit_of_work() as uow:
        uow.canned_responses.delete("r-1")
        uow.commit()
    add(setup, response("r-3", "saludo"))

    assert sorted(r.id for r in stored(setup)) == ["r-2", "r-3"]


def test_nothing_is_kept_without_a_commit(backend):
    setup = backend(now=T0)
    add(setup, response("r-1", "saludo"))

    with setup.deps.unit_of_work() as uow:
        uow.canned_responses.add(response("r-2", "horario"))
        uow.canned_responses.delete("r-1")
    with pytest.raises(RuntimeError), setup.deps.unit_of_work() as uow:
        update_and_fail(uow, response("r-1", "otro"))

    assert stored(setup) == [response("r-1", "saludo")]


# -- search ---------------------------------------------------------------------------

TEAM = [
    response("r-1", "pago_pendiente", "Hola {nombre}, tu pago sigue pendiente.", title="Cobranza"),
    response("r-2", "pagos", "Aceptamos tarjeta y transferencia."),
    response("r-3", "horario", "Abrimos de lunes a viernes de 9 a 18 h.", title="Horario"),
    response("r-4", "envío", "El envío tarda 48 h; te mandamos la guía."),
    response("r-5", "despedida", "¡Gracias por escribirnos! Que tengas buen día."),
    response("r-6", "pagox", "Texto sin relación con cobros: 100% seguro"),
]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("", ["despedida", "envío", "horario", "pago_pendiente", "pagos", "pagox"]),
        ("/pag", ["pago_pendiente", "pagos", "pagox"]),
        ("PAG", ["pago_pendiente", "pagos", "pagox"]),
        ("envio", ["envío"]),  # accents ignored
        ("/Enví", ["envío"]),
        ("pendiente", ["pago_pendiente"]),
        ("tarjeta transferencia", ["pagos"]),
        ("guía 48", ["envío"]),
        ("cobranza", ["pago_pendiente"]),  # the title
        ("100%", ["pagox"]),  # % is no wildcard either
        ("%", []),
        ("viernes sábado", []),
        ("/", ["despedida", "envío", "horario", "pago_pendiente", "pagos", "pagox"]),
    ],
)
def test_search_finds_by_shortcut_prefix_then_by_words(backend, query, found):
    setup = backend(now=T0)
    add(setup, *TEAM)

    assert search(setup, query) == found


def test_an_underscore_or_a_percent_sign_in_the_query_is_no_wildcard(backend):
    setup = backend(now=T0)
    add(setup, response("r-1", "pago_z", "Uno"), response("r-2", "pago1", "Dos"))

    # "pago1" matches the word "pago" only: after the shortcut that starts with "pago_"
    assert search(setup, "pago_") == ["pago_z", "pago1"]
    assert search(setup, "%") == []
    assert search(setup, "pago%") == ["pago1", "pago_z"]  # both by the word, by shortcut


def test_shortcuts_starting_with_the_query_come_before_those_matching_its_words(backend):
    setup = backend(now=T0)
    add(
        setup,
        response("r-1", "cobro", "Recordatorio de pago"),
        response("r-2", "pago", "Datos de la cuenta"),
        response("r-3", "aviso", "Tu pago llegó"),
    )

    assert search(setup, "pago") == ["pago", "aviso", "cobro"]
    assert search(setup, "pago", limit=2) == ["pago", "aviso"]


SHORTCUTS = st.text(alphabet="abcñé_-1", min_size=1, max_size=6)
WORDS = st.lists(st.sampled_from(["pago", "envío", "Hola", "guía", "día", "100%", "a_b"]))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shortcuts=st.lists(SHORTCUTS, max_size=8, unique_by=shortcut_key),
    texts=st.lists(WORDS, min_size=8, max_size=8),
    query=st.one_of(SHORTCUTS, st.sampled_from(["pago", "envio guia", "/a", "DÍA", "100%", "_"])),
    limit=st.integers(1, 10),
)
def test_every_backend_finds_what_the_reference_finds(backend, shortcuts, texts, query, limit):
    setup = backend(now=T0)
    team = [
        response(f"r-{i}", shortcut, " ".join(words) or "Hola")
        for i, (shortcut, words) in enumerate(zip(shortcuts, texts, strict=False))
    ]
    add(setup, *team)

    terms = SearchTerms.of(query)
    expected = sorted((r for r in team if terms.matches(r)), key=terms.order)[:limit]
    assert search(setup, query, limit) == [r.shortcut for r in expected]
