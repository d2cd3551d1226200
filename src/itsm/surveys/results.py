"""Results of a campaign (FBK-2): response rate, the average score per dimension, per
question, per organization and per department, the trend across the campaigns of the
same questionnaire (by code, every version: dimensions are compared by code), and the
same period's SLA attainment and ticket ratings from the service desk.

"Not applicable" answers and answers without a score are left out of every average.
Each part is one GROUP BY query, whatever the number of answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, FloatField, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.models import Department, Organization
from itsm.servicedesk.models import SatisfactionRating, SLAClock

from .choices import dimension_label, dimension_order
from .models import Answer, Campaign, Question

#: Campaigns shown in the trend.
TREND_CAMPAIGNS = 12
SCORED = Q(score__isnull=False, not_applicable=False)


def _average(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


@dataclass
class CampaignResults:
    campaign: Campaign
    recipients: int = 0
    responses: int = 0
    dimensions: list[dict[str, Any]] = field(default_factory=list)
    questions: list[dict[str, Any]] = field(default_factory=list)
    organizations: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    service: dict[str, Any] = field(default_factory=dict)

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.responses / self.recipients, 1) if self.recipients else None

    @property
    def overall(self) -> float | None:
        scored = [d for d in self.dimensions if d["average"] is not None]
        total = sum(d["count"] for d in scored)
        return round(sum(d["average"] * d["count"] for d in scored) / total, 2) \
            if total else None

    def as_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign.pk, "name": self.campaign.name,
                "recipients": self.recipients, "responses": self.responses,
                "response_rate": self.response_rate, "overall": self.overall,
                "dimensions": self.dimensions, "questions": self.questions,
                "organizations": self.organizations, "departments": self.departments,
                "trend": self.trend, "service": self.service}


def _grouped(answers, *keys: str) -> list[dict[str, Any]]:
    return list(answers.filter(SCORED).order_by().values(*keys).annotate(
        average=Avg("score", output_field=FloatField()), count=Count("pk")))


def campaign_results(campaign: Campaign, *, organization_ids: frozenset[int] | None = None
                     ) -> CampaignResults:
    """The results of ``campaign`` (limited to ``organization_ids`` when given)."""
    answers = Answer.objects.filter(campaign=campaign)
    responses = campaign.responses.all()
    recipients = campaign.recipients.all()
    if organization_ids is not None:
        answers = answers.filter(organization_id__in=organization_ids)
        responses = responses.filter(organization_id__in=organization_ids)
        recipients = recipients.filter(organization_id__in=organization_ids)
    result = CampaignResults(campaign=campaign, recipients=recipients.count(),
                             responses=responses.count())
    dims = {row["dimension"]: row for row in _grouped(answers, "dimension")}
    codes = sorted(dims, key=dimension_order)
    result.dimensions = [{"code": c, "label": dimension_label(c),
                          "average": _average(dims[c]["average"]), "count": dims[c]["count"]}
                         for c in codes if c]
    rows = {row["question"]: row for row in _grouped(answers, "question")}
    for question in Question.objects.filter(pk__in=rows).select_related("section").order_by(
            "section__questionnaire_id", "section__position", "position", "pk"):
        row = rows[question.pk]
        result.questions.append({"id": question.pk, "title": question.title,
                                 "dimension": question.dimension,
                                 "average": _average(row["average"]), "count": row["count"]})
    result.organizations = _by_group(answers, "organization_id", Organization, codes)
    result.departments = _by_group(answers.filter(department_id__isnull=False),
                                   "department_id", Department, codes)
    result.trend = campaign_trend(campaign, organization_ids=organization_ids)
    result.service = service_context(campaign, organization_ids=organization_ids)
    return result


def _by_group(answers, column: str, model, codes: list[str]) -> list[dict[str, Any]]:
    """Average per dimension for each organization (or department): the comparison."""
    cells: dict[int, dict[str, Any]] = {}
    for row in _grouped(answers, column, "dimension"):
        group = cells.setdefault(row[column], {"count": 0, "sum": 0.0, "dimensions": {}})
        group["dimensions"][row["dimension"]] = _average(row["average"])
        group["count"] += row["count"]
        group["sum"] += row["average"] * row["count"]
    names = dict(model.objects.filter(pk__in=cells).values_list("pk", "name"))
    return sorted(({"id": pk, "name": names.get(pk, str(pk)),
                    "average": round(g["sum"] / g["count"], 2) if g["count"] else None,
                    "count": g["count"],
                    "dimensions": [g["dimensions"].get(c) for c in codes]}
                   for pk, g in cells.items()), key=lambda r: r["name"])


def campaign_trend(campaign: Campaign, *, organization_ids: frozenset[int] | None = None
                   ) -> list[dict[str, Any]]:
    """Average per dimension of the provider's campaigns of the same questionnaire code
    (any version), oldest first, up to this one."""
    campaigns = list(Campaign.objects.filter(
        provider_id=campaign.provider_id, questionnaire__code=campaign.questionnaire.code,
        period_start__lte=campaign.period_start).exclude(launched_at__isnull=True)
        .order_by("-period_start", "-pk").values("pk", "name", "period_start")
        [:TREND_CAMPAIGNS])[::-1]
    answers = Answer.objects.filter(campaign_id__in=[c["pk"] for c in campaigns])
    if organization_ids is not None:
        answers = answers.filter(organization_id__in=organization_ids)
    cells: dict[int, dict[str, float | None]] = {}
    for row in _grouped(answers, "campaign_id", "dimension"):
        cells.setdefault(row["campaign_id"], {})[row["dimension"]] = _average(row["average"])
    return [{"campaign": c["pk"], "name": c["name"], "period_start": c["period_start"],
             "dimensions": cells.get(c["pk"], {})} for c in campaigns]


def _period(campaign: Campaign) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(timezone.get_current_timezone_name())
    start = dt.datetime.combine(campaign.period_start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(campaign.period_end + dt.timedelta(days=1), dt.time.min,
                              tzinfo=tz)
    return start, end


def service_context(campaign: Campaign, *, organization_ids: frozenset[int] | None = None
                    ) -> dict[str, Any]:
    """The same period's SLA attainment (clocks stopped in it) and ticket ratings of the
    campaign's organizations (two queries)."""
    start, end = _period(campaign)
    orgs = organization_ids if organization_ids is not None else frozenset(
        campaign.recipients.values_list("organization_id", flat=True).distinct())
    clocks = SLAClock.objects.filter(organization_id__in=orgs, stopped_at__gte=start,
                                     stopped_at__lt=end, met__isnull=False).aggregate(
        total=Count("pk"), met=Count("pk", filter=Q(met=True)))
    ratings = SatisfactionRating.objects.filter(
        organization_id__in=orgs, created_at__gte=start, created_at__lt=end).aggregate(
        average=Avg("score", output_field=FloatField()), count=Count("pk"))
    return {"sla_total": clocks["total"], "sla_met": clocks["met"],
            "sla_rate": round(100 * clocks["met"] / clocks["total"], 1) if clocks["total"]
            else None,
            "rating_average": _average(ratings["average"]), "rating_count": ratings["count"]}


