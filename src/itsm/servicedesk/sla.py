"""SLA clocks (SLM-6, SLM-7): derived from a ticket's history, recomputed on every change
that can move them.

A ticket's history is its audit trail (status, priority and service changes, with
their times) plus its comments (the first public reply of provider staff is the first
response). From it ``recompute_clocks`` derives, for the response and the resolution
clock: the intervals in which the clock ran, the due time on the business calendar,
the warning and second-escalation moments, pauses, and whether the target was met.
Running it again on the same history gives the same result, which is what makes the
clocks trustworthy and explainable ("recomputing from the record's history gives the
same result").

Escalation is done by ``sweep``: a periodic job that stamps ``warned_at``,
``breached_at`` and ``escalated_at`` with a conditional UPDATE, so each happens exactly
once even with several workers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.catalog import services as catalog
from itsm.catalog.models import SLAPolicy
from itsm.core import access
from itsm.core.businesstime import BusinessHours, NoWorkingTime
from itsm.core.choices import TimelineKind
from itsm.core.models import AuditEntry, BusinessCalendar, Comment
from itsm.core.services import add_timeline_event

from .choices import ClockKind, TicketStatus
from .models import SLAClock, Ticket
from .notify import management_of, tell

User = get_user_model()
logger = logging.getLogger(__name__)

#: Statuses that count as the provider having responded when staff move a ticket there.
RESPONSE_STATUSES = frozenset({TicketStatus.IN_PROGRESS, TicketStatus.WAITING_CUSTOMER,
                               TicketStatus.WAITING_THIRD_PARTY, TicketStatus.RESOLVED})
#: Ticket fields the targets depend on (by name and by column).
SLA_FIELDS = frozenset({"priority", "service", "service_id", "organization", "organization_id",
                        "request_type", "request_type_id"})
DEFAULT_WARNING_PERCENT = 75
DEFAULT_SECOND_ESCALATION_PERCENT = 150

Interval = tuple[dt.datetime, dt.datetime | None]


@dataclass
class TicketHistory:
    """What the clocks are computed from."""

    created_at: dt.datetime
    #: (time, status) in order, starting with the initial status at creation.
    statuses: list[tuple[dt.datetime, str]] = field(default_factory=list)
    #: (time, old priority, new priority)
    priority_changes: list[tuple[dt.datetime, int, int]] = field(default_factory=list)
    first_response_at: dt.datetime | None = None


def new_ticket_history(ticket: Ticket) -> TicketHistory:
    """The history of a ticket just created: its initial status since creation (no
    queries: there are no status changes or comments yet)."""
    return TicketHistory(created_at=ticket.created_at,
                         statuses=[(ticket.created_at, ticket.workflow.initial)])


def ticket_history(ticket: Ticket) -> TicketHistory:
    """Read the ticket's audit trail and comments (two queries plus one for staff)."""
    entries = list(
        AuditEntry.objects.filter(object_type=ticket._meta.label_lower,
                                  object_id=str(ticket.pk))
        .order_by("id").values_list("occurred_at", "actor_id", "changes")
    )
    history = TicketHistory(created_at=ticket.created_at,
                            statuses=[(ticket.created_at, ticket.workflow.initial)])
    responders: list[tuple[dt.datetime, int]] = []
    for occurred_at, actor_id, changes in entries:
        status = changes.get("status")
        if status and status[0] is not None:
            history.statuses.append((occurred_at, status[1]))
            if status[1] in RESPONSE_STATUSES and actor_id:
                responders.append((occurred_at, actor_id))
        priority = changes.get("priority")
        if priority and priority[0] is not None:
            history.priority_changes.append((occurred_at, priority[0], priority[1]))
    comment_type = ContentType.objects.get_for_model(type(ticket))
    responders += list(
        Comment.objects.filter(content_type=comment_type, object_id=ticket.pk, internal=False,
                               author__isnull=False)
        .values_list("created_at", "author_id")
    )
    staff_ids = {u.pk for u in User.objects.filter(pk__in={a for _t, a in responders})
                 .select_related("profile").prefetch_related("groups")
                 if access.is_provider_staff(u)}
    times = sorted(t for t, actor in responders if actor in staff_ids)
    history.first_response_at = times[0] if times else None
    return history


