"""A TOML, YAML or JSON file to ``BotRules``, or one ``InvalidRulesFile``.

Whatever is wrong (no file, bad syntax, a wrong type, an unknown key, a regex that does not
compile), the caller gets the same error type with the file, the field and the problem on
one line: a rules file is edited by hand, often by someone who is not a programmer.

Syntax errors are located by line and column. Duplicate keys are errors in all three
formats (TOML says so itself; YAML and JSON would silently keep the last one, hiding a
pasted block that overrides an earlier one). Pydantic's validation errors become one
sentence in the file's own words: locations use the keys as the file writes them, with list
indexes (``rules[1].reply``, ``business_hours.weekly.sábado[0]``), and messages say what was
expected and what was found, without pydantic's class names.
"""

from __future__ import annotations

import difflib
import inspect
import json
import os
import re
import tomllib
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from crm_whatsapp.adapters.rules_file.schema import BotRulesFile, bot_rules, describe
from crm_whatsapp.domain.errors import InvalidBotRules
from crm_whatsapp.domain.policy.rules import BotRules

WHOLE_FILE = "-"
"""The ``field`` of problems that concern no single key (missing file, syntax error)."""


class InvalidRulesFile(InvalidBotRules):
    """A rules file (or mapping) that does not describe valid ``BotRules``.

    An ``InvalidBotRules``, so code that catches the domain's error catches this one too.
    ``path`` is the file as given (or the mapping's ``source``), ``field`` the location as
    the file writes it (``rules[1].patterns``, ``business_hours.weekly.sábado[0]``, or
    ``-`` for the whole file) and ``problem`` what to fix. The message is always one line,
    ``<path>: <field>: <problem>``, so it reads well in a log or a terminal.
    """

    code = "invalid_rules_file"

    def __init__(self, path: str, field: str, problem: str) -> None:
        one_line = " ".join(problem.split())
        super().__init__(field, one_line)
        self.args = (f"{path}: {field}: {one_line}",)
        self.path = path


def load_bot_rules(path: str | os.PathLike[str]) -> BotRules:
    """The rules in ``path``; the format follows the suffix (.toml, .yaml, .yml, .json).

    An empty file gives the default rules. Raises ``InvalidRulesFile`` and nothing else.
    """
    source = os.fspath(path)
    parse = PARSERS.get(Path(source).suffix.lower())
    if parse is None:
        known = ", ".join(PARSERS)
        raise InvalidRulesFile(
            source, WHOLE_FILE, f"unknown format {Path(source).suffix!r}; use {known}"
        )
    text = _read(source)
    try:
        data = parse(text) if text.strip() else {}
    except SyntaxProblem as problem:
        raise InvalidRulesFile(source, WHOLE_FILE, str(problem)) from None
    except RecursionError:
        raise InvalidRulesFile(source, WHOLE_FILE, "nested too deeply") from None
    return _validated({} if data is None else data, source)


def bot_rules_from_mapping(data: Mapping[str, Any], source: str = "<mapping>") -> BotRules:
    """The same validation for data already loaded (from a database, a settings service).

    ``source`` names the data in error messages. Raises ``InvalidRulesFile`` and nothing else.
    """
    return _validated(data, source)


def _validated(data: object, source: str) -> BotRules:
    if not isinstance(data, Mapping):
        raise InvalidRulesFile(
            source, WHOLE_FILE, f"expected a mapping of settings, got {describe(data)}"
        )
    try:
        return bot_rules(BotRulesFile.model_validate(dict(data)))
    except ValidationError as error:
        raise InvalidRulesFile(source, *located_problem(error, data, BotRulesFile)) from None
    except InvalidBotRules as error:
        raise InvalidRulesFile(source, error.field, error.problem) from None
    except RecursionError:
        raise InvalidRulesFile(source, WHOLE_FILE, "nested too deeply") from None


def _read(source: str) -> str:
    try:
        return Path(source).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidRulesFile(
            source, WHOLE_FILE, f"not UTF-8 text (byte {error.start}: {error.reason})"
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise InvalidRulesFile(source, WHOLE_FILE, f"cannot read the file: {reason}") from None


class SyntaxProblem(ValueError):
    """Text that is not valid in its format; the message says where."""


def parse_toml(text: str) -> object:
    try:
        return tomllib.loads(text)
    except ValueError as error:
        message = str(error)
        at = re.fullmatch(r"(?s)(.*) \(at line (\d+), column (\d+)\)", message)
        if at:
            raise SyntaxProblem(f"invalid TOML at line {at[2]}, column {at[3]}: {at[1]}") from None
        raise SyntaxProblem(f"invalid TOML: {message}") from None


def parse_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # safe: a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = error.problem or error.context or "syntax error"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SyntaxProblem(f"invalid YAML{where}: {what}") from None
    except yaml.YAMLError as error:
        raise SyntaxProblem(f"invalid YAML: {error}") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_impossible_date(self, node: yaml.ScalarNode) -> object:
        """A well-formed but impossible date (2026-02-30) is located like a syntax error."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value!r} is not a day of the calendar ({error})",
                node.start_mark,
            ) from None


_UniqueKeyLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_impossible_date
)


def parse_json(text: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise SyntaxProblem(
            f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except ValueError as error:
        raise SyntaxProblem(f"invalid JSON: {error}") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


PARSERS: dict[str, Callable[[str], object]] = {
    ".toml": parse_toml,
    ".yaml": parse_yaml,
    ".yml": parse_yaml,
    ".json": parse_json,
}


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
    """The keys a file may write at ``loc`` (a field's alias, such as ``list``, if it has one)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, str):
            field = next((f for k, f in _keys(current) if k == part), None)
            current = _model_in(field.annotation) if field else None
    return [key for key, _ in _keys(current)] if current else []


def _keys(model: type[BaseModel]) -> list[tuple[str, FieldInfo]]:
    return [(field.alias or name, field) for name, field in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``list[RuleFile]``, ``TemplateFile | None`` and the like."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, (_model_in(arg) for arg in get_args(annotation))), None)
