"""An agent sends a file: checked by its content, kept by us, then queued like any reply.

The order matters for "nothing partial": everything that can refuse the file (the 24-hour
window, the type by content, Meta's size limit for its kind) is checked before a byte is
stored, and the message is queued only once our copy is durable. Meta sees nothing until
the outbox uploads our copy and sends it.

A voice note recorded in Chromium arrives as WebM/Opus, which Meta refuses; its Opus
packets are moved into an OGG container (no re-encoding, milliseconds) and it goes as a
voice note.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import PurePath

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from crm_whatsapp.adapters.http import schemas
from crm_whatsapp.adapters.http.callers import acting_actor, visible_conversation
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.adapters.media.voice_remux import remux_webm_opus_to_ogg
from crm_whatsapp.domain.errors import OutsideServiceWindow
from crm_whatsapp.domain.media import MediaFile
from crm_whatsapp.domain.media_types import check_upload, is_ogg_opus
from crm_whatsapp.domain.message import MessageKind
from crm_whatsapp.domain.use_cases import agent_reply
from crm_whatsapp.domain.use_cases.agent import Attachment

HEAD_BYTES = 64 * 1024
"""How much of a file the type check reads."""
CHUNK_BYTES = 1024 * 1024


async def send_file(context: ApiContext, call: Call, conversation_id: str) -> schemas.MessageOut:
    upload = call.upload
    assert upload is not None
    form = call.body_as(schemas.AgentFileIn)
    template = form.template_in()
    actor = acting_actor(call, form.agent)
    store = context.deps.media
    if store is None:
        raise ApiError(503, "unavailable", "this service keeps no media files")
    if template is None:
        await _check_window(context, call, conversation_id)
    else:  # a template goes at any time; the conversation must still be the caller's
        await run_in_threadpool(visible_conversation, context, call, conversation_id)
    size = await _size(upload)
    if size > context.upload_max_bytes:
        raise ApiError(
            413,
            "payload_too_large",
            f"the file is larger than {context.upload_max_bytes} bytes "
            "(CRM_WHATSAPP_MEDIA_MAX_BYTES)",
        )
    head = await upload.read(HEAD_BYTES)
    filename = _safe_name(upload.filename)
    checked = check_upload(head, size, filename, as_document=form.as_document)
    mime_type, voice = checked.mime_type, form.voice and checked.kind is MessageKind.AUDIO
    if checked.voice_remux_needed:
        await upload.seek(0)
        recording = await run_in_threadpool(
            remux_webm_opus_to_ogg, upload.file, max_bytes=context.upload_max_bytes
        )
        checked = check_upload(recording[:HEAD_BYTES], len(recording), None)
        mime_type, voice = checked.mime_type, True
        filename = str(PurePath(filename or "nota-de-voz").with_suffix(".ogg"))
        stored = await store.put(_once(recording), max_bytes=context.upload_max_bytes)
    else:
        voice = voice and is_ogg_opus(head)
        stored = await store.put(_chunks(upload), max_bytes=context.upload_max_bytes)
    now = context.deps.clock.now()
    attachment = Attachment(
        checked.kind,
        MediaFile.uploaded(stored, mime_type, now, filename=filename, voice=voice),
    )
    message = await run_in_threadpool(
        lambda: agent_reply(
            context.deps,
            conversation_id,
            actor,
            text=form.caption or None,
            template=template.to_domain() if template is not None else None,
            attachment=attachment,
            reply_to_wamid=form.reply_to_wamid,
            take_over=form.take_over,
        )
    )
    return schemas.message_out(message, context.media_links, now)


async def _check_window(context: ApiContext, call: Call, conversation_id: str) -> None:
    """Before storing anything: a file outside the window would only be refused after (and
    a conversation the caller cannot see is a 404 before a byte is kept)."""
    conversation = await run_in_threadpool(visible_conversation, context, call, conversation_id)
    if not conversation.service_window_open(context.deps.clock.now()):
        raise OutsideServiceWindow(conversation.id, conversation.service_window_closes_at)


async def _size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    size = await run_in_threadpool(upload.file.seek, 0, 2)
    await upload.seek(0)
    return size


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _safe_name(filename: str | None) -> str | None:
    """The name the customer sees for a document; a browser may send a whole path."""
    if not filename:
        return None
    name = PurePath(filename.replace("\\", "/")).name.strip()
    return name[:200] or None