def counted_intervals(statuses: list[tuple[dt.datetime, str]], counting: Iterable[str],
                      stop: dt.datetime | None) -> list[Interval]:
    """Intervals in which the clock runs: the ticket is in a counting status, until stop."""
    counting = set(counting)
    intervals: list[Interval] = []
    for i, (start, status) in enumerate(statuses):
        end = statuses[i + 1][0] if i + 1 < len(statuses) else None
        if stop is not None:
            if start >= stop:
                break
            end = stop if end is None or end > stop else end
        if status in counting and (end is None or end > start):
            intervals.append((start, end))
    return intervals


def moment_when(intervals: list[Interval], hours: BusinessHours,
                amount: dt.timedelta) -> dt.datetime | None:
    """When the running time over ``intervals`` reaches ``amount`` (None: not reached and
    the clock is not running, or the calendar has no working time at all — a
    misconfigured calendar must never stop tickets from being raised)."""
    try:
        return _moment_when(intervals, hours, amount)
    except NoWorkingTime:
        logger.warning("SLA calendar without working time: deadline left open")
        return None


def _moment_when(intervals: list[Interval], hours: BusinessHours,
                 amount: dt.timedelta) -> dt.datetime | None:
    used = dt.timedelta(0)
    for start, end in intervals:
        if end is None:
            return hours.add(start, amount - used)
        segment = hours.elapsed(start, end)
        if used + segment >= amount:
            return hours.add(start, amount - used)
        used += segment
    return None


def used_time(intervals: list[Interval], hours: BusinessHours, now: dt.datetime) -> dt.timedelta:
    return sum((hours.elapsed(s, e or now) for s, e in intervals), dt.timedelta(0))


def _crossed_exceptions(calendar: BusinessCalendar, start: dt.datetime,
                        end: dt.datetime) -> list[list[str]]:
    tz = ZoneInfo(calendar.time_zone)
    return catalog.calendar_exceptions(calendar, start.astimezone(tz).date(),
                                       end.astimezone(tz).date())


#: The clock columns ``recompute_clocks`` derives (the sweep's stamps are not among them).
DERIVED = ("organization_id", "policy", "calendar", "target_minutes", "started_at", "due_at",
           "paused_since", "paused_seconds", "stopped_at", "met", "warn_at", "escalate_at",
           "explanation", "updated_at")


def derive_clock(record: Any, kind: str, statuses: list[tuple[dt.datetime, str]], *,
                 counting: Iterable[str], paused: Iterable[str], stop: dt.datetime | None,
                 minutes: int, calendar: BusinessCalendar, now: dt.datetime,
                 warning: float, escalation: float, policy: SLAPolicy | None = None,
                 explained: dict[str, Any] | None = None) -> SLAClock:
    """One clock of ``record`` (unsaved) by its status history: it runs while the record
    is in a ``counting`` status until ``stop``, stands still in a ``paused`` one, and is
    due when ``minutes`` of working time on ``calendar`` are used. ``warning`` and
    ``escalation`` are shares of the target; ``explained`` adds to the explanation
    (priority, level…). Tickets and every type registered with ``register_clock_type``
    derive their clocks with it."""
    paused = set(paused)
    hours = calendar.business_hours()
    target = dt.timedelta(minutes=minutes)
    intervals = counted_intervals(statuses, counting, stop)
    projected = intervals if stop is None else [*intervals, (stop, None)]
    last_time, last_status = statuses[-1]
    paused_since = last_time if stop is None and last_status in paused else None
    due = None if paused_since else moment_when(projected, hours, target)
    used = used_time(intervals, hours, stop or now)
    paused_for = used_time(counted_intervals(statuses, paused, stop), hours, now)
    ends = [t for t, _ in statuses[1:]] + [None]
    pauses = [[start.isoformat(), end.isoformat() if end else None, status]
              for (start, status), end in zip(statuses, ends, strict=True) if status in paused]
    started_at = statuses[0][0]
    explanation = {
        "calendar": calendar.name,
        "always_on": calendar.always_on,
        "windows": [[d, s.strftime("%H:%M"), e.strftime("%H:%M") if e != dt.time.max
                     else "24:00"] for d, ws in sorted(hours.weekly.items()) for s, e in ws],
        "policy": policy.name if policy else None,
        "priority": None,
        "target_minutes": minutes,
        # Working time used until the clock stopped, paused or was recomputed: what is
        # left of a paused clock (its due time is open while it is paused).
        "used_seconds": int(used.total_seconds()),
        "started_at": started_at.isoformat(),
        "exceptions": [] if calendar.always_on else _crossed_exceptions(
            calendar, started_at, due or now),
        "pauses": pauses,
        "priority_changes": [],
        "running": bool(intervals) and intervals[-1][1] is None,
        **(explained or {}),
    }
    return SLAClock(
        record_type=ContentType.objects.get_for_model(type(record)), record_id=record.pk,
        kind=kind, organization_id=record.organization_id, policy=policy, calendar=calendar,
        target_minutes=minutes, started_at=started_at, due_at=due, paused_since=paused_since,
        paused_seconds=int(paused_for.total_seconds()), stopped_at=stop,
        met=(used <= target) if stop else (False if due and due <= now else None),
        warn_at=None if paused_since else moment_when(projected, hours, target * warning),
        escalate_at=None if paused_since else moment_when(projected, hours,
                                                          target * escalation),
        explanation=explanation, updated_at=now)


