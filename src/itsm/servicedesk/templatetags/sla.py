"""SLA clocks in words: what the detail page and the lists say about each deadline.

Time left is working time on the clock's business calendar (``sla.working_time_left``),
in the reader's language. A running clock's countdown is rendered by the server and
advanced by ``ui/sla.js`` only inside the working windows the page is given, so it
stands still at night, at weekends and on holidays, as the clock does.
"""

from __future__ import annotations

import datetime as dt
import json

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from itsm.core.choices import CalendarExceptionKind, Priority, Weekday

from ..choices import ClockState, TicketStatus
from ..models import SLAClock
from ..sla import working_time_left, working_windows

register = template.Library()
PRIORITY_LABELS = dict(Priority.choices)
#: Stand-ins for the numbers of the duration formats, replaced by ``{h}``/``{m}`` in the
#: formats given to the page's script (digits no translation contains).
HOURS_STAND_IN, MINUTES_STAND_IN = 975310, 864200


def duration_text(seconds: float) -> str:
    """A duration in hours and minutes, in the active language ("3 小时 50 分钟")."""
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": minutes}


def duration_formats() -> dict[str, str]:
    """The formats of ``duration_text`` with ``{h}`` and ``{m}`` placeholders, for the
    script that advances countdowns: the same translated strings, not a copy."""
    def placeholders(text: str) -> str:
        return text.replace(str(HOURS_STAND_IN), "{h}").replace(str(MINUTES_STAND_IN), "{m}")

    return {
        "hm": placeholders(_("%(h)d h %(m)d min") % {"h": HOURS_STAND_IN,
                                                     "m": MINUTES_STAND_IN}),
        "h": placeholders(_("%(h)d h") % {"h": HOURS_STAND_IN}),
        "m": placeholders(_("%(m)d min") % {"m": MINUTES_STAND_IN}),
    }


@register.simple_tag
def sla_countdown(clock: SLAClock, now: dt.datetime | None = None) -> SafeString | str:
    """Working time left of a clock: a running clock's countdown (negative: overdue), a
    paused clock's "Paused" with what is left, nothing for a stopped clock."""
    now = now or timezone.now()
    left = working_time_left(clock, now)
    if left is None:
        return ""
    seconds = int(left.total_seconds())
    if clock.paused_since is not None:
        text = (_("Paused, {time} of working time left") if seconds >= 0
                else _("Paused, {time} of working time overdue"))
        return format_html('<span class="sla-paused text-muted">{}</span>',
                           text.replace("{time}", duration_text(abs(seconds))))
    left_format = _("{time} of working time left")
    over_format = _("{time} of working time overdue")
    text = (left_format if seconds >= 0 else over_format).replace(
        "{time}", duration_text(abs(seconds)))
    formats = duration_formats()
    return format_html(
        '<span class="sla-countdown {}" data-seconds="{}" data-windows="{}" '
        'data-left="{}" data-over="{}" data-hm="{}" data-h="{}" data-m="{}">{}</span>',
        "text-danger" if seconds < 0 else "text-muted", seconds,
        json.dumps(working_windows(clock, now)), left_format, over_format,
        formats["hm"], formats["h"], formats["m"], text)


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


def _priority_label(value) -> str:
    return str(PRIORITY_LABELS.get(value, value))


@register.simple_tag
def sla_sentences(clock, record=None) -> list[str]:
    """The deadline explained: calendar, the target of the ticket's priority, holidays and
    make-up days crossed, pauses, priority changes (by name)."""
    info = clock.explanation or {}
    sentences = []
    if info.get("always_on"):
        sentences.append(_("Calendar “%(name)s”: around the clock, holidays included.")
                         % {"name": info.get("calendar")})
    else:
        sentences.append(_("Calendar “%(name)s”: %(windows)s.")
                         % {"name": info.get("calendar"),
                            "windows": _windows_text(info.get("windows", []))})
    priority = info.get("priority", getattr(record, "priority", None))
    target = {
        "target": duration_text(info.get("target_minutes", 0) * 60),
        "start": _local(info.get("started_at")),
        "policy": _(" (policy “%(name)s”)") % {"name": info["policy"]}
        if info.get("policy") else "",
    }
    if priority is None:
        sentences.append(_("Target: %(target)s of working time from %(start)s%(policy)s.")
                         % target)
    else:
        sentences.append(_("Target for priority %(priority)s: %(target)s of working time "
                           "from %(start)s%(policy)s.")
                         % {**target, "priority": _priority_label(priority)})
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
    labels = dict((record.workflow.statuses if record is not None else TicketStatus).choices)
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
                         % {"when": _local(when), "old": _priority_label(old),
                            "new": _priority_label(new)})
    return sentences


@register.simple_tag
def sla_state(clock) -> tuple[str, str]:
    """(Bootstrap colour, short state text) of a clock: its ``ClockState``, with a running
    clock told apart as overdue or at risk."""
    now = timezone.now()
    if clock.stopped_at:
        state = ClockState.MET if clock.met else ClockState.BREACHED
    elif clock.paused_since:
        state = ClockState.PAUSED
    elif clock.due_at and clock.due_at <= now:
        return "danger", _("overdue")
    elif clock.warned_at or (clock.warn_at and clock.warn_at <= now):
        return "warning", _("at risk")
    else:
        state = ClockState.RUNNING
    return state.color, str(state.label)
