"""The improvement plans' home card and inbox entry, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.registry import InboxItem
from itsm.core.workspace import CARD_ROWS, count_and_first

from .choices import MEASURE_STAGES, PlanStage
from .models import ImprovementMeasure, ImprovementPlan

#: The open stages, in PDCA order.
OPEN_STAGES = (PlanStage.PLAN, PlanStage.DO, PlanStage.CHECK, PlanStage.ACT)


def plans_by_stage(user) -> dict[str, Any] | None:
    """How many open plans each PDCA stage holds (each a link to the list of them) and
    the open plans whose evaluation date comes first: two queries. No card without open
    plans."""
    plans = ImprovementPlan.objects.visible_to(user).filter(status__in=OPEN_STAGES)
    counts = dict(plans.order_by().values_list("status").annotate(n=Count("pk")))
    if not counts:
        return None
    url = reverse("quality:plan-list")
    stages = [(stage, counts.get(stage.value, 0), f"{url}?status={stage.value}")
              for stage in OPEN_STAGES]
    upcoming = list(plans.filter(evaluation_date__isnull=False).order_by(
        "evaluation_date", "pk")[:CARD_ROWS])
    return {"stages": stages, "count": sum(counts.values()), "upcoming": upcoming,
            "today": timezone.localdate(), "url": url}


def my_measures(user, limit: int) -> tuple[int, list[InboxItem]]:
    """The open measures a person owns in plans being planned or implemented, the soonest
    due first: one query."""
    count, rows = count_and_first(
        ImprovementMeasure.objects.visible_to(user).filter(
            owner_id=user.pk, done_at__isnull=True, plan__status__in=MEASURE_STAGES)
        .select_related("plan").order_by(F("due_date").asc(nulls_last=True), "pk"), limit)
    return count, [InboxItem(kind=_("Improvement measure"), title=m.title,
                             url=f"{m.plan.get_absolute_url()}#measure-{m.pk}",
                             number=m.plan.number, since=m.created_at, due=_end_of(m.due_date))
                   for m in rows]


def _end_of(day: dt.date | None) -> dt.datetime | None:
    """The last moment of ``day`` (local time): a measure is due by the end of its day."""
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))
