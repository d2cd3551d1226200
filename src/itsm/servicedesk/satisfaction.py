"""Customer satisfaction per ticket (FBK-1): a 1–5 rating with a comment after closure.

- :func:`rate_ticket` is the only write: a closed ticket, rated once, by its requester
  or a customer administrator of its organization; audited and on the timeline.
- :func:`make_rating_url` gives the link for the closure email: signed
  (``TimestampSigner``, salt ``itsm.rating``), valid for 30 days, naming the ticket
  and its requester, so the page works without logging in.
- :func:`satisfaction_summary` averages ratings per agent, team or service in SQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, FloatField, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from itsm.catalog.models import Service
from itsm.core import access, audit, services
from itsm.core import rules as perms
from itsm.core.choices import AuditAction, TimelineKind
from itsm.core.models import Team, display_name

from .choices import TicketStatus
from .models import Incident, SatisfactionRating, ServiceRequest, Ticket

User = get_user_model()

RATING_SALT = "itsm.rating"
RATING_MAX_AGE = dt.timedelta(days=30)
MAX_RATING_COMMENT = 5000
#: The ticket types that can be rated, by ``_meta.label_lower`` (as kept in the link).
RATED_MODELS: dict[str, type[Ticket]] = {
    m._meta.label_lower: m for m in (ServiceRequest, Incident)
}
#: ``by`` of :func:`satisfaction_summary` → rating column and the model it points to.
SUMMARY_GROUPS: dict[str, tuple[str, Any]] = {
    "agent": ("agent_id", User),
    "team": ("team_id", Team),
    "service": ("service_id", Service),
}


class RatingLinkError(Exception):
    """A rating link that is tampered with, expired or no longer fits its ticket (400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ratings_of(ticket: Ticket) -> QuerySet:
    ct = ContentType.objects.get_for_model(type(ticket))
    return SatisfactionRating.objects.filter(record_type=ct, record_id=ticket.pk)


def rating_of(ticket: Ticket) -> SatisfactionRating | None:
    return ratings_of(ticket).select_related("rated_by").first()


def may_rate(user, ticket: Ticket) -> bool:
    """The requester, or a customer administrator of the ticket's organization."""
    return (user is not None and user.is_authenticated and user.is_active
            and perms.can_view_record(user, ticket) and perms.is_requester_side(user, ticket)
            and not access.is_read_only(user))


def can_rate_now(user, ticket: Ticket, rating: SatisfactionRating | None = None) -> bool:
    """Whether to offer the rating form: closed, unrated, and ``user`` may rate."""
    if ticket.status != TicketStatus.CLOSED or not may_rate(user, ticket):
        return False
    return (rating or rating_of(ticket)) is None


def _validate_score(score: Any) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    return score


@transaction.atomic
def rate_ticket(ticket: Ticket, *, actor, score: int, comment: str = "") -> SatisfactionRating:
    """Record the rating of a closed ticket; a second rating is refused ("already rated")."""
    if type(ticket)._meta.label_lower not in RATED_MODELS:
        raise ValidationError(_("This kind of record cannot be rated."))
    ticket = type(ticket).objects.select_for_update().get(pk=ticket.pk)
    if not may_rate(actor, ticket):
        raise PermissionDenied(_("Only the requester of %(number)s may rate it.")
                               % {"number": ticket.number})
    if ticket.status != TicketStatus.CLOSED:
        raise ValidationError(_("%(number)s can be rated once it is closed.")
                              % {"number": ticket.number})
    score = _validate_score(score)
    comment = (comment or "").strip()
    if len(comment) > MAX_RATING_COMMENT:
        raise ValidationError({"comment": _("The comment is longer than %(n)d characters.")
                               % {"n": MAX_RATING_COMMENT}})
    already = ValidationError(_("%(number)s has already been rated.") % {"number": ticket.number})
    if ratings_of(ticket).exists():
        raise already
    try:
        with transaction.atomic():
            rating = SatisfactionRating.objects.create(
                record_type=ContentType.objects.get_for_model(type(ticket)),
                record_id=ticket.pk, organization_id=ticket.organization_id, score=score,
                comment=comment, rated_by=actor, agent_id=ticket.assignee_id,
                team_id=ticket.assignee_team_id, service_id=ticket.service_id)
    except IntegrityError:  # a concurrent rating won the unique constraint
        raise already from None
    audit.log(action=AuditAction.CREATE, instance=rating, actor=actor,
              changes={"record": ticket.number, "score": score, "comment": comment},
              organization_id=ticket.organization_id)
    # TimelineKind has no "rated" yet; an "updated" event naming the rating.
    services.add_timeline_event(ticket, TimelineKind.UPDATED, actor=actor, fields=["rating"],
                                rating=score)
    return rating


def rating_state(user, ticket: Ticket) -> dict[str, Any]:
    """What the API shows of a ticket's rating (and whether ``user`` may rate now)."""
    rating = rating_of(ticket)
    return {
        "rated": rating is not None,
        "can_rate": can_rate_now(user, ticket, rating) if rating is None else False,
        "score": rating.score if rating else None,
        "comment": rating.comment if rating else "",
        "rated_by": rating.rated_by_id if rating else None,
        "rated_by_name": display_name(rating.rated_by) if rating else "",
        "created_at": rating.created_at if rating else None,
    }


# --- The signed link of the closure email -------------------------------------------------


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=RATING_SALT)


