"""Email intake, ``process_message``: one raw message becomes a new ticket or a
comment (a reopen) on the ticket it answers, exactly once; anything wrong with the
message quarantines it with a reason and its raw bytes (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core import audit, services
from itsm.core import rules as perms
from itsm.core.choices import AuditSource
from itsm.core.limits import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, fit_text
from itsm.core.models import Record
from itsm.core.text import single_line

from ..choices import Channel, InboundMailStatus, TicketStatus
from ..models import InboundMail, ServiceRequest
from .acknowledgements import queue_acknowledgement
from .decoding import header_text, strip_quoted
from .matching import TICKET_TYPES, contact_for, find_person, find_reply_target
from .parsing import (
    MailRejected,
    ParsedMail,
    clean_message_id,
    message_key,
    own_address,
    parse_headers,
    parse_message,
    sender_of,
)

logger = logging.getLogger(__name__)

#: The attachment that keeps a message text longer than a description or comment may be.
FULL_TEXT_NAME = "message.txt"


@dataclass
class IntakeResult:
    status: str  # an InboundMailStatus, or "duplicate"
    inbound: InboundMail | None = None
    record: Record | None = None
    reason: str = ""

    DUPLICATE = "duplicate"


def _add_attachments(record: Record, actor, parsed: ParsedMail) -> list[str]:
    """Attach the files; return notes about the ones skipped."""
    notes = []
    for item in parsed.attachments:
        if len(item.data) > settings.MAX_UPLOAD_BYTES:
            notes.append(_("The attachment “%(name)s” (%(size)s) was not added: the limit "
                           "is %(limit)s.") % {
                "name": item.name, "size": filesizeformat(len(item.data)),
                "limit": filesizeformat(settings.MAX_UPLOAD_BYTES)})
            continue
        upload = SimpleUploadedFile(item.name, item.data, content_type=item.content_type)
        services.add_attachment(record, actor=actor, upload=upload)
    return notes


def _oversized_notes(parsed: ParsedMail) -> list[str]:
    return [a.name for a in parsed.attachments if len(a.data) > settings.MAX_UPLOAD_BYTES]


def _fit_message_text(text: str, limit: int) -> tuple[str, str | None]:
    """``text`` cut to ``limit`` characters, ending with a note that says so, when it is
    longer; and the whole text to attach as ``FULL_TEXT_NAME`` (None when it fits, or
    when it is larger than an attachment may be)."""
    if len(text) <= limit:
        return text, None
    whole: str | None = text
    if len(text.encode("utf-8")) > settings.MAX_UPLOAD_BYTES:
        whole = None
        note = _("[The message was cut to %(limit)d characters.]") % {"limit": limit}
    else:
        note = _("[The message was cut to %(limit)d characters; the whole text is attached "
                 "as %(name)s.]") % {"limit": limit, "name": FULL_TEXT_NAME}
    return fit_text(text, limit, note)[0], whole


def _attach_whole_text(record: Record, actor, whole: str | None) -> None:
    if whole is not None:
        upload = SimpleUploadedFile(FULL_TEXT_NAME, whole.encode("utf-8"),
                                    content_type="text/plain")
        services.add_attachment(record, actor=actor, upload=upload)


def _fit_comment(body: str) -> str:
    limit = services.MAX_COMMENT_LENGTH
    return body if len(body) <= limit else body[: limit - 1] + "…"


def _link(inbound: InboundMail, record: Record, status: str) -> None:
    inbound.record_type = ContentType.objects.get_for_model(type(record))
    inbound.record_id = record.pk
    inbound.status = status


def _reopen_window_open(record: Record) -> bool:
    resolved_at = getattr(record, "resolved_at", None)
    if resolved_at is None:
        return True
    days = int(getattr(settings, "REOPEN_DAYS", 7))
    return timezone.now() - resolved_at <= dt.timedelta(days=days)


def _reply(inbound: InboundMail, parsed: ParsedMail, person, record: Record) -> Record | None:
    """Add the reply to ``record``; None when it should start a new ticket instead."""
    if not perms.can_comment_record(person, record):
        raise MailRejected(_("The sender may not comment on %(number)s.")
                           % {"number": record.number})
    is_requester = record.requester_id == person.pk
    if record.is_final:
        return None
    if record.status == TicketStatus.RESOLVED and is_requester and not _reopen_window_open(record):
        return None
    body = strip_quoted(parsed.text) or parsed.text
    if not body:
        body = _("(attachments only)") if parsed.attachments else _("(empty message)")
    skipped = _oversized_notes(parsed)
    if skipped:
        body = "\n\n".join([body, *[_("Not attached (too large): %(name)s") % {"name": n}
                                    for n in skipped]])
    body, whole = _fit_message_text(body, services.MAX_COMMENT_LENGTH)
    if record.status == TicketStatus.RESOLVED and is_requester:
        record = services.transition_record(record, "reopen", actor=person, comment=body)
    else:
        services.add_comment(record, actor=person, body=body)
        # A reply from the requester's side resumes a waiting ticket (receivers.py).
        record.refresh_from_db()
    _attach_whole_text(record, person, whole)
    _add_attachments(record, person, parsed)
    _link(inbound, record, InboundMailStatus.COMMENTED)
    return record


#: Mail sent to a register's own address becomes its record instead of a service
#: request: address (lower case) → ``create(person, data)`` (data: organization, title,
#: description, requester) returning the new record.
MAIL_ROUTES: dict[str, Callable[[Any, dict[str, Any]], Record]] = {}


def register_mail_route(address: str, create: Callable[[Any, dict[str, Any]], Record],
                        model: type[Record]) -> None:
    """Route new mail sent to ``address`` to ``create``; replies naming a ``model``
    record's number are added to it like replies to tickets."""
    if address:
        MAIL_ROUTES[address.strip().lower()] = create
    if model not in TICKET_TYPES:
        TICKET_TYPES.append(model)


