"""Web UI for changes, the change calendar: the changes planned and the freeze windows
by month or week (``changes.schedule.calendar``)."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .. import models, schedule
from .staff import StaffOnlyMixin


@dataclass
class Day:
    date: dt.date
    in_range: bool
    is_today: bool
    entries: list = field(default_factory=list)
    freezes: list = field(default_factory=list)


def _local_dates(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last local day a window [start, end) touches."""
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - dt.timedelta(microseconds=1)).date()
    return first, max(first, last)


def _month_start(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def calendar_range(view: str, day: dt.date) -> dict[str, Any]:
    """Days shown (whole weeks, Monday first) and the dates of the previous/next page."""
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=6)
        return {"start": first, "end": last, "in_range": (first, last),
                "previous": day - dt.timedelta(days=7), "next": day + dt.timedelta(days=7)}
    month_first = day.replace(day=1)
    month_last = day.replace(day=pycalendar.monthrange(day.year, day.month)[1])
    return {"start": month_first - dt.timedelta(days=month_first.weekday()),
            "end": month_last + dt.timedelta(days=6 - month_last.weekday()),
            "in_range": (month_first, month_last),
            "previous": _month_start(day, -1), "next": _month_start(day, 1)}


#: Dates the calendar pages through (far enough from the limits of ``datetime.date``).
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(9000, 12, 31)


class CalendarView(StaffOnlyMixin, TemplateView):
    """Month (default) or week view of the changes planned and the freeze windows."""

    template_name = "changes/calendar.html"
    VIEWS = {"month": gettext_lazy("Month"), "week": gettext_lazy("Week")}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.localdate()
        errors = []
        view = request.GET.get("view") or "month"
        if view not in self.VIEWS:
            errors.append(_("Unknown view “%(view)s”; choose month or week.") % {"view": view})
            view = "month"
        day, raw = today, request.GET.get("date")
        if raw:
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(_("“%(date)s” is not a date (YYYY-MM-DD).") % {"date": raw})
            else:
                if not MIN_DATE <= day <= MAX_DATE:
                    errors.append(_("Choose a date between %(min)s and %(max)s.")
                                  % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()})
                    day = today
        context = self.get_context_data(**self.calendar(view, day), view=view,
                                        views=list(self.VIEWS.items()), errors=errors)
        return self.render_to_response(context, status=400 if errors else 200)

    def calendar(self, view: str, day: dt.date) -> dict[str, Any]:
        span = calendar_range(view, day)
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(span["start"], dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(span["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        user = self.request.user
        entries, freezes = schedule.calendar(
            models.Change.objects.visible_to(user),
            models.FreezeWindow.objects.visible_to(user), start, end)
        today = timezone.localdate()
        days: dict[dt.date, Day] = {}
        current = span["start"]
        while current <= span["end"]:
            days[current] = Day(date=current, is_today=current == today,
                                in_range=span["in_range"][0] <= current <= span["in_range"][1])
            current += dt.timedelta(days=1)
        for items, attr, window in ((entries, "entries", lambda e: (e.change.planned_start,
                                                                    e.change.planned_end)),
                                    (freezes, "freezes", lambda f: (f.start, f.end))):
            for item in items:
                first, last = _local_dates(*window(item))
                current = max(first, span["start"])
                while current <= min(last, span["end"]):
                    getattr(days[current], attr).append(item)
                    current += dt.timedelta(days=1)
        ordered = list(days.values())
        return {
            "weeks": [ordered[i:i + 7] for i in range(0, len(ordered), 7)],
            "day": day, "today": today, "span": span,
            "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)],
            "entries": entries, "freeze_windows": freezes,
            "conflict_count": sum(1 for e in entries if e.conflicts),
        }
