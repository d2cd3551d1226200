"""Complaint handling assessment (CPL-5): timeliness, accuracy and complainant
satisfaction per handler and per team, as plain functions other apps call (staff
appraisal reads them).

Each function looks at the complaints *closed* in ``period`` (a ``periods.Period`` or a
``(start, end)`` pair), handled by ``handler`` (the assignee) and/or ``team`` when given,
and answers ``None`` when there is nothing to measure.

- ``timeliness``: the share of their clocks (first response, resolution) that were met;
- ``accuracy``: the share not rejected by the customer and not reopened;
- ``satisfaction``: the complainants' average score (1–5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery

from itsm.core.models import Team, display_name
from itsm.servicedesk.models import SLAClock

from .choices import ComplaintStatus
from .models import Complaint
from .periods import Period

PeriodLike = Period | tuple[dt.datetime, dt.datetime]


def _bounds(period: PeriodLike) -> tuple[dt.datetime, dt.datetime]:
    return (period.start, period.end) if isinstance(period, Period) else period


def closed_in(period: PeriodLike, *, handler=None, team: Team | None = None,
              queryset: QuerySet | None = None) -> QuerySet:
    """Complaints closed in ``period`` (by ``handler`` / of ``team``)."""
    start, end = _bounds(period)
    qs = (queryset if queryset is not None else Complaint.objects.all()).filter(
        status=ComplaintStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
    if handler is not None:
        qs = qs.filter(assignee_id=getattr(handler, "pk", handler))
    if team is not None:
        qs = qs.filter(assignee_team_id=getattr(team, "pk", team))
    return qs


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def clocks_met(complaints: QuerySet, by: str | None = None) -> dict[Any, tuple[int, int]]:
    """(met, measured) of the clocks (first response, resolution) of ``complaints`` (e.g.
    ``closed_in(...)``) that stopped met or missed, per value of the complaints' field
    ``by`` (``"assignee_id"``, ``"organization_id"``…; None: the total, under None).
    One query."""
    clocks = SLAClock.objects.filter(
        record_type=ContentType.objects.get_for_model(Complaint),
        record_id__in=complaints.values("pk"), met__isnull=False).order_by()
    counts = {"total": Count("pk"), "met": Count("pk", filter=Q(met=True))}
    if by is None:
        row = clocks.aggregate(**counts)
        return {None: (row["met"], row["total"])}
    return {row["owner"]: (row["met"], row["total"])
            for row in clocks.annotate(owner=_owner(by)).values("owner").annotate(**counts)}


def timeliness(period: PeriodLike, handler=None, team: Team | None = None) -> float | None:
    """Percent of the clocks of the complaints closed in the period that were met."""
    return _share(*clocks_met(closed_in(period, handler=handler, team=team))[None])


def accuracy(period: PeriodLike, handler=None, team: Team | None = None) -> float | None:
    """Percent of the complaints closed in the period neither rejected nor reopened."""
    counts = closed_in(period, handler=handler, team=team).aggregate(
        total=Count("pk"), right=Count("pk", filter=Q(rejection_count=0, reopen_count=0)))
    return _share(counts["right"], counts["total"])


def satisfaction(period: PeriodLike, handler=None, team: Team | None = None) -> float | None:
    """The complainants' average score (1–5) of the complaints closed in the period."""
    value = closed_in(period, handler=handler, team=team).aggregate(
        avg=Avg("satisfaction_score"))["avg"]
    return round(value, 2) if value is not None else None


@dataclass(frozen=True)
class AssessmentRow:
    name: str
    closed: int
    timeliness: float | None
    accuracy: float | None
    satisfaction: float | None


def assessment_table(period: PeriodLike, queryset: QuerySet, by: str) -> list[AssessmentRow]:
    """One row per handler (``by="assignee"``) or team (``"assignee_team"``) over the
    complaints of ``queryset`` closed in the period: two queries whatever the number."""
    closed = closed_in(period, queryset=queryset)
    field = f"{by}_id"
    rows: dict[Any, dict[str, Any]] = {}
    for row in (closed.order_by().values(field).annotate(
            closed=Count("pk"), right=Count("pk", filter=Q(rejection_count=0,
                                                           reopen_count=0)),
            score=Avg("satisfaction_score"))):
        rows[row[field]] = {"closed": row["closed"], "right": row["right"],
                            "score": row["score"], "met": 0, "clocks": 0}
    for owner, (met, total) in clocks_met(closed, field).items():
        if owner in rows:
            rows[owner].update(clocks=total, met=met)
    names = _names(by, [k for k in rows if k is not None])
    return sorted((AssessmentRow(
        name=names.get(key, "—"), closed=r["closed"], timeliness=_share(r["met"], r["clocks"]),
        accuracy=_share(r["right"], r["closed"]),
        satisfaction=round(r["score"], 2) if r["score"] is not None else None)
        for key, r in rows.items()), key=lambda r: r.name)


def _owner(field: str):
    """The complaint's ``field`` beside each of its clocks."""
    return Subquery(Complaint.objects.filter(pk=OuterRef("record_id")).values(field)[:1])


def _names(by: str, ids: list) -> dict[Any, str]:
    if by == "assignee_team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {u.pk: display_name(u) for u in get_user_model().objects.filter(pk__in=ids)}
