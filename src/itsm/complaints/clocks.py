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

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from itsm.catalog import services as catalog
from itsm.core.choices import Role
from itsm.core.models import AuditEntry, BusinessCalendar
from itsm.servicedesk.models import SLAClock
from itsm.servicedesk.sla import DERIVED, derive_clock

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
    common = {"calendar": calendar, "now": now, "warning": WARNING_SHARE,
              "escalation": ESCALATION_SHARE, "explained": {"level": complaint.level}}
    clocks = {ClockKind.RESPONSE: derive_clock(
        complaint, ClockKind.RESPONSE, statuses, counting=everything - workflow.final,
        paused=(), stop=responded or finished, minutes=response_minutes, **common)}
    if resolution_minutes:
        clocks[ClockKind.RESOLUTION] = derive_clock(
            complaint, ClockKind.RESOLUTION, statuses,
            counting=everything - workflow.final - workflow.paused, paused=workflow.paused,
            stop=finished, minutes=resolution_minutes, **common)
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
