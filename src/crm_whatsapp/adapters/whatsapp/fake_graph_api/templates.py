"""The fake's message templates: one catalogue per WhatsApp Business Account (WABA), each
template kept in the JSON shape Meta lists it in (``GET /{waba-id}/message_templates``).

A template is one name in one language::

    {"name": "recordatorio_pago", "parameter_format": "POSITIONAL",
     "components": [{"type": "BODY", "text": "Hola {{1}}, ...",
                     "example": {"body_text": [["Ana", ...]]}}, ...],
     "language": "es", "status": "APPROVED", "category": "UTILITY", "id": "1520..."}

Sends are checked against the catalogue of the WABA that owns the sending number
(``template_checks``), so the catalogue is strict about what it takes in: a template Meta
would never have approved (``{{2}}`` without ``{{1}}``, a named variable in a positional
template, a URL button with its variable in the middle) is refused with the reason, rather
than making every later send fail for a reason nobody can see.
"""

from __future__ import annotations

import copy
import hashlib
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import JsonObject

STATUSES = ("APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED")
CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
PARAMETER_FORMATS = ("POSITIONAL", "NAMED")
QUALITY_SCORES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
HEADER_FORMATS = ("TEXT", "IMAGE", "DOCUMENT", "VIDEO", "LOCATION")
BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "OTP")
COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS")

TEMPLATE_KEYS = frozenset(
    {
        "id",
        "name",
        "language",
        "status",
        "category",
        "parameter_format",
        "components",
        "quality_score",
        "rejected_reason",
        "previous_category",
        "sub_category",
    }
)

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_NAME = re.compile(r"[a-z0-9_]{1,512}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]{2,4})?")
_NAMED_VARIABLE = re.compile(r"[a-z_][a-z0-9_]*")


def variables_in(text: object) -> tuple[str, ...]:
    """The variables of a text (``"1"`` for ``{{1}}``, ``"nombre"``), each once, in order."""
    seen: dict[str, None] = {}
    for name in VARIABLE.findall(text if isinstance(text, str) else ""):
        seen.setdefault(name, None)
    return tuple(seen)


def template_id(waba_id: str, name: str, language: str) -> str:
    """A Meta-looking numeric id (16 digits), the same for the same template every run, so
    that a client syncing by id sees the same template after the fake restarts."""
    digest = hashlib.sha256(f"{waba_id}\x00{name}\x00{language}".encode()).digest()
    return str(10**15 + int.from_bytes(digest[:8], "big") % (9 * 10**15))


def component(template: Mapping[str, Any], kind: str) -> JsonObject | None:
    """The template's component of ``kind`` (``HEADER``, ``BODY``, ``FOOTER``, ``BUTTONS``)."""
    for part in template.get("components", ()):
        if isinstance(part, dict) and str(part.get("type", "")).upper() == kind:
            return part
    return None


def checked_template(raw: object, waba_id: str) -> JsonObject:
    """``raw`` as the catalogue keeps it (Meta's key order, an ``id``, defaults: status
    APPROVED, category UTILITY, parameter_format POSITIONAL); ValueError says what Meta
    would not have approved."""
    if not isinstance(raw, dict):
        raise ValueError("each template must be a JSON object")
    unknown = sorted(set(raw) - TEMPLATE_KEYS)
    if unknown:
        raise ValueError(f"unknown template fields: {unknown}")
    name, language = raw.get("name"), raw.get("language")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError("name must be lower-case letters, digits and underscores")
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        raise ValueError(f"{name}: language must be a code such as es, es_MX or en_US")
    where = f"{name} ({language})"
    status = _one_of(raw.get("status", "APPROVED"), STATUSES, f"{where}: status")
    category = _one_of(raw.get("category", "UTILITY"), CATEGORIES, f"{where}: category")
    parameter_format = _one_of(
        raw.get("parameter_format", "POSITIONAL"), PARAMETER_FORMATS, f"{where}: parameter_format"
    )
    components = raw.get("components")
    if not isinstance(components, list) or not components:
        raise ValueError(f"{where}: components must be a non-empty array")
    _check_components(components, parameter_format == "NAMED", where)
    given_id = raw.get("id")
    if given_id is not None and (not isinstance(given_id, str) or not given_id):
        raise ValueError(f"{where}: id must be a non-empty string")
    kept: JsonObject = {
        "name": name,
        "parameter_format": parameter_format,
        "components": copy.deepcopy(components),
        "language": language,
        "status": status,
        "category": category,
        "id": given_id or template_id(waba_id, name, language),
    }
    for key in sorted(TEMPLATE_KEYS - set(kept)):
        if key in raw:
            kept[key] = copy.deepcopy(raw[key])
    return kept


