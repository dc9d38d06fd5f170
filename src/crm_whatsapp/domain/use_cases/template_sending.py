"""A template send checked against the synced catalogue before it is queued.

Once the catalogue has been synced, every template an agent or the CRM sends is checked
here, so Meta's after-the-fact refusals (132000, 132001, 132015) become answers while
the form is open, and nothing reaches Meta that it would refuse. Before any sync there
is nothing to check against: the template goes as given, and Meta has the last word.
"""

from __future__ import annotations

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import MessageNotFound
from crm_whatsapp.domain.media import MediaFile
from crm_whatsapp.domain.message import MessageKind
from crm_whatsapp.domain.ports import UnitOfWork
from crm_whatsapp.domain.template_check import checked_template
from crm_whatsapp.domain.template_errors import (
    InvalidTemplateParameters,
    MarketingOptedOut,
    TemplateNotFound,
    TemplateNotSendable,
)
from crm_whatsapp.domain.template_message import TemplateMessage

HeaderFile = tuple[MessageKind, MediaFile]
"""A file uploaded with the send: how it goes (image, document, video) and our copy."""


def template_to_send(
    uow: UnitOfWork,
    conversation: Conversation,
    request: TemplateMessage,
    upload: HeaderFile | None,
) -> tuple[TemplateMessage, MediaFile | None]:
    """The template as it will be stored and sent, and its header's file if any.

    Raises ``TemplateNotFound``, ``TemplateNotSendable``, ``MarketingOptedOut`` or
    ``InvalidTemplateParameters`` (every problem at once); nothing is stored then.
    """
    header_file = _header_file(uow, request, upload)
    if uow.templates.synced_at() is None:
        _check_file_kind(request, header_file)
        return request, header_file[1] if header_file else None
    template = uow.templates.get(request.name, request.language)
    if template is None:
        raise TemplateNotFound(request.name, request.language)
    if not template.is_sendable:
        raise TemplateNotSendable(template.name, template.language, template.status)
    if template.is_marketing and conversation.marketing_opt_out:
        raise MarketingOptedOut(conversation.id, template.name)
    checked = checked_template(template, request, has_file=header_file is not None)
    _check_file_kind(checked, header_file)
    return checked, header_file[1] if header_file else None


def _header_file(
    uow: UnitOfWork, request: TemplateMessage, upload: HeaderFile | None
) -> HeaderFile | None:
    """The uploaded file, or the stored file of the message the header names."""
    named = request.header.media_message_id if request.header is not None else None
    if upload is not None and named is not None:
        raise InvalidTemplateParameters(
            request.name, ["header: give a file or a media_id, not both"]
        )
    if upload is not None or named is None:
        return upload
    try:
        message = uow.conversations.get_message(named)
    except MessageNotFound:
        raise InvalidTemplateParameters(
            request.name, [f"header: no message {named!r} holds a file"]
        ) from None
    if message.media is None or not message.media.is_stored or not message.kind.is_media:
        raise InvalidTemplateParameters(
            request.name, [f"header: the file of message {named!r} is not stored"]
        )
    return (message.kind, message.media)


def _check_file_kind(template: TemplateMessage, header_file: HeaderFile | None) -> None:
    if header_file is None:
        return
    header = template.header
    if header is None or not header.kind.is_media:
        raise InvalidTemplateParameters(template.name, ["header: this header takes no file"])
    kind = header_file[0]
    if kind.value != header.kind.value:
        raise InvalidTemplateParameters(
            template.name,
            [f"header: the template's header is {header.kind.value}, the file is {kind.value}"],
        )
