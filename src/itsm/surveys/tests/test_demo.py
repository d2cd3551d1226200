"""The demo's surveys load through the service layer and give the results page data."""

# covers: FBK-2, FBK-3

from __future__ import annotations

from django.urls import reverse

from itsm.demo import surveys as demo_surveys
from itsm.surveys.models import Campaign, FeedbackItem, SurveyResponse

from .conftest import add_person


def test_the_demo_loads_two_campaigns_with_answers_and_feedback(world):
    from itsm.core.choices import Role

    add_person(world, "quality", "P", roles=(Role.QUALITY_MANAGER,))
    people = {"quality": world.users["quality"], "agent": world.users["agent"]}
    demo_surveys.load(world.orgs["P"], people)
    demo_surveys.load(world.orgs["P"], people)  # once only
    first, second = Campaign.objects.order_by("period_start")
    assert first.status == "closed" and second.status == "open"
    assert SurveyResponse.objects.filter(campaign=first).count() == first.recipients.count()
    assert SurveyResponse.objects.filter(campaign=first, channel="phone").exists()
    assert FeedbackItem.objects.filter(status="confirmed").count() == 1
    page = world.client("quality").get(reverse("surveys:campaign-results", args=[second.pk]))
    assert page.status_code == 200
    results = world.client("quality").get(
        reverse("api:campaign-results", args=[second.pk])).json()
    assert [t["campaign"] for t in results["trend"]] == [first.pk, second.pk]
