"""Quality targets down to teams, evaluated per period, alerts once per crossing (QA-1,
QA-2; DESIGN "Thresholds and alerts").

- ``target_for(indicator, period_kind, team=…, customer=…, service=…)``: the target a
  scope is held to — the most specific active target of the provider whose set fields
  all match (a team's own target before a service's, a service's before a customer's,
  any of them before the provider's).
- ``evaluate(now, period_kind=None)``: for every active target, the last complete
  period (in the provider's time zone) is computed and stored as
  :class:`TargetEvaluation` rows: one for the target's own scope and, for a target
  without a team, one per team that has records in the period (the indicator split by
  team) and is held to this target — a team with its own target is evaluated under that
  one. A row is written once per target, scope and period (a unique constraint): a
  re-run, or a second worker racing the first, writes nothing and sends nothing again.
- An evaluation worse than the previous one of the same target and scope (warning
  after met or no data, critical after anything milder) alerts the target's owners and
  the team's lead: email, the bell and the provider's robot channels (``notify`` with a
  ``dedupe_key`` of the target, scope and period).
- ``evaluate_running(target, now)``: the running period's values on demand; they are
  computed only, never stored (a period's history holds complete periods only, and an
  alert waits for the period's end).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from itsm.core.choices import NotificationEvent
from itsm.core.models import Organization, Team
from itsm.core.notifications import absolute, by_language, notify
from itsm.core.reports import periods
from itsm.core.reports.periods import last_complete_period, running_period

from . import indicators
from .choices import SEVERITY, EvaluationState, PeriodKind
from .models import QualityTarget, TargetEvaluation

logger = logging.getLogger(__name__)


# --- Periods (``core.reports.periods``: months, quarters, half-years, years) ---------------

def zone_of(provider: Organization) -> ZoneInfo:
    return periods.zone(provider.time_zone)


def period_label(kind: str, start: dt.datetime) -> str:
    """``2026-11``, ``2026 Q4``, ``2026 H2``, ``2026``."""
    if kind == PeriodKind.MONTH:
        return f"{start:%Y-%m}"
    if kind == PeriodKind.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if kind == PeriodKind.HALF_YEAR:
        return f"{start.year} H{(start.month - 1) // 6 + 1}"
    return f"{start.year}"


# --- Which target applies ------------------------------------------------------------------

def _id(value) -> int | None:
    return getattr(value, "pk", value)


def target_for(indicator: str, period_kind: str, *, team: Team | int | None = None,
               customer: Organization | int | None = None, service=None,
               provider: Organization | int | None = None) -> QualityTarget | None:
    """The active target the scope is held to (see the module's docstring); the
    provider is the team's, customer's or service's when not given."""
    team_id, customer_id, service_id = _id(team), _id(customer), _id(service)
    provider_id = _id(provider)
    if provider_id is None:
        if team_id is not None:
            provider_id = Team.objects.values_list("organization_id", flat=True).get(
                pk=team_id)
        elif customer_id is not None:
            provider_id = Organization.objects.values_list("provider_id", flat=True).get(
                pk=customer_id)
        elif service is not None:
            provider_id = getattr(service, "provider_id", None)
    if provider_id is None:
        return None
    candidates = QualityTarget.objects.filter(
        provider_id=provider_id, indicator=indicator, period_kind=period_kind,
        is_active=True).filter(
        Q(team__isnull=True) | Q(team_id=team_id),
        Q(customer__isnull=True) | Q(customer_id=customer_id),
        Q(service__isnull=True) | Q(service_id=service_id))
    return max(candidates, default=None, key=lambda t: (
        t.team_id is not None, t.service_id is not None, t.customer_id is not None, -t.pk))


# --- Values and states ---------------------------------------------------------------------

def state_of(direction: str, value: float | None, warning, critical) -> str:
    """No data without a value; critical beyond the critical threshold, warning beyond
    the warning one (below them when more is better, above when less is), else met."""
    if value is None:
        return EvaluationState.NO_DATA
    if direction == indicators.UP:
        def worse(limit) -> bool:
            return value < float(limit)
    else:
        def worse(limit) -> bool:
            return value > float(limit)
    if worse(critical):
        return EvaluationState.CRITICAL
    if worse(warning):
        return EvaluationState.WARNING
    return EvaluationState.MET


@dataclass(frozen=True)
class ScopeValue:
    """A target's value for one scope: its own (``key`` "") or an inheriting team's."""

    key: str
    team: Team | None
    value: indicators.Value
    state: str


def scope_values(target: QualityTarget, start: dt.datetime, end: dt.datetime
                 ) -> list[ScopeValue]:
    """The target's value over [start, end) for its own scope and, for a target without
    a team, for each team with records that is held to it."""
    found = indicators.indicator(target.indicator)
    scope = indicators.Scope(provider_id=target.provider_id, customer_id=target.customer_id,
                             service_id=target.service_id, team_id=target.team_id)

    def row(key: str, team: Team | None, value: indicators.Value) -> ScopeValue:
        return ScopeValue(key, team, value, state_of(found.direction, value.value,
                                                     target.warning, target.critical))

    rows = [row("", target.team, indicators.value(target.indicator, scope, start, end))]
    if target.team_id is None and "team" in found.dimensions:
        per_team = indicators.split(target.indicator, scope, start, end, by="team")
        teams = Team.objects.filter(pk__in=[k for k in per_team if k is not None],
                                    organization_id=target.provider_id).select_related("lead")
        for team in sorted(teams, key=lambda t: t.name):
            held_to = target_for(target.indicator, target.period_kind, team=team.pk,
                                 customer=target.customer_id, service=target.service_id,
                                 provider=target.provider_id)
            if held_to is not None and held_to.pk == target.pk:
                rows.append(row(f"team:{team.pk}", team, per_team[team.pk]))
    return rows


def evaluate_running(target: QualityTarget, now: dt.datetime | None = None
                     ) -> tuple[dt.datetime, dt.datetime, list[ScopeValue]]:
    """The running period's values so far (not stored)."""
    start, end = running_period(target.period_kind, now or timezone.now(),
                                zone_of(target.provider))
    return start, end, scope_values(target, start, end)


# --- The periodic evaluation -----------------------------------------------------------------

def evaluate(now: dt.datetime | None = None, period_kind: str | None = None,
             provider: Organization | None = None) -> list[TargetEvaluation]:
    """Evaluate the last complete period of every active target (of ``period_kind``,
    of ``provider``, when given); the evaluations written by this call."""
    now = now or timezone.now()
    targets = QualityTarget.objects.filter(is_active=True).select_related(
        "provider", "team__lead", "customer", "service").order_by("pk")
    if period_kind:
        targets = targets.filter(period_kind=period_kind)
    if provider is not None:
        targets = targets.filter(provider=provider)
    written = []
    for target in targets:
        try:
            indicators.indicator(target.indicator)
        except KeyError:  # an indicator no longer registered
            logger.warning("quality target %s: unknown indicator %s", target.pk,
                           target.indicator)
            continue
        start, end = last_complete_period(target.period_kind, now, zone_of(target.provider))
        done = set(TargetEvaluation.objects.filter(target=target, period_start=start)
                   .values_list("scope_key", flat=True))
        if "" in done and target.team_id is not None:
            continue  # a team's target has its own scope only
        for row in scope_values(target, start, end):
            if row.key in done:
                continue
            evaluation = _store(target, row, start, end, now)
            if evaluation is not None:
                written.append(evaluation)
    return written


@transaction.atomic
def _store(target: QualityTarget, row: ScopeValue, start: dt.datetime, end: dt.datetime,
           now: dt.datetime) -> TargetEvaluation | None:
    """Write one evaluation and alert on a crossing; None when another run wrote it."""
    try:
        with transaction.atomic():
            evaluation = TargetEvaluation.objects.create(
                target=target, scope_key=row.key, team=row.team, period_start=start,
                period_end=end, value=row.value.value, numerator=row.value.numerator,
                denominator=row.value.denominator, state=row.state,
                target_value=target.target, warning=target.warning,
                critical=target.critical, computed_at=now)
    except IntegrityError:
        return None
    previous = TargetEvaluation.objects.filter(
        target=target, scope_key=row.key, period_start__lt=start).order_by(
        "-period_start").first()
    if SEVERITY[evaluation.state] > (SEVERITY[previous.state] if previous else 0):
        alert(evaluation)
    return evaluation


def recipients_of(evaluation: TargetEvaluation) -> list:
    """The target's owners and the lead of the evaluated team."""
    people = [p for p in evaluation.target.owners.filter(is_active=True)]
    team = evaluation.team
    if team is not None and team.lead_id is not None:
        people.append(team.lead)
    return people


def alert(evaluation: TargetEvaluation) -> None:
    """Tell the owners (each in their own language) and the provider's robot channels
    that the evaluation crossed a threshold; once, whoever runs it."""
    target = evaluation.target
    critical = evaluation.state == EvaluationState.CRITICAL
    tz = zone_of(target.provider)
    period = period_label(target.period_kind, evaluation.period_start.astimezone(tz))
    groups = by_language(recipients_of(evaluation)) or {settings.LANGUAGE_CODE: []}
    unit = indicators.indicator(target.indicator).unit
    for language, people in groups.items():
        with translation.override(language):
            scope = evaluation.team.name if evaluation.team else target.scope_label
            values = {"indicator": target.indicator_name, "scope": scope, "period": period,
                      "state": evaluation.get_state_display(),
                      "value": "—" if evaluation.value is None else f"{evaluation.value:g}",
                      "unit": unit, "target": f"{evaluation.target_value:g}",
                      "threshold": f"{(evaluation.critical if critical else evaluation.warning):g}",
                      "url": absolute(target_url(target))}
            subject = _("[Quality] %(indicator)s %(state)s: %(scope)s, %(period)s") % values
            body = _("%(indicator)s of %(scope)s in %(period)s was %(value)s %(unit)s: "
                     "%(state)s (threshold %(threshold)s, target %(target)s). "
                     "See %(url)s.") % values
            notify(NotificationEvent.QUALITY_ALERT, recipients=people, subject=subject, body=body,
                   organization_id=target.provider_id, language=language,
                   context={"quality_target": target.pk, "evaluation": evaluation.pk},
                   dedupe_key=(f"quality-target:{target.pk}:{evaluation.scope_key or 'own'}:"
                               f"{evaluation.period_start:%Y%m%d}:{evaluation.state}"))


def target_url(target: QualityTarget) -> str:
    return reverse("quality:target-list") + f"#target-{target.pk}"
