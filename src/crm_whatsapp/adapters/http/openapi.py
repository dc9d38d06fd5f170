"""The OpenAPI 3.1 document, written from the same ``Operation`` records that run the endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from crm_whatsapp.adapters.http.operations import NO_CONTENT, Operation, Param
from crm_whatsapp.adapters.http.schemas import ErrorBody

_REF = "#/components/schemas/{model}"
_ERROR_TEXT = {
    400: "bad parameter, cursor, number or JSON",
    401: "missing or invalid token",
    403: "refused: the token lacks the scope, or is confined to one client",
    404: "not found",
    409: "not allowed now (24-hour window closed, customer opted out)",
    413: "body too large",
    415: "a file type WhatsApp does not accept (checked by content)",
    422: "body fails validation (names the field)",
    429: "too many failed authentications from this address (see Retry-After)",
    503: "database unavailable; retry later",
}


def build_openapi(operations: Sequence[Operation], title: str = "crm_whatsapp") -> dict[str, Any]:
    models = _models(operations)
    _, definitions = models_json_schema(
        [(m, "serialization") for m in models if m is not None]
        + [(m, "validation") for m in {o.body for o in operations} if m is not None],
        ref_template=_REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": _version(),
            "description": (
                "WhatsApp conversations of the CRM: Meta's webhook, the conversations API "
                "(bearer token) and live events."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _models(operations: Sequence[Operation]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorBody": ErrorBody}
    for operation in operations:
        for model in operation.responses.values():
            if not isinstance(model, str):
                found[model.__name__] = model
    return list(found.values())


def _operation(operation: Operation) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": operation.name,
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": [_param(p, "path") for p in operation.path_params]
        + [_param(p, "query") for p in operation.query],
        "responses": _responses(operation),
    }
    if operation.description:
        spec["description"] = operation.description
    if operation.authenticated:
        spec["security"] = [{"bearer": []}]
        if operation.scope is not None:
            spec["x-scope"] = operation.scope.value
    if operation.body is not None:
        spec["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _ref(operation.body)}}},
        }
    if operation.form is not None:
        spec.setdefault("requestBody", {"required": True, "content": {}})
        spec["requestBody"]["content"]["multipart/form-data"] = {"schema": _form(operation.form)}
    return spec


def _form(model: type[BaseModel]) -> dict[str, Any]:
    """The form's fields inline, plus ``file``: a form is flat, so no ``$ref`` to combine."""
    schema = model.model_json_schema()
    properties = dict(schema.get("properties", {}))
    properties["file"] = {"type": "string", "format": "binary", "description": "the file"}
    return {
        "type": "object",
        "required": [*schema.get("required", []), "file"],
        "properties": properties,
        "additionalProperties": False,
    }


def _responses(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, model in operation.responses.items():
        if model == NO_CONTENT:
            responses[str(status)] = {"description": "Done; no body"}
        elif isinstance(model, str):
            responses[str(status)] = {
                "description": "OK",
                "content": {model: {"schema": {"type": "string"}}},
            }
        else:
            responses[str(status)] = {
                "description": "OK" if status < 300 else _ERROR_TEXT.get(status, "error"),
                "content": {"application/json": {"schema": {"$ref": _ref(model)}}},
            }
    statuses = set(operation.extra_statuses) | {400}
    if operation.authenticated:
        statuses.update((401, 429))
        if operation.scope is not None or not operation.confinable:
            statuses.add(403)
    if operation.body is not None or operation.form is not None:
        statuses |= {413, 422}
    if operation.form is not None:
        statuses.add(415)
    for status in sorted(statuses):
        responses.setdefault(
            str(status),
            {
                "description": _ERROR_TEXT.get(status, "error"),
                "content": {"application/json": {"schema": {"$ref": _ref(ErrorBody)}}},
            },
        )
    return responses


def _param(param: Param, where: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": param.openapi_type}
    if param.openapi_type == "string":
        schema["maxLength"] = param.length_limit
    if param.minimum is not None:
        schema["minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    if param.default is not None:
        schema["default"] = param.default
    return {
        "name": param.name,
        "in": where,
        "required": param.required or where == "path",
        "description": param.description,
        "schema": schema,
    }


def _ref(model: type[BaseModel]) -> str:
    return _REF.format(model=model.__name__)


def _version() -> str:
    """The package's own version, read like ``crm_whatsapp.__version__`` but without
    importing the package face (which would make the HTTP adapter import the whole app)."""
    try:
        return version("crm-whatsapp")
    except PackageNotFoundError:
        return "0+unknown"