def _one_of(value: object, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}")
    return str(value)


def _check_components(components: list[Any], named: bool, where: str) -> None:
    seen: set[str] = set()
    for part in components:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in COMPONENT_TYPES:
            raise ValueError(f"{where}: each component needs a type, one of {COMPONENT_TYPES}")
        if kind in seen:
            raise ValueError(f"{where}: more than one {kind} component")
        seen.add(kind)
        if kind == "HEADER":
            _check_header(part, named, where)
        elif kind == "BODY":
            _check_variables(_text(part, f"{where}: BODY"), named, f"{where}: BODY")
        elif kind == "FOOTER":
            if variables_in(_text(part, f"{where}: FOOTER")):
                raise ValueError(f"{where}: a FOOTER takes no variables")
        else:
            _check_buttons(part.get("buttons"), where)
    if "BODY" not in seen:
        raise ValueError(f"{where}: a template needs a BODY component")


def _text(part: Mapping[str, Any], where: str) -> str:
    text = part.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where} needs a text")
    return text


def _check_header(part: Mapping[str, Any], named: bool, where: str) -> None:
    header_format = part.get("format")
    if header_format not in HEADER_FORMATS:
        raise ValueError(f"{where}: HEADER format must be one of {', '.join(HEADER_FORMATS)}")
    if header_format != "TEXT":
        if "text" in part:
            raise ValueError(f"{where}: a {header_format} HEADER has no text")
        return
    names = _check_variables(_text(part, f"{where}: HEADER"), named, f"{where}: HEADER")
    if len(names) > 1:
        raise ValueError(f"{where}: a TEXT HEADER takes at most one variable")


def _check_variables(text: str, named: bool, where: str) -> tuple[str, ...]:
    names = variables_in(text)
    if named:
        wrong = [n for n in names if not _NAMED_VARIABLE.fullmatch(n)]
        if wrong:
            raise ValueError(f"{where}: a NAMED template's variables are lower-case names")
    elif sorted(names, key=lambda n: int(n) if n.isdigit() else 0) != [
        str(i) for i in range(1, len(names) + 1)
    ]:
        raise ValueError(f"{where}: a POSITIONAL template numbers its variables {{{{1}}}}, ...")
    return names


def _check_buttons(buttons: object, where: str) -> None:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 10:
        raise ValueError(f"{where}: BUTTONS needs an array of 1 to 10 buttons")
    for button in buttons:
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in BUTTON_TYPES:
            raise ValueError(f"{where}: each button's type is one of {', '.join(BUTTON_TYPES)}")
        if kind in ("QUICK_REPLY", "URL", "PHONE_NUMBER"):
            _text(button, f"{where}: a {kind} button")
        if kind == "URL":
            url = button.get("url")
            names = variables_in(url)
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                raise ValueError(f"{where}: a URL button needs an http(s) url")
            if names and (names != ("1",) or not re.search(r"\{\{\s*1\s*\}\}$", url)):
                raise ValueError(f"{where}: a URL button takes one variable, {{{{1}}}}, at the end")
        if kind == "PHONE_NUMBER" and not isinstance(button.get("phone_number"), str):
            raise ValueError(f"{where}: a PHONE_NUMBER button needs a phone_number")
        if kind == "COPY_CODE" and not isinstance(button.get("example"), str | list):
            raise ValueError(f"{where}: a COPY_CODE button needs an example code")


@dataclass(frozen=True, slots=True)
class TemplateWebhookDelivery:
    """One template webhook the fake posted (or would have: ``response_status`` None)."""

    field: str
    payload: JsonObject
    response_status: int | None
    error: str | None = None


