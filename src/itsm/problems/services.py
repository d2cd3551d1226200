"""Problem behaviour of its own: the incidents a problem caused (PRB-1, INC-5)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from itsm.core import links
from itsm.core.choices import LinkKind
from itsm.core.models import RecordLink
from itsm.servicedesk.models import Incident

from .models import Problem


def link_incident(problem: Problem, incident: Incident, *, actor) -> RecordLink:
    """Record that ``incident`` was caused by ``problem`` (one problem, many incidents).

    An incident has at most one causing problem; service staff only (as every link).
    """
    if not isinstance(incident, Incident):
        raise ValidationError({"incident": _("Choose an incident.")})
    existing = RecordLink.objects.filter(
        source_type=ContentType.objects.get_for_model(Incident), source_id=incident.pk,
        target_type=ContentType.objects.get_for_model(Problem), kind=LinkKind.CAUSED_BY,
    ).exclude(target_id=problem.pk)
    if existing.exists():
        raise ValidationError({"incident": _("%(number)s is already linked to another "
                                             "problem.") % {"number": incident.number}})
    return links.link_records(incident, problem, kind=LinkKind.CAUSED_BY, actor=actor)


def incidents_of(problem: Problem, user=None):
    """The incidents caused by ``problem`` (those ``user`` may see, when given)."""
    ids = RecordLink.objects.filter(
        source_type=ContentType.objects.get_for_model(Incident),
        target_type=ContentType.objects.get_for_model(Problem), target_id=problem.pk,
        kind=LinkKind.CAUSED_BY).values_list("source_id", flat=True)
    incidents = Incident.objects.filter(pk__in=list(ids))
    if user is not None:
        incidents = incidents & Incident.objects.visible_to(user)
    return incidents.order_by("-created_at", "-id")
