"""The CRM API on the original CRM's paths (``/api/v1/conversaciones-whatsapp...``).

Endpoints are thin: authenticate, read parameters, run one query or use case in the
threadpool (the database adapters are synchronous), answer with the schema's JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_whatsapp.adapters.http import schemas
from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.adapters.http.errors import ApiError, describe_validation_error
from crm_whatsapp.adapters.http.operations import Param
from crm_whatsapp.adapters.http.params import Query, bad_parameter
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.use_cases import (
    agent_reply,
    give_back_to_bot,
    link_client,
    mark_read,
    take_over,
    unlink_client,
)

logger = logging.getLogger("crm_whatsapp.http")

BodyModel = TypeVar("BodyModel", bound=BaseModel)
MAX_ID_LENGTH = 200

PAGE_PARAMS = (
    Param("limit", "page size, 1 to 200 (default 50)", "integer", minimum=1, maximum=200),
    Param("cursor", "next_cursor of the previous page", max_length=1000),
)
LIST_PARAMS = (
    Param("client_id", "only conversations linked to this CRM client", max_length=200),
    Param("number", "only this customer's number, in any format", max_length=64),
    Param("since", "last activity at or after: a date-time with offset, or a date", max_length=64),
    Param(
        "until",
        "last activity before: a date-time with offset, or a date (included)",
        max_length=64,
    ),
    Param("linked", "linked to a CRM client (true) or not (false)", "boolean"),
    Param("bot_paused", "taken over by a person (true) or with the bot (false)", "boolean"),
    Param("opted_out", "customers who opted out (true) or not (false)", "boolean"),
    Param("q", "words in any message, ignoring case and accents", max_length=200),
    *PAGE_PARAMS,
)
STATISTICS_PARAMS = (
    Param(
        "since",
        "messages at or after: a date-time with offset, or a date; default: all",
        max_length=64,
    ),
    Param("until", "messages before: a date-time with offset, or a date (included)", max_length=64),
    Param("timezone", "IANA zone for days and hours (default: the service's)", max_length=64),
)
CLIENT_SEARCH_PARAMS = (
    Param("q", "client id or part of the name", required=True, max_length=200),
    Param("limit", "at most this many (1 to 50, default 20)", "integer", minimum=1, maximum=50),
)
CONVERSATION_ID = (Param("conversation_id", "the conversation's id", required=True),)
CLIENT_ID = (Param("cliente_id", "the CRM client's id", required=True),)
NUMBER = (Param("numero", "the customer's number, in any format", required=True),)


def json_response(model: BaseModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status)


def path_value(request: Request, name: str) -> str:
    value = str(request.path_params[name])
    if not value.strip() or len(value) > MAX_ID_LENGTH or "\x00" in value:
        raise ApiError(400, "invalid_path_parameter", f"{name}: not a valid identifier")
    return value


async def read_body(request: Request, model: type[BodyModel]) -> BodyModel:
    raw = await request.body()
    try:
        document: Any = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body's JSON is nested too deeply") from None
    if not isinstance(document, dict):
        raise ApiError(422, "invalid_body", "body: expected a JSON object")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise ApiError(
            422, "invalid_body", describe_validation_error(exc, model.model_fields)
        ) from None


class ConversationEndpoints:
    def __init__(self, services: ApiContext) -> None:
        self._s = services

    # -- reading -------------------------------------------------------------------------
    async def list(self, request: Request) -> Response:
        self._s.tokens.check(request)
        query = Query(request.query_params, LIST_PARAMS)
        number_text = query.text("number", 64)
        conversation_filter = ConversationFilter(
            client_id=query.text("client_id", MAX_ID_LENGTH),
            number=self._phone(number_text, "number") if number_text is not None else None,
            since=query.moment("since", self._s.default_timezone),
            until=query.moment("until", self._s.default_timezone, end=True),
            linked=query.flag("linked"),
            bot_paused=query.flag("bot_paused"),
            opted_out=query.flag("opted_out"),
            text=query.text("q", 200),
        )
        return await self._page(conversation_filter, query)

    async def by_client(self, request: Request) -> Response:
        self._s.tokens.check(request)
        query = Query(request.query_params, PAGE_PARAMS)
        client_id = path_value(request, "cliente_id")
        return await self._page(ConversationFilter(client_id=client_id), query)

    async def by_number(self, request: Request) -> Response:
        self._s.tokens.check(request)
        query = Query(request.query_params, PAGE_PARAMS)
        number = self._phone(path_value(request, "numero"), "numero")
        return await self._page(ConversationFilter(number=number), query)

    async def one(self, request: Request) -> Response:
        self._s.tokens.check(request)
        Query(request.query_params, ())
        conversation_id = path_value(request, "conversation_id")
        conversation = await run_in_threadpool(self._s.queries.conversation, conversation_id)
        return json_response(self._out(conversation))

    async def messages(self, request: Request) -> Response:
        self._s.tokens.check(request)
        query = Query(request.query_params, PAGE_PARAMS)
        conversation_id = path_value(request, "conversation_id")
        limit, cursor = query.limit(), query.cursor()

        def read() -> schemas.MessagePage:
            self._s.queries.conversation(conversation_id)  # 404 rather than an empty page
            page = self._s.queries.messages(conversation_id, limit, cursor)
            return schemas.MessagePage(
                items=[schemas.message_out(m) for m in page.items], next_cursor=page.next_cursor
            )

        return json_response(await run_in_threadpool(read))

    async def statistics(self, request: Request) -> Response:
        self._s.tokens.check(request)
        query = Query(request.query_params, STATISTICS_PARAMS)
        timezone = query.text("timezone", 64) or self._s.default_timezone
        since = query.moment("since", timezone)
        until = query.moment("until", timezone, end=True)
        stats = await run_in_threadpool(self._s.queries.statistics, since, until, timezone)
        return json_response(schemas.statistics_out(stats))

    async def search_clients(self, request: Request) -> Response:
        self._s.tokens.check(request)
        query = Query(request.query_params, CLIENT_SEARCH_PARAMS)
        text = query.text("q", 200)
        if text is None or not text.strip():
            raise bad_parameter("q", "required: a client id or part of a name")
        limit = query.limit(default=20, maximum=50)
        clients = await run_in_threadpool(self._s.deps.clients.search, text, limit)
        return json_response(schemas.ClientList(items=[schemas.client_out(c) for c in clients]))

    # -- acting --------------------------------------------------------------------------
    async def reply(self, request: Request) -> Response:
        self._s.tokens.check(request)
        Query(request.query_params, ())
        conversation_id = path_value(request, "conversation_id")
        body = await read_body(request, schemas.AgentReplyIn)
        message = await run_in_threadpool(
            lambda: agent_reply(
                self._s.deps,
                conversation_id,
                body.agent,
                text=body.text,
                template=body.template.to_domain() if body.template else None,
                reply_to_wamid=body.reply_to_wamid,
                take_over=body.take_over,
            )
        )
        return json_response(schemas.message_out(message), status=201)

    async def link(self, request: Request) -> Response:
        self._s.tokens.check(request)
        Query(request.query_params, ())
        conversation_id = path_value(request, "conversation_id")
        body = await read_body(request, schemas.LinkClientIn)
        return await self._change(
            lambda: link_client(self._s.deps, conversation_id, body.client_id)
        )

    async def unlink(self, request: Request) -> Response:
        self._s.tokens.check(request)
        Query(request.query_params, ())
        conversation_id = path_value(request, "conversation_id")
        return await self._change(lambda: unlink_client(self._s.deps, conversation_id))

    async def pause_bot(self, request: Request) -> Response:
        self._s.tokens.check(request)
        Query(request.query_params, ())
        conversation_id = path_value(request, "conversation_id")
        body = await read_body(request, schemas.TakeOverIn)
        return await self._change(lambda: take_over(self._s.deps, conversation_id, body.agent))

    async def resume_bot(self, request: Request) -> Response:
        self._s.tokens.check(request)
        Query(request.query_params, ())
        conversation_id = path_value(request, "conversation_id")
        return await self._change(lambda: give_back_to_bot(self._s.deps, conversation_id))

    async def read(self, request: Request) -> Response:
        self._s.tokens.check(request)
        Query(request.query_params, ())
        conversation_id = path_value(request, "conversation_id")
        conversation = await run_in_threadpool(mark_read, self._s.deps, conversation_id)
        await self._send_read_receipt(conversation)
        return json_response(self._out(conversation))

    # -- helpers -------------------------------------------------------------------------
    async def _page(self, conversation_filter: ConversationFilter, query: Query) -> Response:
        limit, cursor = query.limit(), query.cursor()
        page = await run_in_threadpool(
            self._s.queries.conversations, conversation_filter, limit, cursor
        )
        now = self._s.deps.clock.now()
        return json_response(
            schemas.ConversationPage(
                items=[schemas.conversation_out(c, now) for c in page.items],
                next_cursor=page.next_cursor,
            )
        )

    async def _change(self, change: Callable[[], Conversation]) -> Response:
        return json_response(self._out(await run_in_threadpool(change)))

    def _out(self, conversation: Conversation) -> schemas.ConversationOut:
        return schemas.conversation_out(conversation, self._s.deps.clock.now())

    def _phone(self, text: str, parameter: str) -> PhoneNumber:
        try:
            return PhoneNumber.parse(text, self._s.default_region)
        except ValueError as exc:
            raise bad_parameter(parameter, str(exc)) from None

    async def _send_read_receipt(self, conversation: Conversation) -> None:
        """Blue ticks for the customer's latest message: a courtesy, so failures are logged."""
        gateway = self._s.read_receipts
        if gateway is None:
            return
        page = await run_in_threadpool(self._s.queries.messages, conversation.id, 20, None)
        latest = next((m for m in page.items if m.is_inbound and m.wamid), None)
        if latest is None or latest.wamid is None:
            return
        try:
            await gateway.mark_read(conversation.business_number_id, latest.wamid)
        except GatewayError as exc:
            logger.warning("read receipt for conversation %s failed: %s", conversation.id, exc)
