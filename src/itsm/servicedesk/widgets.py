"""The service desk's home-page cards and inbox work (registered in ``registrations``):
the customer's open requests and the confirmations they owe, a team lead's load per
member and unassigned work, SLA attainment and breaches, the volume and backlog by
priority, satisfaction and major incidents.

Each card runs a fixed number of queries (one or two per ticket type), aggregated in
the database, whatever the number of tickets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from itsm.core import access
from itsm.core.cache import cached
from itsm.core.choices import Priority
from itsm.core.models import Team, display_name
from itsm.core.registry import InboxItem
from itsm.core.workspace import (
    ALL,
    BY_DUE,
    CARD_ROWS,
    count_all,
    first_records,
    latest,
    open_records,
    soonest_due,
    union_rows,
)

from .choices import (
    NOT_IN_QUEUE,
    ApprovalDecision,
    ClockKind,
    RequestStatus,
    TaskStatus,
    TicketStatus,
)
from .models import (
    FulfilmentTask,
    Incident,
    MajorIncident,
    RequestApproval,
    SatisfactionRating,
    ServiceRequest,
    SLAClock,
    Ticket,
)

TICKETS = (ServiceRequest, Incident)
#: Weeks of the volume chart.
TREND_WEEKS = 12


def _team_ids(user) -> list[int]:
    """The teams a lead looks after: those they lead, else those they belong to."""
    led = list(Team.objects.filter(lead_id=user.pk).values_list("pk", flat=True))
    return led or sorted(access.team_ids_of(user))


def in_queue(model: type[Ticket], user) -> QuerySet:
    """The tickets of ``model`` ``user`` may see that still need the provider's work:
    what the queues show (not resolved ones, which wait for the customer). Served by
    the ``<prefix>_open_team`` index (team, assignee, organization of open tickets)."""
    return model.objects.visible_to(user).exclude(status__in=NOT_IN_QUEUE)


def team_load(user) -> dict[str, Any]:
    """Open tickets per member of the lead's teams, and the unassigned ones."""
    teams = _team_ids(user)
    load: dict[int | None, int] = {}
    for assignee_id, n in union_rows(
            [in_queue(model, user).filter(assignee_team_id__in=teams).order_by()
             .values("assignee_id").annotate(n=Count("*")).values_list("assignee_id", "n")
             for model in TICKETS]):
        load[assignee_id] = load.get(assignee_id, 0) + n
    User = get_user_model()
    people = {u.pk: u for u in User.objects.filter(
        Q(teams__in=teams) | Q(pk__in=[pk for pk in load if pk])).distinct()}
    rows = sorted(((display_name(u), load.get(pk, 0)) for pk, u in people.items()),
                  key=lambda row: (-row[1], row[0]))
    unassigned = load.get(None, 0)
    names = [name for name, _n in rows]
    option = {
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": names[::-1]},
        "series": [{"type": "bar", "name": _("Open tickets"),
                    "data": [n for _name, n in rows][::-1], "label": {"show": True}}],
    }
    return {"rows": rows, "unassigned": unassigned, "teams": teams, "option": option,
            "height": 40 + 28 * max(len(rows), 1)}


def unassigned(user) -> dict[str, Any]:
    """Open tickets of the lead's teams (or of no team) that nobody has taken."""
    teams = _team_ids(user)
    waiting = [in_queue(model, user).filter(assignee__isnull=True)
               .filter(Q(assignee_team_id__in=teams) | Q(assignee_team__isnull=True))
               for model in TICKETS]
    # Counted apart (on the index of open tickets' teams, without reading them) and the
    # first taken on the due-time index: a window count would read every one of them.
    count = count_all(waiting, n=Count("*"))["n"]
    _counts, rows = first_records([qs.order_by(*BY_DUE) for qs in waiting], CARD_ROWS)
    return {"records": soonest_due(rows), "count": count, "now": timezone.now()}