def _route(parsed: ParsedMail) -> Callable[[Any, dict[str, Any]], Record] | None:
    return next((MAIL_ROUTES[a] for a in parsed.to_addresses if a in MAIL_ROUTES), None)


def _create_request(person, data: dict[str, Any]) -> Record:
    return services.create_record(ServiceRequest, actor=person,
                                  data={**data, "channel": Channel.EMAIL})


def _create(inbound: InboundMail, parsed: ParsedMail, person,
            follow_up_of: Record | None = None) -> Record:
    title = parsed.subject or _("(no subject)")
    description = parsed.text
    if follow_up_of is not None:
        description = "\n\n".join(
            [_("Follow-up to %(number)s.") % {"number": follow_up_of.number}, description])
    description, whole = _fit_message_text(description, DESCRIPTION_MAX_LENGTH)
    create = _route(parsed) or _create_request
    record = create(person, {
        "organization": person.profile.organization,
        "title": title[:TITLE_MAX_LENGTH],
        "description": description,
        "requester": person,
    })
    _attach_whole_text(record, person, whole)
    notes = _add_attachments(record, person, parsed)
    if notes:
        services.add_comment(record, actor=None, body=_fit_comment("\n".join(notes)))
    _link(inbound, record, InboundMailStatus.CREATED)
    queue_acknowledgement(inbound, parsed, record)
    return record


def _handle(inbound: InboundMail, raw: bytes) -> Record | None:
    parsed = parse_message(raw)
    inbound.from_address = parsed.from_address[:320]
    inbound.subject = parsed.subject[:500]
    if parsed.from_address.lower() == own_address().lower():
        inbound.status = InboundMailStatus.IGNORED
        inbound.reason = _("Sent from the intake address itself (mail loop).")
        return None
    person = find_person(parsed.from_address)
    target = find_reply_target(parsed)
    if target is not None:
        if person is None:
            raise MailRejected(_("unknown sender"))
        with audit.audit_context(source=AuditSource.EMAIL):
            record = _reply(inbound, parsed, person, target)
            if record is not None:
                return record
            return _create(inbound, parsed, person, follow_up_of=target)
    with audit.audit_context(source=AuditSource.EMAIL):
        if person is None:
            person = contact_for(parsed)
        return _create(inbound, parsed, person)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    return str(exc) or type(exc).__name__


def process_message(raw: bytes, *, mailbox: str = "", size: int | None = None) -> IntakeResult:
    """Turn one raw message into a ticket or a comment, exactly once; never raises for
    anything wrong with the message itself (it is quarantined instead).

    ``size`` is the full size when ``raw`` holds only the header of a message too large
    to fetch.
    """
    headers = parse_headers(raw)
    message_id = clean_message_id(header_text(headers, "Message-ID"))
    key = message_key(raw, message_id)
    from_address, _name = sender_of(headers)
    total = max(size or 0, len(raw))
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundMail.objects.create(
                    message_key=key, message_id=message_id[:998], mailbox=mailbox[:200],
                    from_address=from_address[:320],
                    subject=single_line(header_text(headers, "Subject"), 500),
                    size=total, status=InboundMailStatus.QUARANTINED)
        except IntegrityError:
            return IntakeResult(IntakeResult.DUPLICATE)
        record = None
        reason = ""
        if total > settings.MAIL_MAX_BYTES:
            reason = _("The message is %(size)s; the limit is %(limit)s.") % {
                "size": filesizeformat(total), "limit": filesizeformat(settings.MAIL_MAX_BYTES)}
        else:
            try:
                with transaction.atomic():
                    record = _handle(inbound, raw)
            except MailRejected as exc:
                reason = exc.reason
            except (PermissionDenied, ValidationError) as exc:
                reason = _error_text(exc)
            except Exception as exc:  # the worker must survive any message
                logger.exception("mail intake: message %s could not be processed", key)
                reason = _("Processing failed: %(error)s") % {"error": _error_text(exc)[:500]}
        if reason:
            inbound.status = InboundMailStatus.QUARANTINED
            inbound.reason = reason
            inbound.record_type = None
            inbound.record_id = None
            inbound.raw.save(f"{key[:32]}.eml", ContentFile(raw), save=False)
        inbound.save()
    if reason:
        logger.warning("mail intake: quarantined %s from %s: %s", key, from_address, reason)
    return IntakeResult(inbound.status, inbound, record, inbound.reason)
