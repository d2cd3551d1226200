"""Who hears about what happens to a ticket (GEN-6).

Ticket events become notifications (``created``, ``transitioned``, ``commented``, called
by the ``notifications`` step of ``receivers``, after the other reactions): the
requester hears of receipt, replies, resolution and the satisfaction survey; the
assignee (or the team) hears of assignment and of the requester's replies. Each person
gets the text in their own language; nobody is notified of their own action. Sending
happens in jobs after commit (``core.notifications``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from itsm.core import access
from itsm.core.choices import NotificationEvent
from itsm.core.models import display_name
from itsm.core.notifications import absolute, by_language, notify

from .choices import Channel
from .models import Ticket
from .satisfaction import make_rating_url


def tell(event: str, ticket: Ticket, people: Iterable, actor, subject_and_body,
         *, dedupe: str | None = None) -> None:
    """Notify ``people`` (minus the actor), each in their own language: the provider's
    notification template for the event and language when it has one, else the
    built-in text ``subject_and_body()`` (which the template may include)."""
    for language, recipients in by_language(people, actor).items():
        with translation.override(language):
            subject, body = subject_and_body()
            notify(event, record=ticket, recipients=recipients,
                   subject=f"[{ticket.number}] {subject}",
                   body=f"{body}\n\n{ticket.title}\n{absolute(ticket.get_absolute_url())}",
                   organization_id=ticket.organization_id, language=language, actor=actor,
                   dedupe_key=f"{dedupe}:{language}" if dedupe else None)


def management_of(record) -> list:
    """Management of the provider serving the record (``ITSM_MANAGEMENT_ROLES``): told of
    major incidents and of SLA breaches past the second threshold."""
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(
        is_active=True, profile__organization_id=record.provider_id,
        groups__name__in=settings.ITSM_MANAGEMENT_ROLES).distinct())


def handlers(ticket: Ticket) -> list:
    """The assignee, else the team's members."""
    if ticket.assignee_id:
        return [ticket.assignee]
    if ticket.assignee_team_id:
        return list(ticket.assignee_team.members.filter(is_active=True))
    return []


def created(record: Ticket, actor) -> None:
    """The requester hears that their new ticket was received."""
    # Mail intake acknowledges by replying to the message itself.
    if record.channel == Channel.EMAIL:
        return
    tell(NotificationEvent.RECORD_CREATED, record, [record.requester], actor, lambda: (
        _("We have received your request"),
        _("Your request %(number)s has been registered; we will get back to you.")
        % {"number": record.number}), dedupe=f"created:{record.pk}")


def transitioned(record: Ticket, actor, transition: str) -> None:
    """The assignee (or team) hears of an assignment; the requester of the resolution and,
    on closing, of the satisfaction survey."""
    if transition == "assign":
        tell(NotificationEvent.RECORD_ASSIGNED, record, handlers(record), actor, lambda: (
            _("Assigned to you or your team"),
            _("%(number)s was assigned; please handle it.") % {"number": record.number}))
    elif transition == "resolve":
        tell(NotificationEvent.RECORD_RESOLVED, record, [record.requester], actor, lambda: (
            _("Your request has been resolved"),
            _("%(number)s was resolved: %(resolution)s\nPlease confirm, or reply to reopen "
              "it.") % {"number": record.number, "resolution": record.resolution}))
    elif transition == "close":

        tell(NotificationEvent.SATISFACTION_REQUEST, record, [record.requester], actor,
             lambda: (_("How did we do?"),
                      _("%(number)s is closed. Please rate our service (1–5): %(url)s")
                      % {"number": record.number,
                         "url": absolute(make_rating_url(record))}),
             dedupe=f"rating:{record.pk}")


def commented(record: Ticket, comment, actor) -> None:
    """A public reply by a person: the requester hears of staff's, the handlers of the
    requester side's."""
    if comment.internal or actor is None:
        return
    people = [record.requester] if access.is_provider_staff(actor) else handlers(record)
    tell(NotificationEvent.COMMENT_ADDED, record, people, actor, lambda: (
        _("New reply"),
        _("%(author)s wrote on %(number)s:\n%(body)s")
        % {"author": display_name(actor), "number": record.number, "body": comment.body}))
