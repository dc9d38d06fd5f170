"""The front end's two language tables say the same things: the same keys in Spanish and in
English, every key the code asks for is in both, and no key is left that nothing asks for
(a text kept up to date in two languages for nobody, like ``composer.template.send`` was).

A key counts as asked for when the code quotes it whole, or when it starts with a prefix
the code completes at run time (``t(`status.${status}`)``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[1] / "src" / "crm_whatsapp" / "web"
LANGUAGES = ("es", "en")


def _tables() -> dict[str, dict[str, str]]:
    return {
        language: json.loads((WEB / "i18n" / f"{language}.json").read_text(encoding="utf-8"))
        for language in LANGUAGES
    }


def _code() -> str:
    files = [*WEB.rglob("*.js"), *WEB.rglob("*.html")]
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(files))


def test_both_languages_have_the_same_keys() -> None:
    es, en = _tables().values()
    assert sorted(es.keys() - en.keys()) == []
    assert sorted(en.keys() - es.keys()) == []


def test_every_key_the_code_asks_for_is_in_both_tables() -> None:
    asked = set(re.findall(r"\bt\(\s*'([\w.]+)'", _code()))
    assert asked, "the pattern found no call of t('...'): it no longer matches the code"
    for language, table in _tables().items():
        assert sorted(asked - table.keys()) == [], language


def test_no_key_is_left_that_nothing_asks_for() -> None:
    code = _code()
    prefixes = set(re.findall(r"`([\w.]+)\.\$\{", code))
    assert prefixes, "the pattern found no key built at run time: it no longer matches"
    unused = [
        key
        for key in _tables()["es"]
        if not any(f"{quote}{key}{quote}" in code for quote in "'\"`")
        and not any(key.startswith(f"{prefix}.") for prefix in prefixes)
    ]
    assert unused == []
