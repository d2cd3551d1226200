"""The monthly service-level report (SLR) of one customer organization (SLM-4, SLM-5).

``service_level_report(organization, year, month)`` measures, for one calendar month in
the organization's time zone (Asia/Shanghai by default) and optionally one service:

1. SLO attainment per service × priority × clock (response, resolution): the clocks of
   the organization's service requests and incidents that stopped in the month, met or
   not, plus the clocks still running at the month's end whose deadline passed in the
   month. A clock overdue at the end of one month that stops in the next is counted in
   both: as an open breach in the first, as a late stop in the second; each month's
   report therefore describes the month as it ended.
2. Every breached clock of (1) with the reasons the records give (see ``_reasons``).
3. Availability per service: 1 − outage minutes / minutes of the month, where an outage
   is an urgent (P1) incident of the organization on the service, from its creation to
   its resolution, or a major incident of the organization on the service, from its
   declaration to its recovery; intervals are clipped to the month and merged.
4. Satisfaction ratings given in the month, per service.
5. Tickets opened, resolved and still open at the month's end; overall attainment.

Everything is aggregated in SQL with a fixed number of queries (13), whatever the number
of tickets: the clock conditions use the indexes ``sla_org_stopped`` and
``sla_org_due``, ratings ``rating_org_created``. For the current month the period ends
now; months that have not started are refused by the callers (forms.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Avg,
    CharField,
    Count,
    Exists,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT, KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact, IsNull
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from itsm.catalog.models import Service
from itsm.catalog.services import applicable_policy
from itsm.core import access
from itsm.core.choices import AuditAction, Priority
from itsm.core.models import AuditEntry, Organization
from itsm.servicedesk.choices import ClockKind, TicketStatus
from itsm.servicedesk.models import (
    Incident,
    MajorIncident,
    SatisfactionRating,
    ServiceRequest,
    SLAClock,
    Ticket,
)

#: The ticket types under SLA clocks, reported together.
TICKET_MODELS: tuple[type[Ticket], ...] = (ServiceRequest, Incident)
#: Ticket statuses in which the work is done (a reopened ticket leaves them).
DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
DEFAULT_TIME_ZONE = "Asia/Shanghai"
#: A placeholder id to build ticket URLs from one ``reverse()`` per type.
URL_PK = 987654321


# --- Who may see reports ------------------------------------------------------------------


def may_see_reports(user) -> bool:
    """Provider staff (the auditor included) and customer administrators: those who see
    every record of their organizations."""
    return access.sees_all_records_of_organization(user)


def reportable_organizations(user) -> QuerySet:
    """Organizations ``user`` may get reports of: the provider's staff its own and its
    customers', a customer administrator their own organization, anyone else none."""
    if not may_see_reports(user):
        return Organization.objects.none()
    return Organization.objects.visible_to(user)


def may_report_on(user, organization: Organization) -> bool:
    return may_see_reports(user) and organization.pk in access.scope_organization_ids(user)


def services_of(organization: Organization) -> QuerySet:
    """The catalogue services that serve ``organization`` (the report's service filter)."""
    return Service.objects.filter(provider_id=organization.serving_provider_id,
                                  customers=organization)