def derive_clocks(ticket: Ticket, history: TicketHistory, now: dt.datetime
                  ) -> tuple[SLAPolicy | None, dict[str, SLAClock]]:
    """The applicable policy and both clocks of ``ticket`` by its history (unsaved; no
    queries while the catalogue and calendars are cached)."""
    org = ticket.organization
    policy = catalog.applicable_policy(provider_id=org.serving_provider_id,
                                       service_id=ticket.service_id, customer_id=org.pk,
                                       request_type_id=getattr(ticket, "request_type_id", None))
    response_minutes, resolution_minutes = catalog.targets_for(policy, ticket.priority)
    calendar = catalog.calendar_for(policy, ticket.service)
    workflow = ticket.workflow
    last_time, last_status = history.statuses[-1]
    finished = workflow.final | {TicketStatus.RESOLVED}
    stop_resolution = last_time if last_status in finished else None
    explained = {"priority": ticket.priority,
                 "priority_changes": [[t.isoformat(), old, new]
                                      for t, old, new in history.priority_changes]}
    return policy, {kind: derive_clock(
        ticket, kind, history.statuses,
        counting=set(workflow.statuses.values) - workflow.paused - finished,
        paused=workflow.paused, stop=stop, minutes=minutes, calendar=calendar, now=now,
        warning=(policy.warning_percent if policy else DEFAULT_WARNING_PERCENT) / 100,
        escalation=(policy.second_escalation_percent if policy
                    else DEFAULT_SECOND_ESCALATION_PERCENT) / 100,
        policy=policy, explained=explained)
        for kind, minutes, stop in (
            (ClockKind.RESPONSE, response_minutes, history.first_response_at or stop_resolution),
            (ClockKind.RESOLUTION, resolution_minutes, stop_resolution))}


def _set_derived(ticket: Ticket, policy: SLAPolicy | None, clocks: dict[str, SLAClock],
                 history: TicketHistory) -> dict[str, Any]:
    """Put what the clocks decide on the ticket; those values by field name."""
    values = {"sla_policy": policy, "first_response_at": history.first_response_at,
              "due_at": clocks[ClockKind.RESOLUTION].due_at}
    for name, value in values.items():
        setattr(ticket, name, value)
    return values


def recompute_clocks(ticket: Ticket, *, now: dt.datetime | None = None,
                     history: TicketHistory | None = None) -> dict[str, SLAClock]:
    """Derive both clocks of ``ticket`` from its history (read unless given) and store
    them, both in one upsert; the ticket's policy, first response and due time follow
    (in the database and on ``ticket``)."""
    history = history or ticket_history(ticket)
    policy, clocks = derive_clocks(ticket, history, now or timezone.now())
    SLAClock.objects.bulk_create(clocks.values(), update_conflicts=True,
                                 unique_fields=["record_type", "record_id", "kind"],
                                 update_fields=DERIVED)
    for kind, clock in clocks.items():  # stopped late: breached when it was due
        if clock.stopped_at and clock.met is False:
            SLAClock.objects.filter(record_type=clock.record_type, record_id=ticket.pk,
                                    kind=kind, breached_at__isnull=True
                                    ).update(breached_at=clock.due_at)
    type(ticket).objects.filter(pk=ticket.pk).update(
        **_set_derived(ticket, policy, clocks, history))
    return clocks


