"""The complaints' home-page cards and inbox entries, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.registry import InboxItem
from itsm.core.workspace import BY_DUE, CARD_ROWS, count_and_first

from .choices import ComplaintLevel, ComplaintStatus
from .models import Complaint

TREND_MONTHS = 6
LEVEL_COLORS = {"danger": "#dc3545", "warning": "#fd7e14", "primary": "#0d6efd"}


def awaiting_response(user) -> dict[str, Any]:
    """Complaints not yet responded to, soonest due first, and how many of them (and of
    all open complaints) are past a due time: two queries."""
    now = timezone.now()
    open_complaints = Complaint.objects.visible_to(user).exclude(
        status__in=Complaint.workflow.final)
    waiting = open_complaints.filter(status__in=(ComplaintStatus.RECEIVED,
                                                 ComplaintStatus.EVALUATED))
    counts = open_complaints.aggregate(
        waiting=Count("pk", filter=Q(status__in=(ComplaintStatus.RECEIVED,
                                                 ComplaintStatus.EVALUATED))),
        breaching=Count("pk", filter=Q(due_at__lte=now)))
    rows = list(waiting.select_related("organization").order_by(*BY_DUE)[:CARD_ROWS])
    return {"records": rows, "count": counts["waiting"], "breaching": counts["breaching"],
            "now": now}


def complaint_trend(user) -> dict[str, Any]:
    """Complaints per month over the last months by level (an ECharts stacked bar): one
    query."""
    today = timezone.localdate()
    first = today.replace(day=1)
    months = []
    for _i in range(TREND_MONTHS):
        months.insert(0, first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min))
    counts: dict[tuple[dt.date, str], int] = {}
    for row in (Complaint.objects.visible_to(user).filter(created_at__gte=start).order_by()
                .annotate(month=TruncMonth("created_at")).values("month", "level")
                .annotate(n=Count("pk"))):
        month = row["month"]
        month = timezone.localtime(month).date() if isinstance(month, dt.datetime) else month
        key = (month.replace(day=1), row["level"] or ComplaintLevel.ORDINARY)
        counts[key] = counts.get(key, 0) + row["n"]
    option = {
        "legend": {"top": 0},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [m.strftime("%Y-%m") for m in months]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"type": "bar", "stack": "complaints", "name": str(level.label),
                    "itemStyle": {"color": LEVEL_COLORS.get(level.color, "#6c757d")},
                    "data": [counts.get((m, level.value), 0) for m in months]}
                   for level in ComplaintLevel],
    }
    return {"option": option, "total": sum(counts.values())}


def awaiting_my_response(user, limit: int) -> tuple[int, list[InboxItem]]:
    """A handler's inbox: complaints assigned to them (or to nobody) not yet responded to
    or being resolved: one query."""
    count, rows = count_and_first(
        Complaint.objects.visible_to(user)
        .filter(Q(assignee_id=user.pk) | Q(assignee__isnull=True))
        .filter(status__in=(ComplaintStatus.RECEIVED, ComplaintStatus.EVALUATED,
                            ComplaintStatus.RESOLVING)).order_by(*BY_DUE), limit)
    return count, [InboxItem(kind=_("Complaint to handle"), title=r.title,
                                    url=r.get_absolute_url(), number=r.number,
                                    since=r.created_at, due=r.due_at) for r in rows]


def resolutions_to_confirm(user, limit: int) -> tuple[int, list[InboxItem]]:
    """A complainant's inbox: proposed resolutions waiting for them: one query."""
    count, rows = count_and_first(Complaint.objects.visible_to(user).filter(
        status=ComplaintStatus.PROPOSED).order_by("proposed_at", "pk"), limit)
    return count, [InboxItem(kind=_("Confirm the complaint's resolution"),
                                    title=r.title, url=r.get_absolute_url(), number=r.number,
                                    since=r.proposed_at) for r in rows]