#: Seconds the whole-service numbers (attainment, volume, satisfaction) are kept: they
#: aggregate months of tickets, and a minute old is fresh enough for a home page.
SERVICE_NUMBERS_SECONDS = 60


def service_numbers(name: str, user, compute) -> dict[str, Any]:
    """``compute()`` for the reader's scope, kept :data:`SERVICE_NUMBERS_SECONDS` (per
    scope, day and language: the charts carry translated labels)."""
    scope = ",".join(str(pk) for pk in sorted(access.scope_organization_ids(user)))
    key = f"{name}:{scope}:{timezone.localdate().isoformat()}:{get_language()}"
    return cached("workspace", key, compute, timeout=SERVICE_NUMBERS_SECONDS)


def _rate(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


def sla_attainment(user) -> dict[str, Any]:
    """Share of the tickets' clocks stopped this week and this month that met their
    target, per clock, and those breached and still running (one query, kept a minute)."""
    return service_numbers("sla", user, lambda: _sla_attainment(user))


def _sla_attainment(user) -> dict[str, Any]:
    now = timezone.localtime()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    periods = {"week": today - dt.timedelta(days=today.weekday()),
               "month": today.replace(day=1)}
    counts: dict[str, Any] = {}
    for kind in ClockKind.values:
        for period, start in periods.items():
            done = Q(kind=kind, stopped_at__gte=start, met__isnull=False)
            counts[f"{kind}_{period}_total"] = Count("pk", filter=done)
            counts[f"{kind}_{period}_met"] = Count("pk", filter=done & Q(met=True))
    counts["breached_open"] = Count("pk", filter=Q(stopped_at__isnull=True,
                                                   breached_at__isnull=False))
    # Only the clocks that can count (the indexes on stopped_at find them), not all.
    relevant = (Q(stopped_at__gte=min(periods.values()))
                | Q(stopped_at__isnull=True, breached_at__isnull=False))
    tickets = [ct.pk for ct in ContentType.objects.get_for_models(*TICKETS).values()]
    values = (SLAClock.objects.filter(relevant, record_type_id__in=tickets,  # not complaints'
                                      organization_id__in=access.scope_organization_ids(user))
              .aggregate(**counts))
    rows = [{"kind": label,
             **{period: {"rate": _rate(values[f"{kind}_{period}_met"],
                                       values[f"{kind}_{period}_total"]),
                         "total": values[f"{kind}_{period}_total"]} for period in periods}}
            for kind, label in ClockKind.choices]
    return {"rows": rows, "breached_open": values["breached_open"]}


def volume_trend(user) -> dict[str, Any]:
    """Tickets raised per week over the last weeks by priority (a stacked bar chart) and
    the open backlog by priority (two queries per ticket type, kept a minute)."""
    return service_numbers("volume", user, lambda: _volume_trend(user))


def _volume_trend(user) -> dict[str, Any]:
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - dt.timedelta(days=today.weekday() + 7 * (TREND_WEEKS - 1))
    weeks = [(start + dt.timedelta(weeks=i)).date() for i in range(TREND_WEEKS)]
    volume = {(week, p): 0 for week in weeks for p in Priority.values}
    backlog = dict.fromkeys(Priority.values, 0)
    for model in TICKETS:
        for row in (model.objects.visible_to(user).filter(created_at__gte=start).order_by()
                    .annotate(week=TruncWeek("created_at")).values("week", "priority")
                    .annotate(n=Count("pk"))):
            week = row["week"]
            week = timezone.localtime(week).date() if isinstance(week, dt.datetime) else week
            if (week, row["priority"]) in volume:
                volume[(week, row["priority"])] += row["n"]
        for row in (open_records(model, user).order_by().values("priority")
                    .annotate(n=Count("pk"))):
            backlog[row["priority"]] = backlog.get(row["priority"], 0) + row["n"]
    colors = {"danger": "#dc3545", "warning": "#fd7e14", "primary": "#0d6efd",
              "secondary": "#6c757d"}
    option = {
        "legend": {"top": 0},
        "xAxis": {"type": "category", "data": [w.strftime("%m-%d") for w in weeks]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"type": "bar", "stack": "volume", "name": str(p.label),
                    "itemStyle": {"color": colors.get(p.color, "#6c757d")},
                    "data": [volume[(w, p.value)] for w in weeks]} for p in Priority],
    }
    return {"option": option,
            "total": sum(volume.values()),
            "backlog": [(p, backlog.get(p.value, 0)) for p in Priority]}


