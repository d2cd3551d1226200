"""The quarterly quality report (质量报告, QA-2, SLM-5): for one quarter of a provider,
optionally narrowed to one customer:

1. every active quality target with its value and state: the stored evaluation of the
   quarter (``TargetEvaluation``) where the target is quarterly and was evaluated,
   otherwise the indicator's value over the quarter, computed now (``live``);
2. the trend of the main indicators and of the targets' monthly evaluations over the
   quarter's three months;
3. complaints received and the complaint rate; the survey score per dimension;
4. a table of the main indicators per customer (SLA attainment, satisfaction, complaint
   rate), with the provider's totals.

Fast at a million tickets: the main indicators (``MAIN``) are computed once per month
split by customer — twelve calls — and everything else about them (the quarter, each
customer, the totals, the trends) is summed from those values' numerators and
denominators. Only a target of another indicator or scope without a stored evaluation
costs one more call over the quarter.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.models import Organization
from itsm.core.reports.periods import add_months
from itsm.surveys.choices import Dimension

from . import indicators
from .choices import STATE_COLOURS, EvaluationState, PeriodKind
from .models import QualityTarget, TargetEvaluation
from .targets import state_of

#: The main indicators and the scale of their value over numerator / denominator
#: (a percentage, a mean score, a rate per thousand): summable month by month.
MAIN = {"sla-response": 100, "sla-resolution": 100, "ticket-satisfaction": 1,
        "complaint-rate": 1000}


def ratio(numerator: float, denominator: float, scale: float) -> float | None:
    return round(scale * numerator / denominator, 2) if denominator else None


@dataclass
class Month:
    start: dt.datetime
    end: dt.datetime

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


@dataclass
class TargetRow:
    """One target's value for the quarter; ``live``: computed now, not a stored
    evaluation."""

    target: QualityTarget
    name: str
    unit: str
    scope: str
    period_kind: str
    value: float | None
    state: str
    state_label: str
    live: bool

    @property
    def colour(self) -> str:
        return STATE_COLOURS.get(self.state, "secondary")


@dataclass
class Trend:
    """An indicator's value per month of the quarter, with the target where one
    applies."""

    key: str
    name: str
    unit: str
    values: list[float | None]
    target: float | None = None
    chart: str = ""


@dataclass
class CustomerRow:
    customer_id: int | None
    name: str
    response: float | None
    resolution: float | None
    satisfaction: float | None
    ratings: int
    complaints: int
    tickets: int
    complaint_rate: float | None


@dataclass
class QuarterlyReport:
    provider: Organization
    customer: Organization | None
    year: int
    quarter: int
    start: dt.datetime
    end: dt.datetime
    months: list[Month]
    targets: list[TargetRow]
    trends: list[Trend]
    totals: CustomerRow
    customers: list[CustomerRow]
    surveys: list[tuple[str, float | None, int]]
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.quarter}"


class _Main:
    """The main indicators per month split by customer, and their sums."""

    def __init__(self, provider_id: int, months: list[Month]) -> None:
        scope = indicators.Scope(provider_id=provider_id)
        self.by_month = {key: [indicators.split(key, scope, m.start, m.end, by="customer")
                               for m in months] for key in MAIN}

    def total(self, key: str, month: int | None = None, customer: int | None = None
              ) -> tuple[float, float]:
        """(numerator, denominator) over one month (else the quarter), of one customer
        (else of every organization)."""
        numerator = denominator = 0.0
        months = self.by_month[key] if month is None else [self.by_month[key][month]]
        for values in months:
            for organization, value in values.items():
                if customer is None or organization == customer:
                    numerator += value.numerator
                    denominator += value.denominator
        return numerator, denominator

    def value(self, key: str, month: int | None = None, customer: int | None = None
              ) -> float | None:
        return ratio(*self.total(key, month, customer), MAIN[key])

    def customers(self) -> set[int]:
        return {c for key in MAIN for month in self.by_month[key] for c in month
                if c is not None}


def quarterly_report(provider: Organization, year: int, quarter: int, start: dt.datetime,
                     end: dt.datetime, *, customer: Organization | None = None
                     ) -> QuarterlyReport:
    """The report of ``provider`` for [start, end) (see the module's docstring)."""
    months = [Month(add_months(start, i), add_months(start, i + 1)) for i in range(3)]
    main = _Main(provider.pk, months)
    customer_id = customer.pk if customer else None
    targets, monthly = _targets(provider, start, end, customer_id, main)
    return QuarterlyReport(
        provider=provider, customer=customer, year=year, quarter=quarter, start=start,
        end=end, months=months, targets=targets,
        trends=_trends(main, months, customer_id, targets, monthly),
        totals=_customer_row(main, customer_id, customer.name if customer else _(
            "All customers")),
        customers=_customer_rows(main, customer_id),
        surveys=_surveys(provider.pk, customer_id, start, end))


def _applicable(provider: Organization, customer_id: int | None) -> list[QualityTarget]:
    """The provider's active targets, for one customer those of that customer or of no
    customer whose indicator splits by customer."""
    found = QualityTarget.objects.filter(provider=provider, is_active=True).select_related(
        "team", "customer", "service").order_by("indicator", "period_kind", "pk")
    if customer_id is not None:
        found = found.filter(Q(customer_id=customer_id) | Q(customer__isnull=True))
    rows = []
    for target in found:
        try:
            indicator = indicators.indicator(target.indicator)
        except KeyError:
            continue
        if customer_id is not None and "customer" not in indicator.dimensions:
            continue
        rows.append(target)
    return rows


def _targets(provider: Organization, start: dt.datetime, end: dt.datetime,
             customer_id: int | None, main: _Main
             ) -> tuple[list[TargetRow], dict[int, dict[dt.datetime, TargetEvaluation]]]:
    """The targets' rows, and the stored monthly evaluations of monthly targets by
    target and month (for the trends). Two queries, plus one indicator call per target
    that has neither a stored quarter nor a main indicator's value."""
    targets = _applicable(provider, customer_id)
    stored: dict[int, TargetEvaluation] = {}
    monthly: dict[int, dict[dt.datetime, TargetEvaluation]] = defaultdict(dict)
    for evaluation in TargetEvaluation.objects.filter(
            target__in=targets, scope_key="", period_start__gte=start,
            period_start__lt=end):
        if evaluation.period_end == end and evaluation.period_start == start:
            stored[evaluation.target_id] = evaluation
        elif evaluation.period_end <= end:
            monthly[evaluation.target_id][evaluation.period_start] = evaluation
    rows = []
    for target in targets:
        found = indicators.indicator(target.indicator)
        own_scope = customer_id is None or target.customer_id == customer_id
        evaluation = stored.get(target.pk) if own_scope else None
        if evaluation is not None:
            value, state, live = evaluation.value, evaluation.state, False
        else:
            value, live = _quarter_value(target, start, end, customer_id, main), True
            state = state_of(found.direction, value, target.warning, target.critical)
        rows.append(TargetRow(
            target=target, name=str(found.name), unit=found.unit,
            scope=target.scope_label, period_kind=target.get_period_kind_display(),
            value=value, state=state, state_label=str(EvaluationState(state).label),
            live=live))
    return rows, (monthly if customer_id is None else {})


def _quarter_value(target: QualityTarget, start: dt.datetime, end: dt.datetime,
                   customer_id: int | None, main: _Main) -> float | None:
    customer = target.customer_id or customer_id
    if target.indicator in MAIN and target.team_id is None and target.service_id is None:
        return main.value(target.indicator, customer=customer)
    scope = indicators.Scope(provider_id=target.provider_id, customer_id=customer,
                             service_id=target.service_id, team_id=target.team_id)
    return indicators.value(target.indicator, scope, start, end).value


def _trends(main: _Main, months: list[Month], customer_id: int | None,
            targets: list[TargetRow], monthly: dict[int, dict[dt.datetime, TargetEvaluation]]
            ) -> list[Trend]:
    """The main indicators month by month (for the customer, when one is chosen), each
    with the target of the provider's (or customer's) scope when there is one; then the
    monthly evaluations stored for other monthly targets."""
    own = {row.target.indicator: row.target for row in targets
           if row.target.team_id is None and row.target.service_id is None
           and row.target.customer_id == customer_id}
    trends = []
    for key in MAIN:
        found = indicators.indicator(key)
        target = own.get(key)
        trends.append(Trend(key=key, name=str(found.name), unit=found.unit,
                            values=[main.value(key, i, customer_id) for i in range(3)],
                            target=float(target.target) if target is not None else None))
    for row in targets:
        evaluations = monthly.get(row.target.pk)
        if (row.target.indicator in MAIN and row.target.indicator in own) or not evaluations \
                or row.target.period_kind != PeriodKind.MONTH:
            continue
        by_start = {e.period_start: e.value for e in evaluations.values()}
        trends.append(Trend(key=f"target-{row.target.pk}", name=f"{row.name} · {row.scope}",
                            unit=row.unit, values=[by_start.get(m.start) for m in months],
                            target=float(row.target.target)))
    return trends


def _customer_row(main: _Main, customer_id: int | None, name: str) -> CustomerRow:
    ratings = main.total("ticket-satisfaction", customer=customer_id)
    complaints, tickets = main.total("complaint-rate", customer=customer_id)
    return CustomerRow(
        customer_id=customer_id, name=name,
        response=main.value("sla-response", customer=customer_id),
        resolution=main.value("sla-resolution", customer=customer_id),
        satisfaction=ratio(*ratings, 1), ratings=int(ratings[1]),
        complaints=int(complaints), tickets=int(tickets),
        complaint_rate=ratio(complaints, tickets, 1000))


def _customer_rows(main: _Main, customer_id: int | None) -> list[CustomerRow]:
    """One row per organization with records in the quarter (only the chosen one)."""
    keys = {customer_id} if customer_id is not None else main.customers()
    names = indicators.labels("customer", keys)
    rows = [_customer_row(main, key, names.get(key, "—")) for key in keys]
    return sorted(rows, key=lambda r: (-r.tickets, r.name))


def _surveys(provider_id: int, customer_id: int | None, start: dt.datetime,
             end: dt.datetime) -> list[tuple[str, float | None, int]]:
    """(dimension, mean score, answers) per evaluation dimension."""
    scope = indicators.Scope(provider_id=provider_id, customer_id=customer_id)
    rows = []
    for code, label in Dimension.choices:
        value = indicators.value(f"survey-score-{code.replace('_', '-')}", scope, start, end)
        rows.append((str(label), value.value, int(value.denominator)))
    return rows


def as_json(report: QuarterlyReport) -> dict[str, Any]:
    """The report as JSON (the API)."""
    def customer(row: CustomerRow) -> dict[str, Any]:
        return {"customer": row.customer_id, "name": row.name, "sla_response": row.response,
                "sla_resolution": row.resolution, "satisfaction": row.satisfaction,
                "ratings": row.ratings, "complaints": row.complaints, "tickets": row.tickets,
                "complaint_rate": row.complaint_rate}

    return {
        "provider": report.provider.pk, "customer": report.customer.pk if report.customer
        else None, "quarter": report.label, "start": report.start, "end": report.end,
        "months": [m.label for m in report.months],
        "targets": [{"target": r.target.pk, "indicator": r.target.indicator,
                     "name": r.name, "scope": r.scope, "period_kind": r.target.period_kind,
                     "target_value": float(r.target.target), "value": r.value,
                     "state": r.state, "live": r.live} for r in report.targets],
        "trends": [{"key": t.key, "name": t.name, "unit": t.unit, "values": t.values,
                    "target": t.target} for t in report.trends],
        "totals": customer(report.totals),
        "customers": [customer(r) for r in report.customers],
        "surveys": [{"dimension": d, "score": v, "answers": n} for d, v, n in report.surveys],
    }
