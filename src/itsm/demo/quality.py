"""Demo data of quality targets (QA-1, QA-2): the provider's monthly targets for SLA
attainment, satisfaction, first-contact resolution and the complaint rate, a stricter
own target of 二线技术支持 and a quarterly one, owned by the quality manager (杨帆), then
evaluated for the months of the demo's ticket history as the nightly job would have —
so the quality dashboard has traffic lights and trends, and the owners have their
alerts. Then continual improvement (QA-3): an improvement plan opened from the most
common complaint cause to move the complaint rate, in its "do" stage with a measure done
and one open; a staff suggestion waiting for a decision; and last quarter's quality
review, concluded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from itsm.complaints.models import CauseCategory
from itsm.core import services as core_services
from itsm.core.models import Organization, Team
from itsm.core.reports import periods
from itsm.quality import improvement, indicators, services, targets
from itsm.quality.models import ImprovementPlan, QualityTarget

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
    targets), then the improvement demo (once)."""
    if not QualityTarget.objects.filter(provider=provider).exists():
        load_targets(provider, people)
    load_improvement(provider, people)


def load_targets(provider: Organization, people: dict[str, Any]) -> None:
    quality = people["quality"]
    teams = {t.name: t for t in Team.objects.filter(organization=provider)}
    for indicator, kind, team, target, warning, critical in TARGETS:
        if team is not None and team not in teams:
            continue
        services.save_target(None, actor=quality, data={
            "indicator": indicator, "period_kind": kind, "team": teams.get(team) if team else None,
            "target": Decimal(target), "warning": Decimal(warning),
            "critical": Decimal(critical), "owners": [] if team else [quality]})
    start, _end = periods.running_period("month", timezone.now(), targets.zone_of(provider))
    for back in range(MONTHS - 1, -1, -1):
        moment = periods.add_months(start, -back) + dt.timedelta(hours=6, minutes=10)
        targets.evaluate(moment, provider=provider)


def load_improvement(provider: Organization, people: dict[str, Any]) -> None:
    """A plan, a suggestion and a review, once (nothing when the provider has plans)."""
    if ImprovementPlan.objects.filter(organization=provider).exists():
        return
    quality = people["quality"]
    today = timezone.localdate()
    cause = CauseCategory.objects.filter(name="响应超时", provider__isnull=True).first()
    plan = improvement.create_plan(actor=quality, data={
        "title": "降低因响应超时引起的投诉", "source_kind": "complaint_cause",
        "source_cause": cause,
        "description": "近三个月投诉中“响应超时”占比最高，投诉率连续未达到质量目标。",
        "root_cause": "高峰时段服务台坐席不足，电话排队无提示，工单分派依赖人工。",
        "indicator": "complaint-rate", "target_value": Decimal("10"),
        "evaluation_date": today + dt.timedelta(days=45), "window_days": 90})
    now = timezone.now()
    baseline = indicators.value("complaint-rate", indicators.Scope(provider_id=provider.pk),
                                now - dt.timedelta(days=90), now).value
    if baseline:  # the plan starts (its baseline captured) with a target 40 % lower
        plan = improvement.update_plan(plan, actor=quality, changes={
            "target_value": Decimal(str(round(baseline * 0.6, 2)))})
        plan = core_services.transition_record(plan, "start", actor=quality)
    done = improvement.save_measure(plan, None, actor=quality, data={
        "title": "周一上午增加两名服务台坐席", "owner": people["lead"],
        "due_date": today - dt.timedelta(days=5)})
    improvement.complete_measure(done, actor=people["lead"], note="已排班，自本周起执行。")
    improvement.save_measure(plan, None, actor=quality, data={
        "title": "工单按服务目录自动分派到团队", "owner": people["engineer"],
        "due_date": today + dt.timedelta(days=20)})
    improvement.submit_suggestion(actor=people["agent"], data={
        "title": "电话排队时播报预计等待时间",
        "description": "客户在电话排队时不知道要等多久，建议播报预计等待时间并提供回拨选项。"})
    quarter_start, _end = periods.last_complete_period("quarter", timezone.now(),
                                                       targets.zone_of(provider))
    review = improvement.create_review(actor=quality, data={
        "title": f"{quarter_start.year}年第{(quarter_start.month - 1) // 3 + 1}季度质量评审",
        "kind": "quarterly", "period_start": quarter_start.date(),
        "period_end": (periods.add_months(quarter_start, 3) - dt.timedelta(days=1)).date(),
        "participants": [quality, people["management"], people["lead"]],
        "description": "评审本季度质量目标达成情况与投诉、满意度调查结果。"})
    core_services.transition_record(review, "conclude", actor=quality, values={
        "conclusions": "响应及时率达标；投诉率未达标，主因为“响应超时”；"
                       "工单满意度处于预警，需持续关注。"})