def _clock_inputs(ticket: Ticket) -> tuple:
    return (ticket.organization_id, ticket.service_id, ticket.priority, ticket.created_at,
            ticket.status)


def moves_clocks(ticket: Ticket, old_status: str, transition: str, actor) -> bool:
    """Whether a transition of ``ticket`` (now in its new status) can move its clocks.

    One between two statuses in which both clocks run (neither paused, resolved nor
    final) cannot, unless it may be the first response (a person moves the ticket to a
    response status before anyone responded) or it sets a field the targets depend on:
    assigning and reassigning leave the clocks as they are.
    """
    workflow = ticket.workflow
    running = set(workflow.statuses.values) - workflow.paused - workflow.final - {
        TicketStatus.RESOLVED}
    step = workflow.get(transition)
    if (old_status not in running or ticket.status not in running or step is None
            or SLA_FIELDS & set(step.fields)):
        return True
    return (ticket.status in RESPONSE_STATUSES and actor is not None
            and ticket.first_response_at is None)


def plan_new_clocks(ticket: Ticket) -> None:
    """Before a new ticket is inserted: its clocks, and its policy and due time set on it,
    so that the insert carries them (``start_new_clocks`` then only inserts the clocks)."""
    history = new_ticket_history(ticket)
    policy, clocks = derive_clocks(ticket, history, ticket.created_at)
    _set_derived(ticket, policy, clocks, history)
    ticket._planned_clocks = (_clock_inputs(ticket), clocks)


def start_new_clocks(ticket: Ticket) -> None:
    """Store the clocks of a ticket just inserted: those planned before the insert,
    unless what they depend on changed since (then derived from its history)."""
    inputs, clocks = ticket.__dict__.pop("_planned_clocks", (None, None))
    if inputs != _clock_inputs(ticket):
        recompute_clocks(ticket)
        return
    for clock in clocks.values():
        clock.record_id = ticket.pk
    SLAClock.objects.bulk_create(clocks.values())


def clocks_of(ticket: Ticket) -> dict[str, SLAClock]:
    """The ticket's clocks by kind, with their calendars."""
    record_type = ContentType.objects.get_for_model(type(ticket))
    return {c.kind: c for c in SLAClock.objects.filter(record_type=record_type,
                                                       record_id=ticket.pk)
            .select_related("calendar")}


def resolution_clocks(tickets: Iterable[Ticket]) -> dict[int, SLAClock]:
    """The resolution clocks of tickets of one type (a list page), with their calendars,
    by ticket id: one query."""
    tickets = list(tickets)
    if not tickets:
        return {}
    record_type = ContentType.objects.get_for_model(type(tickets[0]))
    clocks = SLAClock.objects.filter(record_type=record_type, kind=ClockKind.RESOLUTION,
                                     record_id__in=[t.pk for t in tickets])
    return {c.record_id: c for c in clocks.select_related("calendar")}


# --- Working time left ----------------------------------------------------------------

#: How far ahead a page is given the calendar's working windows, so that its countdown
#: runs only inside them (``ui/sla.js``); beyond that it keeps its last value.
COUNTDOWN_HORIZON = dt.timedelta(days=3)
COUNTDOWN_MAX_WINDOWS = 12


def working_time_left(clock: SLAClock, now: dt.datetime) -> dt.timedelta | None:
    """Working time left on the clock's business calendar (negative: overdue by that
    much working time); None for a stopped clock or one without a due time.

    A paused clock keeps what was left when it paused (its target less the working time
    used, as derived from the history)."""
    if clock.stopped_at is not None:
        return None
    if clock.paused_since is not None:
        return dt.timedelta(minutes=clock.target_minutes) - _used_before_pause(clock)
    if clock.due_at is None:
        return None
    hours = clock.calendar.business_hours()
    if clock.due_at >= now:
        return hours.elapsed(now, clock.due_at)
    return -hours.elapsed(clock.due_at, now)


def _used_before_pause(clock: SLAClock) -> dt.timedelta:
    used = (clock.explanation or {}).get("used_seconds")
    if used is not None:
        return dt.timedelta(seconds=used)
    # Clocks derived before ``used_seconds`` was recorded: the working time from the
    # start to the pause less the working time paused before.
    hours = clock.calendar.business_hours()
    return max(hours.elapsed(clock.started_at, clock.paused_since)
               - dt.timedelta(seconds=clock.paused_seconds), dt.timedelta(0))


