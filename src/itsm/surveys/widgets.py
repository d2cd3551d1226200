"""Home-page cards and inbox work of surveys and feedback (registered in
``registrations``); each runs a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core.registry import InboxItem
from itsm.core.workspace import CARD_ROWS, count_and_first, open_records

from .choices import CampaignStatus, FeedbackStatus
from .models import Campaign, FeedbackItem, Recipient
from .results import campaign_results


def my_feedback(user) -> dict[str, Any]:
    """Open feedback items assigned to the person, most urgent class first (one query)."""
    count, rows = count_and_first(open_records(FeedbackItem, user).filter(
        assignee_id=user.pk).order_by("classification", "created_at", "pk"), CARD_ROWS)
    return {"records": rows, "count": count}


def latest_results(user) -> dict[str, Any]:
    """The results by dimension of the provider's latest launched campaign (a fixed
    number of queries)."""
    campaign = (Campaign.objects.visible_to(user).exclude(launched_at__isnull=True)
                .select_related("questionnaire").order_by("-launched_at", "-pk").first())
    if campaign is None:
        return {"campaign": None}
    results = campaign_results(campaign)
    return {"campaign": campaign, "results": results,
            "url": reverse("surveys:campaign-results", args=[campaign.pk])}


def feedback_to_confirm(user, limit: int) -> tuple[int, list[InboxItem]]:
    """A customer's feedback items handled and awaiting their confirmation."""
    count, rows = count_and_first(FeedbackItem.objects.visible_to(user).filter(
        requester_id=user.pk, status=FeedbackStatus.AWAITING_CONFIRMATION)
        .order_by("handled_at", "pk"), limit)
    return count, [InboxItem(kind=_("Confirm the handling of your feedback"),
                                    title=r.title, url=r.get_absolute_url(), number=r.number,
                                    since=r.handled_at) for r in rows]


def surveys_to_answer(user, limit: int) -> tuple[int, list[InboxItem]]:
    """Open surveys the person was asked to answer and has not."""
    count, rows = count_and_first(
        Recipient.objects.filter(person_id=user.pk, answered_at__isnull=True,
                                 campaign__status=CampaignStatus.OPEN,
                                 campaign__closes_at__gt=timezone.now())
        .select_related("campaign").order_by("campaign__closes_at", "pk"), limit)
    return count, [InboxItem(kind=_("Satisfaction survey"), title=r.campaign.name,
                                    url=reverse("surveys:campaign-answer",
                                                args=[r.campaign_id]),
                                    since=r.invited_at, due=r.campaign.closes_at)
                          for r in rows]


def survey_banner(user) -> dict[str, Any] | None:
    """The portal's banner for a customer: the open surveys they were asked to answer
    (no banner when there is none)."""
    count, items = surveys_to_answer(user, 3)
    return {"count": count, "items": items} if count else None