def make_rating_token(ticket: Ticket) -> str:
    return _signer().sign_object(
        {"m": type(ticket)._meta.label_lower, "id": ticket.pk, "u": ticket.requester_id})


def make_rating_url(ticket: Ticket) -> str:
    """The path of the rating page for the ticket's requester (prefix the site URL)."""
    return reverse("servicedesk:rate", kwargs={"token": make_rating_token(ticket)})


def ticket_from_token(token: str) -> tuple[Ticket, Any]:
    """The ticket and requester a link names; :class:`RatingLinkError` if it is not valid."""
    invalid = _("This rating link is not valid. Please use the link from your email, "
                "or rate the ticket in the service portal.")
    try:
        data = _signer().unsign_object(token, max_age=RATING_MAX_AGE)
    except signing.SignatureExpired:
        raise RatingLinkError(_("This rating link has expired. You can still rate the "
                                "ticket in the service portal.")) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise RatingLinkError(invalid) from None
    if not isinstance(data, dict):
        raise RatingLinkError(invalid)
    model = RATED_MODELS.get(str(data.get("m")))
    ticket = model.objects.filter(pk=data.get("id")).select_related(
        "organization", "requester").first() if model and isinstance(data.get("id"), int) else None
    if ticket is None or ticket.requester_id != data.get("u") or not ticket.requester.is_active:
        raise RatingLinkError(invalid)
    return ticket, ticket.requester


# --- Aggregation ------------------------------------------------------------------------


def ratings_visible_to(user) -> QuerySet:
    """Ratings of the organizations the user's scope covers (provider staff only)."""
    if not access.is_provider_staff(user):
        return SatisfactionRating.objects.none()
    return SatisfactionRating.objects.filter(
        organization_id__in=access.scope_organization_ids(user))


def satisfaction_summary(queryset: QuerySet, by: str = "agent") -> list[dict[str, Any]]:
    """Average score and count per agent, team or service (one GROUP BY, one name query).

    Ratings without an agent/team/service form one group with ``id`` None.
    """
    if by not in SUMMARY_GROUPS:
        raise ValidationError({"by": _("Group by one of: %(choices)s.")
                               % {"choices": ", ".join(SUMMARY_GROUPS)}})
    column, model = SUMMARY_GROUPS[by]
    rows = list(queryset.order_by().values(column).annotate(
        count=Count("id"), average=Avg("score", output_field=FloatField())))
    ids = [row[column] for row in rows if row[column] is not None]
    objects = model.objects.in_bulk(ids) if ids else {}
    groups = []
    for row in rows:
        obj = objects.get(row[column])
        if row[column] is None:
            name = _("Nobody") if by == "agent" else _("None")
        else:
            name = display_name(obj) if by == "agent" else str(obj or row[column])
        groups.append({"id": row[column], "name": name, "count": row["count"],
                       "average": round(float(row["average"]), 2)})
    groups.sort(key=lambda g: (-g["average"], -g["count"], g["name"]))
    return groups
