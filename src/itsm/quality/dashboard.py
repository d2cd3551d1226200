"""The quality dashboard (QA-2): targets against their actual values, a traffic light per
target and team, the trend of each target over its last periods, and the drill-down
from a target to its teams and from a team's period to the indicator's records.

Everything here is read from the stored evaluations (``TargetEvaluation``), written by
the evaluation job at each period's end: one query for the whole dashboard, whatever
the number of records behind the values. Live values are the indicator pages' part.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.reports.periods import MONTHS, add_months, running_period

from . import indicators
from .choices import SEVERITY, STATE_COLOURS, EvaluationState, PeriodKind
from .models import QualityTarget, TargetEvaluation
from .targets import period_label, zone_of

#: Periods of each kind in a trend (two years of quarters, four years of half-years…).
TREND_PERIODS = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 8, PeriodKind.HALF_YEAR: 8,
                 PeriodKind.YEAR: 5}
STATE_ORDER = (EvaluationState.CRITICAL, EvaluationState.WARNING, EvaluationState.MET,
               EvaluationState.NO_DATA)


@dataclass
class ScopeTrend:
    """One scope of a target (its own, or a team held to it): its value per period."""

    key: str
    label: str
    team_id: int | None
    points: dict[dt.datetime, TargetEvaluation] = field(default_factory=dict)

    @property
    def latest(self) -> TargetEvaluation | None:
        return self.points[max(self.points)] if self.points else None

    @property
    def previous(self) -> TargetEvaluation | None:
        if len(self.points) < 2:
            return None
        return self.points[sorted(self.points)[-2]]

    @property
    def colour(self) -> str:
        return self.latest.colour if self.latest else "secondary"

    @property
    def moved(self) -> str:
        """``up``, ``down`` or empty: how the latest value moved from the previous one."""
        latest, previous = self.latest, self.previous
        if latest is None or previous is None or None in (latest.value, previous.value):
            return ""
        if latest.value == previous.value:
            return ""
        return "up" if latest.value > previous.value else "down"

    @property
    def trend(self) -> str:
        """``better``, ``worse`` or empty (no move): the move in the indicator's
        direction."""
        moved = self.moved
        if not moved:
            return ""
        return "better" if (moved == "up") == (self.latest.target.direction == indicators.UP) \
            else "worse"


@dataclass
class TargetRow:
    target: QualityTarget
    own: ScopeTrend
    teams: list[ScopeTrend]

    @property
    def worst(self) -> int:
        states = [s.latest.state for s in (self.own, *self.teams) if s.latest]
        return max((SEVERITY[s] for s in states), default=-1)


@dataclass
class Dashboard:
    period_kind: str
    periods: list[dt.datetime]
    rows: list[TargetRow]
    team_id: int | None = None

    @property
    def labels(self) -> list[str]:
        return [period_label(self.period_kind, start) for start in self.periods]

    @property
    def counts(self) -> list[tuple[str, str, str, int]]:
        """(state, label, colour, count) over the latest value of every scope shown."""
        counted: dict[str, int] = defaultdict(int)
        for row in self.rows:
            for scope in (row.own, *row.teams):
                if scope.latest is not None:
                    counted[scope.latest.state] += 1
        return [(state, EvaluationState(state).label, STATE_COLOURS[state], counted[state])
                for state in STATE_ORDER]


def reads_all(user) -> bool:
    """Quality, management, administrators and auditors see every team; a team lead
    sees the provider-wide values and their own teams'."""
    return access.has_role(user, Role.QUALITY_MANAGER, Role.MANAGEMENT, Role.ADMINISTRATOR,
                           Role.AUDITOR)


def window(kind: str, now: dt.datetime, tz, periods: int) -> list[dt.datetime]:
    """The starts of the last ``periods`` complete periods of ``kind``, oldest first."""
    start, _end = running_period(kind, now, tz)
    return [add_months(start, -MONTHS[kind] * n) for n in range(periods, 0, -1)]


