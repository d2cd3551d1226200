"""Email intake, matching: the person who sent a message (or a new contact in the
intake organization) and the ticket it answers (a number in the subject, one of our
Message-IDs, or an earlier message of the same thread)."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from itsm.core import directory
from itsm.core.choices import Role
from itsm.core.models import Organization, Record

from ..choices import InboundMailStatus
from ..models import InboundMail, Incident, ServiceRequest
from .parsing import MailRejected, ParsedMail

User = get_user_model()

#: Record types a reply may answer: tickets, and the types of other registers that take
#: mail (``intake.register_mail_route``).
TICKET_TYPES: list[type[Record]] = [ServiceRequest, Incident]

#: A record number; ``_record_by_number`` keeps those of ``TICKET_TYPES``.
NUMBER_RE = re.compile(r"\b([A-Z]{3})-(\d{4})-(\d{6})\b")
#: Message-IDs of our own automatic mail: <itsm.{number}.{random}@host>.
OUR_MESSAGE_ID_RE = re.compile(r"^<itsm\.([A-Z]{3}-\d{4}-\d{6})\.[A-Za-z0-9]+@[^<>\s]+>$")


def find_person(address: str):
    """The active person whose email matches (case-insensitive), or None."""
    return (User.objects.filter(email__iexact=address, is_active=True, profile__isnull=False)
            .select_related("profile__organization").order_by("id").first())


def contact_for(parsed: ParsedMail):
    """A requester account (no usable password) for an unknown sender, in the intake org."""
    code = getattr(settings, "MAIL_INTAKE_ORGANIZATION", "")
    if not code:
        raise MailRejected(_("unknown sender"))
    organization = Organization.objects.filter(code=code).first()
    if organization is None:
        raise MailRejected(
            _("unknown sender (the intake organization “%(code)s” does not exist)")
            % {"code": code})
    base = re.sub(r"[^\w.@+-]", "-", parsed.from_address.lower())[:140]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    name = parsed.from_name or parsed.from_address.split("@")[0]
    return directory.create_person(actor=None, data={
        "username": username, "email": parsed.from_address, "first_name": name[:150],
        "last_name": "", "roles": [Role.REQUESTER], "profile": {"organization": organization},
    })


def _current(record: Record | None) -> Record | None:
    """The ticket a merged ticket was merged into (followed a few hops)."""
    for _hop in range(5):
        target = getattr(record, "merged_into", None)
        if target is None:
            break
        record = target
    return record


def _record_by_number(number: str) -> Record | None:
    for model in TICKET_TYPES:
        if number.startswith(model.number_prefix + "-"):
            return _current(model.objects.filter(number=number).first())
    return None


def find_reply_target(parsed: ParsedMail) -> Record | None:
    """The ticket a message answers: a number in the subject, or a known Message-ID."""
    for match in NUMBER_RE.finditer(parsed.subject):
        record = _record_by_number(match.group(0))
        if record is not None:
            return record
    for message_id in parsed.references:
        match = OUR_MESSAGE_ID_RE.match(message_id)
        if match:
            record = _record_by_number(match.group(1))
            if record is not None:
                return record
    if parsed.references:
        earlier = (InboundMail.objects
                   .filter(message_id__in=parsed.references, record_id__isnull=False,
                           status__in=[InboundMailStatus.CREATED, InboundMailStatus.COMMENTED])
                   .select_related("record_type").order_by("-received_at", "-id").first())
        if earlier is not None and earlier.record_type is not None:
            model = earlier.record_type.model_class()
            if model is not None and model in TICKET_TYPES:
                return _current(model.objects.filter(pk=earlier.record_id).first())
    return None
