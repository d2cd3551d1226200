"""SLA clocks in words: what the detail page says about each deadline."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.choices import CalendarExceptionKind, Weekday

from ..choices import TicketStatus

register = template.Library()


def duration_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": minutes}


def _local(value: str | None) -> str:
    if not value:
        return "—"
    return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


def _windows_text(windows: list) -> str:
    days: dict[tuple, list[int]] = {}
    by_day: dict[int, list[str]] = {}
    for day, start, end in windows:
        by_day.setdefault(day, []).append(f"{start}–{end}")
    for day, spans in by_day.items():
        days.setdefault(tuple(spans), []).append(day)
    parts = []
    for spans, weekdays in days.items():
        names = [str(Weekday(d).label) for d in sorted(weekdays)]
        label = (f"{names[0]}–{names[-1]}" if len(names) > 2
                 and sorted(weekdays) == list(range(min(weekdays), max(weekdays) + 1))
                 else _(", ").join(names))
        parts.append(f"{label} {_(', ').join(spans)}")
    return _("; ").join(parts)


@register.simple_tag
def sla_sentences(clock) -> list[str]:
    """The deadline explained: calendar, target, holidays and make-up days crossed, pauses."""
    info = clock.explanation or {}
    sentences = []
    if info.get("always_on"):
        sentences.append(_("Calendar “%(name)s”: around the clock, holidays included.")
                         % {"name": info.get("calendar")})
    else:
        sentences.append(_("Calendar “%(name)s”: %(windows)s.")
                         % {"name": info.get("calendar"),
                            "windows": _windows_text(info.get("windows", []))})
    sentences.append(_("Target: %(target)s of working time from %(start)s%(policy)s.") % {
        "target": duration_text(info.get("target_minutes", 0) * 60),
        "start": _local(info.get("started_at")),
        "policy": _(" (policy “%(name)s”)") % {"name": info["policy"]}
        if info.get("policy") else "",
    })
    holidays = [f"{d} {name}" for d, kind, name in info.get("exceptions", [])
                if kind == CalendarExceptionKind.HOLIDAY]
    workdays = [d for d, kind, _name in info.get("exceptions", [])
                if kind == CalendarExceptionKind.WORKDAY]
    if holidays:
        sentences.append(_("Not counted, public holidays: %(days)s.")
                         % {"days": _(", ").join(holidays)})
    if workdays:
        sentences.append(_("Counted, make-up working days: %(days)s.")
                         % {"days": _(", ").join(workdays)})
    labels = dict(TicketStatus.choices)
    for start, end, status in info.get("pauses", []):
        if end:
            seconds = (dt.datetime.fromisoformat(end)
                       - dt.datetime.fromisoformat(start)).total_seconds()
            sentences.append(_("Paused %(from)s – %(until)s (%(length)s, %(status)s).") % {
                "from": _local(start), "until": _local(end), "length": duration_text(seconds),
                "status": labels.get(status, status)})
        else:
            sentences.append(_("Paused since %(from)s (%(status)s).")
                             % {"from": _local(start), "status": labels.get(status, status)})
    for when, old, new in info.get("priority_changes", []):
        sentences.append(_("Priority changed at %(when)s from %(old)s to %(new)s; the "
                           "deadline was recomputed from the start.")
                         % {"when": _local(when), "old": old, "new": new})
    return sentences


@register.simple_tag
def sla_state(clock) -> tuple[str, str]:
    """(Bootstrap colour, short state text) of a clock."""
    now = timezone.now()
    if clock.stopped_at:
        if clock.met:
            return "success", _("met")
        return "danger", _("breached")
    if clock.paused_since:
        return "secondary", _("paused")
    if clock.due_at and clock.due_at <= now:
        return "danger", _("overdue")
    if clock.warned_at or (clock.warn_at and clock.warn_at <= now):
        return "warning", _("at risk")
    return "primary", _("running")