# --- The report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One calendar month in a time zone: [start, end), measured until ``until``
    (the end, or now while the month is running)."""

    year: int
    month: int
    time_zone: str
    start: dt.datetime
    end: dt.datetime
    until: dt.datetime

    @classmethod
    def of(cls, year: int, month: int, time_zone: str, now: dt.datetime) -> Period:
        try:
            tz = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            time_zone, tz = DEFAULT_TIME_ZONE, ZoneInfo(DEFAULT_TIME_ZONE)
        start = dt.datetime(year, month, 1, tzinfo=tz)
        end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        return cls(year, month, time_zone, start, end, min(end, max(start, now)))

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def minutes(self) -> int:
        """Minutes measured (the whole month once it is over)."""
        return int((self.until - self.start).total_seconds() // 60)

    @property
    def complete(self) -> bool:
        return self.until >= self.end


@dataclass
class SLORow:
    """Attainment of one clock kind for one service and priority."""

    service_id: int | None
    service: str
    priority: int
    priority_label: str
    kind: str
    kind_label: str
    #: Targets in working minutes (min and max: a policy may have changed in the month).
    target_minutes: int | None
    target_minutes_max: int | None
    clocks: int
    met: int
    breached: int
    #: Breached clocks not stopped at the end of the period.
    still_open: int

    @property
    def attainment(self) -> float | None:
        return percent(self.met, self.clocks)


@dataclass
class BreachRow:
    """One breached clock: which ticket, by how much, and why as far as the records say."""

    ticket_type: str
    ticket_id: int
    number: str
    title: str
    url: str
    service_id: int | None
    service: str
    priority: int
    priority_label: str
    kind: str
    kind_label: str
    target_minutes: int
    due_at: dt.datetime
    stopped_at: dt.datetime | None
    #: Not stopped at the end of the period.
    still_open: bool
    #: Calendar minutes from the deadline to the stop (or to now while running).
    overrun_minutes: int
    escalated_at: dt.datetime | None
    reasons: list[str] = field(default_factory=list)
    #: The reasons in one line, or "Not recorded".
    reason: str = ""


@dataclass
class AvailabilityRow:
    service_id: int
    service: str
    period_minutes: int
    outage_minutes: int
    #: Outages after merging overlapping intervals.
    outages: int
    #: Urgent incidents and major incidents the outages are made of.
    records: int
    longest_outage_minutes: int
    target: float
    max_interruption_minutes: int

    @property
    def availability(self) -> float | None:
        if self.period_minutes <= 0:
            return None
        return round(100 * (1 - self.outage_minutes / self.period_minutes), 3)

    @property
    def met(self) -> bool | None:
        value = self.availability
        return None if value is None else value >= self.target

    @property
    def interruption_met(self) -> bool:
        return self.longest_outage_minutes <= self.max_interruption_minutes


@dataclass
class SatisfactionRow:
    service_id: int | None
    service: str
    ratings: int
    mean: float | None
    #: Ratings of 4 or 5.
    satisfied: int

    @property
    def satisfied_percent(self) -> float | None:
        return percent(self.satisfied, self.ratings)


@dataclass
class Summary:
    opened: int
    resolved: int
    open_at_end: int
    clocks: int
    met: int
    breached: int
    response_clocks: int
    response_met: int
    resolution_clocks: int
    resolution_met: int

    @property
    def attainment(self) -> float | None:
        return percent(self.met, self.clocks)

    @property
    def response_attainment(self) -> float | None:
        return percent(self.response_met, self.response_clocks)

    @property
    def resolution_attainment(self) -> float | None:
        return percent(self.resolution_met, self.resolution_clocks)


@dataclass
class ServiceLevelReport:
    organization: Organization
    period: Period
    service: Service | None
    generated_at: dt.datetime
    summary: Summary
    slo: list[SLORow]
    breaches: list[BreachRow]
    availability: list[AvailabilityRow]
    satisfaction: list[SatisfactionRow]
    satisfaction_total: SatisfactionRow


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def service_level_report(organization: Organization, year: int, month: int, *,
                         service: Service | None = None, user=None,
                         now: dt.datetime | None = None) -> ServiceLevelReport:
    """The SLR of ``organization`` for ``year``-``month`` (its local month), optionally of
    one ``service``. ``user``: who asks (None: the system); someone who may not see the
    organization's reports gets PermissionDenied."""
    if user is not None and not may_report_on(user, organization):
        raise PermissionDenied(_("You may not see this organization's reports."))
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    now = now or timezone.now()
    period = Period.of(year, month, organization.time_zone, now)
    services = _services(organization)
    slo_counts = _slo_counts(organization, period, service)
    breaches = _breaches(organization, period, service, services, now)
    slo = _slo_rows(slo_counts, services)
    ratings = _satisfaction(organization, period, service, services)
    return ServiceLevelReport(
        organization=organization, period=period, service=service, generated_at=now,
        summary=_summary(organization, period, service, slo),
        slo=slo, breaches=breaches,
        availability=_availability(organization, period, service, services),
        satisfaction=ratings[0], satisfaction_total=ratings[1],
    )


# --- Services and targets ---------------------------------------------------------------


@dataclass
class _ServiceInfo:
    name: str
    subscribed: bool
    is_active: bool
    availability_target: Decimal
    max_interruption_minutes: int


