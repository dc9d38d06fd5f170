"""``/openapi.json`` is a valid OpenAPI 3.1 document that describes what the server does:
every route, every query parameter each endpoint reads, and (checked by schemathesis over
the whole API) every status and body the server answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from http_service_kit import API, AUTH, make_settings, signed, text_webhook
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.definitions import OPENAPI_31
from starlette.applications import Starlette
from starlette.testclient import TestClient

from api_schema import api_schema as api_schema_for
from api_schema import the_document
from crm_whatsapp.adapters.http import OPERATIONS
from crm_whatsapp.adapters.http.operations import Operation
from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.whatsapp.fake_graph_api import running_asgi_app, running_fake_graph_api
from crm_whatsapp.app import create_app
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.ports import ClientLookup
from polling import processed

# OPENAPI_31 is the OpenAPI 3.1 meta-schema as shipped inside schemathesis:
# openapi-spec-validator is not installed in this project.


def the_operations(app: Starlette) -> list[Operation]:
    return list(OPERATIONS)


def every_ref(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from every_ref(value)
    elif isinstance(node, list):
        for item in node:
            yield from every_ref(item)


# -- the document ------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(client: TestClient) -> None:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    assert document["info"]["version"]
    jsonschema_rs.validator_for(OPENAPI_31).validate(document)
    components = document["components"]["schemas"]
    for ref in every_ref(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in components, ref
    # Every component is a JSON Schema (2020-12) that compiles, references resolved.
    every_component = {"oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in components]}
    jsonschema_rs.validator_for({**every_component, "components": document["components"]})
    operation_ids = [
        op["operationId"] for path in document["paths"].values() for op in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_the_document_lists_every_route_with_its_parameters(
    app: Starlette, client: TestClient, subtests: pytest.Subtests
) -> None:
    document = client.get("/openapi.json").json()
    routes = the_operations(app)
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert documented == {(op.path, op.method.lower()) for op in routes}
    for operation in routes:
        with subtests.test(f"{operation.method} {operation.path}"):
            spec = document["paths"][operation.path][operation.method.lower()]
            by_place: dict[str, set[str]] = {"path": set(), "query": set()}
            for parameter in spec["parameters"]:
                by_place[parameter["in"]].add(parameter["name"])
            assert by_place["path"] == set(re.findall(r"{(\w+)}", operation.path))
            assert by_place["query"] == operation.query_names
            assert ("security" in spec) == operation.authenticated
            assert ("requestBody" in spec) == (operation.body is not None)
            for status, response in spec["responses"].items():
                assert response["description"], status


def test_each_endpoint_reads_exactly_the_query_parameters_it_documents(
    app: Starlette, client: TestClient, subtests: pytest.Subtests
) -> None:
    """An unknown parameter is refused with the list of the known ones: that list is what
    the endpoint reads, and it must be what the document says."""
    document = client.get("/openapi.json").json()
    for operation in the_operations(app):
        if not operation.authenticated:
            continue  # Meta's webhook and the probes tolerate what others add
        path = operation.path.replace("{conversation_id}", "c1").replace("{cliente_id}", "C-1")
        path = path.replace("{numero}", "5215512345678")
        with subtests.test(f"{operation.method} {operation.path}"):
            answer = client.request(
                operation.method, path, params={"zz_not_a_parameter": "1"}, headers=AUTH
            )
            assert answer.status_code == 400
            message = answer.json()["error"]["message"]
            known = message.partition("(known: ")[2].rstrip(")")
            read = set() if known == "none" else set(known.split(", "))
            spec = document["paths"][operation.path][operation.method.lower()]
            assert read == {p["name"] for p in spec["parameters"] if p["in"] == "query"}


# -- schemathesis over the whole API -----------------------------------------------------
# ``parametrize`` needs the schema at import, to collect one test per operation: it is read
# from the HTTP adapter over in-memory adapters (the seeded server checks that it serves the
# same document), and the cases go to the seeded server. schemathesis' lazy
# ``from_fixture`` would avoid this, but it fails on pytest 9.2 (``Function._nodeid``).

CLIENTS = [
    (ClientRef("C-100", "Ana López"), ["55 1234 5678"]),
    (ClientRef("C-200", "Bruno Díaz"), []),
]
CUSTOMERS = {"5215512345678": "Ana", "5491155550000": "Bruno", "573001234567": "Eva"}
REAL_ROWS: dict[str, list[str]] = {
    "cliente_id": [client.id for client, _ in CLIENTS],
    "numero": ["+52 55 1234 5678", "5215512345678", "+54 9 11 5555-0000"],
    "conversation_id": [],  # filled by ``seeded_service``
}


DOCUMENT = the_document()
api_schema = api_schema_for(AUTH["Authorization"], max_examples=25)


@api_schema.hook("flatmap_path_parameters")
def or_a_seeded_row(_: Any, path_parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    """Each generated value, and the same case on each seeded conversation, client and
    number: a random id only ever finds nothing."""
    if not path_parameters:
        return st.just(path_parameters)
    variants = [path_parameters]
    for name in path_parameters.keys() & REAL_ROWS.keys():
        variants += [{**path_parameters, name: value} for value in REAL_ROWS[name]]
    return st.sampled_from(variants)


@pytest.fixture(scope="module")
def seeded_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service on SQLite under uvicorn, with three customers who wrote, one taken over
    and one answered by an agent, so that reads find real rows; its base URL. One for the
    module: every operation's run adds to the same inbox, as in production."""
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'crm_whatsapp.db'}"
    with running_fake_graph_api() as fake_graph:
        # the autouse media folder is a test's, set after this module's fixture: its own
        media = str(tmp_path_factory.mktemp("openapi-media"))
        app = create_app(
            make_settings(url, fake_graph.base_url, media_url=media),
            overrides={ClientLookup: InMemoryClientLookup(CLIENTS, default_region="MX")},
        )
        with (
            running_asgi_app(app) as base_url,
            httpx.Client(base_url=base_url, timeout=10) as http,
        ):
            assert http.get("/openapi.json").json() == DOCUMENT
            for wa_id, name in CUSTOMERS.items():
                body = text_webhook(wa_id, f"Hola, soy {name}", name=name)
                assert http.post("/webhook", content=body, headers=signed(body)).status_code == 200
            processed(app)
            ids = [c["id"] for c in http.get(API, headers=AUTH).json()["items"]]
            assert len(ids) == 3
            REAL_ROWS["conversation_id"][:] = ids
            take_over = {"agent": "Laura"}
            paused = http.post(f"{API}/{ids[0]}/pausar-bot", json=take_over, headers=AUTH)
            assert paused.status_code == 200
            reply = {"agent": "Laura", "text": "¡Hola!"}
            replied = http.post(f"{API}/{ids[1]}/mensajes", json=reply, headers=AUTH)
            assert replied.status_code == 201
            yield base_url
            REAL_ROWS["conversation_id"].clear()


@api_schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_a_documented_status_with_a_conforming_body(
    case: schemathesis.Case, seeded_service: str
) -> None:
    """No 5xx, no undocumented status, content type or body shape, for any input.

    The webhook gets no valid signature from generated cases: its documented 401 is the
    expected answer there (signed deliveries are tested in test_api_errors / test_flow).
    """
    case.call_and_validate(base_url=seeded_service, timeout=10)
