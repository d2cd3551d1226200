"""The indicator registry (QA-1, SLM-4): every measured value is a function over the
records, never a number somebody types.

An indicator has a key, a name, a unit, a direction (whether more is better), the
dimensions its value splits by (customer, service, team, person, priority) and a
drill-down to the records behind a value. ``value(key, scope, start, end)`` computes
it for a scope over [start, end); ``split(key, scope, start, end, by="team")`` gives
one value per team (or other dimension) in a fixed number of queries, whatever the
number of teams or records; ``records(...)`` gives the querysets behind it.

Quality targets, risk indicators, appraisal KPIs, contract performance and home-page
charts all read indicators. An app adds its own with ``register_indicator`` in its
``registrations`` module (indicators over lower apps' records, such as complaints, are
declared here, since this app sits above them).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core.choices import Priority
from itsm.core.models import Organization, Team, display_name
from itsm.servicedesk.models import Incident, ServiceRequest

#: Units an indicator's value is in.
PERCENT, HOURS, SCORE, PER_THOUSAND, COUNT, DAYS = "%", "h", "score", "‰", "count", "d"
#: Seconds of an hour and of a day: the units of averaged time spans.
HOUR_SECONDS, DAY_SECONDS = 3600, 86400
#: Whether a higher value is better (``UP``) or worse (``DOWN``).
UP, DOWN = "up", "down"
#: The dimensions a value can split by, with their labels.
DIMENSIONS: dict[str, Promise] = {
    "customer": _("Customer"), "service": _("Service"), "team": _("Team"),
    "person": _("Person"), "priority": _("Priority")}
#: The fields of a ticket each dimension reads.
TICKET_DIMENSIONS = {"customer": "organization_id", "service": "service_id",
                     "team": "assignee_team_id", "person": "assignee_id",
                     "priority": "priority"}


@dataclass(frozen=True)
class Scope:
    """Which records a value is about: a provider's, narrowed to one customer, service,
    team, person or priority where given."""

    provider_id: int
    customer_id: int | None = None
    service_id: int | None = None
    team_id: int | None = None
    person_id: int | None = None
    priority: int | None = None

    def narrowed(self, dimension: str, key: Any) -> Scope:
        """This scope narrowed to one value of ``dimension`` (a drill-down)."""
        return Scope(**{**self.__dict__, _SCOPE_FIELDS[dimension]: key})


_SCOPE_FIELDS = {"customer": "customer_id", "service": "service_id", "team": "team_id",
                 "person": "person_id", "priority": "priority"}


@dataclass(frozen=True)
class Value:
    """An indicator's value with what it was computed from (``numerator`` of
    ``denominator``: 45 met of 50 clocks; a sum of hours of a count of tickets)."""

    value: float | None
    numerator: float = 0
    denominator: float = 0


#: What an indicator computes: {dimension value (None: the whole scope): Value}.
Compute = Callable[[Scope, dt.datetime, dt.datetime, str | None], dict[Any, Value]]


@dataclass(frozen=True)
class Indicator:
    """A measured quantity (see the module's docstring). ``compute(scope, start, end,
    by)`` returns the values by dimension value ({None: value} when ``by`` is None);
    ``records(scope, start, end)`` the querysets of the records behind the value."""

    key: str
    name: Promise | str
    unit: str
    direction: str
    compute: Compute
    records: Callable[[Scope, dt.datetime, dt.datetime], list[QuerySet]]
    dimensions: frozenset[str] = field(default_factory=lambda: frozenset(TICKET_DIMENSIONS))
    description: Promise | str = ""
    order: int = 100


_INDICATORS: dict[str, Indicator] = {}


def register_indicator(key: str, name: Promise | str, *, unit: str, direction: str,
                       compute: Compute,
                       records: Callable[[Scope, dt.datetime, dt.datetime], list[QuerySet]],
                       dimensions: Iterable[str] = tuple(TICKET_DIMENSIONS),
                       description: Promise | str = "", order: int = 100) -> Indicator:
    """Declare an indicator (see :class:`Indicator`)."""
    unknown = set(dimensions) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"Unknown dimensions {sorted(unknown)}: of {', '.join(DIMENSIONS)}")
    if direction not in (UP, DOWN):
        raise ValueError(f"Direction {direction!r}: {UP!r} or {DOWN!r}")
    indicator = Indicator(key=key, name=name, unit=unit, direction=direction,
                          compute=compute, records=records,
                          dimensions=frozenset(dimensions), description=description,
                          order=order)
    _INDICATORS[key] = indicator
    return indicator


def indicators() -> list[Indicator]:
    """Every registered indicator, in order."""
    return sorted(_INDICATORS.values(), key=lambda i: (i.order, i.key))


def indicator(key: str) -> Indicator:
    """The indicator registered as ``key`` (KeyError if none)."""
    return _INDICATORS[key]


def value(key: str, scope: Scope, start: dt.datetime, end: dt.datetime) -> Value:
    """The value of indicator ``key`` for ``scope`` over [start, end)."""
    return indicator(key).compute(scope, start, end, None).get(None, Value(None))


def split(key: str, scope: Scope, start: dt.datetime, end: dt.datetime,
          by: str) -> dict[Any, Value]:
    """The values of indicator ``key`` per value of dimension ``by`` (a team's id, a
    priority…) that has records in the scope and period."""
    found = indicator(key)
    if by not in found.dimensions:
        raise ValueError(f"{key} does not split by {by!r}")
    return found.compute(scope, start, end, by)


def records(key: str, scope: Scope, start: dt.datetime, end: dt.datetime) -> list[QuerySet]:
    """The records behind a value (the drill-down)."""
    return indicator(key).records(scope, start, end)


def labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    """The names of a dimension's values (customers' and services' names, people's 姓名,
    priorities' labels): one query."""
    keys = [k for k in keys if k is not None]
    if by == "priority":
        return {k: str(Priority(k).label) for k in keys if k in Priority.values}
    if by == "person":
        return {u.pk: display_name(u) for u in get_user_model().objects.filter(pk__in=keys)}
    model = {"customer": Organization, "service": Service, "team": Team}[by]
    return dict(model.objects.filter(pk__in=keys).values_list("pk", "name"))