def dimension_chart(results: CampaignResults) -> dict[str, Any]:
    """ECharts option: average per dimension (bars, 0–5)."""
    return {"xAxis": {"type": "category", "data": [d["label"] for d in results.dimensions]},
            "yAxis": {"type": "value", "min": 0, "max": 5},
            "series": [{"type": "bar", "name": _("Average score"),
                        "data": [d["average"] for d in results.dimensions],
                        "label": {"show": True, "position": "top"}}]}


def organization_chart(results: CampaignResults) -> dict[str, Any]:
    """ECharts option: per dimension, one bar per organization (the comparison)."""
    return {"legend": {"top": 0},
            "xAxis": {"type": "category", "data": [d["label"] for d in results.dimensions]},
            "yAxis": {"type": "value", "min": 0, "max": 5},
            "series": [{"type": "bar", "name": row["name"], "data": row["dimensions"]}
                       for row in results.organizations]}


def trend_chart(results: CampaignResults) -> dict[str, Any]:
    """ECharts option: per dimension, a line across the campaigns."""
    return {"legend": {"top": 0},
            "xAxis": {"type": "category", "data": [c["name"] for c in results.trend]},
            "yAxis": {"type": "value", "min": 0, "max": 5},
            "series": [{"type": "line", "name": d["label"], "showSymbol": True,
                        "symbolSize": 8, "connectNulls": True,
                        "data": [c["dimensions"].get(d["code"]) for c in results.trend]}
                       for d in results.dimensions]}
