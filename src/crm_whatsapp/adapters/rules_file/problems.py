"""Pydantic's validation errors as one located sentence in the file's own words.

Locations use the keys as the file writes them, with list indexes (``rules[1].reply``,
``business_hours.weekly.sábado[0]``); messages say what was expected and what was found,
without pydantic's class names.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Mapping, Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from crm_whatsapp.adapters.rules_file.values import describe

_PLAIN_KEY = re.compile(r"[^\W\d]\w*")
_EXPECTED = {
    "string_type": "expected a text",
    "int_type": "expected a whole number",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "invalid_key": "keys must be texts",
}


def located_problem(
    error: ValidationError, data: object, model: type[BaseModel]
) -> tuple[str, str]:
    """``(field, problem)`` for the first error; the count of the others is appended."""
    first = error.errors(include_url=False, include_context=False)[0]
    field = field_path(data, first["loc"])
    problem = _problem(first, model)
    if error.error_count() > 1:
        others = error.error_count() - 1
        problem += f" (and {others} more problem{'s' if others > 1 else ''})"
    return field or "-", problem


def field_path(data: object, loc: Sequence[int | str]) -> str:
    """Follows ``loc`` through the input, so that dict keys and list indexes read as written."""
    path = ""
    current: object = data
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(current, list | tuple) and isinstance(part, int):
            path += f"[{part}]"
            current = current[part] if -len(current) <= part < len(current) else None
            continue
        if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{part!r}]"
        current = current.get(part) if isinstance(current, Mapping) else None
    return path


def _problem(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        return _unknown_key(model, error["loc"])
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {describe(error['input'])}"
    return error["msg"].removeprefix("Value error, ")


def _unknown_key(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    known = _keys_at(model, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key; the keys here are {', '.join(known)}"


def _keys_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, str):
            field = current.model_fields.get(part)
            current = _model_in(field.annotation) if field else None
    return list(current.model_fields) if current else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``list[RuleFile]``, ``TemplateFile | None`` and the like."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, (_model_in(arg) for arg in get_args(annotation))), None)