# --- Building blocks over tickets ------------------------------------------------------

TICKETS: tuple[type, ...] = (ServiceRequest, Incident)


def organizations_of(provider_id: int) -> QuerySet:
    """The ids of a provider's organizations: itself and its customers."""
    return Organization.objects.filter(Q(pk=provider_id) | Q(provider_id=provider_id)
                                       ).values("pk")


def scoped(scope: Scope, models: Sequence[type], dimension_fields: dict[str, str]
           ) -> list[QuerySet]:
    """The records of ``models`` in the scope, one queryset per model: those of the
    provider's organizations, narrowed by each dimension of the scope that
    ``dimension_fields`` maps to a field of the records (``{"customer":
    "organization_id", "service": "services"}``…). The scope's other dimensions do not
    apply to these records and are ignored."""
    conditions = Q(organization_id__in=organizations_of(scope.provider_id))
    for dimension, column in dimension_fields.items():
        key = getattr(scope, _SCOPE_FIELDS[dimension])
        if key is not None:
            conditions &= Q(**{column: key})
    return [model.objects.filter(conditions) for model in models]


def tickets(scope: Scope, models: Sequence[type] = TICKETS) -> list[QuerySet]:
    """The tickets of the scope, one queryset per ticket type."""
    return scoped(scope, models, TICKET_DIMENSIONS)


def _grouped(querysets: Sequence[QuerySet], by: str | None, dimension_fields: dict[str, str],
             **aggregates: Any) -> dict[Any, dict[str, float]]:
    """The ``aggregates`` summed over the querysets, per value of dimension ``by``."""
    totals: dict[Any, dict[str, float]] = {}
    for queryset in querysets:
        queryset = queryset.order_by()
        if by is None:
            rows = [{**queryset.aggregate(**aggregates), "_key": None}]
        else:
            rows = queryset.values(_key=F(dimension_fields[by])).annotate(**aggregates)
        for row in rows:
            into = totals.setdefault(row["_key"], dict.fromkeys(aggregates))
            for name in aggregates:
                if row[name] is not None:  # sums of numbers or of durations
                    into[name] = row[name] if into[name] is None else into[name] + row[name]
    return {key: {name: 0 if v is None else v for name, v in row.items()}
            for key, row in totals.items()}


def ratio(querysets: Sequence[QuerySet], by: str | None, *, part: Q, whole: Q | None = None,
          scale: float = 100, dimension_fields: dict[str, str] = TICKET_DIMENSIONS,
          ) -> dict[Any, Value]:
    """Per dimension value: the records matching ``part`` among those matching ``whole``
    (all, when None), times ``scale`` (100: a percentage)."""
    whole_filter = {"filter": whole} if whole is not None else {}
    grouped = _grouped(querysets, by, dimension_fields,
                       part=Count("pk", filter=part & (whole or Q())),
                       whole=Count("pk", **whole_filter))
    return {key: Value(round(scale * row["part"] / row["whole"], 2) if row["whole"] else None,
                       row["part"], row["whole"]) for key, row in grouped.items()}


