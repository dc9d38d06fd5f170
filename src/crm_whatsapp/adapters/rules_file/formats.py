"""TOML, YAML and JSON text to plain data, every syntax error located by line and column.

Duplicate keys are errors in all three (TOML says so itself; YAML and JSON would silently
keep the last one, hiding a pasted block that overrides an earlier one).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Hashable
from typing import Any

import yaml


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
