"""Demo data of satisfaction surveys and feedback (FBK-2, FBK-3): the first-half-year
campaign of the shipped questionnaire (closed, answered by every customer person, one by
phone), the second-half-year campaign (open, half answered), and the feedback items the
low scores opened, one of them handled and confirmed. Not wired into ``itsm demo`` yet:
call ``load(provider, people)`` with the demo's provider and people."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from itsm.core import services as core_services
from itsm.core.choices import Role
from itsm.core.models import Organization
from itsm.surveys import defaults, services
from itsm.surveys.choices import CampaignStatus, FeedbackStatus, SurveyChannel
from itsm.surveys.models import Campaign, FeedbackItem, Recipient

SEED = 20261207
#: (name, period start, period end, share of recipients who answer, closed)
CAMPAIGNS = [
    ("2026年上半年IT服务满意度调查", dt.date(2026, 1, 1), dt.date(2026, 6, 30), 1.0, True),
    ("2026年下半年IT服务满意度调查", dt.date(2026, 7, 1), dt.date(2026, 12, 31), 0.5, False),
]
COMMENTS = ["服务台响应及时，工程师很专业。", "希望夜间也能有人值班。",
            "系统偶尔卡顿，希望尽快优化。", "费用偏高，希望提供更灵活的套餐。", ""]


def _scores(rng: random.Random, mood: int) -> list[Any]:
    return [max(1, min(5, mood + rng.choice((-1, 0, 0, 1)))) if rng.random() > 0.08
            else services.NOT_APPLICABLE for _dimension in range(5)]


def load(provider: Organization, people: dict[str, Any]) -> None:
    """Load the demo's surveys once (nothing when the provider has campaigns)."""
    if Campaign.objects.filter(provider=provider).exists():
        return
    rng = random.Random(SEED)
    quality, agent = people["quality"], people["agent"]
    questionnaire = defaults.default_questionnaire()
    questions = services.questions_of(questionnaire)
    rated = [q for q in questions if q.kind == "likert"]
    text = next(q for q in questions if q.kind == "text")
    customers = list(Organization.objects.filter(provider=provider))
    for name, start, end, share, closed in CAMPAIGNS:
        campaign = services.save_campaign(None, actor=quality, data={
            "name": name, "questionnaire": questionnaire, "period_start": start,
            "period_end": end, "closes_at": timezone.now() + dt.timedelta(days=21),
            "channels": [SurveyChannel.EMAIL, SurveyChannel.IM, SurveyChannel.PHONE],
            "organizations": customers})
        services.launch_campaign(campaign, actor=quality)
        recipients = list(Recipient.objects.filter(campaign=campaign).select_related(
            "person").order_by("pk"))
        for index, recipient in enumerate(recipients[:max(1, round(len(recipients) * share))]):
            mood = 2 if index == 0 and not closed else rng.choice((3, 4, 4, 5))
            values = {str(q.pk): v for q, v in zip(rated, _scores(rng, mood), strict=True)}
            values[str(text.pk)] = rng.choice(COMMENTS)
            by_phone = index % 4 == 3
            services.submit_response(
                campaign, values=values, recipient=recipient,
                channel=SurveyChannel.PHONE if by_phone else SurveyChannel.EMAIL,
                actor=agent if by_phone else None)
        if closed:  # the first half year is over
            Campaign.objects.filter(pk=campaign.pk).update(
                status=CampaignStatus.CLOSED,
                closes_at=timezone.make_aware(dt.datetime.combine(
                    end + dt.timedelta(days=15), dt.time(18))))
    _handle_feedback(people)


def _handle_feedback(people: dict[str, Any]) -> None:
    """The first feedback item goes round the loop; the others wait for analysis."""
    agent = people["agent"]
    item = FeedbackItem.objects.filter(status=FeedbackStatus.COLLECTED).order_by("pk").first()
    if item is None:
        return
    for name, values in [("analyse", {"assignee": agent}),
                         ("handle", {"analysis": "高峰时段坐席不足，响应超时。"}),
                         ("submit", {"handling": "已增加高峰时段值班坐席，并电话回访客户。"})]:
        item = core_services.transition_record(item, name, actor=agent, values=values)
    requester = item.requester
    if requester is not None and requester.groups.filter(
            name__in=[Role.REQUESTER, Role.CUSTOMER_ADMIN]).exists():
        core_services.transition_record(item, "confirm", actor=requester)
