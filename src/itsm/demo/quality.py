"""Demo data of quality targets (QA-1, QA-2): the provider's monthly targets for SLA
attainment, satisfaction, first-contact resolution and the complaint rate, a stricter
own target of 二线技术支持 and a quarterly one, owned by the quality manager (杨帆), then
evaluated for the months of the demo's ticket history as the nightly job would have —
so the quality dashboard has traffic lights and trends, and the owners have their
alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from itsm.core.models import Organization, Team
from itsm.quality import services, targets
from itsm.quality.models import QualityTarget

#: (indicator, period kind, team name or None, target, warning, critical)
TARGETS = [
    ("sla-response", "month", None, "95", "90", "80"),
    ("sla-resolution", "month", None, "90", "85", "75"),
    ("sla-resolution", "month", "二线技术支持", "95", "90", "85"),
    ("ticket-satisfaction", "month", None, "4.5", "4.2", "4"),
    ("first-contact-resolution", "month", None, "60", "50", "40"),
    ("complaint-rate", "month", None, "10", "20", "40"),
    ("sla-resolution", "quarter", None, "90", "85", "75"),
]
#: Months evaluated, counting back from the last complete one.
MONTHS = 4


def load(provider: Organization, people: dict[str, Any]) -> None:
    """Load the targets and their evaluations once (nothing when the provider has
    targets)."""
    if QualityTarget.objects.filter(provider=provider).exists():
        return
    quality = people["quality"]
    teams = {t.name: t for t in Team.objects.filter(organization=provider)}
    for indicator, kind, team, target, warning, critical in TARGETS:
        if team is not None and team not in teams:
            continue
        services.save_target(None, actor=quality, data={
            "indicator": indicator, "period_kind": kind, "team": teams.get(team) if team else None,
            "target": Decimal(target), "warning": Decimal(warning),
            "critical": Decimal(critical), "owners": [] if team else [quality]})
    start, _end = targets.running_period("month", timezone.now(), targets.zone_of(provider))
    for back in range(MONTHS - 1, -1, -1):
        moment = targets.add_months(start, -back) + dt.timedelta(hours=6, minutes=10)
        targets.evaluate(moment, provider=provider)