class TemplateCatalogue:
    """Every WABA's templates, and which WABA owns each business number (by default, all
    numbers belong to ``default_waba_id``). Thread-safe: the server changes it on its
    loop while a test reads it from its own thread; every read is a copy."""

    def __init__(
        self,
        default_waba_id: str,
        templates: Iterable[Mapping[str, Any]],
        phone_number_wabas: Mapping[str, str] | None = None,
    ) -> None:
        self.default_waba_id = default_waba_id
        self._lock = threading.Lock()
        self._initial = [checked_template(t, default_waba_id) for t in templates]
        self._initial_numbers = dict(phone_number_wabas or {})
        self._wabas: dict[str, dict[tuple[str, str], JsonObject]] = {}
        self._numbers: dict[str, str] = {}
        self._requests: list[JsonObject] = []
        self._webhooks: list[TemplateWebhookDelivery] = []
        self.reset()

    def reset(self) -> None:
        """Back to the catalogue the fake started with; requests and webhooks forgotten."""
        with self._lock:
            self._wabas = {self.default_waba_id: {}}
            for template in self._initial:
                key = (template["name"], template["language"])
                self._wabas[self.default_waba_id][key] = copy.deepcopy(template)
            self._numbers = dict(self._initial_numbers)
            for waba_id in self._numbers.values():
                self._wabas.setdefault(waba_id, {})
            self._requests.clear()
            self._webhooks.clear()

    def waba_of(self, phone_number_id: str) -> str:
        with self._lock:
            return self._numbers.get(phone_number_id, self.default_waba_id)

    def knows(self, waba_id: str) -> bool:
        with self._lock:
            return waba_id in self._wabas

    def templates(self, waba_id: str | None = None) -> list[JsonObject]:
        """The WABA's templates in catalogue order (empty for an unknown WABA)."""
        with self._lock:
            kept = self._wabas.get(waba_id or self.default_waba_id, {})
            return copy.deepcopy(list(kept.values()))

    def find(self, waba_id: str, name: str, language: str) -> JsonObject | None:
        with self._lock:
            template = self._wabas.get(waba_id, {}).get((name, language))
            return copy.deepcopy(template) if template is not None else None

    def put(
        self,
        templates: Iterable[object],
        *,
        waba_id: str | None = None,
        replace: bool = False,
        phone_number_ids: Iterable[str] = (),
    ) -> list[JsonObject]:
        """Add templates, or replace those of the same name and language (in place, keeping
        their id unless a new one is given); ``replace`` empties the WABA's catalogue
        first. All or nothing: one bad template and none is taken."""
        waba = waba_id or self.default_waba_id
        given = list(templates)
        checked = [checked_template(raw, waba) for raw in given]
        keys = [(t["name"], t["language"]) for t in checked]
        if len(set(keys)) != len(keys):
            raise ValueError("the same name and language appear twice")
        with self._lock:
            catalogue = {} if replace else self._wabas.get(waba, {})
            for key, template, raw in zip(keys, checked, given, strict=True):
                old = catalogue.get(key)
                if old is not None and not (isinstance(raw, dict) and "id" in raw):
                    template["id"] = old["id"]
                catalogue[key] = template
            self._wabas[waba] = catalogue
            for number in phone_number_ids:
                self._numbers[number] = waba
        return copy.deepcopy(checked)

    def change(
        self,
        waba_id: str,
        name: str,
        language: str,
        update: Mapping[str, Any],
    ) -> JsonObject:
        """Apply ``update`` (new ``status``, ``quality_score``, ``category``…) to one
        template; returns the template as it was before. KeyError if it is unknown."""
        with self._lock:
            template = self._wabas.get(waba_id, {}).get((name, language))
            if template is None:
                raise KeyError((waba_id, name, language))
            before = copy.deepcopy(template)
            for key, value in update.items():
                if value is None:
                    template.pop(key, None)
                else:
                    template[key] = copy.deepcopy(value)
            return before

    def snapshot(self) -> JsonObject:
        """Everything, for ``GET /__templates``."""
        with self._lock:
            return {
                "default_waba_id": self.default_waba_id,
                "phone_numbers": dict(self._numbers),
                "wabas": {w: copy.deepcopy(list(t.values())) for w, t in self._wabas.items()},
                "webhooks": [_delivery_json(d) for d in self._webhooks],
            }

    # -- what the list endpoint and the webhooks leave behind ----------------------------

    def record_request(self, request: JsonObject) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[JsonObject]:
        """Every ``GET .../message_templates``: ``path``, ``query``, ``response_status``."""
        with self._lock:
            return copy.deepcopy(self._requests)

    def record_webhook(self, delivery: TemplateWebhookDelivery) -> None:
        with self._lock:
            self._webhooks.append(delivery)

    def webhooks(self) -> list[TemplateWebhookDelivery]:
        with self._lock:
            return list(self._webhooks)


def _delivery_json(delivery: TemplateWebhookDelivery) -> JsonObject:
    return {
        "field": delivery.field,
        "payload": delivery.payload,
        "response_status": delivery.response_status,
        "error": delivery.error,
    }
