"""Email intake, acknowledgements: the automatic "received" reply to a new ticket,
only when the message allows one (RFC 3834), at most ``ACK_LIMIT_PER_HOUR`` per sender,
written to the notification log and sent by its job after commit."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from itsm.core import notifications
from itsm.core.choices import NotificationEvent
from itsm.core.models import Notification, Record
from itsm.core.text import single_line

from ..models import InboundMail
from .parsing import ParsedMail, clean_message_id, own_address

logger = logging.getLogger(__name__)

#: Automatic replies per sender address and hour.
ACK_LIMIT_PER_HOUR = 5
ACK_DEDUPE_PREFIX = "mail-ack:"


def make_message_id(number: str) -> str:
    domain = own_address().rsplit("@", 1)[-1].strip("<> ") or "localhost"
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "localhost"
    return f"<itsm.{number}.{secrets.token_hex(8)}@{domain}>"


def acknowledgements_last_hour(address: str) -> int:
    since = timezone.now() - dt.timedelta(hours=1)
    return Notification.objects.filter(
        recipient__iexact=address, dedupe_key__startswith=ACK_DEDUPE_PREFIX,
        created_at__gte=since).count()


def queue_acknowledgement(inbound: InboundMail, parsed: ParsedMail, record: Record) -> None:
    if parsed.no_auto_reply:
        return
    if acknowledgements_last_hour(parsed.from_address) >= ACK_LIMIT_PER_HOUR:
        logger.info("mail intake: acknowledgement limit reached for %s", parsed.from_address)
        return
    requester = record.requester
    language = getattr(getattr(requester, "profile", None), "language", None) or \
        settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("[%(number)s] Received: %(title)s") % {
            "number": record.number, "title": record.title}
        body = _(
            "Hello,\n\nwe have received your message and recorded it as %(number)s "
            "“%(title)s”.\nPlease keep %(number)s in the subject when you reply.\n\n"
            "This message was sent automatically."
        ) % {"number": record.number, "title": record.title}
    headers = {"Auto-Submitted": "auto-replied",
               "Message-ID": make_message_id(record.number)}
    original = clean_message_id(single_line(parsed.message_id))
    if original:
        headers["In-Reply-To"] = headers["References"] = original
    notification = Notification.objects.create(
        event=NotificationEvent.RECORD_CREATED, recipient=parsed.from_address,
        subject=single_line(subject, 255), body=body,
        payload={"kind": "mail_acknowledgement", "mail_headers": headers},
        record_type=ContentType.objects.get_for_model(type(record)), record_id=record.pk,
        organization_id=record.organization_id,
        dedupe_key=f"{ACK_DEDUPE_PREFIX}{inbound.message_key}")
    # Sent like every notification (claimed once, retried, re-queued if the job is lost).
    notifications.send_after_commit(notification.pk)