def _services(organization: Organization) -> dict[int, _ServiceInfo]:
    """Every service of the provider (one query), whether it serves the organization, and
    the availability target that applies: that of the policy the SLA clocks apply
    (``catalog.services.applicable_policy``, cached) when it names the service or the
    customer, else the service's own (a provider-wide policy carries only the default target)."""
    subscribed = Service.customers.through.objects.filter(
        service_id=OuterRef("pk"), organization_id=organization.pk)
    rows = Service.objects.filter(provider_id=organization.serving_provider_id).annotate(
        subscribed=Exists(subscribed)).values_list(
        "pk", "name", "is_active", "availability_target", "max_interruption_minutes",
        "subscribed")
    services = {pk: _ServiceInfo(name, subscribed, active, target, interruption)
                for pk, name, active, target, interruption, subscribed in rows}
    for pk, info in services.items():
        policy = applicable_policy(provider_id=organization.serving_provider_id,
                                   service_id=pk, customer_id=organization.pk)
        if policy is not None and policy.specificity:
            info.availability_target = policy.availability_target
    return services


def _service_name(services: dict[int, _ServiceInfo], service_id: int | None) -> str:
    if service_id is None:
        return _("No service")
    info = services.get(service_id)
    return info.name if info else str(service_id)


# --- Clock conditions -------------------------------------------------------------------

def _clock_conditions(period: Period, prefix: str = "sla_clocks__") -> dict[str, Q]:
    """Conditions on a ticket's clocks (through ``prefix``), all positive so that they
    stay on one join: stopped in the period; breached in the period and still running at
    its end; both together; and breached."""

    def q(**lookups) -> Q:
        return Q(**{prefix + name: value for name, value in lookups.items()})

    stopped = q(stopped_at__gte=period.start, stopped_at__lt=period.end)
    running_at_end = q(stopped_at__isnull=True) | q(stopped_at__gte=period.end)
    # The deadline passed in the period; a paused clock keeps only its breach stamp.
    overdue = (q(due_at__gte=period.start, due_at__lt=period.until)
               | q(due_at__isnull=True, breached_at__gte=period.start,
                   breached_at__lt=period.until))
    not_met = q(met=False) | q(met__isnull=True)
    open_breach = running_at_end & overdue & not_met
    return {
        "stopped": stopped,
        "open_breach": open_breach,
        "counted": stopped | open_breach,
        "breached": (stopped & not_met) | open_breach,
        "met": stopped & q(met=True),
    }


def _tickets(model: type[Ticket], organization: Organization,
             service: Service | None) -> QuerySet:
    tickets = model.objects.filter(organization_id=organization.pk)
    return tickets.filter(service_id=service.pk) if service is not None else tickets


def _slo_counts(organization: Organization, period: Period,
                service: Service | None) -> dict[tuple, dict]:
    """Clock counts per (service, priority, kind): one GROUP BY per ticket type."""
    c = _clock_conditions(period)
    groups: dict[tuple, dict] = {}
    for model in TICKET_MODELS:
        rows = (_tickets(model, organization, service)
                .filter(c["counted"], sla_clocks__organization_id=organization.pk)
                .order_by()
                .values("service_id", "priority", "sla_clocks__kind")
                .annotate(clocks=Count("sla_clocks"),
                          met=Count("sla_clocks", filter=c["met"]),
                          still_open=Count("sla_clocks", filter=c["open_breach"]),
                          target_min=Min("sla_clocks__target_minutes"),
                          target_max=Max("sla_clocks__target_minutes")))
        for row in rows:
            key = (row["service_id"], row["priority"], row["sla_clocks__kind"])
            group = groups.setdefault(key, {"clocks": 0, "met": 0, "still_open": 0,
                                            "target_min": None, "target_max": None})
            for name in ("clocks", "met", "still_open"):
                group[name] += row[name]
            group["target_min"] = min(x for x in (group["target_min"], row["target_min"])
                                      if x is not None)
            group["target_max"] = max(x for x in (group["target_max"], row["target_max"])
                                      if x is not None)
    return groups


def _labels(choices) -> dict:
    """Value → label of a choices class, translated once (not once per row)."""
    return {value: str(label) for value, label in choices.choices}


