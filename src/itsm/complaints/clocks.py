"""A complaint's clocks (CPL-2): first response within 24 h of working time for every
level, resolution within 24 h for urgent complaints (defaults; ``ComplaintPolicy``
per provider, organization and level).

Derived from the complaint's history (its audit trail) with the SLA engine's primitives
(``counted_intervals``, ``moment_when``, ``used_time`` on the policy's business calendar)
and stored as ``servicedesk.SLAClock`` rows, so that the sweep warns, breaches and
escalates them as it does tickets' (``sla.register_clock_type``, see
``registrations``). The response clock stops when a handler responds (or the complaint is
withdrawn); the resolution clock stands still while the customer considers a proposed
resolution and stops when the complaint is closed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from itsm.catalog import services as catalog
from itsm.core.choices import Role
from itsm.core.models import AuditEntry, BusinessCalendar
from itsm.servicedesk.models import SLAClock
from itsm.servicedesk.sla import DERIVED, counted_intervals, moment_when, used_time

from .choices import (
    DEFAULT_RESOLUTION_MINUTES,
    DEFAULT_RESPONSE_MINUTES,
    ClockKind,
    ComplaintLevel,
    ComplaintStatus,
)
from .models import Complaint, ComplaintPolicy

Statuses = list[tuple[dt.datetime, str]]
WARNING_SHARE = 0.75
ESCALATION_SHARE = 1.5


def status_history(complaint: Complaint) -> Statuses:
    """(time, status) from creation on, read from the audit trail (one query)."""
    statuses: Statuses = [(complaint.created_at, complaint.workflow.initial)]
    for occurred_at, changes in (AuditEntry.objects.filter(
            object_type=complaint._meta.label_lower, object_id=str(complaint.pk))
            .order_by("id").values_list("occurred_at", "changes")):
        status = changes.get("status")
        if status and status[0] is not None:
            statuses.append((occurred_at, status[1]))
    return statuses


def targets(complaint: Complaint) -> tuple[int, int | None, BusinessCalendar]:
    """(response minutes, resolution minutes or None, calendar) of the complaint's level:
    the organization's policy, else the provider's, else the defaults."""
    level = complaint.level or ComplaintLevel.ORDINARY
    org = complaint.organization
    policies = list(ComplaintPolicy.objects.filter(
        Q(organization_id=org.pk) | Q(organization__isnull=True),
        provider_id=org.serving_provider_id, level=level))
    policy = (next((p for p in policies if p.organization_id), None)
              or next(iter(policies), None))
    if policy is None:
        return (DEFAULT_RESPONSE_MINUTES, DEFAULT_RESOLUTION_MINUTES.get(level),
                catalog.default_calendar())
    calendar = (catalog.calendar_by_id(policy.calendar_id) if policy.calendar_id
                else catalog.default_calendar())
    return policy.response_minutes, policy.resolution_minutes, calendar


def _exceptions(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime
                ) -> list[list[str]]:
    tz = ZoneInfo(calendar.time_zone)
    return catalog.calendar_exceptions(calendar, start.astimezone(tz).date(),
                                       end.astimezone(tz).date())


def _pauses(statuses: Statuses, paused: set[str]
            ) -> list[tuple[dt.datetime, dt.datetime | None, str]]:
    return [(start, statuses[i + 1][0] if i + 1 < len(statuses) else None, status)
            for i, (start, status) in enumerate(statuses) if status in paused]


def _clock(complaint: Complaint, kind: str, statuses: Statuses, counting: set[str],
           paused: set[str], stop: dt.datetime | None, minutes: int,
           calendar: BusinessCalendar, now: dt.datetime) -> SLAClock:
    hours = calendar.business_hours()
    target = dt.timedelta(minutes=minutes)
    intervals = counted_intervals(statuses, counting, stop)
    projected = intervals if stop is None else [*intervals, (stop, None)]
    last_time, last_status = statuses[-1]
    paused_since = last_time if stop is None and last_status in paused else None
    used = used_time(intervals, hours, stop or now)
    due = None if paused_since else moment_when(projected, hours, target)
    paused_for = sum((hours.elapsed(s, e or now)
                      for s, e in counted_intervals(statuses, paused, stop)), dt.timedelta(0))
    values: dict[str, Any] = {
        "organization_id": complaint.organization_id, "policy": None, "calendar": calendar,
        "target_minutes": minutes, "started_at": complaint.created_at, "due_at": due,
        "paused_since": paused_since, "paused_seconds": int(paused_for.total_seconds()),
        "stopped_at": stop,
        "met": (used <= target) if stop else (False if due and due <= now else None),
        "warn_at": None if paused_since else moment_when(projected, hours,
                                                          target * WARNING_SHARE),
        "escalate_at": None if paused_since else moment_when(projected, hours,
                                                              target * ESCALATION_SHARE),
        "explanation": {
            "calendar": calendar.name, "always_on": calendar.always_on, "policy": None,
            "priority": None, "level": complaint.level, "target_minutes": minutes,
            "windows": [[d, s.strftime("%H:%M"), e.strftime("%H:%M") if e != dt.time.max
                         else "24:00"] for d, ws in sorted(hours.weekly.items())
                        for s, e in ws],
            "exceptions": [] if calendar.always_on else _exceptions(
                calendar, complaint.created_at, due or now),
            "used_seconds": int(used.total_seconds()),
            "started_at": complaint.created_at.isoformat(),
            "pauses": [[s.isoformat(), e.isoformat() if e else None, status]
                       for s, e, status in _pauses(statuses, paused)],
            "priority_changes": [],
            "running": bool(intervals) and intervals[-1][1] is None,
        },
        "updated_at": now,
    }
    return SLAClock(record_type=ContentType.objects.get_for_model(Complaint),
                    record_id=complaint.pk, kind=kind, **values)


def derive_clocks(complaint: Complaint, statuses: Statuses, now: dt.datetime
                  ) -> dict[str, SLAClock]:
    """The complaint's clocks by its history (unsaved): always a response clock, a
    resolution clock when its level has a resolution target."""
    response_minutes, resolution_minutes, calendar = targets(complaint)
    workflow = complaint.workflow
    last_time, last_status = statuses[-1]
    finished = last_time if last_status in workflow.final else None
    responded = next((t for t, s in statuses if s == ComplaintStatus.RESPONDED), None)
    everything = set(workflow.statuses.values)
    clocks = {ClockKind.RESPONSE: _clock(
        complaint, ClockKind.RESPONSE, statuses, everything - workflow.final, set(),
        responded or finished, response_minutes, calendar, now)}
    if resolution_minutes:
        clocks[ClockKind.RESOLUTION] = _clock(
            complaint, ClockKind.RESOLUTION, statuses,
            everything - workflow.final - workflow.paused, set(workflow.paused), finished,
            resolution_minutes, calendar, now)
    return clocks


def recompute_clocks(complaint: Complaint, *, now: dt.datetime | None = None,
                     statuses: Statuses | None = None) -> dict[str, SLAClock]:
    """Derive and store the complaint's clocks (one upsert) from its history (read unless
    given: demo data gives it); its due time follows."""
    now = now or timezone.now()
    clocks = derive_clocks(complaint, statuses or status_history(complaint), now)
    record_type = ContentType.objects.get_for_model(Complaint)
    SLAClock.objects.filter(record_type=record_type, record_id=complaint.pk).exclude(
        kind__in=list(clocks)).delete()  # the level no longer has that target
    SLAClock.objects.bulk_create(clocks.values(), update_conflicts=True,
                                 unique_fields=["record_type", "record_id", "kind"],
                                 update_fields=DERIVED)
    for kind, clock in clocks.items():  # stopped late: breached when it was due
        if clock.stopped_at and clock.met is False:
            SLAClock.objects.filter(record_type=record_type, record_id=complaint.pk,
                                    kind=kind, breached_at__isnull=True
                                    ).update(breached_at=clock.due_at)
    running = [c.due_at for c in clocks.values() if c.stopped_at is None and c.due_at]
    complaint.due_at = min(running) if running else None
    Complaint.objects.filter(pk=complaint.pk).update(due_at=complaint.due_at)
    return clocks


def clocks_of(complaint: Complaint) -> dict[str, SLAClock]:
    """The complaint's stored clocks by kind, with their calendars."""
    return {c.kind: c for c in SLAClock.objects.filter(
        record_type=ContentType.objects.get_for_model(Complaint), record_id=complaint.pk)
        .select_related("calendar")}


def management_of(complaint: Complaint) -> list:
    """Management of the provider serving the complaint: people holding the management
    role (or one of ``ITSM_MANAGEMENT_ROLES``)."""
    roles = {Role.MANAGEMENT, *settings.ITSM_MANAGEMENT_ROLES}
    return list(get_user_model().objects.filter(
        is_active=True, profile__organization_id=complaint.provider_id,
        groups__name__in=roles).select_related("profile").distinct())


def stage_recipients(complaint: Complaint, stage: str) -> list:
    """Who hears of a clock's warning, breach or escalation: the handler; management too
    when a major complaint breaches, and at the escalation of any complaint."""
    people = [complaint.assignee] if complaint.assignee_id else []
    if complaint.assignee_team_id and complaint.assignee_team.lead_id:
        people.append(complaint.assignee_team.lead)
    if stage == "escalation" or (stage == "breach" and complaint.level == ComplaintLevel.MAJOR):
        people += management_of(complaint)
    return people
