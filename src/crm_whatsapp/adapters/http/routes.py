"""The table of every endpoint: what each one reads, answers, and which handler runs it.

This table is the contract: ``endpoint.py`` enforces it and ``openapi.py`` publishes it.
Fixed paths come before ``{conversation_id}`` so that they are not taken for ids.
"""

from __future__ import annotations

from crm_whatsapp.adapters.http import canned_responses as canned
from crm_whatsapp.adapters.http import (
    canned_schemas,
    ingest,
    schemas,
    team_schemas,
    template_schemas,
    templates,
)
from crm_whatsapp.adapters.http import conversations as api
from crm_whatsapp.adapters.http.health import health, ready
from crm_whatsapp.adapters.http.ingest_schemas import ChannelHealthOut, QuarantinePage, WebhookAck
from crm_whatsapp.adapters.http.live import live_events
from crm_whatsapp.adapters.http.media_files import serve_media
from crm_whatsapp.adapters.http.media_links import MEDIA_PATH as MEDIA
from crm_whatsapp.adapters.http.operations import NO_CONTENT, Operation, Param
from crm_whatsapp.adapters.http.webhook import receive_delivery, verify_subscription
from crm_whatsapp.domain.access import Scope
from crm_whatsapp.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

READ, REPLY, MANAGE = Scope.READ, Scope.REPLY, Scope.MANAGE

API = "/api/v1/conversaciones-whatsapp"
ONE = API + "/{conversation_id}"

PAGE = (
    Param(
        "limit",
        f"page size, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})",
        "integer",
        minimum=1,
        maximum=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
    ),
    Param("cursor", "next_cursor of the previous page", "cursor"),
)
LIST = (
    Param("client_id", "only conversations linked to this CRM client", max_length=200),
    Param("number", "only this customer's number, in any format", "phone"),
    Param("since", "last activity at or after: a date-time with offset, or a date", "date_from"),
    Param(
        "until", "last activity before: a date-time with offset, or a date (included)", "date_until"
    ),
    Param("linked", "linked to a CRM client (true) or not (false)", "boolean"),
    Param("bot_paused", "taken over by a person (true) or with the bot (false)", "boolean"),
    Param("opted_out", "customers who opted out (true) or not (false)", "boolean"),
    Param("q", "words in any message, ignoring case and accents", max_length=200),
    Param("status", "open, pending or resolved", max_length=20),
    Param("assignee", "me (an agent token's agent), nobody, or an agent's id", max_length=200),
    *PAGE,
)
STATISTICS = (
    Param(
        "since",
        "messages at or after: a date-time with offset, or a date; default: all",
        "date_from",
    ),
    Param("until", "messages before: a date-time with offset, or a date (included)", "date_until"),
    Param("timezone", "IANA zone for days and hours (default: the service's)", "timezone"),
)
CLIENT_SEARCH = (
    Param("q", "a client id or part of a name", required=True, max_length=200),
    Param(
        "limit",
        "at most this many (1 to 50, default 20)",
        "integer",
        minimum=1,
        maximum=50,
        default=20,
    ),
)
EVENTS = (Param("conversation_id", "only events of this conversation", max_length=200),)
VERIFICATION = (
    Param("hub.mode", "always 'subscribe'", max_length=64),
    Param("hub.verify_token", "the verify token set in Meta's app dashboard", max_length=1024),
    Param("hub.challenge", "echoed back on success", max_length=4096),
)
TEMPLATES = "/api/v1/plantillas"
TEMPLATE_LIST = (
    Param("status", "APPROVED, PENDING, REJECTED, PAUSED or DISABLED", max_length=30),
    Param("language", "a language code such as es or en_US", max_length=15),
    Param("category", "MARKETING, UTILITY or AUTHENTICATION", max_length=30),
    Param("q", "words in the name or the text, ignoring case", max_length=200),
)
CONVERSATION_ID = (Param("conversation_id", "the conversation's id", "id", required=True),)
CANNED = "/api/v1/respuestas-rapidas"
CANNED_SEARCH = (
    Param(
        "q",
        "the start of a shortcut (a leading / is ignored), or words in it, its title "
        "or its text, ignoring case and accents",
        max_length=200,
    ),
    Param(
        "limit",
        "at most this many (1 to 100, default 20)",
        "integer",
        minimum=1,
        maximum=100,
        default=20,
    ),
)
CANNED_ID = (Param("id", "the canned response's id", "id", required=True),)
SHORTCUT = (
    Param("conversation_id", "the conversation's id", "id", required=True),
    Param(
        "shortcut", "the canned response's shortcut, without its /", required=True, max_length=64
    ),
)
MESSAGE_ID = (Param("message_id", "the message's id", "id", required=True),)
MEDIA_LINK = (
    Param("expira", "a signed link's expiry (Unix time)", "integer", minimum=0),
    Param("firma", "a signed link's signature", max_length=128),
)
CLIENT_ID = (Param("cliente_id", "the CRM client's id", "id", required=True),)
NUMBER = (
    Param("numero", "the customer's number, in any format", "phone", required=True, max_length=200),
)