def _slo_rows(groups: dict[tuple, dict], services: dict[int, _ServiceInfo]) -> list[SLORow]:
    priorities, kinds = _labels(Priority), _labels(ClockKind)
    kind_order = {k: i for i, k in enumerate(ClockKind.values)}
    rows = [SLORow(service_id=service_id, service=_service_name(services, service_id),
                   priority=priority, priority_label=priorities.get(priority, str(priority)),
                   kind=kind, kind_label=kinds.get(kind, kind),
                   target_minutes=g["target_min"], target_minutes_max=g["target_max"],
                   clocks=g["clocks"], met=g["met"], breached=g["clocks"] - g["met"],
                   still_open=g["still_open"])
            for (service_id, priority, kind), g in groups.items()]
    rows.sort(key=lambda r: (r.service_id is None, r.service, r.priority,
                             kind_order.get(r.kind, 9)))
    return rows


# --- Breaches and their reasons ----------------------------------------------------------

BREACH_FIELDS = ("pk", "number", "title", "service_id", "priority", "sla_clocks__kind",
                 "sla_clocks__target_minutes", "breach_due", "sla_clocks__stopped_at",
                 "sla_clocks__escalated_at", "priority_changes", "response_met")


def _breached_tickets(model: type[Ticket], organization: Organization, period: Period,
                      service: Service | None) -> QuerySet:
    return _tickets(model, organization, service).filter(
        _clock_conditions(period)["breached"], sla_clocks__organization_id=organization.pk)


