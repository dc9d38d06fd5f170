"""The fake's template routes, added to the app by ``create_fake_graph_api``.

* ``GET /{version}/{waba_id}/message_templates`` - Meta's list, behind the same bearer
  token: ``limit`` (default 25), ``after`` / ``before`` cursors, filters ``status``,
  ``category``, ``language`` (each a comma-separated list) and ``name`` (part of the
  name), ``summary=total_count``; ``fields`` is ignored (whole templates come back).
  The answer is Meta's: ``{"data": [...], "paging": {"cursors": {"before", "after"},
  "next": <absolute URL>, "previous": <absolute URL>}}``, ``next`` only when a page
  follows, ``previous`` only when one precedes; an empty page is ``{"data": []}``. An
  unknown WABA id answers HTTP 400, code 100, subcode 33. ``POST /__fail_next`` with
  ``"endpoint": "templates"`` makes it fail.
* ``GET /__templates`` (test control) - every WABA's catalogue, which WABA each number
  was given to, and the template webhooks posted.
* ``POST /__templates`` - ``{"templates": [...], "waba_id"?, "replace"?: false,
  "phone_number_ids"?: [...]}`` adds templates (or replaces those of the same name and
  language) in a WABA's catalogue; ``replace`` starts it afresh; ``phone_number_ids``
  become that WABA's numbers.
* ``POST /__templates/{name}/{language}/status`` - ``{"status": "PAUSED", "reason"?,
  "quality"?: "RED", "category"?: "MARKETING", "waba_id"?}`` changes the template and
  posts Meta's signed webhook for each change (``message_template_status_update``,
  ``message_template_quality_update``, ``template_category_update``) to the webhook URL;
  the answer says how each was received.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_whatsapp.adapters.whatsapp.fake_graph_api.media import object_missing_body
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import JsonObject
from crm_whatsapp.adapters.whatsapp.fake_graph_api.options import TEMPLATES_ENDPOINT
from crm_whatsapp.adapters.whatsapp.fake_graph_api.responses import (
    graph_error,
    guarded_answer,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.state import (
    FakeGraphApiState,
    redacted_headers,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.templates import (
    CATEGORIES,
    QUALITY_SCORES,
    STATUSES,
    TemplateWebhookDelivery,
)

DEFAULT_LIMIT = 25
STATUS_FIELD = "message_template_status_update"
QUALITY_FIELD = "message_template_quality_update"
CATEGORY_FIELD = "template_category_update"


def template_routes(fake: FakeGraphApiState) -> list[Route]:
    async def listing(request: Request) -> Response:
        return await _listing(fake, request)

    async def snapshot(_: Request) -> Response:
        return JSONResponse(fake.templates.snapshot())

    async def put(request: Request) -> Response:
        try:
            spec = _json_object(
                await request.body(), {"templates", "waba_id", "replace", "phone_number_ids"}
            )
            waba_id = _optional_str(spec, "waba_id")
            templates, numbers = spec.get("templates"), spec.get("phone_number_ids", [])
            if not isinstance(templates, list):
                raise ValueError("templates must be an array")
            if not isinstance(numbers, list) or not all(isinstance(n, str) and n for n in numbers):
                raise ValueError("phone_number_ids must be an array of strings")
            if not isinstance(spec.get("replace", False), bool):
                raise ValueError("replace must be true or false")
            kept = fake.templates.put(
                templates,
                waba_id=waba_id,
                replace=spec.get("replace", False),
                phone_number_ids=numbers,
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(
            {"waba_id": waba_id or fake.templates.default_waba_id, "templates": kept}
        )

    async def change(request: Request) -> Response:
        return await _change(fake, request)

    return [
        Route("/__templates", snapshot, methods=["GET"]),
        Route("/__templates", put, methods=["POST"]),
        Route("/__templates/{name}/{language}/status", change, methods=["POST"]),
        Route("/{version}/{waba_id}/message_templates", listing, methods=["GET"]),
    ]


# -- the list --------------------------------------------------------------------------


async def _listing(fake: FakeGraphApiState, request: Request) -> Response:
    """Meta's pace, the bearer token, a failure queued for ``templates``, then the page;
    every request recorded (``fake.templates.requests()``)."""
    record: JsonObject = {
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.query_params),
        "headers": redacted_headers(request.headers),
        "received_at": time.time(),
    }
    delay = fake.pace.delay()
    if delay > 0:
        await fake.wait_unless_closing(delay)

    async def page() -> Response:
        return _page(fake, request)

    authorization = request.headers.get("authorization")
    response = await guarded_answer(fake, TEMPLATES_ENDPOINT, authorization, page)
    fake.templates.record_request({**record, "response_status": response.status_code})
    return response


def _page(fake: FakeGraphApiState, request: Request) -> Response:
    waba_id = str(request.path_params["waba_id"])
    if not fake.templates.knows(waba_id):
        return JSONResponse(object_missing_body(waba_id, fake.fbtrace_id()), status_code=400)
    params = request.query_params
    try:
        limit = _positive(params.get("limit"), "limit", DEFAULT_LIMIT)
        after, before = params.get("after"), params.get("before")
        start = _offset(after) + 1 if after else 0
        end = start + limit
        if before and not after:
            end = _offset(before)
            start = max(0, end - limit)
    except ValueError as exc:
        return graph_error(fake, 100, f"(#100) {exc}", 400)
    matching = [t for t in fake.templates.templates(waba_id) if _matches(t, params)]
    page = matching[start:end]
    body: JsonObject = {"data": page}
    if page:
        last = start + len(page) - 1
        paging: JsonObject = {"cursors": {"before": cursor(start), "after": cursor(last)}}
        url = request.url.remove_query_params(["after", "before"])
        if last + 1 < len(matching):
            paging["next"] = str(url.include_query_params(limit=limit, after=cursor(last)))
        if start > 0:
            paging["previous"] = str(url.include_query_params(limit=limit, before=cursor(start)))
        body["paging"] = paging
    if "total_count" in params.get("summary", "").split(","):
        body["summary"] = {"total_count": len(matching)}
    return JSONResponse(body)


def cursor(offset: int) -> str:
    """Meta's cursor for a position: base64 of the number, ``=`` spelled ``ZD``
    (``MAZDZD`` is the first template, ``MjQZD`` the 25th)."""
    return base64.b64encode(str(offset).encode()).decode().replace("=", "ZD")


def _offset(text: str) -> int:
    core = text
    while core.endswith("ZD"):
        core = core[:-2]
    try:
        decoded = base64.b64decode(core + "=" * (-len(core) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if not decoded.isdigit() or len(decoded) > 9:
        raise ValueError("Invalid cursor")
    return int(decoded)


def _positive(text: str | None, name: str, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or not 0 < int(text) <= 10_000:
        raise ValueError(f"Param {name} must be a positive integer")
    return int(text)


def _matches(template: JsonObject, params: Any) -> bool:
    """Meta's filters: ``status``, ``category`` (any case) and ``language``, each a
    comma-separated list, and ``name``, a part of the name."""
    for key, fold in (("status", True), ("category", True), ("language", False)):
        wanted = params.get(key)
        if wanted:
            values = {v.strip().upper() if fold else v.strip() for v in wanted.split(",")}
            if template[key] not in values:
                return False
    name = params.get("name")
    return not name or name.lower() in template["name"]


# -- changes and their webhooks ----------------------------------------------------------


async def _change(fake: FakeGraphApiState, request: Request) -> Response:
    name, language = str(request.path_params["name"]), str(request.path_params["language"])
    try:
        spec = _json_object(
            await request.body(), {"status", "reason", "quality", "category", "waba_id"}
        )
        waba_id = _optional_str(spec, "waba_id") or fake.templates.default_waba_id
        status, quality = spec.get("status"), spec.get("quality")
        category, reason = spec.get("category"), _optional_str(spec, "reason")
        if status is None and quality is None and category is None:
            raise ValueError("give a status, a quality or a category")
        for value, allowed, what in (
            (status, STATUSES, "status"),
            (quality, QUALITY_SCORES, "quality"),
            (category, CATEGORIES, "category"),
        ):
            if value is not None and value not in allowed:
                raise ValueError(f"{what} must be one of {', '.join(allowed)}")
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    template = fake.templates.find(waba_id, name, language)
    if template is None:
        return JSONResponse(
            {"error": f"no template {name!r} in {language!r} in WABA {waba_id!r}"},
            status_code=404,
        )
    now = int(time.time())
    update, events = template_changes(
        template, now, status=status, reason=reason, quality=quality, category=category
    )
    fake.templates.change(waba_id, name, language, update)
    deliveries = []
    for field, value in events:
        payload = template_webhook_body(waba_id, field, value, now)
        response_status, error = await fake.post_signed(payload)
        delivery = TemplateWebhookDelivery(field, payload, response_status, error)
        fake.templates.record_webhook(delivery)
        deliveries.append(
            {"field": field, "payload": payload, "response_status": response_status, "error": error}
        )
    after = fake.templates.find(waba_id, name, language)
    return JSONResponse({"template": after, "webhooks": deliveries})


def template_changes(
    template: JsonObject,
    now: int,
    *,
    status: str | None,
    reason: str | None,
    quality: str | None,
    category: str | None,
) -> tuple[JsonObject, list[tuple[str, JsonObject]]]:
    """What changes in the template, and the webhook values Meta posts for it: one per
    kind of change, in the order status, quality, category."""
    template_id = str(template["id"])
    ident: JsonObject = {
        "message_template_id": int(template_id) if template_id.isdigit() else template_id,
        "message_template_name": template["name"],
        "message_template_language": template["language"],
    }
    update: JsonObject = {}
    events: list[tuple[str, JsonObject]] = []
    if status is not None:
        update["status"] = status
        update["rejected_reason"] = (reason or "NONE") if status == "REJECTED" else None
        value: JsonObject = {"event": status, **ident, "reason": reason or "NONE"}
        value["message_template_category"] = category or template["category"]
        if status == "PAUSED":
            value["other_info"] = {
                "title": "FIRST_PAUSE",
                "description": "Your WhatsApp message template has been paused because of "
                "low quality.",
            }
        elif status == "APPROVED" and template["status"] == "PAUSED":
            value["other_info"] = {
                "title": "UNPAUSE",
                "description": "Your WhatsApp message template has been unpaused.",
            }
        elif status == "DISABLED":
            value["disable_info"] = {"disable_date": now}
        events.append((STATUS_FIELD, value))
    if quality is not None:
        previous = (template.get("quality_score") or {}).get("score", "UNKNOWN")
        update["quality_score"] = {"score": quality, "date": now}
        events.append(
            (
                QUALITY_FIELD,
                {"previous_quality_score": previous, "new_quality_score": quality, **ident},
            )
        )
    if category is not None:
        update["category"] = category
        update["previous_category"] = template["category"]
        events.append(
            (
                CATEGORY_FIELD,
                {**ident, "previous_category": template["category"], "new_category": category},
            )
        )
    return update, events


def template_webhook_body(waba_id: str, field: str, value: JsonObject, now: int) -> JsonObject:
    """The envelope Meta posts for a change of a WABA's template: the entry is the WABA."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "time": now, "changes": [{"value": value, "field": field}]}],
    }


def _json_object(raw: bytes, known: set[str]) -> JsonObject:
    try:
        spec = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError("the body must be JSON") from exc
    if not isinstance(spec, dict):
        raise ValueError("the body must be a JSON object")
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f"unknown fields: {unknown}")
    return spec


def _optional_str(spec: JsonObject, key: str) -> str | None:
    value = spec.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"{key} must be a non-empty string")
    return value
