"""``load_bot_rules``: a TOML, YAML or JSON file to ``BotRules``, or one ``InvalidRulesFile``.

Whatever is wrong (no file, bad syntax, a wrong type, an unknown key, a regex that does not
compile), the caller gets the same error type with the file, the field and the problem on
one line: a rules file is edited by hand, often by someone who is not a programmer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crm_whatsapp.adapters.rules_file.convert import bot_rules
from crm_whatsapp.adapters.rules_file.errors import WHOLE_FILE, InvalidRulesFile
from crm_whatsapp.adapters.rules_file.formats import PARSERS, SyntaxProblem
from crm_whatsapp.adapters.rules_file.models import BotRulesFile
from crm_whatsapp.adapters.rules_file.problems import located_problem
from crm_whatsapp.adapters.rules_file.values import describe
from crm_whatsapp.domain.errors import InvalidBotRules
from crm_whatsapp.domain.policy.rules import BotRules


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
