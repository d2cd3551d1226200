"""The indicators the product ships (QA-1, SLM-4), on the registry of ``indicators``:
computed from the records of the service desk, complaints, surveys, changes and
problems. Registered by ``registrations``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, DateTimeField, Exists, OuterRef, Q, QuerySet
from django.db.models import Value as Constant
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.changes.choices import ChangeStatus, ChangeType, Outcome
from itsm.changes.models import Change
from itsm.complaints import assessment
from itsm.complaints.models import Complaint
from itsm.core.models import AuditEntry
from itsm.problems.choices import ProblemStatus
from itsm.problems.models import Problem
from itsm.servicedesk.choices import ClockKind, TicketStatus
from itsm.servicedesk.models import Incident, SatisfactionRating, SLAClock
from itsm.surveys.choices import Dimension
from itsm.surveys.models import Answer, SurveyResponse
from itsm.surveys.results import SCORED

from .indicators import (
    COUNT,
    DAY_SECONDS,
    DAYS,
    DOWN,
    HOURS,
    PER_THOUSAND,
    PERCENT,
    SCORE,
    TICKET_DIMENSIONS,
    TICKETS,
    UP,
    Scope,
    Value,
    average_hours,
    average_span,
    count,
    mean,
    organizations_of,
    percentile_hours,
    ratio,
    register_indicator,
    scoped,
    tickets,
)
from .reports import (
    audit_value_present,
    audited_transition,
    merge_intervals,
    open_at,
    outage_intervals,
    outage_minutes,
    outage_records,
)

# --- SLA attainment: the clocks that stopped in the period, met or not -------------------

def _clocks_stopped(kind: str, scope: Scope, start: dt.datetime, end: dt.datetime
                    ) -> list[QuerySet]:
    return [qs.filter(sla_clocks__kind=kind, sla_clocks__stopped_at__gte=start,
                      sla_clocks__stopped_at__lt=end, sla_clocks__met__isnull=False)
            for qs in tickets(scope)]


#: The dimensions a ticket's clock carries itself (its ticket's organization).
CLOCK_DIMENSIONS = {"customer": "organization_id"}


def _clock_rows(kind: str, scope: Scope, start: dt.datetime, end: dt.datetime,
                by: str | None) -> QuerySet | None:
    """The tickets' clocks of ``kind`` stopped in the period, read from the clocks alone
    (their organization and stop-time index) when neither the scope nor ``by`` needs a
    ticket's other fields; None when they do. At a million tickets this is ~40 ms
    where joining the tickets scans them (~300 ms per ticket type)."""
    if by not in (None, *CLOCK_DIMENSIONS) or any(
            getattr(scope, name) is not None
            for name in ("service_id", "team_id", "person_id", "priority")):
        return None
    types = ContentType.objects.get_for_models(*TICKETS).values()
    return scoped(scope, [SLAClock], CLOCK_DIMENSIONS)[0].filter(
        record_type__in=[t.pk for t in types], kind=kind, stopped_at__gte=start,
        stopped_at__lt=end, met__isnull=False)


def _attainment(kind: str):
    def compute(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                ) -> dict[Any, Value]:
        clocks = _clock_rows(kind, scope, start, end, by)
        if clocks is not None:
            return ratio([clocks], by, part=Q(met=True), dimension_fields=CLOCK_DIMENSIONS)
        return ratio(_clocks_stopped(kind, scope, start, end), by,
                     part=Q(sla_clocks__met=True))

    def records(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
        return _clocks_stopped(kind, scope, start, end)

    return compute, records


# --- Handling time: tickets resolved in the period, from creation to resolution ---------

def _resolved(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    return [qs.filter(resolved_at__gte=start, resolved_at__lt=end) for qs in tickets(scope)]


def _handling_time(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                   ) -> dict[Any, Value]:
    return average_hours(_resolved(scope, start, end), by, start_field="created_at",
                         end_field="resolved_at")


# --- Ticket satisfaction: the ratings given in the period ----------------------------------

RATING_DIMENSIONS = {"customer": "organization_id", "service": "service_id",
                     "team": "team_id", "person": "agent_id"}


def _ratings(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    ratings = SatisfactionRating.objects.filter(
        created_at__gte=start, created_at__lt=end,
        organization_id__in=organizations_of(scope.provider_id))
    for name, column in (("customer_id", "organization_id"), ("service_id", "service_id"),
                         ("team_id", "team_id"), ("person_id", "agent_id")):
        if getattr(scope, name) is not None:
            ratings = ratings.filter(**{column: getattr(scope, name)})
    return [ratings]


def _satisfaction(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                  ) -> dict[Any, Value]:
    return mean(_ratings(scope, start, end), by, field_name="score",
                dimension_fields=RATING_DIMENSIONS)


def _handling_time_p90(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                       ) -> dict[Any, Value]:
    return percentile_hours(_resolved(scope, start, end), by, start_field="created_at",
                            end_field="resolved_at", percent=90)


# --- First-contact resolution and reopen rate: the resolved tickets' audit trail -----------

def _audit_trail(model: type, until: dt.datetime) -> QuerySet:
    """The audit entries of the outer query's ticket recorded before ``until`` (the
    (object_type, object_id) index serves it)."""
    return AuditEntry.objects.filter(object_type=model._meta.label_lower,
                                     object_id=Cast(OuterRef("pk"), CharField()),
                                     occurred_at__lt=until)


def _resolved_with_history(scope: Scope, start: dt.datetime, end: dt.datetime
                           ) -> list[QuerySet]:
    """The tickets resolved in the period, each with whether (up to the end of the
    period) its assigned team was ever replaced by another team, and whether it was
    ever reopened: an EXISTS per ticket, in the same query."""
    moved = audit_value_present("assignee_team_id", 0) & audit_value_present(
        "assignee_team_id", 1)
    return [qs.alias(moved=Exists(_audit_trail(qs.model, end).filter(moved)),
                     reopened=Exists(_audit_trail(qs.model, end).filter(
                         audited_transition("reopen"))))
            for qs in _resolved(scope, start, end)]


def _first_contact(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                   ) -> dict[Any, Value]:
    return ratio(_resolved_with_history(scope, start, end), by, part=Q(moved=False))


def _reopen_rate(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                 ) -> dict[Any, Value]:
    return ratio(_resolved_with_history(scope, start, end), by, part=Q(reopened=True))


# --- Backlog age: the tickets open at the end of the period ------------------------------

def _measured_until(start: dt.datetime, end: dt.datetime) -> dt.datetime:
    """The end of the period, or now while it runs (never before its start)."""
    return max(start, min(end, timezone.now()))


def _backlog(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    moment = _measured_until(start, end)
    return [qs.filter(open_at(moment)) for qs in tickets(scope)]


def _backlog_age(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                 ) -> dict[Any, Value]:
    moment = Constant(_measured_until(start, end), output_field=DateTimeField())
    return average_span(_backlog(scope, start, end), by, start="created_at", end=moment,
                        unit_seconds=DAY_SECONDS)


# --- Incidents raised per service ----------------------------------------------------------

INCIDENT_DIMENSIONS = {"customer": "organization_id", "service": "service_id",
                       "priority": "priority"}


def _incidents_raised(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    return [qs.filter(created_at__gte=start, created_at__lt=end).exclude(
        status=TicketStatus.CANCELLED)
        for qs in scoped(scope, (Incident,), INCIDENT_DIMENSIONS)]


def _incident_count(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                    ) -> dict[Any, Value]:
    return count(_incidents_raised(scope, start, end), by,
                 dimension_fields=INCIDENT_DIMENSIONS)


# --- Availability: outages of the services the customers subscribe to (reports.py) ------

AVAILABILITY_DIMENSIONS = {"customer": "organization_id", "service": "service_id"}


def _organizations(scope: Scope) -> QuerySet:
    """The ids of the scope's organizations (its customer, or all the provider's)."""
    organizations = organizations_of(scope.provider_id)
    if scope.customer_id is not None:
        organizations = organizations.filter(pk=scope.customer_id)
    return organizations


def _outages(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    incidents, majors = outage_records(_organizations(scope), start,
                                       _measured_until(start, end),
                                       service_id=scope.service_id)
    return [incidents, majors]


def _availability(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                  ) -> dict[Any, Value]:
    """Per customer × service measured (an active service of the provider the customer
    subscribes to, or one of the provider's services with an outage of the customer): the
    minutes of the period without an outage (merged as in the service-level report);
    summed per dimension value, over the minutes measured. Four queries."""
    until = _measured_until(start, end)
    minutes = int((until - start).total_seconds() // 60)
    organizations = _organizations(scope)
    services = Service.objects.filter(provider_id=scope.provider_id)
    if scope.service_id is not None:
        services = services.filter(pk=scope.service_id)
    provided = set(services.values_list("pk", flat=True))
    measured = set(Service.customers.through.objects.filter(
        service__in=services.filter(is_active=True), organization_id__in=organizations,
    ).values_list("organization_id", "service_id"))
    outages = outage_intervals(organizations, start, until, service_id=scope.service_id)
    measured |= {pair for pair in outages if pair[1] in provided}
    totals: dict[Any, list[int]] = {None: [0, 0]} if by is None else {}
    for organization_id, service_id in measured:
        down = outage_minutes(merge_intervals(outages.get((organization_id, service_id), []),
                                              start, until))
        key = None if by is None else {"customer": organization_id,
                                       "service": service_id}[by]
        total = totals.setdefault(key, [0, 0])
        total[0] += minutes
        total[1] += down
    return {key: Value(round(100 * (period - down) / period, 3) if period else None,
                       period - down, period) for key, (period, down) in totals.items()}


# --- Survey score per evaluation dimension: scored answers of the period's responses ----

SURVEY_DIMENSIONS = {"customer": "organization_id"}


def _survey_score(code: str):
    """Compute and records of the survey score of the evaluation dimension ``code``."""

    def answers(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
        return [qs.filter(SCORED, dimension=code, campaign__provider_id=scope.provider_id,
                          response__submitted_at__gte=start, response__submitted_at__lt=end)
                for qs in scoped(scope, (Answer,), SURVEY_DIMENSIONS)]

    def compute(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                ) -> dict[Any, Value]:
        return mean(answers(scope, start, end), by, field_name="score",
                    dimension_fields=SURVEY_DIMENSIONS)

    def records(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
        """The survey responses the averaged answers belong to."""
        return [SurveyResponse.objects.filter(pk__in=qs.values("response_id"))
                for qs in answers(scope, start, end)]

    return compute, records


# --- Complaints: received per 1,000 tickets raised; clocks met of those closed ------------

COMPLAINT_RATE_DIMENSIONS = {"customer": "organization_id", "service": "service_id"}
COMPLAINT_DIMENSIONS = {"customer": "organization_id", "service": "service_id",
                        "team": "assignee_team_id", "person": "assignee_id"}


def _complaints_received(scope: Scope, start: dt.datetime, end: dt.datetime
                         ) -> list[QuerySet]:
    return [qs.alias(received=Coalesce("received_at", "created_at")).filter(
        received__gte=start, received__lt=end)
        for qs in scoped(scope, (Complaint,), COMPLAINT_RATE_DIMENSIONS)]


def _tickets_raised(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    return [qs.filter(created_at__gte=start, created_at__lt=end)
            for qs in scoped(scope, TICKETS, COMPLAINT_RATE_DIMENSIONS)]


def _complaint_rate(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                    ) -> dict[Any, Value]:
    complaints = count(_complaints_received(scope, start, end), by,
                       dimension_fields=COMPLAINT_RATE_DIMENSIONS)
    raised = count(_tickets_raised(scope, start, end), by,
                   dimension_fields=COMPLAINT_RATE_DIMENSIONS)
    result = {}
    for key in complaints.keys() | raised.keys():
        part = complaints[key].numerator if key in complaints else 0
        whole = raised[key].numerator if key in raised else 0
        result[key] = Value(round(1000 * part / whole, 2) if whole else None, part, whole)
    return result


def _complaint_records(scope: Scope, start: dt.datetime, end: dt.datetime
                       ) -> list[QuerySet]:
    return _complaints_received(scope, start, end) + _tickets_raised(scope, start, end)


def _complaints_closed(scope: Scope, start: dt.datetime, end: dt.datetime
                       ) -> list[QuerySet]:
    return [assessment.closed_in((start, end), queryset=qs)
            for qs in scoped(scope, (Complaint,), COMPLAINT_DIMENSIONS)]


def _complaint_timeliness(scope: Scope, start: dt.datetime, end: dt.datetime,
                          by: str | None) -> dict[Any, Value]:
    (closed,) = _complaints_closed(scope, start, end)
    counts = assessment.clocks_met(closed, None if by is None else COMPLAINT_DIMENSIONS[by])
    return {key: Value(round(100 * met / total, 2) if total else None, met, total)
            for key, (met, total) in counts.items()}


# --- Changes: success of those closed, emergency share of those raised -------------------

CHANGE_DIMENSIONS = {"customer": "organization_id", "service": "services",
                     "team": "assignee_team_id", "person": "assignee_id",
                     "priority": "priority"}


def _changes_closed(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    return [qs.filter(status=ChangeStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
            for qs in scoped(scope, (Change,), CHANGE_DIMENSIONS)]


def _change_success(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                    ) -> dict[Any, Value]:
    return ratio(_changes_closed(scope, start, end), by, part=Q(outcome=Outcome.SUCCESS),
                 dimension_fields=CHANGE_DIMENSIONS)


def _changes_raised(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    return [qs.filter(created_at__gte=start, created_at__lt=end)
            for qs in scoped(scope, (Change,), CHANGE_DIMENSIONS)]


def _emergency_share(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                     ) -> dict[Any, Value]:
    return ratio(_changes_raised(scope, start, end), by,
                 part=Q(change_type=ChangeType.EMERGENCY), dimension_fields=CHANGE_DIMENSIONS)


# --- Problems: days from creation to closure of those closed -------------------------------

def _problems_closed(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    return [qs.filter(status=ProblemStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
            for qs in scoped(scope, (Problem,), TICKET_DIMENSIONS)]


def _problem_closure_time(scope: Scope, start: dt.datetime, end: dt.datetime,
                          by: str | None) -> dict[Any, Value]:
    return average_span(_problems_closed(scope, start, end), by, start="created_at",
                        end="closed_at", unit_seconds=DAY_SECONDS)


def register() -> None:
    """Declare the shipped indicators."""
    compute, records = _attainment(ClockKind.RESPONSE)
    register_indicator(
        "sla-response", _("First response on time"), unit=PERCENT, direction=UP,
        compute=compute, records=records, order=10,
        description=_("Share of the response clocks stopped in the period that met "
                      "their target."))
    compute, records = _attainment(ClockKind.RESOLUTION)
    register_indicator(
        "sla-resolution", _("Resolution on time"), unit=PERCENT, direction=UP,
        compute=compute, records=records, order=20,
        description=_("Share of the resolution clocks stopped in the period that met "
                      "their target."))
    register_indicator(
        "handling-time", _("Average handling time"), unit=HOURS, direction=DOWN,
        compute=_handling_time, records=_resolved, order=30,
        description=_("Hours from creation to resolution of the tickets resolved in the "
                      "period (calendar time)."))
    register_indicator(
        "ticket-satisfaction", _("Ticket satisfaction"), unit=SCORE, direction=UP,
        compute=_satisfaction, records=_ratings, dimensions=RATING_DIMENSIONS, order=60,
        description=_("Average of the requesters' ratings (1–5) given in the period."))
    register_indicator(
        "handling-time-p90", _("Handling time (90th percentile)"), unit=HOURS,
        direction=DOWN, compute=_handling_time_p90, records=_resolved, order=32,
        description=_("Hours from creation to resolution within which nine in ten of the "
                      "tickets resolved in the period were resolved (nearest-rank "
                      "percentile: the duration at rank ⌈0.9 × n⌉ of the n sorted, calendar "
                      "time)."))
    register_indicator(
        "first-contact-resolution", _("First-contact resolution"), unit=PERCENT,
        direction=UP, compute=_first_contact, records=_resolved, order=40,
        description=_("Share of the tickets resolved in the period that were never passed "
                      "from one team to another before the end of the period (no change of "
                      "the assigned team from one team to another in the audit log)."))
    register_indicator(
        "reopen-rate", _("Reopen rate"), unit=PERCENT, direction=DOWN,
        compute=_reopen_rate, records=_resolved, order=45,
        description=_("Share of the tickets resolved in the period that were reopened "
                      "(the “Reopen” action) at least once before the end of the period."))
    register_indicator(
        "backlog-age", _("Backlog age"), unit=DAYS, direction=DOWN,
        compute=_backlog_age, records=_backlog, order=50,
        description=_("Average age in days, at the end of the period (or now while it "
                      "runs), of the tickets open at that moment: created before it and "
                      "neither resolved nor closed before it."))
    register_indicator(
        "incident-rate", _("Incidents raised"), unit=COUNT, direction=DOWN,
        compute=_incident_count, records=_incidents_raised, dimensions=INCIDENT_DIMENSIONS,
        order=55,
        description=_("Number of incidents raised in the period (cancelled ones left out); "
                      "split by service, the number per service."))
    for position, (code, label) in enumerate(Dimension.choices):
        compute, records = _survey_score(code)
        register_indicator(
            f"survey-score-{code.replace('_', '-')}",
            format_lazy(_("Survey score: {dimension}"), dimension=label), unit=SCORE,
            direction=UP, compute=compute, records=records, dimensions=SURVEY_DIMENSIONS,
            order=62 + position,
            description=format_lazy(_(
                "Average score (1–5) of the answers of dimension “{dimension}” in the "
                "survey responses submitted in the period (“not applicable” left out)."),
                dimension=label))
    register_indicator(
        "availability", _("Service availability"), unit=PERCENT, direction=UP,
        compute=_availability, records=_outages, dimensions=AVAILABILITY_DIMENSIONS,
        order=70,
        description=_("Share of the period's minutes in which the services the customers "
                      "subscribe to were not out (an urgent incident of the customer on the "
                      "service from creation to resolution, or a major incident from "
                      "declaration to recovery), to compare with each service's "
                      "availability target."))
    register_indicator(
        "complaint-rate", _("Complaint rate"), unit=PER_THOUSAND, direction=DOWN,
        compute=_complaint_rate, records=_complaint_records,
        dimensions=COMPLAINT_RATE_DIMENSIONS, order=80,
        description=_("Complaints received in the period per 1,000 tickets (service "
                      "requests and incidents) raised in the period."))
    register_indicator(
        "complaint-timeliness", _("Complaint handling on time"), unit=PERCENT,
        direction=UP, compute=_complaint_timeliness, records=_complaints_closed,
        dimensions=COMPLAINT_DIMENSIONS, order=85,
        description=_("Share of the first-response and resolution clocks of the "
                      "complaints closed in the period that met their target."))
    register_indicator(
        "change-success", _("Change success rate"), unit=PERCENT, direction=UP,
        compute=_change_success, records=_changes_closed, dimensions=CHANGE_DIMENSIONS,
        order=90,
        description=_("Share of the changes closed in the period whose outcome is "
                      "“Successful” (failed and backed-out changes are not)."))
    register_indicator(
        "emergency-change-share", _("Emergency change share"), unit=PERCENT,
        direction=DOWN, compute=_emergency_share, records=_changes_raised,
        dimensions=CHANGE_DIMENSIONS, order=95,
        description=_("Share of the changes raised in the period that are emergency "
                      "changes."))
    register_indicator(
        "problem-closure-time", _("Problem closure time"), unit=DAYS, direction=DOWN,
        compute=_problem_closure_time, records=_problems_closed, order=100,
        description=_("Average days from creation to closure of the problems closed in the "
                      "period (calendar time; cancelled problems left out)."))