def build(user, period_kind: str = PeriodKind.MONTH, *, team_id: int | None = None,
          target_id: int | None = None, now: dt.datetime | None = None) -> Dashboard:
    """The dashboard of ``user``'s provider for one kind of period, optionally narrowed
    to one team (``team_id``: the team's own values only) or one target. One query."""
    provider = access.organization_of(user)
    now = now or timezone.now()
    tz = zone_of(provider) if provider is not None else timezone.get_current_timezone()
    periods = window(period_kind, now, tz, TREND_PERIODS[period_kind])
    evaluations = (TargetEvaluation.objects.visible_to(user)
                   .filter(target__is_active=True, target__period_kind=period_kind,
                           period_start__gte=periods[0])
                   .select_related("target", "target__team", "target__customer",
                                   "target__service", "team")
                   .order_by("target__indicator", "target_id", "period_start"))
    if target_id is not None:
        evaluations = evaluations.filter(target_id=target_id)
    own_only = not reads_all(user)
    teams = access.team_ids_of(user) if own_only else set()
    targets: dict[int, QualityTarget] = {}
    scopes: dict[int, dict[str, ScopeTrend]] = defaultdict(dict)
    for evaluation in evaluations:
        team = evaluation.team_id or evaluation.target.team_id
        if own_only and team is not None and team not in teams:
            continue
        if team_id is not None and team != team_id:
            continue
        target = targets.setdefault(evaluation.target_id, evaluation.target)
        evaluation.target = target
        key = evaluation.scope_key
        scope = scopes[target.pk].get(key)
        if scope is None:
            label = (evaluation.team.name if evaluation.team is not None
                     else target.scope_label)
            scope = scopes[target.pk][key] = ScopeTrend(key, label, evaluation.team_id
                                                        or target.team_id)
        evaluation.period_label = period_label(period_kind, evaluation.period_start.astimezone(tz))
        scope.points[evaluation.period_start] = evaluation
    rows = []
    for pk, target in targets.items():
        found = scopes[pk]
        own = found.pop("", None)
        if own is None:  # narrowed to a team: its row stands for the target
            own = found.pop(min(found), None) if found else None
        if own is None:
            continue
        rows.append(TargetRow(target, own, sorted(found.values(), key=lambda s: s.label)))
    rows.sort(key=lambda r: (-r.worst, r.target.indicator_name, r.target.pk))
    return Dashboard(period_kind, periods, rows, team_id)


# --- Charts (ECharts options, drawn by ui/charts.js) -------------------------------------

def sparkline(dashboard: Dashboard, scope: ScopeTrend) -> dict[str, Any]:
    """A small line of a scope's values over the dashboard's periods, the target as a
    dashed line; the value axis spans both, so the target is always drawn."""
    target = scope.latest.target if scope.latest else None
    option = trend_chart(dashboard, [scope], target)
    values = [v for v in option["series"][0]["data"] if v is not None] if option["series"] else []
    if target is not None:
        values.append(float(target.target))
    low, high = (min(values), max(values)) if values else (0, 1)
    pad = (high - low) * 0.15 or abs(high) * 0.1 or 1
    option.update({"legend": {"show": False},
                   "grid": {"left": 2, "right": 2, "top": 4, "bottom": 4,
                            "containLabel": False},
                   "xAxis": {**option["xAxis"], "show": False, "boundaryGap": False},
                   "yAxis": {"type": "value", "show": False, "min": round(low - pad, 2),
                             "max": round(high + pad, 2)}})
    return option


def trend_chart(dashboard: Dashboard, scopes: list[ScopeTrend],
                target: QualityTarget | None) -> dict[str, Any]:
    """One line per scope over the periods; the target value as a dashed mark line."""
    series = []
    for scope in scopes:
        values = [scope.points[start].value if start in scope.points else None
                  for start in dashboard.periods]
        series.append({"type": "line", "name": str(scope.label), "connectNulls": False,
                       "symbolSize": 5, "data": [None if v is None else round(v, 2)
                                                 for v in values]})
    if series and target is not None:
        series[0]["markLine"] = {"silent": True, "symbol": "none",
                                 "lineStyle": {"type": "dashed", "color": "#198754"},
                                 "label": {"show": False},
                                 "data": [{"yAxis": float(target.target)}]}
    return {"legend": {"top": 0, "type": "scroll"}, "tooltip": {"trigger": "axis"},
            "xAxis": {"type": "category", "data": dashboard.labels},
            "yAxis": {"type": "value", "scale": True}, "series": series}


def records_url(evaluation: TargetEvaluation, tz) -> str:
    """The indicator's page for the evaluation's period and scope: its value split and
    the records behind it."""
    target = evaluation.target
    query: dict[str, Any] = {
        "start": evaluation.period_start.astimezone(tz).date().isoformat(),
        "end": evaluation.period_end.astimezone(tz).date().isoformat()}
    for name in ("team", "customer", "service"):
        value = getattr(target, f"{name}_id")
        if value is not None:
            query[name] = value
    if evaluation.team_id is not None:
        query["team"] = evaluation.team_id
    elif "team" in _dimensions(target):
        query["by"] = "team"
    return f"{reverse('quality:indicator', args=[target.indicator])}?{urlencode(query)}"


def _dimensions(target: QualityTarget) -> tuple[str, ...]:
    try:
        return tuple(indicators.indicator(target.indicator).dimensions)
    except KeyError:
        return ()