def working_windows(clock: SLAClock, now: dt.datetime) -> list[tuple[int, int]]:
    """The calendar's working intervals from ``now`` on (a few days), as seconds after
    ``now``: the countdown of a running clock advances only inside them."""
    found: list[tuple[int, int]] = []
    for begin, end in clock.calendar.business_hours().intervals(now):
        if begin >= now + COUNTDOWN_HORIZON or len(found) >= COUNTDOWN_MAX_WINDOWS:
            break
        found.append((int((begin - now).total_seconds()), int((end - now).total_seconds())))
    return found


# --- Escalation ------------------------------------------------------------------------

STAGES = (
    # (stage, moment column, stamp column)
    ("warning", "warn_at", "warned_at"),
    ("breach", "due_at", "breached_at"),
    ("escalation", "escalate_at", "escalated_at"),
)


#: Who hears of a stage of a clock, per record type other than tickets (``sweep``
#: derives and sweeps every record type's clocks the same way; only the recipients
#: differ): model → function(record, stage) → people. ``register_clock_type`` fills it.
STAGE_RECIPIENTS: dict[type, Callable[[Any, str], list]] = {}


def register_clock_type(model: type, *, recipients: Callable[[Any, str], list]) -> None:
    """Declare a record type with clocks of its own (derived by its app with
    ``counted_intervals`` / ``moment_when`` and stored as ``SLAClock`` rows): the sweep
    warns, breaches and escalates them like tickets', telling ``recipients(record,
    stage)``."""
    STAGE_RECIPIENTS[model] = recipients


def _recipients(ticket: Ticket, stage: str) -> list:
    """Who hears of a stage: assignee and team lead; management at the second threshold."""
    if stage == "escalation":
        return management_of(ticket)
    people = []
    if stage == "warning" and ticket.assignee_id:
        people.append(ticket.assignee)
    if ticket.assignee_team_id and ticket.assignee_team.lead_id:
        people.append(ticket.assignee_team.lead)
    return people


STAGE_EVENTS = {"warning": "sla_warning", "breach": "sla_breach", "escalation": "sla_escalation"}


def _stage_text(stage: str, clock: SLAClock, ticket: Ticket) -> str:
    labels = {
        "warning": _("%(clock)s target of %(number)s is at risk: due %(due)s."),
        "breach": _("%(clock)s target of %(number)s was breached at %(due)s."),
        "escalation": _("%(clock)s target of %(number)s is far overdue (due %(due)s): "
                        "escalated to management."),
    }
    due = timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock.due_at else "—"
    return labels[stage] % {"clock": clock.get_kind_display(), "number": ticket.number,
                            "due": due}


def _handle_stage(clock: SLAClock, stage: str) -> None:
    ticket = clock.record
    if ticket is None:
        return
    add_timeline_event(ticket, TimelineKind.SLA, stage=stage, clock=clock.kind,
                       text=_stage_text(stage, clock, ticket))
    # Each recipient reads it in their own language; ``tell`` dedupes per language.
    recipients = STAGE_RECIPIENTS.get(type(ticket), _recipients)
    tell(STAGE_EVENTS[stage], ticket, recipients(ticket, stage), None,
         lambda: (_stage_text(stage, clock, ticket),) * 2, dedupe=f"sla:{clock.pk}:{stage}")


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Warn, record breaches and escalate every running clock that is due; exactly once."""
    now = now or timezone.now()
    done = {}
    for stage, moment, stamp in STAGES:
        candidates = SLAClock.objects.filter(
            stopped_at__isnull=True, paused_since__isnull=True,
            **{f"{moment}__lte": now, f"{stamp}__isnull": True},
        ).values_list("pk", flat=True)
        count = 0
        for pk in list(candidates):
            with transaction.atomic():
                changes = {stamp: now}
                if stage == "breach":
                    changes["met"] = False
                won = SLAClock.objects.filter(pk=pk, **{f"{stamp}__isnull": True}).update(
                    **changes)
                if won:
                    _handle_stage(SLAClock.objects.get(pk=pk), stage)
                    count += 1
        done[stage] = count
    return done


