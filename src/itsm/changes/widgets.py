"""The change process on the home page and in the inbox (registered in
``registrations``): the approvals and CAB votes waiting for a person, their change
tasks, this week's changes with their conflicts, and the freeze windows ahead.
A fixed number of queries each, whatever the number of changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.registry import InboxItem
from itsm.core.workspace import count_and_first

from . import schedule
from .choices import ApprovalStatus, TaskStatus
from .models import Approval, Change, ChangeTask, FreezeWindow

#: Rows of a card, and how far ahead the freeze windows are shown.
ROWS = 8
FREEZE_DAYS_AHEAD = 30


def awaiting_my_vote(user) -> QuerySet[Approval]:
    """Open approval steps where ``user`` is an approver and has not voted yet."""
    return (Approval.objects.visible_to(user)
            .filter(status=ApprovalStatus.PENDING, opened_at__isnull=False,
                    approvers=user)
            .exclude(votes__voter=user)
            .select_related("change").order_by("opened_at", "pk"))


def votes_inbox(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Inbox work: the approvals and CAB votes waiting for the person."""
    count, waiting = count_and_first(awaiting_my_vote(user), limit)
    return count, [InboxItem(kind=a.get_stage_display(), title=a.change.title,
                             url=a.change.get_absolute_url(), number=a.change.number,
                             since=a.opened_at, due=a.change.planned_start) for a in waiting]


def tasks_inbox(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Inbox work: change tasks assigned to the person and not finished."""
    count, tasks = count_and_first(
        ChangeTask.objects.filter(assignee_id=user.pk,
                                  status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS],
                                  change__in=Change.objects.visible_to(user)
                                  .order_by().values("pk"))
        .select_related("change").order_by("planned_start", "pk"), limit)
    return count, [InboxItem(kind=_("Change task"), title=f"{t.title} — {t.change.title}",
                             url=t.change.get_absolute_url(), number=t.change.number,
                             since=t.planned_start, due=t.planned_end) for t in tasks]


def my_votes(user) -> dict[str, Any]:
    """The card: approvals and votes waiting for the person."""
    count, items = votes_inbox(user, ROWS)
    return {"count": count, "items": items}


def this_week(user) -> dict[str, Any]:
    """Changes planned this week (Monday to Sunday) with their conflicts."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - dt.timedelta(days=today.weekday())
    end = start + dt.timedelta(days=7)
    entries, windows = schedule.calendar(Change.objects.visible_to(user),
                                         FreezeWindow.objects.visible_to(user), start, end)
    return {"entries": entries, "conflicts": sum(1 for e in entries if e.conflicts),
            "freezes": windows, "start": start, "end": end - dt.timedelta(days=1)}


def freeze_windows(user) -> dict[str, Any]:
    """Freeze windows in force now or starting within the next days."""
    now = timezone.now()
    windows = list(FreezeWindow.objects.visible_to(user)
                   .filter(end__gt=now, start__lt=now + dt.timedelta(days=FREEZE_DAYS_AHEAD))
                   .order_by("start", "pk")[:ROWS])
    return {"windows": windows, "now": now, "days": FREEZE_DAYS_AHEAD}