def average_hours(querysets: Sequence[QuerySet], by: str | None, *, start_field: str,
                  end_field: str, dimension_fields: dict[str, str] = TICKET_DIMENSIONS,
                  ) -> dict[Any, Value]:
    """Per dimension value: the average of ``end_field`` − ``start_field`` in hours
    (calendar time) over the records (sum over count: averages of several types
    combine)."""
    return average_span(querysets, by, start=start_field, end=end_field,
                        dimension_fields=dimension_fields)


def average_span(querysets: Sequence[QuerySet], by: str | None, *, start: str | Any,
                 end: str | Any, unit_seconds: float = HOUR_SECONDS,
                 dimension_fields: dict[str, str] = TICKET_DIMENSIONS) -> dict[Any, Value]:
    """Per dimension value: the average of ``end`` − ``start`` (field names or datetime
    expressions, e.g. ``Value(moment)``) in units of ``unit_seconds`` (hours, or
    :data:`DAY_SECONDS`), calendar time; the numerator is the sum in those units."""
    start = F(start) if isinstance(start, str) else start
    end = F(end) if isinstance(end, str) else end
    span = ExpressionWrapper(end - start, output_field=DurationField())
    grouped = _grouped(querysets, by, dimension_fields, total=Sum(span), n=Count("pk"))
    result = {}
    for key, row in grouped.items():
        units = row["total"].total_seconds() / unit_seconds if row["total"] else 0.0
        result[key] = Value(round(units / row["n"], 2) if row["n"] else None, units, row["n"])
    return result


def percentile_hours(querysets: Sequence[QuerySet], by: str | None, *, start_field: str,
                     end_field: str, percent: int = 90,
                     dimension_fields: dict[str, str] = TICKET_DIMENSIONS,
                     ) -> dict[Any, Value]:
    """Per dimension value: the ``percent``-th percentile of ``end_field`` −
    ``start_field`` in hours (calendar time), by nearest rank: of the n durations sorted,
    the one at rank ⌈percent/100 × n⌉ (the smallest duration that at least ``percent`` %
    of the records do not exceed; no interpolation). The two time stamps are read
    (``values_list``, one query per queryset) and ranked in Python. The numerator is that
    rank, the denominator n."""
    spans: dict[Any, list[float]] = {}
    for queryset in querysets:
        queryset = queryset.order_by()
        if by is None:
            rows = ((None, a, b) for a, b in queryset.values_list(start_field, end_field))
        else:
            rows = queryset.values_list(dimension_fields[by], start_field, end_field)
        for key, started, ended in rows:
            spans.setdefault(key, []).append((ended - started).total_seconds() / HOUR_SECONDS)
    result = {None: Value(None)} if by is None else {}
    for key, hours in spans.items():
        rank = nearest_rank(len(hours), percent)
        result[key] = Value(round(sorted(hours)[rank - 1], 2), rank, len(hours))
    return result


def nearest_rank(n: int, percent: float) -> int:
    """The 1-based rank of the ``percent``-th percentile among ``n`` sorted values
    (nearest-rank method: ⌈percent/100 × n⌉, at least 1)."""
    return max(1, math.ceil(round(percent * n / 100, 9)))


def count(querysets: Sequence[QuerySet], by: str | None, *,
          dimension_fields: dict[str, str] = TICKET_DIMENSIONS) -> dict[Any, Value]:
    """Per dimension value: how many records there are (a count is 0, not missing, when
    the whole scope has none). The numerator is the count as well."""
    grouped = _grouped(querysets, by, dimension_fields, n=Count("pk"))
    return {key: Value(row["n"], row["n"], row["n"]) for key, row in grouped.items()}


def mean(querysets: Sequence[QuerySet], by: str | None, *, field_name: str,
         dimension_fields: dict[str, str] = TICKET_DIMENSIONS) -> dict[Any, Value]:
    """Per dimension value: the mean of a numeric field over the records."""
    grouped = _grouped(querysets, by, dimension_fields, total=Sum(field_name),
                       n=Count(field_name))
    return {key: Value(round(row["total"] / row["n"], 2) if row["n"] else None,
                       row["total"], row["n"]) for key, row in grouped.items()}