QUARANTINE = (
    Param("estado", "abiertas (default), reprocesadas or todas", max_length=20),
    *PAGE,
)

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/webhook", verify_subscription, "Meta's subscription check", "webhook",
              {200: "text/plain"}, authenticated=False, query=VERIFICATION,
              ignore_unknown_query=True,
              extra_statuses=(403,)),
    Operation("POST", "/webhook", receive_delivery, "Meta delivers messages and statuses",
              "webhook", {200: WebhookAck}, authenticated=False, raw_body=True,
              ignore_unknown_query=True,
              extra_statuses=(401, 413, 503),
              description="Signed with X-Hub-Signature-256; 200 once the body is stored "
              "durably (503 otherwise, so Meta retries). It is read right after: what cannot "
              "be understood is quarantined (GET /api/v1/entregas-fallidas), never refused."),
    Operation("GET", API, api.list_conversations, "Conversations, newest activity first",
              "conversations", {200: schemas.ConversationPage}, query=LIST,
              extra_statuses=(503,), scope=READ),
    Operation("POST", API, templates.start, "The CRM writes first: a template to a number "
              "or a client", "conversations", {201: templates.StartedConversationOut},
              body=templates.StartConversationIn, extra_statuses=(403, 404, 409, 422, 503),
              description="`to` (any format) or `client_id` (the client's first number in the "
              "CRM, or its latest conversation), or both to link the number to the client. The "
              "customer's conversation on this business number is reused; else one is made, "
              "in the same transaction as the message. The template is checked against the "
              "synced catalogue first: 404 template_not_found, 409 template_not_sendable, 409 "
              "marketing_opt_out, 422 invalid_template_parameters naming every problem.",
              scope=REPLY),
    Operation("GET", API + "/estadisticas", api.statistics, "Statistics for a date range",
              "statistics", {200: schemas.StatisticsOut}, query=STATISTICS,
              extra_statuses=(503,),
              scope=READ, confinable=False),
    Operation("GET", API + "/eventos", live_events, "Live updates (server-sent events)",
              "live", {200: "text/event-stream"}, query=EVENTS, extra_statuses=(503,), scope=READ),
    Operation("GET", API + "/cliente/{cliente_id}", api.conversations_of_client,
              "Conversations of a CRM client", "conversations",
              {200: schemas.ConversationPage}, path_params=CLIENT_ID, query=PAGE,
              extra_statuses=(503,), scope=READ),
    Operation("GET", API + "/numero/{numero}", api.conversations_with_number,
              "Conversations with a phone number (any format)", "conversations",
              {200: schemas.ConversationPage}, path_params=NUMBER, query=PAGE,
              extra_statuses=(503,), scope=READ),
    Operation("GET", ONE, api.one_conversation, "One conversation", "conversations",
              {200: schemas.ConversationOut}, path_params=CONVERSATION_ID,
              extra_statuses=(404, 503), scope=READ),
    Operation("GET", ONE + "/mensajes", api.messages, "Messages, newest first", "messages",
              {200: schemas.MessagePage}, path_params=CONVERSATION_ID, query=PAGE,
              extra_statuses=(404, 503), scope=READ),
    Operation("POST", ONE + "/mensajes", api.reply, "An agent replies (queued for sending)",
              "messages", {201: schemas.MessageOut}, path_params=CONVERSATION_ID,
              body=schemas.AgentReplyIn, form=schemas.AgentFileIn,
              extra_statuses=(404, 409, 503),
              description="Free text and files only within 24 hours of the customer's last "
              "message (409 outside_service_window); a template at any time. A file goes "
              "as multipart/form-data: its type is checked by content (415) and against "
              "WhatsApp's limit for its kind (413) before anything is stored or sent.",
              scope=REPLY),
    Operation("PUT", ONE + "/cliente", api.link, "Link the customer to a CRM client",
              "conversations", {200: schemas.ConversationOut}, path_params=CONVERSATION_ID,
              body=schemas.LinkClientIn, extra_statuses=(404, 503), scope=MANAGE),
    Operation("DELETE", ONE + "/cliente", api.unlink, "Unlink the customer's CRM client",
              "conversations", {200: schemas.ConversationOut}, path_params=CONVERSATION_ID,
              extra_statuses=(404, 503), scope=MANAGE),
    Operation("POST", ONE + "/pausar-bot", api.pause_bot, "A person takes over",
              "conversations", {200: schemas.ConversationOut}, path_params=CONVERSATION_ID,
              body=schemas.TakeOverIn, extra_statuses=(404, 503), scope=REPLY),
    Operation("POST", ONE + "/reanudar-bot", api.resume_bot,
              "Give the conversation back to the bot", "conversations",
              {200: schemas.ConversationOut}, path_params=CONVERSATION_ID,
              extra_statuses=(404, 503), scope=REPLY),
    Operation("POST", ONE + "/leida", api.read, "Mark read (and send blue ticks)",
              "conversations", {200: schemas.ConversationOut}, path_params=CONVERSATION_ID,
              extra_statuses=(404, 503), scope=REPLY),
    Operation("GET", "/api/v1/yo", api.me, "Who the token says I am", "agents",
              {200: team_schemas.MeOut},
              description="The agent (or service), the scopes and the one client a confined "
              "token may see; any valid token may ask."),
    Operation("GET", ONE + "/actividad", api.activity,
              "What the team did, newest first", "activity",
              {200: team_schemas.ActivityPage}, path_params=CONVERSATION_ID, query=PAGE,
              extra_statuses=(404, 503), scope=READ,
              description="Replies, take-overs, assignments, status changes, links, reads "
              "and private notes, each with its actor (from the token) and time."),
    Operation("PUT", ONE + "/asignacion", api.assign_conversation,
              "Assign to me, to an agent, or to nobody", "activity",
              {200: schemas.ConversationOut}, path_params=CONVERSATION_ID,
              body=team_schemas.AssignIn, extra_statuses=(404, 503), scope=REPLY,
              description="Assigning is taking over: the bot is paused while someone has "
              "the conversation; nobody leaves it paused in the unassigned queue."),
    Operation("PUT", ONE + "/estado", api.change_status, "Open, pending or resolved",
              "activity", {200: schemas.ConversationOut}, path_params=CONVERSATION_ID,
              body=team_schemas.StatusIn, extra_statuses=(404, 503), scope=REPLY,
              description="A new message from the customer reopens a resolved conversation."),
    Operation("POST", ONE + "/notas", api.write_note, "A private note for the team",
              "activity", {201: team_schemas.ActivityOut}, path_params=CONVERSATION_ID,
              body=team_schemas.NoteIn, extra_statuses=(404, 503), scope=REPLY,
              description="Stored with the conversation and shown in the chat; never sent "
              "to WhatsApp."),
    Operation("GET", MEDIA + "/{message_id}", serve_media, "A message's file",
              "media", {200: "*/*"}, path_params=MESSAGE_ID,
              query=MEDIA_LINK, authenticated=False, extra_statuses=(401, 403, 404, 416, 503),
              description="With the API token, or as the signed link in the message's "
              "media.url. Served with its stored type, nosniff, a sandbox CSP, inline only "
              "for pictures, sound and video; range requests allowed."),
    Operation("POST", MEDIA + "/{message_id}/reintentar", api.retry_media,
              "Fetch a failed file from Meta again", "media", {202: schemas.MessageOut},
              path_params=MESSAGE_ID, extra_statuses=(404, 409, 503),
              description="Within Meta's 7 days (409 media_expired_at_meta after).", scope=REPLY),
    Operation("GET", TEMPLATES, templates.list_templates, "The synced template catalogue",
              "templates", {200: template_schemas.TemplateCatalogueOut}, query=TEMPLATE_LIST,
              extra_statuses=(503,), scope=READ),
    Operation("POST", TEMPLATES + "/sincronizar", templates.sync_templates,
              "Sync the template catalogue from Meta now", "templates",
              {200: template_schemas.TemplateSyncOut}, extra_statuses=(409, 502, 503),
              description="Every page of GET /{waba-id}/message_templates; the stored "
              "catalogue is replaced only when all of them came (502 template_sync_failed "
              "otherwise). 409 templates_not_configured without CRM_WHATSAPP_WABA_ID.",
              scope=MANAGE, confinable=False),
    Operation("GET", CANNED, canned.list_canned_responses,
              "Canned responses (respuestas rápidas) by shortcut", "canned responses",
              {200: canned_schemas.CannedResponseList}, query=CANNED_SEARCH,
              extra_statuses=(503,), scope=READ,
              description="What the composer offers after /: shortcuts that start with q "
              "first, then those with every word of q, each group by shortcut."),
    Operation("POST", CANNED, canned.add_canned_response, "Save a canned response",
              "canned responses", {201: canned_schemas.CannedResponseOut},
              body=canned_schemas.CannedResponseIn, extra_statuses=(409, 503), scope=MANAGE,
              confinable=False,
              description="409 duplicate_shortcut when another has the shortcut (case and "
              "accents ignored); 422 unknown_placeholders naming each placeholder nothing "
              "fills, invalid_canned_response for a shortcut, title or text of the wrong form."),
    Operation("PUT", CANNED + "/{id}", canned.change_canned_response,
              "Change a canned response's shortcut, title or text", "canned responses",
              {200: canned_schemas.CannedResponseOut}, path_params=CANNED_ID,
              body=canned_schemas.CannedResponseChangeIn, extra_statuses=(404, 409, 503),
              scope=MANAGE, confinable=False,
              description="Only the fields given change; checked as when saved."),
    Operation("DELETE", CANNED + "/{id}", canned.remove_canned_response,
              "Delete a canned response", "canned responses", {204: NO_CONTENT},
              path_params=CANNED_ID, extra_statuses=(404, 503), scope=MANAGE, confinable=False),
    Operation("GET", ONE + "/respuestas-rapidas/{shortcut}",
              canned.canned_response_for_conversation,
              "A canned response filled for this conversation", "canned responses",
              {200: canned_schemas.ExpandedCannedResponseOut}, path_params=SHORTCUT,
              extra_statuses=(404, 503), scope=READ,
              description="Its placeholders filled with the linked client's fields, the "
              "profile name and the number, each value as it is (never read for placeholders "
              "again); missing names those with no value here, left empty in text."),
    Operation("GET", "/api/v1/clientes-crm", api.search_clients,
              "CRM clients by id or name (to link a conversation)", "clients",
              {200: schemas.ClientList}, query=CLIENT_SEARCH, extra_statuses=(503,),
              scope=READ, confinable=False),
    Operation("GET", "/api/v1/entregas-fallidas", ingest.quarantine,
              "Webhook items that could not be understood (the quarantine)", "ingest",
              {200: QuarantinePage}, query=QUARANTINE, extra_statuses=(503,),
              description="Newest first, each with its raw JSON, its place in the body and "
              "the reason; `crm-whatsapp deliveries replay` reads them again after an "
              "upgrade.", scope=MANAGE, confinable=False),
    Operation("GET", "/api/v1/salud-canal", ingest.channel_health,
              "Ingest backlog, quarantine and Meta's alerts about the channel", "ingest",
              {200: ChannelHealthOut}, extra_statuses=(503,), scope=MANAGE, confinable=False),
    Operation("GET", "/health", health, "The process answers", "health",
              {200: schemas.Status}, authenticated=False, ignore_unknown_query=True),
    Operation("GET", "/ready", ready, "The database answers", "health",
              {200: schemas.Readiness, 503: schemas.Readiness}, authenticated=False,
              ignore_unknown_query=True,
              description="Only the status, for anyone: why it is unavailable goes to the "
              "log, the ingest backlog to GET /api/v1/salud-canal."),
)  # fmt: skip