def _breaches(organization: Organization, period: Period, service: Service | None,
              services: dict[int, _ServiceInfo], now: dt.datetime) -> list[BreachRow]:
    """Breached clocks (one query per ticket type) with their reasons (one aggregate per
    ticket type). Thousands of rows are normal here: labels, URLs and messages are made
    once, and the priority changes come as text, decoded only when there are some."""
    priorities, kinds = _labels(Priority), _labels(ClockKind)
    rows: list[BreachRow] = []
    priority_changes: dict[tuple[str, int, str], str] = {}
    late_responses: set[tuple[str, int]] = set()
    for model in TICKET_MODELS:
        label = model._meta.model_name
        prefix, suffix = reverse(f"{model.url_prefix}-detail", args=[URL_PK]).split(
            str(URL_PK))
        values = (_breached_tickets(model, organization, period, service)
                  .annotate(breach_due=Coalesce("sla_clocks__due_at", "sla_clocks__breached_at"),
                            priority_changes=KeyTextTransform("priority_changes",
                                                              "sla_clocks__explanation"),
                            response_met=Subquery(SLAClock.objects.filter(
                                record_type=ContentType.objects.get_for_model(model),
                                record_id=OuterRef("pk"), kind=ClockKind.RESPONSE)
                                .values("met")[:1]))
                  .order_by().values_list(*BREACH_FIELDS))
        for (pk, number, title, service_id, priority, kind, target, due, stopped_at,
             escalated_at, changes, response_met) in values:
            end = stopped_at or now
            rows.append(BreachRow(
                ticket_type=label, ticket_id=pk, number=number, title=title,
                url=f"{prefix}{pk}{suffix}",
                service_id=service_id, service=_service_name(services, service_id),
                priority=priority, priority_label=priorities.get(priority, str(priority)),
                kind=kind, kind_label=kinds.get(kind, kind), target_minutes=target,
                due_at=due, stopped_at=stopped_at,
                still_open=stopped_at is None or stopped_at >= period.end,
                overrun_minutes=max(0, int((end - due).total_seconds() // 60)),
                escalated_at=escalated_at))
            priority_changes[(label, pk, kind)] = changes or ""
            if response_met is False:
                late_responses.add((label, pk))
    if rows:
        explain = _Explainer(_histories(organization, period, service), priority_changes,
                             late_responses, period.time_zone, priorities)
        for row in rows:
            row.reasons = explain.reasons(row)
            row.reason = "; ".join(row.reasons) if row.reasons else explain.not_recorded
    rows.sort(key=lambda r: (r.due_at, r.number, r.kind))
    return rows


@dataclass
class _History:
    """What a breached ticket's audit trail says, aggregated in SQL."""

    complete: bool  # the creation is in the audit log (bulk imports have no history)
    first_assigned: dt.datetime | None
    reassigned: int
    reopened: int


def audit_value_present(name: str, index: int) -> Q:
    """``changes[name][index]`` of an audit entry is there and not JSON null (the text of
    a JSON null is SQL NULL on PostgreSQL, "null" on SQLite): index 0 is the old value of
    a field, 1 the new one."""
    value = KT(f"changes__{name}__{index}")
    return Q(IsNull(value, False)) & ~Q(Exact(value, "null"))


def audited_transition(name: str) -> Q:
    """An audit entry of the workflow transition ``name`` (``"reopen"``…)."""
    return Q(Exact(KT("changes__transition"), name))


def _histories(organization: Organization, period: Period,
               service: Service | None) -> dict[tuple[str, int], _History]:
    """Per breached ticket, up to the end of the period: whether its creation is audited,
    when it was first assigned (a person or a team), how often it was reassigned (one
    non-empty assignee or team replaced by another) and reopened. One GROUP BY over the
    audit log per ticket type, the breached tickets as a subquery (no parameter list that
    grows with them; the (object_type, object_id) index serves it)."""
    present = audit_value_present
    assigns = present("assignee_id", 1) | present("assignee_team_id", 1)
    reassigns = ((present("assignee_id", 0) & present("assignee_id", 1))
                 | (present("assignee_team_id", 0) & present("assignee_team_id", 1)))
    found: dict[tuple[str, int], _History] = {}
    for model in TICKET_MODELS:
        ids = _breached_tickets(model, organization, period, service).annotate(
            text_id=Cast("pk", CharField())).values("text_id")
        rows = AuditEntry.objects.filter(
            object_type=model._meta.label_lower, object_id__in=ids,
            occurred_at__lt=period.until,
            action__in=[AuditAction.CREATE, AuditAction.UPDATE, AuditAction.TRANSITION],
        ).order_by().values("object_id").annotate(
            created=Count("id", filter=Q(action=AuditAction.CREATE)),
            first_assigned=Min("occurred_at", filter=assigns),
            reassigned=Count("id", filter=reassigns & Q(action__in=[
                AuditAction.UPDATE, AuditAction.TRANSITION])),
            reopened=Count("id", filter=audited_transition("reopen")),
        ).values_list("object_id", "created", "first_assigned", "reassigned", "reopened")
        label = model._meta.model_name
        for object_id, created, first_assigned, reassigned, reopened in rows:
            found[(label, int(object_id))] = _History(bool(created), first_assigned,
                                                      reassigned, reopened)
    return found


class _Explainer:
    """What the records say about a breach. Nobody records a reason for a breach, so
    these are facts from the ticket's history that explain one — a priority raised
    during the clock, no assignment before the deadline, reassignments, reopening, a
    late first response — and nothing else: pauses (waiting for the customer or a third
    party) stop the clock and explain nothing. Without such facts: "Not recorded"."""

    def __init__(self, histories: dict[tuple[str, int], _History],
                 priority_changes: dict[tuple[str, int, str], str],
                 late_responses: set[tuple[str, int]], tz: str,
                 priorities: dict[int, str]) -> None:
        self.histories, self.priority_changes = histories, priority_changes
        self.late_responses = late_responses
        self.tz, self.priorities = ZoneInfo(tz), priorities
        self.not_recorded = _("Not recorded")
        self.never_assigned = _("Never assigned")
        self.late_response = _("The first response was late as well")

    def when(self, moment: dt.datetime) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def reasons(self, row: BreachRow) -> list[str]:
        reasons = self._priority_raised(row)
        history = self.histories.get((row.ticket_type, row.ticket_id))
        if history is not None and history.complete:
            if history.first_assigned is None:
                reasons.append(self.never_assigned)
            elif history.first_assigned > row.due_at:
                reasons.append(_("Not assigned before the deadline (first assigned "
                                 "%(time)s)") % {"time": self.when(history.first_assigned)})
        if row.kind == ClockKind.RESOLUTION:
            if history is not None and history.reassigned:
                reasons.append(ngettext("Reassigned %(count)d time",
                                        "Reassigned %(count)d times", history.reassigned)
                               % {"count": history.reassigned})
            if history is not None and history.reopened:
                reasons.append(ngettext("Reopened %(count)d time after being resolved",
                                        "Reopened %(count)d times after being resolved",
                                        history.reopened) % {"count": history.reopened})
            if (row.ticket_type, row.ticket_id) in self.late_responses:
                reasons.append(self.late_response)
        return reasons

    def _priority_raised(self, row: BreachRow) -> list[str]:
        """Priority raised while the clock ran ([time, old, new] in the clock's
        explanation, servicedesk.sla): a shorter target for the same work."""
        text = self.priority_changes.get((row.ticket_type, row.ticket_id, row.kind), "")
        if len(text) <= 2:  # "" or "[]": the common case, not worth decoding
            return []
        stop = row.stopped_at
        reasons = []
        try:
            changes = json.loads(text)
        except ValueError:
            return []
        for change in changes if isinstance(changes, list) else []:
            try:
                changed_at, old, new = change
                moment = dt.datetime.fromisoformat(changed_at)
            except (TypeError, ValueError):
                continue
            if (isinstance(old, int) and isinstance(new, int) and new < old
                    and (stop is None or moment <= stop)):
                reasons.append(_("Priority raised from %(old)s to %(new)s at %(time)s") % {
                    "old": self.priorities.get(old, old), "new": self.priorities.get(new, new),
                    "time": self.when(moment)})
        return reasons


# --- Availability -----------------------------------------------------------------------

Interval = tuple[dt.datetime, dt.datetime]


def merge_intervals(intervals: Iterable[Interval], start: dt.datetime,
                    end: dt.datetime) -> list[Interval]:
    """Clip intervals to [start, end) and merge those that overlap or touch."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals)
    merged: list[Interval] = []
    for a, b in clipped:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def outage_records(organizations: Iterable[int] | QuerySet, start: dt.datetime,
                   until: dt.datetime, *, service_id: int | None = None
                   ) -> tuple[QuerySet, QuerySet]:
    """The records the outages over [start, until) are made of: the urgent (P1) incidents
    of the ``organizations`` (ids, or a subquery of them) on a service, not cancelled,
    raised before ``until`` and not resolved or closed before ``start``; and their major
    incidents on a service declared before ``until`` and not recovered before ``start``."""
    services = ({"service_id": service_id} if service_id is not None
                else {"service_id__isnull": False})
    incidents = Incident.objects.filter(
        organization_id__in=organizations, priority=Priority.URGENT,
        status__in=[s for s in TicketStatus.values if s != TicketStatus.CANCELLED],
        created_at__lt=until, **services,
    ).filter(Q(resolved_at__gt=start) | Q(closed_at__gt=start)
             | ~Q(status__in=DONE_STATUSES))
    majors = MajorIncident.objects.filter(
        organization_id__in=organizations, created_at__lt=until, **services,
    ).filter(Q(recovered_at__gt=start) | Q(recovered_at__isnull=True))
    return incidents, majors


def outage_intervals(organizations: Iterable[int] | QuerySet, start: dt.datetime,
                     until: dt.datetime, *, service_id: int | None = None
                     ) -> dict[tuple[int, int], list[Interval]]:
    """Outage intervals per (organization, service) over [start, until), two queries
    (``outage_records``): an urgent incident from its creation to its resolution, a major
    incident from its declaration to its recovery (or closure); still running: until
    ``until``. Neither clipped nor merged (``merge_intervals``)."""
    incidents, majors = outage_records(organizations, start, until, service_id=service_id)
    found: dict[tuple[int, int], list[Interval]] = defaultdict(list)
    for organization_id, service, created, resolved, closed, status in (
            incidents.order_by().values_list("organization_id", "service_id", "created_at",
                                             "resolved_at", "closed_at", "status")):
        end = (resolved or closed) if status in DONE_STATUSES else None
        found[(organization_id, service)].append((created, end or until))
    for organization_id, service, created, recovered, closed in majors.order_by().values_list(
            "organization_id", "service_id", "created_at", "recovered_at", "closed_at"):
        found[(organization_id, service)].append((created, recovered or closed or until))
    return found


def outage_minutes(merged: Iterable[Interval]) -> int:
    """The whole minutes of merged outage intervals."""
    return int(sum((b - a).total_seconds() for a, b in merged) // 60)


def _availability(organization: Organization, period: Period, service: Service | None,
                  services: dict[int, _ServiceInfo]) -> list[AvailabilityRow]:
    outages = {service_id: intervals for (_org, service_id), intervals in outage_intervals(
        [organization.pk], period.start, period.until,
        service_id=service.pk if service else None).items()}
    if service is not None:
        shown = {service.pk}
    else:
        shown = {pk for pk, info in services.items() if info.subscribed and info.is_active}
        shown |= set(outages)
    rows = []
    for pk in shown:
        info = services.get(pk)
        if info is None:  # a service of another provider on a ticket: not ours to report
            continue
        merged = merge_intervals(outages.get(pk, []), period.start, period.until)
        lengths = [int((b - a).total_seconds() // 60) for a, b in merged]
        rows.append(AvailabilityRow(
            service_id=pk, service=info.name, period_minutes=period.minutes,
            outage_minutes=outage_minutes(merged),
            outages=len(merged), records=len(outages.get(pk, [])),
            longest_outage_minutes=max(lengths, default=0),
            target=float(info.availability_target),
            max_interruption_minutes=info.max_interruption_minutes))
    rows.sort(key=lambda r: r.service)
    return rows


# --- Satisfaction and summary ------------------------------------------------------------


def _satisfaction(organization: Organization, period: Period, service: Service | None,
                  services: dict[int, _ServiceInfo]) -> tuple[list[SatisfactionRow],
                                                              SatisfactionRow]:
    ratings = SatisfactionRating.objects.filter(
        organization_id=organization.pk, created_at__gte=period.start,
        created_at__lt=period.end)
    if service is not None:
        ratings = ratings.filter(service_id=service.pk)
    groups = list(ratings.order_by().values("service_id").annotate(
        ratings=Count("id"), total=Avg("score", output_field=FloatField()),
        satisfied=Count("id", filter=Q(score__gte=4))))
    rows = [SatisfactionRow(service_id=g["service_id"],
                            service=_service_name(services, g["service_id"]),
                            ratings=g["ratings"], mean=round(g["total"], 2),
                            satisfied=g["satisfied"]) for g in groups]
    rows.sort(key=lambda r: (r.service_id is None, r.service))
    count = sum(r.ratings for r in rows)
    mean = (round(sum(g["total"] * g["ratings"] for g in groups) / count, 2)
            if count else None)
    total = SatisfactionRow(service_id=None, service=_("All services"), ratings=count,
                            mean=mean, satisfied=sum(r.satisfied for r in rows))
    return rows, total


def open_at(moment: dt.datetime) -> Q:
    """Tickets open at ``moment``: created before it and neither closed (or cancelled)
    nor resolved before it, from the tickets' current time stamps (a ticket reopened
    since counts as open)."""
    return (Q(created_at__lt=moment)
            & (Q(closed_at__isnull=True) | Q(closed_at__gte=moment))
            & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=moment)
               | ~Q(status__in=DONE_STATUSES)))


def _summary(organization: Organization, period: Period, service: Service | None,
             slo: list[SLORow]) -> Summary:
    """Tickets opened, resolved and open at the end (one query per ticket type, from the
    tickets' current time stamps: a ticket reopened since counts as open)."""
    s, e, until = period.start, period.end, period.until
    open_at_end = open_at(until)
    totals = {"opened": 0, "resolved": 0, "open_at_end": 0}
    for model in TICKET_MODELS:
        counts = _tickets(model, organization, service).filter(
            Q(created_at__lt=until)).aggregate(
            opened=Count("pk", filter=Q(created_at__gte=s, created_at__lt=e)),
            resolved=Count("pk", filter=Q(resolved_at__gte=s, resolved_at__lt=e)),
            open_at_end=Count("pk", filter=open_at_end))
        for name in totals:
            totals[name] += counts[name] or 0

    def sums(kind: str | None) -> tuple[int, int]:
        rows = [r for r in slo if kind is None or r.kind == kind]
        return sum(r.clocks for r in rows), sum(r.met for r in rows)

    clocks, met = sums(None)
    response, resolution = sums(ClockKind.RESPONSE), sums(ClockKind.RESOLUTION)
    return Summary(**totals, clocks=clocks, met=met, breached=clocks - met,
                   response_clocks=response[0], response_met=response[1],
                   resolution_clocks=resolution[0], resolution_met=resolution[1])
