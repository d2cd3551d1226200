"""The indicators the product ships (QA-1, SLM-4), on the registry of ``indicators``:
computed from the records of the service desk, complaints, surveys, changes and
problems. Registered by ``registrations``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from itsm.servicedesk.choices import ClockKind
from itsm.servicedesk.models import SatisfactionRating

from .indicators import (
    DOWN,
    HOURS,
    PERCENT,
    SCORE,
    UP,
    Scope,
    Value,
    average_hours,
    mean,
    organizations_of,
    ratio,
    register_indicator,
    tickets,
)

# --- SLA attainment: the clocks that stopped in the period, met or not -------------------

def _clocks_stopped(kind: str, scope: Scope, start: dt.datetime, end: dt.datetime
                    ) -> list[QuerySet]:
    return [qs.filter(sla_clocks__kind=kind, sla_clocks__stopped_at__gte=start,
                      sla_clocks__stopped_at__lt=end, sla_clocks__met__isnull=False)
            for qs in tickets(scope)]


def _attainment(kind: str):
    def compute(scope: Scope, start: dt.datetime, end: dt.datetime, by: str | None
                ) -> dict[Any, Value]:
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