def satisfaction(user) -> dict[str, Any]:
    """Ratings of the last 30 days: the average and how many gave each score (one query,
    kept a minute)."""
    return service_numbers("satisfaction", user, lambda: _satisfaction(user))


def _satisfaction(user) -> dict[str, Any]:
    since = timezone.now() - dt.timedelta(days=30)
    scores = range(5, 0, -1)
    values = (SatisfactionRating.objects
              .filter(organization_id__in=access.scope_organization_ids(user),
                      created_at__gte=since)
              .aggregate(average=Avg("score"), count=Count("pk"),
                         **{f"s{s}": Count("pk", filter=Q(score=s)) for s in scores}))
    count = values["count"]
    return {"average": values["average"], "count": count,
            "scores": [(s, values[f"s{s}"], round(100 * values[f"s{s}"] / count) if count
                        else 0) for s in scores]}


def major_incidents(user) -> dict[str, Any]:
    """Major incidents still open, and how many there were in the last 90 days."""
    visible = MajorIncident.objects.visible_to(user)
    recent = visible.filter(created_at__gte=timezone.now() - dt.timedelta(days=90)).count()
    rows = list(open_records(MajorIncident, user).order_by("-created_at", "-pk")[:CARD_ROWS])
    return {"records": rows, "recent": recent}


def confirmations_owed(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Inbox work of a requester: their resolved tickets waiting for them to confirm."""
    counts, rows = first_records(
        [model.objects.visible_to(user).filter(requester_id=user.pk, status=TicketStatus.RESOLVED)
         .order_by("resolved_at", "pk") for model in TICKETS], limit, counts=ALL,
        fields=("number", "title", "resolved_at", "updated_at"))
    items = [InboxItem(kind=_("Confirm the resolution"), title=r.title,
                       url=r.get_absolute_url(), number=r.number, since=r.resolved_at)
             for r in latest(rows, key=lambda r: (r.resolved_at or r.updated_at, r.pk),
                             limit=limit)]
    return counts["all"], items


def approvals_waiting(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Inbox: requests whose current approval step ``user`` is asked to decide."""
    earlier = RequestApproval.objects.filter(
        request_id=OuterRef("request_id"), decision=ApprovalDecision.PENDING,
        order__lt=OuterRef("order"))
    pending = RequestApproval.objects.filter(
        ~Exists(earlier), approvers=user, decision=ApprovalDecision.PENDING,
        request__status=RequestStatus.PENDING_APPROVAL)
    count = pending.count()
    rows = pending.select_related("request").order_by("created_at", "pk")[:limit]
    return count, [InboxItem(kind=_("Approve the request"), title=a.request.title,
                             url=a.request.get_absolute_url(), number=a.request.number,
                             since=a.created_at) for a in rows]


def team_tasks(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Inbox: open fulfilment tasks of ``user``'s teams (or assigned to them) on requests
    no longer waiting for approval."""
    tasks = FulfilmentTask.objects.filter(
        Q(team_id__in=sorted(access.team_ids_of(user))) | Q(assignee_id=user.pk),
        status=TaskStatus.OPEN).exclude(request__status=RequestStatus.PENDING_APPROVAL)
    count = tasks.count()
    rows = tasks.select_related("request").order_by("created_at", "pk")[:limit]
    return count, [InboxItem(kind=_("Fulfilment task"), title=f"{t.title} · {t.request.title}",
                             url=t.request.get_absolute_url(), number=t.request.number,
                             since=t.created_at, due=t.request.due_at) for t in rows]
